#pragma once
// The client side of the in-memory TLS tests: an OpenSSL client on memory
// BIOs that trusts a test CA, and the pump that carries bytes between it and
// a server-side TlsStream until neither has anything to say. No sockets.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../../common/test_pki.h"
#include "tls/tls_context.h"
#include "tls/tls_stream.h"

namespace ringcast::test {

// Plaintext the server decrypted.
struct Collect final : PlainSink {
    std::string got;
    bool on_plain(const char* p, size_t n) override {
        got.append(p, n);
        return true;
    }
};

// A directory with ca.pem, cert.pem and key.pem of a fresh test CA; removed at the end.
class PkiDir {
public:
    PkiDir() {
        char tmpl[] = "/tmp/ringcast-tls-XXXXXX";
        _dir = mkdtemp(tmpl);
        write_text(path("ca.pem"), ca.ca_pem());
        IssuedCert leaf = ca.issue(1);
        write_text(path("cert.pem"), leaf.cert_pem);
        write_text(path("key.pem"), leaf.key_pem);
    }
    ~PkiDir() { std::filesystem::remove_all(_dir); }
    std::string path(const std::string& name) const { return _dir + "/" + name; }
    TlsContextOptions options() const {
        TlsContextOptions o;
        o.certificate = path("cert.pem");
        o.key = path("key.pem");
        o.min_version = "1.2";
        o.ciphers = kIntermediateCiphers;
        o.ciphersuites = kIntermediateCiphersuites;
        return o;
    }
    TestCa ca;

private:
    std::string _dir;
};

class TestClient {
public:
    // A client trusting ca_file; max_version 0 = any.
    explicit TestClient(const std::string& ca_file, int max_version = 0,
                        SSL_SESSION* resume = nullptr) {
        _ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_load_verify_locations(_ctx, ca_file.c_str(), nullptr);
        SSL_CTX_set_verify(_ctx, SSL_VERIFY_PEER, nullptr);
        if (max_version) {
            SSL_CTX_set_min_proto_version(_ctx, TLS1_VERSION);
            SSL_CTX_set_max_proto_version(_ctx, max_version);
            SSL_CTX_set_security_level(_ctx, 0);
        }
        static const unsigned char alpn[] = "\x02h2\x08http/1.1";
        SSL_CTX_set_alpn_protos(_ctx, alpn, sizeof alpn - 1);
        ssl = SSL_new(_ctx);
        _in = BIO_new(BIO_s_mem());
        _out = BIO_new(BIO_s_mem());
        SSL_set_bio(ssl, _in, _out);
        SSL_set_tlsext_host_name(ssl, "localhost");
        SSL_set1_host(ssl, "localhost");
        if (resume) SSL_set_session(ssl, resume);
        SSL_set_connect_state(ssl);
    }
    ~TestClient() {
        // As a client that closes properly: OpenSSL marks the session of one
        // freed without a shutdown as not resumable.
        SSL_set_shutdown(ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
        SSL_free(ssl);
        SSL_CTX_free(_ctx);
    }
    // Bytes the client wrote, taken.
    std::string take() {
        std::string s(size_t(BIO_ctrl_pending(_out)), '\0');
        if (!s.empty()) BIO_read(_out, s.data(), int(s.size()));
        return s;
    }
    void give(const char* p, size_t n) { BIO_write(_in, p, int(n)); }
    // Plaintext the client can read now.
    std::string read_all() {
        std::string got;
        char buf[4096];
        size_t n = 0;
        while (SSL_read_ex(ssl, buf, sizeof buf, &n) == 1)
            got.append(buf, n);
        return got;
    }
    SSL* ssl;

private:
    SSL_CTX* _ctx;
    BIO* _in;
    BIO* _out;
};

// Carries the server's output to the client, whole (sent() in one go).
inline size_t deliver(TlsStream& s, TestClient& client, size_t chunk = SIZE_MAX) {
    size_t total = 0;
    while (s.has_output()) {
        std::span<const char> out = s.next_output();
        const size_t n = std::min(out.size(), chunk);
        client.give(out.data(), n);
        s.sent(n);
        total += n;
    }
    return total;
}

// Runs the handshake to its end (or a failure); returns the server's last input result.
inline TlsStream::Input handshake(TlsStream& s, TestClient& client, Collect& sink) {
    char scratch[16384];
    TlsStream::Input r = TlsStream::Input::more;
    for (int round = 0; round < 10; ++round) {
        SSL_do_handshake(client.ssl);
        std::string hello = client.take();
        if (!hello.empty()) r = s.feed(hello.data(), hello.size(), scratch, sink);
        deliver(s, client);
        if (r == TlsStream::Input::failed) return r;
        if (s.established() && SSL_is_init_finished(client.ssl)) {
            SSL_do_handshake(client.ssl);
            return r;
        }
    }
    return r;
}

}  // namespace ringcast::test
