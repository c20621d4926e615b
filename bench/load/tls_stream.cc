#include "tls_stream.h"

#include <openssl/err.h>

#include <fmt/format.h>

namespace ringcast::load {

namespace {

std::string openssl_errors() {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        if (!out.empty()) out += "; ";
        out += buf;
    }
    return out;
}

}  // namespace

std::unique_ptr<TlsClientContext> TlsClientContext::make(const std::string& ca_file, bool resume,
                                                         std::string_view alpn,
                                                         std::string* error) {
    std::unique_ptr<TlsClientContext> c(new TlsClientContext);
    c->_ctx = SSL_CTX_new(TLS_client_method());
    if (!c->_ctx) {
        *error = "SSL_CTX_new: " + openssl_errors();
        return nullptr;
    }
    SSL_CTX_set_min_proto_version(c->_ctx, TLS1_2_VERSION);
    std::string protos = char(alpn.size()) + std::string(alpn);  // one length-prefixed name
    SSL_CTX_set_alpn_protos(c->_ctx, reinterpret_cast<const unsigned char*>(protos.data()),
                            unsigned(protos.size()));
    // Plaintext buffers are released between records: what a browser's stream
    // costs the server is the question, not what ten thousand client buffers cost us.
    SSL_CTX_set_mode(c->_ctx, SSL_MODE_RELEASE_BUFFERS);
    if (!ca_file.empty()) {
        if (SSL_CTX_load_verify_locations(c->_ctx, ca_file.c_str(), nullptr) != 1) {
            *error = fmt::format("--tls-ca {}: {}", ca_file, openssl_errors());
            return nullptr;
        }
        SSL_CTX_set_verify(c->_ctx, SSL_VERIFY_PEER, nullptr);
    }
    c->_resume = resume;
    if (!resume) {
        SSL_CTX_set_options(c->_ctx, SSL_OP_NO_TICKET);
        return c;
    }
    // TLS 1.3 hands the session over after the handshake (NewSessionTicket,
    // read with the first data), so sessions are taken as they come.
    SSL_CTX_set_app_data(c->_ctx, c.get());
    SSL_CTX_set_session_cache_mode(c->_ctx,
                                   SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(c->_ctx, [](SSL* ssl, SSL_SESSION* session) {
        auto* self = static_cast<TlsClientContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
        return self->keep(session);
    });
    return c;
}

TlsClientContext::~TlsClientContext() {
    if (_session) SSL_SESSION_free(_session);
    if (_ctx) SSL_CTX_free(_ctx);
}

int TlsClientContext::keep(SSL_SESSION* session) {
    if (!SSL_SESSION_is_resumable(session)) return 0;  // not ours: OpenSSL frees it
    if (_session) SSL_SESSION_free(_session);
    _session = session;
    return 1;
}

TlsStream::TlsStream(TlsClientContext& context) : _context(context) {
    _ssl = SSL_new(context.ctx());
    _in = BIO_new(BIO_s_mem());
    _out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(_in, -1);  // an empty input BIO means "more later", not EOF
    SSL_set_bio(_ssl, _in, _out);
    SSL_set_connect_state(_ssl);
    SSL_set_tlsext_host_name(_ssl, "localhost");
    if (SSL_SESSION* s = context.session()) SSL_set_session(_ssl, s);
}

TlsStream::~TlsStream() {
    if (_ssl) SSL_free(_ssl);  // frees both BIOs
}

void TlsStream::feed(const char* data, size_t len) {
    BIO_write(_in, data, int(len));
}

void TlsStream::note_error(const char* what, int ret) {
    int e = SSL_get_error(_ssl, ret);
    std::string detail = openssl_errors();
    if (detail.empty() && e == SSL_ERROR_SYSCALL) detail = "the server closed the connection";
    if (SSL_get_verify_result(_ssl) != X509_V_OK)
        detail += std::string(detail.empty() ? "" : "; ") +
                  "certificate: " + X509_verify_cert_error_string(SSL_get_verify_result(_ssl));
    _error = fmt::format("{}: SSL error {}{}{}", what, e, detail.empty() ? "" : ": ", detail);
}

int TlsStream::handshake() {
    if (_done) return 1;
    int r = SSL_do_handshake(_ssl);
    if (r == 1) {
        _done = true;
        return 1;
    }
    int e = SSL_get_error(_ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    note_error("TLS handshake", r);
    return -1;
}

bool TlsStream::write(std::string_view plain) {
    size_t written = 0;
    int r = SSL_write_ex(_ssl, plain.data(), plain.size(), &written);
    if (r == 1 && written == plain.size()) return true;
    note_error("TLS write", r);
    return false;
}

long TlsStream::read(char* buf, size_t cap) {
    size_t got = 0;
    int r = SSL_read_ex(_ssl, buf, cap, &got);
    if (r == 1) return long(got);
    int e = SSL_get_error(_ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
    if (e == SSL_ERROR_ZERO_RETURN) {
        _error = "the server ended TLS (close_notify)";
        return -1;
    }
    note_error("TLS read", r);
    return -1;
}

std::string TlsStream::take_output() {
    std::string out;
    char* data = nullptr;
    long n = BIO_get_mem_data(_out, &data);
    if (n > 0) out.assign(data, size_t(n));
    (void)BIO_reset(_out);
    return out;
}

bool TlsStream::resumed() const {
    return SSL_session_reused(_ssl) == 1;
}

std::string TlsStream::alpn() const {
    const unsigned char* name = nullptr;
    unsigned len = 0;
    SSL_get0_alpn_selected(_ssl, &name, &len);
    return name ? std::string(reinterpret_cast<const char*>(name), len) : std::string();
}

std::string TlsStream::description() const {
    return fmt::format("{} {}", SSL_get_version(_ssl), SSL_get_cipher_name(_ssl));
}

}  // namespace ringcast::load
