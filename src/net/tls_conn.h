#pragma once
// Private to the transport: what it keeps per TLS connection, in its side
// table (Transport::_tls), beside the TlsStream itself.
#include <memory>

#include "net/transport.h"
#include "tls/tls_stream.h"

namespace ringcast {

struct Transport::TlsConn {
    std::unique_ptr<TlsStream> stream;
    // Plaintext bytes of the frames in flight (c._out.in_flight() of them):
    // encrypted into the ciphertext being sent, released once it is all sent.
    size_t plain_in_flight = 0;
    bool opened = false;         // the handshake is done
    bool protocol_open = false;  // ... and the protocol has had on_open() (c was open then)
};

}  // namespace ringcast
