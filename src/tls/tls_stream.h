#pragma once
// One server-side TLS connection, with no socket: the transport feeds it the
// ciphertext it received and takes the ciphertext to send, so the handshake and
// the records run over the shard's io_uring receives and sends like any other
// bytes, and nothing here ever blocks.
//
// Bytes in: feed() lends the received buffer to OpenSSL through a BIO that
// reads it in place (no copy into a memory BIO); the handshake advances, and
// once it is done every decrypted run of plaintext goes to the sink. A record
// cut across two receives waits in OpenSSL's own read buffer.
//
// Bytes out: whatever OpenSSL writes (handshake flights, alerts, records,
// close_notify) is appended to `pending`, a buffer of this stream. A send
// takes it (next_output(): pending becomes `sending`, which nothing touches
// until the socket took all of it), so a send in flight never sees its bytes
// move while new records accumulate behind it. encrypt() turns the plaintext
// pieces of one batched write (the queued frames' iovec) into records,
// coalescing small pieces into records of up to 16 KiB: one AEAD pass and 22
// bytes of TLS 1.3 overhead per 16 KiB instead of per frame (see
// bench/micro/tls_bench.cc for the measurement).
//
// Records of our own (tls/record_sealer.h): once start_sealing() succeeded,
// encrypt() and close_notify() seal TLS 1.3 records themselves into the same
// output, with the state OpenSSL's write side had reached, and OpenSSL only
// reads from then on. What it would still write is dropped (its sequence
// number is stale) and openssl_wrote() says so: the connection must end.
//
// Memory at rest: the SSL object (about 1.5 KiB once the handshake buffers are
// gone, SSL_MODE_RELEASE_BUFFERS), this object, and no ciphertext buffer: both
// are handed back once written (to the shard's CipherBuffers, which reuses
// them for the next write of any of its connections, or freed without one).
#include <openssl/ssl.h>
#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "tls/cipher_buffers.h"
#include "tls/ktls_tx.h"
#include "tls/record_sealer.h"
#include "tls/tls_context.h"

namespace ringcast {

// Where decrypted bytes go. Returns false to stop: the rest of the input is
// dropped (the connection is closing).
class PlainSink {
public:
    virtual bool on_plain(const char* data, size_t len) = 0;

protected:
    ~PlainSink() = default;
};

class TlsStream {
public:
    // A stream accepting a handshake with `ctx`; nullptr if OpenSSL could not
    // allocate one. Its ciphertext buffers come from and go back to `buffers`
    // (which must outlive it) when one is given.
    static std::unique_ptr<TlsStream> accept(std::shared_ptr<const TlsContext> ctx,
                                             CipherBuffers* buffers = nullptr);
    ~TlsStream();
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    enum class Input : uint8_t {
        more,    // all taken; waiting for more bytes (or the peer's turn)
        closed,  // the peer's close_notify: no more data
        failed,  // a protocol error (reason()); an alert may be in the output
    };
    // Ciphertext from the peer. Plaintext is handed to sink, in runs of at most
    // scratch.size() bytes (decrypted into scratch). established() tells whether
    // the handshake is done, which may have happened during this call.
    Input feed(const char* data, size_t len, std::span<char> scratch, PlainSink& sink);

    // Encrypts the n pieces into records appended to the output, coalescing
    // them through scratch (at least 16 KiB). Only once established(). False:
    // OpenSSL failed (reason()); the connection is unusable.
    bool encrypt(const iovec* iov, unsigned n, std::span<char> scratch);
    // Queues close_notify (once; only once established()).
    void close_notify();

    bool established() const { return _established; }
    bool close_notify_queued() const { return _notified; }
    // A protocol error ended it (feed() said failed): nothing more is read.
    bool failed() const { return !_reason.empty(); }
    const std::string& reason() const { return _reason; }
    // What ALPN chose ("" when nothing was agreed on).
    std::string_view alpn() const;
    // "TLSv1.3" and so on; for the log.
    const char* version() const { return SSL_get_version(_ssl); }
    bool resumed() const { return SSL_session_reused(_ssl) == 1; }

