#pragma once
// A server's TLS configuration as OpenSSL holds it: the certificate chain and
// key, the protocol versions and ciphers, ALPN and session tickets, in one
// SSL_CTX that every shard makes its connections' SSL objects from (SSL_new
// only reads a context, so sharing it across threads is safe).
//
// A reload builds a new context from the files (the daemon keeps the old one
// when that fails) and hands it to the shards: new handshakes use it, while
// each established connection keeps the context it was made from (its
// TlsStream holds a reference). The ticket keys outlive both (tls/ticket_keys.h),
// so tickets issued before a reload still resume after it.
#include <openssl/ssl.h>

#include <memory>
#include <string>
#include <string_view>

#include "tls/ticket_keys.h"
#include "tls/tls_options.h"

namespace ringcast {

// The protocols this server offers by ALPN, in order of preference, in the
// wire format (length-prefixed): h2 first when HTTP/2 is served
// (TlsContextOptions::offer_h2). A connection that agreed on h2 starts with the
// client's preface like an h2c one, and the HTTP server turns it into an
// HTTP/2 connection the same way (http2/README.md).
inline constexpr std::string_view kAlpnHttp11{"\x08http/1.1", 9};
inline constexpr std::string_view kAlpnH2Http11{"\x02h2\x08http/1.1", 12};

class TlsContext {
public:
    // Loads the files and applies the options. nullptr with *error naming the
    // file or the setting and OpenSSL's reason ("tls.key /etc/x.pem: does not
    // match the certificate tls.certificate /etc/y.pem").
    static std::shared_ptr<const TlsContext> create(const TlsContextOptions& opts,
                                                    std::shared_ptr<TicketKeys> keys,
                                                    std::string* error);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    SSL_CTX* ctx() const { return _ctx; }
    // The certificate in use, for the log: "subject CN=x, serial 0A1B, expires ...".
    const std::string& summary() const { return _summary; }
    const std::shared_ptr<TicketKeys>& ticket_keys() const { return _keys; }
    // Its connections may move their transmit side to the kernel (TlsContextOptions::ktls).
    bool ktls() const { return _ktls; }
    // Its connections seal their own records after the handshake (TlsContextOptions::seal).
    bool seal() const { return _seal; }

private:
    TlsContext(SSL_CTX* ctx, std::shared_ptr<TicketKeys> keys)
        : _ctx(ctx), _keys(std::move(keys)) {}

    SSL_CTX* _ctx;
    std::shared_ptr<TicketKeys> _keys;
    std::string _summary;
    bool _ktls = false;
    bool _seal = false;
};

// OpenSSL's reasons for the errors queued on this thread, "; "-separated, and
// the queue emptied. `fallback` when none was queued.
std::string openssl_errors(std::string_view fallback = "unknown error");

}  // namespace ringcast
