// The server side of TLS with no socket (tls/tls_stream.h): an OpenSSL client
// on memory BIOs against a TlsStream, bytes carried by hand.
#include "tls/tls_stream.h"

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tls_test_peer.h"

namespace ringcast {
namespace {

using test::Collect;
using test::deliver;
using test::handshake;
using test::PkiDir;
using test::TestClient;

class TlsStreamTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string error;
        ctx = TlsContext::create(pki.options(), std::make_shared<TicketKeys>(3600'000), &error);
        ASSERT_TRUE(ctx) << error;
    }
    PkiDir pki;
    std::shared_ptr<const TlsContext> ctx;
    char scratch[16384];
};

// The sizes of the TLS records in a run of ciphertext, checking their framing.
std::vector<size_t> record_sizes(const std::string& wire) {
    std::vector<size_t> sizes;
    for (size_t at = 0; at + 5 <= wire.size();) {
        size_t len = (uint8_t(wire[at + 3]) << 8) | uint8_t(wire[at + 4]);
        sizes.push_back(len);
        at += 5 + len;
        EXPECT_LE(at, wire.size()) << "a record runs past the ciphertext";
    }
    return sizes;
}

TEST_F(TlsStreamTest, HandshakeAgreesOnTls13AndHttp11) {
    auto s = TlsStream::accept(ctx);
    TestClient client(pki.path("ca.pem"));
    Collect sink;
    ASSERT_EQ(handshake(*s, client, sink), TlsStream::Input::more) << s->reason();
    EXPECT_TRUE(s->established());
    EXPECT_EQ(SSL_get_verify_result(client.ssl), X509_V_OK);
    EXPECT_EQ(s->alpn(), "http/1.1");  // the client offered h2 first: not served yet
    EXPECT_STREQ(s->version(), "TLSv1.3");
    EXPECT_FALSE(s->resumed());
}

TEST_F(TlsStreamTest, PlaintextBothWaysAndRecordsCoalesced) {
    auto s = TlsStream::accept(ctx);
    TestClient client(pki.path("ca.pem"));
    Collect sink;
    ASSERT_EQ(handshake(*s, client, sink), TlsStream::Input::more);
    client.read_all();  // the session ticket

    const std::string request = "GET /api/sse/stream HTTP/1.1\r\nHost: x\r\n\r\n";
    SSL_write(client.ssl, request.data(), int(request.size()));
    std::string wire = client.take();
    ASSERT_EQ(s->feed(wire.data(), wire.size(), scratch, sink), TlsStream::Input::more);
    EXPECT_EQ(sink.got, request);

    // 100 frames of 200 bytes, as one batched write: two records, not 100.
    std::vector<std::string> frames;
    std::vector<iovec> iov;
    std::string expected;
    for (int i = 0; i < 100; ++i) {
        frames.push_back(std::string(199, char('a' + i % 26)) + "\n");
        expected += frames.back();
    }
    for (std::string& f : frames)
        iov.push_back({f.data(), f.size()});
    ASSERT_TRUE(s->encrypt(iov.data(), unsigned(iov.size()), scratch));
    std::string out(s->next_output().data(), s->next_output().size());
    std::vector<size_t> sizes = record_sizes(out);
    ASSERT_EQ(sizes.size(), 2u);
    EXPECT_EQ(sizes[0], 16384u + 17);  // 16 KiB, the content type, the AEAD tag
    EXPECT_EQ(sizes[1], 20000u - 16384 + 17);
    client.give(out.data(), out.size());
    s->sent(out.size());
    EXPECT_FALSE(s->has_output());
    EXPECT_EQ(client.read_all(), expected);

    // A piece larger than a record goes in without coalescing, cut into records.
    std::string big(40000, 'z');
    iovec one{big.data(), big.size()};
    ASSERT_TRUE(s->encrypt(&one, 1, scratch));
    deliver(*s, client);
    EXPECT_EQ(client.read_all(), big);
}

TEST_F(TlsStreamTest, ShortWritesContinueWhileNewRecordsWait) {
    auto s = TlsStream::accept(ctx);
    TestClient client(pki.path("ca.pem"));
    Collect sink;
    ASSERT_EQ(handshake(*s, client, sink), TlsStream::Input::more);
    client.read_all();

    std::string first(3000, '1'), second(500, '2');
    iovec a{first.data(), first.size()};
    ASSERT_TRUE(s->encrypt(&a, 1, scratch));
    std::span<const char> out = s->next_output();
    const char* held = out.data();
    const size_t total = out.size();
    client.give(out.data(), 100);  // the socket took 100 bytes
    EXPECT_FALSE(s->sent(100));
    EXPECT_TRUE(s->sending());
    // More records while the rest is in flight: they wait behind it, and the
    // bytes in flight do not move.
    iovec b{second.data(), second.size()};
    ASSERT_TRUE(s->encrypt(&b, 1, scratch));
    std::span<const char> rest = s->next_output();
    EXPECT_EQ(rest.data(), held + 100);
    EXPECT_EQ(rest.size(), total - 100);
    client.give(rest.data(), rest.size());
    EXPECT_TRUE(s->sent(rest.size()));
    EXPECT_TRUE(s->has_output());  // the second write
    deliver(*s, client, 7);        // in 7-byte pieces
    EXPECT_EQ(client.read_all(), first + second);
    EXPECT_EQ(s->output_bytes(), 0u);
}

// The ciphertext buffer of a write that went whole is handed to the shard's
// pool, and the next write of any stream takes it: no allocation per write,
// bytes intact, and an idle stream still holds no buffer of its own.
TEST_F(TlsStreamTest, CiphertextBuffersGoBackToThePoolAndAreReused) {
    CipherBuffers pool;
    auto a = TlsStream::accept(ctx, &pool);
    auto b = TlsStream::accept(ctx, &pool);
    TestClient ca(pki.path("ca.pem")), cb(pki.path("ca.pem"));
    Collect sink;
    ASSERT_EQ(handshake(*a, ca, sink), TlsStream::Input::more);
    ASSERT_EQ(handshake(*b, cb, sink), TlsStream::Input::more);
    ca.read_all();
    cb.read_all();
    const size_t kept = pool.kept();  // the handshakes' flights came back too
    EXPECT_GE(kept, 1u);

    std::string first(300, 'a'), second(200, 'b');
    iovec one{first.data(), first.size()};
    ASSERT_TRUE(a->encrypt(&one, 1, scratch));
    EXPECT_EQ(pool.kept(), kept - 1);  // taken, not allocated
    const char* buffer = a->next_output().data();
    deliver(*a, ca);
    EXPECT_EQ(ca.read_all(), first);
    EXPECT_EQ(pool.kept(), kept);  // back once sent whole
    EXPECT_EQ(a->output_bytes(), 0u);

    // The other stream's next write gets the same memory, with new bytes.
    iovec two{second.data(), second.size()};
    ASSERT_TRUE(b->encrypt(&two, 1, scratch));
    EXPECT_EQ(b->next_output().data(), buffer);
    deliver(*b, cb, 50);  // short writes keep it until the last byte
    EXPECT_EQ(cb.read_all(), second);
    EXPECT_EQ(pool.kept(), kept);
}

TEST(CipherBuffersTest, KeepsAtMostItsBoundAndNoHugeBuffer) {
    CipherBuffers pool;
    EXPECT_EQ(pool.take().capacity(), 0u);  // empty pool: a new, empty buffer
    std::vector<char> huge;
    huge.reserve(CipherBuffers::kKeepCapacity + 1);
    pool.give(std::move(huge));
    EXPECT_EQ(pool.kept(), 0u);
    for (size_t i = 0; i < CipherBuffers::kKeep + 10; ++i) {
        std::vector<char> b(100, 'x');
        pool.give(std::move(b));
    }
    EXPECT_EQ(pool.kept(), CipherBuffers::kKeep);
    std::vector<char> b = pool.take();
    EXPECT_TRUE(b.empty());
    EXPECT_GE(b.capacity(), 100u);
}

TEST_F(TlsStreamTest, CloseNotifyEachWay) {
    auto s = TlsStream::accept(ctx);
    TestClient client(pki.path("ca.pem"));
    Collect sink;
    ASSERT_EQ(handshake(*s, client, sink), TlsStream::Input::more);
    client.read_all();
    s->close_notify();
    EXPECT_TRUE(s->close_notify_queued());
    deliver(*s, client);
    char buf[16];
    size_t n = 0;
    EXPECT_EQ(SSL_read_ex(client.ssl, buf, sizeof buf, &n), 0);
    EXPECT_EQ(SSL_get_error(client.ssl, 0), SSL_ERROR_ZERO_RETURN);

    auto s2 = TlsStream::accept(ctx);
    TestClient client2(pki.path("ca.pem"));
    ASSERT_EQ(handshake(*s2, client2, sink), TlsStream::Input::more);
    SSL_shutdown(client2.ssl);
    std::string bye = client2.take();
    EXPECT_EQ(s2->feed(bye.data(), bye.size(), scratch, sink), TlsStream::Input::closed);
}

TEST_F(TlsStreamTest, GarbageBeforeTheClientHelloFails) {
    Collect sink;
    auto s = TlsStream::accept(ctx);
    const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    EXPECT_EQ(s->feed(http.data(), http.size(), scratch, sink), TlsStream::Input::failed);
    EXPECT_NE(s->reason().find("http request"), std::string::npos) << s->reason();
    EXPECT_TRUE(sink.got.empty());
    EXPECT_TRUE(s->failed());
    // Nothing more is read once failed: the same answer, no new output.
    const size_t out = s->output_bytes();
    EXPECT_EQ(s->feed(http.data(), http.size(), scratch, sink), TlsStream::Input::failed);
    EXPECT_EQ(s->output_bytes(), out);

    auto s2 = TlsStream::accept(ctx);
    std::string junk(300, '\0');
    for (size_t i = 0; i < junk.size(); ++i)
        junk[i] = char(i * 131 + 7);
    EXPECT_EQ(s2->feed(junk.data(), junk.size(), scratch, sink), TlsStream::Input::failed);
    EXPECT_FALSE(s2->reason().empty());
}

TEST_F(TlsStreamTest, TruncatedRecordWaitsForTheRest) {
    auto s = TlsStream::accept(ctx);
    TestClient client(pki.path("ca.pem"));
    Collect sink;
    SSL_do_handshake(client.ssl);
    std::string hello = client.take();
    ASSERT_GT(hello.size(), 10u);
    // The ClientHello in three pieces, the first shorter than a record header.
    EXPECT_EQ(s->feed(hello.data(), 3, scratch, sink), TlsStream::Input::more);
    EXPECT_EQ(s->feed(hello.data() + 3, 50, scratch, sink), TlsStream::Input::more);
    EXPECT_FALSE(s->has_output());
    EXPECT_EQ(s->feed(hello.data() + 53, hello.size() - 53, scratch, sink), TlsStream::Input::more);
    EXPECT_TRUE(s->has_output());  // the ServerHello flight
    deliver(*s, client);
    EXPECT_EQ(handshake(*s, client, sink), TlsStream::Input::more);
    EXPECT_TRUE(s->established());
}

TEST_F(TlsStreamTest, Tls11IsRefused) {
    auto s = TlsStream::accept(ctx);
    TestClient client(pki.path("ca.pem"), TLS1_1_VERSION);
    Collect sink;
    EXPECT_EQ(handshake(*s, client, sink), TlsStream::Input::failed);
    EXPECT_NE(s->reason().find("unsupported protocol"), std::string::npos) << s->reason();
    EXPECT_FALSE(s->established());
}

// A session from a first handshake, its ticket read by the client.
SSL_SESSION* first_session(const std::shared_ptr<const TlsContext>& ctx, const std::string& ca) {
    auto s = TlsStream::accept(ctx);
    TestClient client(ca);
    Collect sink;
    handshake(*s, client, sink);
    client.read_all();  // the NewSessionTicket
    return SSL_get1_session(client.ssl);
}

bool resumes(const std::shared_ptr<const TlsContext>& ctx, const std::string& ca,
             SSL_SESSION* session) {
    auto s = TlsStream::accept(ctx);
    TestClient client(ca, 0, session);
    Collect sink;
    handshake(*s, client, sink);
    return s->established() && s->resumed() && SSL_session_reused(client.ssl) == 1;
}

TEST_F(TlsStreamTest, SessionTicketsResumeAcrossOneRotationNotTwo) {
    SSL_SESSION* session = first_session(ctx, pki.path("ca.pem"));
    ASSERT_TRUE(session);
    EXPECT_TRUE(resumes(ctx, pki.path("ca.pem"), session));
    // One rotation: the ticket's key is the previous one, still accepted.
    ctx->ticket_keys()->expire_now();
    SSL_SESSION* before_second = first_session(ctx, pki.path("ca.pem"));  // rotates
    EXPECT_EQ(ctx->ticket_keys()->rotations(), 1u);
    EXPECT_TRUE(resumes(ctx, pki.path("ca.pem"), session));
    // Two: forgotten, a full handshake.
    ctx->ticket_keys()->expire_now();
    SSL_SESSION* after = first_session(ctx, pki.path("ca.pem"));
    EXPECT_EQ(ctx->ticket_keys()->rotations(), 2u);
    EXPECT_FALSE(resumes(ctx, pki.path("ca.pem"), session));
    EXPECT_TRUE(resumes(ctx, pki.path("ca.pem"), after));
    SSL_SESSION_free(session);
    SSL_SESSION_free(before_second);
    SSL_SESSION_free(after);
}

TEST_F(TlsStreamTest, ANewContextResumesTicketsOfTheOld) {
    SSL_SESSION* session = first_session(ctx, pki.path("ca.pem"));
    std::string error;
    auto reloaded = TlsContext::create(pki.options(), ctx->ticket_keys(), &error);
    ASSERT_TRUE(reloaded) << error;
    EXPECT_TRUE(resumes(reloaded, pki.path("ca.pem"), session));
    SSL_SESSION_free(session);
}

TEST_F(TlsStreamTest, TicketsOffMeansFullHandshakes) {
    TlsContextOptions o = pki.options();
    o.session_tickets = false;
    std::string error;
    auto no_tickets = TlsContext::create(o, nullptr, &error);
    ASSERT_TRUE(no_tickets) << error;
    SSL_SESSION* session = first_session(no_tickets, pki.path("ca.pem"));
    EXPECT_FALSE(resumes(no_tickets, pki.path("ca.pem"), session));
    SSL_SESSION_free(session);
}

TEST(TlsContextTest, BadFilesSayWhichAndWhy) {
    PkiDir pki;
    std::string error;
    TlsContextOptions o = pki.options();
    o.certificate = pki.path("missing.pem");
    EXPECT_FALSE(TlsContext::create(o, nullptr, &error));
    EXPECT_EQ(error, "tls.certificate " + pki.path("missing.pem") + ": No such file or directory");

    o = pki.options();
    test::write_text(pki.path("junk.pem"), "not a certificate\n");
    o.certificate = pki.path("junk.pem");
    EXPECT_FALSE(TlsContext::create(o, nullptr, &error));
    EXPECT_EQ(error.rfind("tls.certificate " + pki.path("junk.pem") + ": ", 0), 0u) << error;

    // A key of another certificate.
    o = pki.options();
    test::write_text(pki.path("other.pem"), pki.ca.issue(9).key_pem);
    o.key = pki.path("other.pem");
    EXPECT_FALSE(TlsContext::create(o, nullptr, &error));
    EXPECT_NE(error.find("does not match the certificate"), std::string::npos) << error;
    EXPECT_NE(error.find(pki.path("other.pem")), std::string::npos) << error;

    o = pki.options();
    o.ciphers = "NOT-A-CIPHER";
    EXPECT_FALSE(TlsContext::create(o, nullptr, &error));
    EXPECT_EQ(error.rfind("tls.ciphers \"NOT-A-CIPHER\": ", 0), 0u) << error;

    auto ok = TlsContext::create(pki.options(), nullptr, &error);
    ASSERT_TRUE(ok);
    EXPECT_NE(ok->summary().find("serial 01"), std::string::npos) << ok->summary();
}

}  // namespace
}  // namespace ringcast
