#pragma once
// The client side of TLS for ringcast-load's subscribers (--tls-target): one
// OpenSSL object per connection over memory BIOs, so the socket stays the
// pool's (epoll, recvmsg with its arrival timestamps) and TLS only turns the
// bytes read into plaintext and the request into ciphertext. Handshakes and
// requests are a few hundred bytes, sent whole; the stream itself only reads.
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

namespace ringcast::load {

// What every connection of a worker shares: the SSL_CTX (TLS 1.2+, the one
// ALPN protocol offered, "http/1.1" or "h2", the server verified against
// `ca_file` when one is given) and, with resumption, the session of the
// worker's last full handshake.
class TlsClientContext {
public:
    // nullptr with *error when the CA file cannot be read.
    static std::unique_ptr<TlsClientContext> make(const std::string& ca_file, bool resume,
                                                  std::string_view alpn, std::string* error);
    ~TlsClientContext();
    TlsClientContext(const TlsClientContext&) = delete;
    TlsClientContext& operator=(const TlsClientContext&) = delete;

    SSL_CTX* ctx() const { return _ctx; }
    bool resume() const { return _resume; }
    // The session to offer on the next handshake (nullptr: none yet, or no resumption).
    SSL_SESSION* session() const { return _session; }
    // A session the server gave (a ticket): offered on the next handshakes.
    // 1 when kept (ours to free), 0 when not (OpenSSL's).
    int keep(SSL_SESSION* session);

private:
    TlsClientContext() = default;
    SSL_CTX* _ctx = nullptr;
    SSL_SESSION* _session = nullptr;
    bool _resume = false;
};

class TlsStream {
public:
    explicit TlsStream(TlsClientContext& context);
    ~TlsStream();
    TlsStream(const TlsStream&) = delete;
    TlsStream& operator=(const TlsStream&) = delete;

    // Bytes read from the socket.
    void feed(const char* data, size_t len);
    // Advances the handshake: 1 done, 0 waiting for the server, -1 failed (error()).
    int handshake();
    bool handshake_done() const { return _done; }
    // Plaintext for the server (the request), encrypted into output().
    bool write(std::string_view plain);
    // Decrypts into buf: bytes (> 0), 0 when nothing more is there now, -1 when
    // the server closed (close_notify) or the stream failed (error()).
    long read(char* buf, size_t cap);
    // Ciphertext waiting to be sent (handshake, request, alerts); taken.
    std::string take_output();

    bool resumed() const;
    std::string alpn() const;         // the protocol the server chose ("" = none)
    std::string description() const;  // "TLSv1.3 TLS_AES_256_GCM_SHA384"
    const std::string& error() const { return _error; }

private:
    void note_error(const char* what, int ret);

    TlsClientContext& _context;
    SSL* _ssl = nullptr;
    BIO* _in = nullptr;   // ciphertext from the server (owned by _ssl)
    BIO* _out = nullptr;  // ciphertext for the server (owned by _ssl)
    bool _done = false;
    std::string _error;
};

}  // namespace ringcast::load
