// Records sealed by ringcastd (tls/record_sealer.h, TlsStream::start_sealing):
// an OpenSSL client must read them as the next records of the connection,
// after everything OpenSSL itself wrote (the session ticket, a response
// head), for each TLS 1.3 suite, after resumption, split at 16 KiB, and up to
// the close_notify. A wrong key, IV or sequence number fails the client's
// decryption; a wrong length or content type fails its parsing.
#include "tls/record_sealer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tls/tls_stream.h"
#include "tls_test_peer.h"

namespace ringcast {
namespace {

using test::Collect;
using test::deliver;
using test::handshake;
using test::PkiDir;
using test::TestClient;

class RecordSealerTest : public ::testing::TestWithParam<const char*> {
protected:
    std::shared_ptr<const TlsContext> context(const char* suite, bool seal = true) {
        TlsContextOptions o = pki.options();
        o.ciphersuites = suite;
        o.seal = seal;
        std::string error;
        auto ctx = TlsContext::create(o, keys, &error);
        EXPECT_TRUE(ctx) << error;
        return ctx;
    }
    // An established stream whose client has read the ticket.
    std::unique_ptr<TlsStream> open(const std::shared_ptr<const TlsContext>& ctx,
                                    TestClient& client) {
        auto s = TlsStream::accept(ctx, &buffers);
        Collect sink;
        EXPECT_EQ(handshake(*s, client, sink), TlsStream::Input::more) << s->reason();
        deliver(*s, client);
        client.read_all();
        return s;
    }
    bool encrypt(TlsStream& s, std::vector<std::string>& pieces) {
        std::vector<iovec> iov;
        for (std::string& p : pieces)
            iov.push_back({p.data(), p.size()});
        return s.encrypt(iov.data(), unsigned(iov.size()), scratch);
    }
    PkiDir pki;
    std::shared_ptr<TicketKeys> keys = std::make_shared<TicketKeys>(3'600'000);
    CipherBuffers buffers;
    char scratch[16384];
};

TEST_P(RecordSealerTest, SealedRecordsFollowOpenSslsOwn) {
    auto ctx = context(GetParam());
    TestClient client(pki.path("ca.pem"));
    auto s = open(ctx, client);
    ASSERT_TRUE(s->seal_capable());
    // OpenSSL writes the response head: one more record under its sequence.
    std::vector<std::string> head = {"HTTP/1.1 200 OK\r\n\r\n"};
    ASSERT_TRUE(encrypt(*s, head));
    deliver(*s, client);
    EXPECT_EQ(client.read_all(), head[0]);

    std::string why;
    ASSERT_TRUE(s->start_sealing(&why)) << why;
    EXPECT_TRUE(s->sealing());
    EXPECT_FALSE(s->seal_capable());  // the capture is over, the secret wiped
    // Three frames of one write: one record (coalesced as SSL_write does).
    std::vector<std::string> frames = {"data: 1\n\n", "data: 2\n\n", "data: 3\n\n"};
    ASSERT_TRUE(encrypt(*s, frames));
    EXPECT_EQ(s->output_bytes(), 27u + RecordSealer::kHeader + RecordSealer::kTrailer);
    deliver(*s, client);
    EXPECT_EQ(client.read_all(), "data: 1\n\ndata: 2\n\ndata: 3\n\n");
    // Writes while an earlier one is still unsent land behind it, in order.
    std::vector<std::string> a = {"data: 4\n\n"}, b = {"data: 5\n\n"};
    ASSERT_TRUE(encrypt(*s, a));
    std::span<const char> first = s->next_output();
    client.give(first.data(), first.size() / 2);
    s->sent(first.size() / 2);
    ASSERT_TRUE(encrypt(*s, b));
    deliver(*s, client);
    EXPECT_EQ(client.read_all(), "data: 4\n\ndata: 5\n\n");
    EXPECT_FALSE(s->openssl_wrote());
}

TEST_P(RecordSealerTest, ABatchOverSixteenKilobytesIsSplitIntoRecords) {
    auto ctx = context(GetParam());
    TestClient client(pki.path("ca.pem"));
    auto s = open(ctx, client);
    std::string why;
    ASSERT_TRUE(s->start_sealing(&why)) << why;
    // Small frames around one bigger than a record: 40,150 bytes in all.
    std::vector<std::string> pieces;
    std::string expected;
    for (int i = 0; i < 100; ++i)
        pieces.push_back("data: " + std::string(93, char('a' + i % 26)) + "\n\n");
    pieces.push_back("data: " + std::string(20000, 'B') + "\n\n");
    for (int i = 0; i < 100; ++i)
        pieces.push_back("data: " + std::string(92, char('A' + i % 26)) + "\n\n");
    for (const std::string& p : pieces)
        expected += p;
    ASSERT_TRUE(encrypt(*s, pieces));
    const size_t records = (expected.size() + 16383) / 16384;
    ASSERT_EQ(records, 3u);
    EXPECT_EQ(s->output_bytes(),
              expected.size() + records * (RecordSealer::kHeader + RecordSealer::kTrailer));
    // Delivered in awkward slices: the client reassembles the records.
    deliver(*s, client, 1000);
    EXPECT_EQ(client.read_all(), expected);
}

TEST_P(RecordSealerTest, NoMoreBytesOnTheWireThanSslWrite) {
    auto ctx = context(GetParam());
    TestClient c1(pki.path("ca.pem")), c2(pki.path("ca.pem"));
    auto openssl = open(ctx, c1);
    auto sealed = open(ctx, c2);
    std::string why;
    ASSERT_TRUE(sealed->start_sealing(&why)) << why;
    for (size_t size : {1, 150, 16384, 16385, 40000}) {
        std::vector<std::string> pieces = {std::string(size, 'x'), std::string(7, 'y')};
        ASSERT_TRUE(encrypt(*openssl, pieces));
        ASSERT_TRUE(encrypt(*sealed, pieces));
        // As few records as the bytes allow: never more than SSL_write's, the
        // same where no piece fills a record (SSL_write then writes a big
        // piece on its own, leaving a short record behind it).
        const size_t plain = size + 7, records = (plain + 16383) / 16384;
        EXPECT_EQ(sealed->output_bytes(),
                  plain + records * (RecordSealer::kHeader + RecordSealer::kTrailer));
        EXPECT_LE(sealed->output_bytes(), openssl->output_bytes()) << size;
        if (size < 16384) EXPECT_EQ(sealed->output_bytes(), openssl->output_bytes()) << size;
        deliver(*openssl, c1);
        deliver(*sealed, c2);
        EXPECT_EQ(c2.read_all(), pieces[0] + pieces[1]);
        c1.read_all();
    }
}

TEST_P(RecordSealerTest, CloseNotifyIsASealedAlert) {
    auto ctx = context(GetParam());
    TestClient client(pki.path("ca.pem"));
    auto s = open(ctx, client);
    std::string why;
    ASSERT_TRUE(s->start_sealing(&why)) << why;
    std::vector<std::string> last = {"data: bye\n\n"};
    ASSERT_TRUE(encrypt(*s, last));
    s->close_notify();
    EXPECT_TRUE(s->close_notify_queued());
    deliver(*s, client);
    EXPECT_EQ(client.read_all(), last[0]);
    char buf[16];
    size_t n = 0;
    EXPECT_EQ(SSL_read_ex(client.ssl, buf, sizeof buf, &n), 0);
    EXPECT_EQ(SSL_get_error(client.ssl, 0), SSL_ERROR_ZERO_RETURN);
    EXPECT_FALSE(s->openssl_wrote());
}

TEST_P(RecordSealerTest, AResumedConnectionSealsToo) {
    auto ctx = context(GetParam());
    SSL_SESSION* session = nullptr;
    {
        TestClient client(pki.path("ca.pem"));
        auto s = open(ctx, client);
        session = SSL_get1_session(client.ssl);
    }
    TestClient client(pki.path("ca.pem"), 0, session);
    SSL_SESSION_free(session);
    auto s = open(ctx, client);  // and its renewed ticket read
    EXPECT_TRUE(s->resumed());
    std::string why;
    ASSERT_TRUE(s->start_sealing(&why)) << why;
    std::vector<std::string> frame = {"resumed\n"};
    ASSERT_TRUE(encrypt(*s, frame));
    deliver(*s, client);
    EXPECT_EQ(client.read_all(), "resumed\n");
}

TEST_P(RecordSealerTest, AKeyUpdateTheClientAsksForCannotBeAnswered) {
    auto ctx = context(GetParam());
    TestClient client(pki.path("ca.pem"));
    auto s = open(ctx, client);
    std::string why;
    ASSERT_TRUE(s->start_sealing(&why)) << why;
    Collect sink;
    // A KeyUpdate that asks nothing back changes only what the server reads.
    ASSERT_EQ(SSL_key_update(client.ssl, SSL_KEY_UPDATE_NOT_REQUESTED), 1);
    SSL_write(client.ssl, "ping", 4);
    std::string wire = client.take();
    EXPECT_EQ(s->feed(wire.data(), wire.size(), scratch, sink), TlsStream::Input::more);
    EXPECT_EQ(sink.got, "ping");
    EXPECT_FALSE(s->openssl_wrote());
    std::vector<std::string> frame = {"pong"};
    ASSERT_TRUE(encrypt(*s, frame));
    deliver(*s, client);
    EXPECT_EQ(client.read_all(), "pong");
    EXPECT_FALSE(s->key_update_pending());
    // One that asks for the server's own: OpenSSL would send it with its next
    // write, which never comes; the stream says so (the transport then ends
    // the connection).
    ASSERT_EQ(SSL_key_update(client.ssl, SSL_KEY_UPDATE_REQUESTED), 1);
    SSL_write(client.ssl, "ping", 4);
    wire = client.take();
    EXPECT_EQ(s->feed(wire.data(), wire.size(), scratch, sink), TlsStream::Input::more);
    EXPECT_TRUE(s->key_update_pending());
    EXPECT_FALSE(s->has_output());
}

TEST_P(RecordSealerTest, NotWhileOpenSslOwesAKeyUpdate) {
    auto ctx = context(GetParam());
    TestClient client(pki.path("ca.pem"));
    auto s = open(ctx, client);
    ASSERT_EQ(SSL_key_update(client.ssl, SSL_KEY_UPDATE_REQUESTED), 1);
    SSL_write(client.ssl, "ping", 4);
    std::string wire = client.take();
    Collect sink;
    ASSERT_EQ(s->feed(wire.data(), wire.size(), scratch, sink), TlsStream::Input::more);
    ASSERT_TRUE(s->key_update_pending());
    std::string why;
    EXPECT_FALSE(s->start_sealing(&why));
    EXPECT_EQ(why, "a KeyUpdate to send");
    // SSL_write goes on, and sends it before the data.
    std::vector<std::string> frame = {"pong"};
    ASSERT_TRUE(encrypt(*s, frame));
    EXPECT_FALSE(s->key_update_pending());
    deliver(*s, client);
    EXPECT_EQ(client.read_all(), "pong");
}

TEST_P(RecordSealerTest, AnAlertOpenSslWouldSendIsDropped) {
    auto ctx = context(GetParam());
    TestClient client(pki.path("ca.pem"));
    auto s = open(ctx, client);
    std::string why;
    ASSERT_TRUE(s->start_sealing(&why)) << why;
    SSL_write(client.ssl, "ping", 4);
    std::string wire = client.take();
    wire[wire.size() - 1] ^= 1;  // a broken tag: OpenSSL answers bad_record_mac
    Collect sink;
    EXPECT_EQ(s->feed(wire.data(), wire.size(), scratch, sink), TlsStream::Input::failed);
    EXPECT_TRUE(s->openssl_wrote());  // under its stale sequence number: not sent
    EXPECT_FALSE(s->has_output());
    // Nor anything after it, as with SSL_write after a fatal error.
    std::vector<std::string> frame = {"data: 1\n\n"};
    EXPECT_FALSE(encrypt(*s, frame));
    s->close_notify();
    EXPECT_FALSE(s->has_output());
}

INSTANTIATE_TEST_SUITE_P(Suites, RecordSealerTest,
                         ::testing::Values("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                           "TLS_CHACHA20_POLY1305_SHA256"));

class RecordSealerRefusals : public RecordSealerTest {};

TEST_F(RecordSealerRefusals, Tls12StaysOnSslWrite) {
    auto ctx = context(kIntermediateCiphersuites);
    TestClient client(pki.path("ca.pem"), TLS1_2_VERSION);
    auto s = open(ctx, client);
    std::string why;
    EXPECT_FALSE(s->start_sealing(&why));
    EXPECT_EQ(why, "TLSv1.2");
    EXPECT_FALSE(s->sealing());
    std::vector<std::string> frame = {"data: 1\n\n"};
    ASSERT_TRUE(encrypt(*s, frame));
    deliver(*s, client);
    EXPECT_EQ(client.read_all(), frame[0]);
}

TEST_F(RecordSealerRefusals, NotWithoutTheOption) {
    auto ctx = context(kIntermediateCiphersuites, false);
    TestClient client(pki.path("ca.pem"));
    auto s = open(ctx, client);
    EXPECT_FALSE(s->seal_capable());
    std::string why;
    EXPECT_FALSE(s->start_sealing(&why));
    EXPECT_FALSE(s->sealing());
}

}  // namespace
}  // namespace ringcast
