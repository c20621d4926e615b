#pragma once
// Private to the transport: what it keeps per TLS connection, in its side
// table (Transport::_tls), beside the TlsStream itself.
#include <sys/socket.h>
#include <sys/uio.h>

#include <memory>

#include "net/transport.h"
#include "tls/ktls_tx.h"
#include "tls/tls_stream.h"

namespace ringcast {

struct Transport::TlsConn {
    std::unique_ptr<TlsStream> stream;
    // Plaintext bytes of the frames in flight (c._out.in_flight() of them):
    // encrypted into the ciphertext being sent, released once it is all sent.
    size_t plain_in_flight = 0;
    bool opened = false;         // the handshake is done
    bool protocol_open = false;  // ... and the protocol has had on_open() (c was open then)

    // kTLS transmit (net/transport_ktls.cc): `wanted` from the handshake's end
    // until its last ciphertext is out (no new record is made meanwhile), then
    // `switching` while the kernel takes the keys, then `on`: the queue's frames
    // go out as plain sends and the kernel encrypts them. `none`: user space.
    enum class Ktls : uint8_t { none, wanted, switching, on };
    Ktls ktls = Ktls::none;
    // close_notify on the kernel's path: an alert record sent with sendmsg.
    enum class Alert : uint8_t { none, queued, sending, sent };
    Alert alert = Alert::none;
    std::unique_ptr<KtlsTx> ktls_tx;  // exported, not yet given to the kernel
    struct AlertSend {
        msghdr msg{};
        iovec iov{};
        unsigned char body[2] = {1, 0};  // level warning, close_notify
        alignas(cmsghdr) char control[CMSG_SPACE(1)] = {};
    };
    std::unique_ptr<AlertSend> alert_send;  // while its sendmsg is in flight
};

}  // namespace ringcast
