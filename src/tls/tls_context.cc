#include "tls/tls_context.h"

#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "tls/ktls_tx.h"

namespace ringcast {

namespace {

// Chooses the first protocol of ours the client also offers. A client that
// offers none of them gets no ALPN answer (RFC 7301 allows either that or a
// fatal alert; curl and browsers always offer http/1.1 anyway).
// `arg` is the list offered (kAlpnHttp11 or kAlpnH2Http11).
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void* arg) {
    const auto* ours = static_cast<const std::string_view*>(arg);
    unsigned char* chosen = nullptr;
    const int r = SSL_select_next_proto(&chosen, out_len,
                                        reinterpret_cast<const unsigned char*>(ours->data()),
                                        unsigned(ours->size()), in, in_len);
    if (r != OPENSSL_NPN_NEGOTIATED) return SSL_TLSEXT_ERR_NOACK;
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

// Why a file cannot be read, before OpenSSL's vaguer "system lib".
bool readable(const std::string& key, const std::string& path, std::string* error) {
    if (path.empty()) {
        *error = fmt::format("{} is not set: name a PEM file", key);
        return false;
    }
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        *error = fmt::format("{} {}: {}", key, path, std::strerror(errno));
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        *error = fmt::format("{} {}: not a regular file", key, path);
        return false;
    }
    // Permission denied, say, in words (OpenSSL would say "system lib").
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        *error = fmt::format("{} {}: {}", key, path, std::strerror(errno));
        return false;
    }
    close(fd);
    return true;
}

std::string certificate_summary(SSL_CTX* ctx) {
    X509* cert = SSL_CTX_get0_certificate(ctx);
    if (!cert) return "no certificate";
    char subject[256] = "";
    X509_NAME_oneline(X509_get_subject_name(cert), subject, sizeof subject);
    std::string serial = "?";
    if (BIGNUM* bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), nullptr)) {
        if (char* hex = BN_bn2hex(bn)) {
            serial = hex;
            OPENSSL_free(hex);
        }
        BN_free(bn);
    }
    std::string expires = "?";
    if (BIO* b = BIO_new(BIO_s_mem())) {
        if (ASN1_TIME_print(b, X509_get0_notAfter(cert)) == 1) {
            char* data = nullptr;
            long len = BIO_get_mem_data(b, &data);
            expires.assign(data, size_t(len));
        }
        BIO_free(b);
    }
    return fmt::format("subject {}, serial {}, expires {}", subject, serial, expires);
}

}  // namespace

std::string openssl_errors(std::string_view fallback) {
    std::string out;
    while (unsigned long e = ERR_get_error()) {
        char buf[256];
        ERR_error_string_n(e, buf, sizeof buf);
        // "error:0A00009C:SSL routines::http request": the reason is what helps.
        const char* reason = ERR_reason_error_string(e);
        if (!out.empty()) out += "; ";
        out += reason ? reason : buf;
    }
    return out.empty() ? std::string(fallback) : out;
}

std::shared_ptr<const TlsContext> TlsContext::create(const TlsContextOptions& opts,
                                                     std::shared_ptr<TicketKeys> keys,
                                                     std::string* error) {
    ERR_clear_error();
    if (!readable("tls.certificate", opts.certificate, error) ||
        !readable("tls.key", opts.key, error))
        return nullptr;
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx) {
        *error = "cannot make a TLS context: " + openssl_errors();
        return nullptr;
    }
    std::shared_ptr<TlsContext> made(new TlsContext(ctx, std::move(keys)));
    auto fail = [&](std::string what) {
        *error = std::move(what);
        return nullptr;
    };
    if (SSL_CTX_use_certificate_chain_file(ctx, opts.certificate.c_str()) != 1)
        return fail(fmt::format("tls.certificate {}: {}", opts.certificate,
                                openssl_errors("no certificate in it")));
    if (SSL_CTX_use_PrivateKey_file(ctx, opts.key.c_str(), SSL_FILETYPE_PEM) != 1) {
        // Loading the key checks it against the certificate already.
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH)
            return fail(
                fmt::format("tls.key {} does not match the certificate of tls.certificate {}: {}",
                            opts.key, opts.certificate, openssl_errors()));
        return fail(fmt::format("tls.key {}: {}", opts.key, openssl_errors("no key in it")));
    }
    if (SSL_CTX_check_private_key(ctx) != 1)
        return fail(
            fmt::format("tls.key {} does not match the certificate of tls.certificate {}: {}",
                        opts.key, opts.certificate, openssl_errors()));
    const int min = opts.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(ctx, min);
    if (SSL_CTX_set_cipher_list(ctx, opts.ciphers.c_str()) != 1)
        return fail(fmt::format("tls.ciphers \"{}\": {}", opts.ciphers, openssl_errors()));
    if (SSL_CTX_set_ciphersuites(ctx, opts.ciphersuites.c_str()) != 1)
        return fail(
            fmt::format("tls.ciphersuites \"{}\": {}", opts.ciphersuites, openssl_errors()));
    SSL_CTX_set_dh_auto(ctx, 1);  // the DHE suites of the intermediate list
    // The server's order: the intermediate list puts the faster AEADs first.
    SSL_CTX_set_options(
        ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
    // An idle stream's SSL object keeps no read or write buffer (about 34 KiB
    // otherwise): they are taken for a record and given back when it is done.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_alpn_select_cb(
        ctx, select_alpn,
        const_cast<std::string_view*>(opts.offer_h2 ? &kAlpnH2Http11 : &kAlpnHttp11));
    // Resumption by tickets only: a server-side session cache would be per
    // process memory that shards share behind a lock.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    static const unsigned char kSessionContext[] = "ringcast";
    SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    if (opts.session_tickets && made->_keys) {
        SSL_CTX_set_app_data(ctx, made->_keys.get());
        SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, TicketKeys::callback);
        // One TLS 1.3 ticket per handshake (OpenSSL sends two by default): a
        // browser resumes with one, and each costs an encryption and bytes.
        SSL_CTX_set_num_tickets(ctx, 1);
        // The lifetime hint: a key decrypts for up to two rotation periods.
        SSL_CTX_set_timeout(ctx, long(opts.ticket_rotation_ms / 1000 * 2));
    } else {
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        SSL_CTX_set_num_tickets(ctx, 0);
    }
    // Both need the application secret and the records OpenSSL wrote (KtlsCapture).
    if (opts.ktls || opts.seal) KtlsCapture::enable(ctx);
    made->_ktls = opts.ktls;
    made->_seal = opts.seal;
    made->_summary = certificate_summary(ctx);
    return made;
}

TlsContext::~TlsContext() {
    SSL_CTX_free(_ctx);
}

}  // namespace ringcast