    // --- kTLS transmit (tls/ktls_tx.h) --------------------------------------------
    // Whether this stream was made to be able to hand its transmit side over.
    bool ktls_capable() const { return _ktls != nullptr && _ctx->ktls(); }
    // Once established and with no output left to send: what the kernel needs
    // to encrypt from the next record on. Either way the capture ends (the
    // secret is wiped, OpenSSL's callbacks let go). False with *why_not when
    // this connection stays in user space.
    bool export_ktls_tx(KtlsTx* out, std::string* why_not);

    // --- records sealed here (tls/record_sealer.h) --------------------------------
    // Whether start_sealing() may work: made with tls.seal, the capture still on.
    bool seal_capable() const { return _ktls != nullptr && _ctx->seal(); }
    // Once established: from the next record on, encrypt() and close_notify()
    // seal records here, after whatever OpenSSL wrote (still in the output, in
    // order). The capture ends either way. False with *why_not ("TLSv1.2",
    // "cipher ...") when SSL_write goes on.
    bool start_sealing(std::string* why_not);
    // The same from a kTLS export the kernel refused; OpenSSL must not have
    // written since it was made.
    bool start_sealing(const KtlsTx& tx, std::string* why_not);
    bool sealing() const { return _sealer != nullptr; }
    // OpenSSL wrote after sealing began (an alert): dropped, it cannot be sent.
    bool openssl_wrote() const { return _openssl_wrote; }
    // The peer asked for a KeyUpdate, which OpenSSL would send with its next
    // write (never, once the kernel or the sealer writes): the connection
    // cannot go on without breaking RFC 8446 4.6.3.
    bool key_update_pending() const { return SSL_get_key_update_type(_ssl) != SSL_KEY_UPDATE_NONE; }

    // --- output -----------------------------------------------------------------
    bool has_output() const { return sending() || !_pending.empty(); }
    // A buffer went out in part: the rest goes before anything new.
    bool sending() const { return _sent < _sending.size(); }
    // The bytes the next send writes: the unsent rest of the buffer being sent,
    // or, once that went whole, everything accumulated since. They stay put
    // until sent() says the socket took them.
    std::span<const char> next_output();
    // The socket took n bytes of next_output(). True when that buffer went whole
    // (its memory is released).
    bool sent(size_t n);
    // Ciphertext waiting, sent or not.
    size_t output_bytes() const { return _sending.size() - _sent + _pending.size(); }

    // Appends to the output (the BIO's write).
    void append_output(const char* data, size_t len) {
        if (_sealer) {  // OpenSSL's write sequence is stale: never on the wire
            _openssl_wrote = true;
            return;
        }
        if (_pending.capacity() == 0 && _buffers) _pending = _buffers->take();
        _pending.insert(_pending.end(), data, data + len);
    }
    // Lends the received bytes to the BIO's read; returns how many it took.
    size_t read_input(char* out, size_t max);

private:
    TlsStream(std::shared_ptr<const TlsContext> ctx, SSL* ssl, CipherBuffers* buffers)
        : _ctx(std::move(ctx)), _ssl(ssl), _buffers(buffers) {}
    // A buffer no send reads any more: to the pool, or freed.
    void release(std::vector<char>& b);
    // encrypt() and close_notify() with the sealer.
    bool seal_records(const iovec* iov, unsigned n);
    bool seal_record(const char* data, size_t len, uint8_t type);
    // Collects OpenSSL's reason for a failure of `what` (an SSL_get_error value).
    Input fail(int ssl_error);

    std::shared_ptr<const TlsContext> _ctx;  // the context this handshake used
    SSL* _ssl;
    CipherBuffers* _buffers;
    std::unique_ptr<KtlsCapture> _ktls;     // only while a kTLS export may come
    std::unique_ptr<RecordSealer> _sealer;  // once records are sealed here
    const char* _in = nullptr;              // the receive being fed
    size_t _in_len = 0;
    std::vector<char> _pending;  // ciphertext no send has taken yet
    std::vector<char> _sending;  // the ciphertext of the send in flight
    size_t _sent = 0;            // of _sending
    std::string _reason;
    bool _established = false;
    bool _notified = false;
    bool _openssl_wrote = false;
};

}  // namespace ringcast
