// HTTPS against hostile or broken peers: garbage before the ClientHello, a
// truncated record, a flood of handshakes past tls.max_handshakes, a client
// that stalls mid-handshake. Each is closed, counted and logged with its
// reason and address, and the daemon serves everyone else meanwhile.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tls_support.h"

namespace ringcast::itest {
namespace {

// A ClientHello as a real client sends it (OpenSSL on memory BIOs).
std::string client_hello() {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL* ssl = SSL_new(ctx);
    BIO* in = BIO_new(BIO_s_mem());
    BIO* out = BIO_new(BIO_s_mem());
    SSL_set_bio(ssl, in, out);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set_connect_state(ssl);
    SSL_do_handshake(ssl);
    std::string hello(size_t(BIO_ctrl_pending(out)), '\0');
    BIO_read(out, hello.data(), int(hello.size()));
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    return hello;
}

// The daemon still serves a TLS request from someone else.
void still_serves(const TlsDaemon& t) {
    TlsClient c(t.pki.ca_file);
    ASSERT_TRUE(c.connect(t.port, Deadline(kIoTimeout)));
    ASSERT_TRUE(c.send("GET /healthz/live HTTP/1.1\r\nHost: x\r\n\r\n", Deadline(kIoTimeout)));
    std::optional<HttpResponse> r = c.response(Deadline(kIoTimeout));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
}

bool await_tls_count(const TlsDaemon& t, const char* key, int64_t want) {
    HttpClient c(t.daemon.port());
    if (!c.connect()) return false;
    return await_stats(
        c, [&](const Json& s) { return s.find("tls")->find(key)->as_int() == want; },
        Deadline(kIoTimeout));
}

TEST(HttpsHostile, PlainHttpBeforeTheClientHelloIsClosedAndCounted) {
    TlsDaemon t;
    ASSERT_TRUE(t.start()) << t.daemon.error();
    TcpConnection raw;
    ASSERT_TRUE(raw.connect(t.port, Deadline(kIoTimeout)));
    ASSERT_TRUE(raw.send_all("GET / HTTP/1.1\r\nHost: x\r\n\r\n", Deadline(kIoTimeout)));
    RecvResult r = raw.read_to_eof(Deadline(kIoTimeout));
    EXPECT_TRUE(r.status == IoStatus::eof || r.status == IoStatus::reset) << to_string(r.status);
    // What came back, if anything, is a TLS alert record (content type 21), not HTTP.
    if (!r.bytes.empty()) {
        EXPECT_EQ(r.bytes[0], '\x15');
    }
    EXPECT_TRUE(await_tls_count(t, "handshakeFailures", 1));
    EXPECT_NE(t.daemon.log().find("\"reason\":\"http request\""), std::string::npos)
        << t.daemon.log();
    EXPECT_NE(t.daemon.log().find("\"ip\":\"127.0.0.1\""), std::string::npos);
    still_serves(t);
}

TEST(HttpsHostile, TruncatedRecordThenCloseIsAFailedHandshake) {
    TlsDaemon t;
    ASSERT_TRUE(t.start()) << t.daemon.error();
    const std::string hello = client_hello();
    TcpConnection raw;
    ASSERT_TRUE(raw.connect(t.port, Deadline(kIoTimeout)));
    ASSERT_TRUE(raw.send_all(hello.substr(0, hello.size() / 2), Deadline(kIoTimeout)));
    raw.close();  // vanishes mid-record
    EXPECT_TRUE(await_tls_count(t, "handshakeFailures", 1));
    EXPECT_NE(t.daemon.log().find("peer closed during the handshake"), std::string::npos);
    EXPECT_TRUE(await_tls_count(t, "handshaking", 0));
    still_serves(t);
}

TEST(HttpsHostile, AStalledHandshakeTimesOut) {
    TlsDaemon t;
    ASSERT_TRUE(t.start("handshake_timeout = \"300ms\"\n")) << t.daemon.error();
    const std::string hello = client_hello();
    TcpConnection raw;
    ASSERT_TRUE(raw.connect(t.port, Deadline(kIoTimeout)));
    ASSERT_TRUE(raw.send_all(hello.substr(0, 20), Deadline(kIoTimeout)));
    const auto began = Clock::now();
    RecvResult r = raw.read_to_eof(Deadline(kIoTimeout));
    EXPECT_TRUE(r.status == IoStatus::eof || r.status == IoStatus::reset) << to_string(r.status);
    EXPECT_GE(ms_since(began), 250);
    EXPECT_TRUE(await_tls_count(t, "handshakeTimeouts", 1));
    EXPECT_NE(t.daemon.log().find("tls handshake timed out"), std::string::npos);
    still_serves(t);
}

TEST(HttpsHostile, HandshakesPastTheBoundAreClosedAtOnce) {
    TlsDaemon t;
    // One shard, so that every connection counts against the same bound.
    ASSERT_TRUE(t.start("max_handshakes = 2\n", "", 1)) << t.daemon.error();
    // Two that say nothing hold the two places.
    std::vector<TcpConnection> silent(2);
    for (TcpConnection& c : silent)
        ASSERT_TRUE(c.connect(t.port, Deadline(kIoTimeout)));
    ASSERT_TRUE(await_tls_count(t, "handshaking", 2));
    // The next ones are closed at once, before any byte is read.
    for (int i = 0; i < 3; ++i) {
        TcpConnection extra;
        ASSERT_TRUE(extra.connect(t.port, Deadline(kIoTimeout)));
        RecvResult r = extra.read_to_eof(Deadline(kIoTimeout));
        EXPECT_TRUE(r.status == IoStatus::eof || r.status == IoStatus::reset);
        EXPECT_TRUE(r.bytes.empty());
    }
    EXPECT_TRUE(await_tls_count(t, "refused", 3));
    EXPECT_NE(t.daemon.log().find("\"reason\":\"max_handshakes\""), std::string::npos);
    // Plain HTTP is served meanwhile; HTTPS again once the silent ones go.
    HttpClient plain(t.daemon.port());
    ASSERT_TRUE(plain.connect());
    std::optional<HttpResponse> ping = plain.request("GET", "/healthz/live");
    ASSERT_TRUE(ping);
    EXPECT_EQ(ping->status, 200);
    for (TcpConnection& c : silent)
        c.close();
    ASSERT_TRUE(await_tls_count(t, "handshaking", 0));
    still_serves(t);
}

}  // namespace
}  // namespace ringcast::itest
