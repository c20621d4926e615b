// kTLS transmit from a user-space handshake (tls/ktls_tx.h). The kernel is not
// needed to check what it would be given: records sealed here exactly as the
// kernel seals them (RFC 8446 5.2, with the exported key, IV and sequence
// number) must be read by an OpenSSL client as the next records of the
// connection, after everything OpenSSL itself wrote. A wrong key, IV or
// sequence number fails the client's decryption.
#include "tls/ktls_tx.h"

#include <openssl/evp.h>

#include <cstring>
#include <string>

#include <gtest/gtest.h>

#include "tls/record_sealer.h"
#include "tls/tls_stream.h"
#include "tls_test_peer.h"

namespace ringcast {
namespace {

using test::Collect;
using test::deliver;
using test::handshake;
using test::PkiDir;
using test::TestClient;

struct Material {
    const EVP_CIPHER* cipher;
    std::string key;
    unsigned char nonce[12];  // before the sequence number is XORed in
    uint64_t seq;
};

uint64_t seq_of(const unsigned char* rec_seq) {
    uint64_t s = 0;
    for (int i = 0; i < 8; ++i)
        s = s << 8 | rec_seq[i];
    return s;
}

template <typename GcmInfo>
Material gcm_material(const EVP_CIPHER* cipher, const GcmInfo& info, uint32_t size) {
    Material m{cipher,
               std::string(reinterpret_cast<const char*>(info.key), sizeof info.key),
               {},
               seq_of(info.rec_seq)};
    std::memcpy(m.nonce, info.salt, 4);
    std::memcpy(m.nonce + 4, info.iv, 8);
    EXPECT_EQ(size, sizeof info);
    return m;
}

Material material_of(const KtlsTx& tx) {
    Material m{};
    switch (tx.info.base.cipher_type) {
        case TLS_CIPHER_AES_GCM_128:
            m = gcm_material(EVP_aes_128_gcm(), tx.info.aes128, tx.size);
            break;
        case TLS_CIPHER_AES_GCM_256:
            m = gcm_material(EVP_aes_256_gcm(), tx.info.aes256, tx.size);
            break;
        case TLS_CIPHER_CHACHA20_POLY1305:
            m.cipher = EVP_chacha20_poly1305();
            m.key.assign(reinterpret_cast<const char*>(tx.info.chacha.key), 32);
            std::memcpy(m.nonce, tx.info.chacha.iv, 12);
            m.seq = seq_of(tx.info.chacha.rec_seq);
            EXPECT_EQ(tx.size, sizeof tx.info.chacha);
            break;
        default: ADD_FAILURE() << "cipher type " << tx.info.base.cipher_type;
    }
    EXPECT_EQ(tx.info.base.version, TLS_1_3_VERSION);
    return m;
}

// One TLS 1.3 record of `type` carrying `plain`, sealed as the kernel would.
std::string seal(const Material& m, uint64_t seq, const std::string& plain, uint8_t type) {
    unsigned char nonce[12];
    std::memcpy(nonce, m.nonce, 12);
    for (int i = 0; i < 8; ++i)
        nonce[4 + i] ^= uint8_t(seq >> (56 - 8 * i));
    std::string inner = plain + char(type);
    const size_t len = inner.size() + 16;
    std::string record = {0x17, 0x03, 0x03, char(len >> 8), char(len & 0xff)};
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(ctx, m.cipher, nullptr, nullptr, nullptr);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr);
    EVP_EncryptInit_ex(ctx, nullptr, nullptr, reinterpret_cast<const unsigned char*>(m.key.data()),
                       nonce);
    int n = 0;
    EVP_EncryptUpdate(ctx, nullptr, &n, reinterpret_cast<const unsigned char*>(record.data()), 5);
    std::string body(inner.size() + 16, '\0');
    auto* out = reinterpret_cast<unsigned char*>(body.data());
    EVP_EncryptUpdate(ctx, out, &n, reinterpret_cast<const unsigned char*>(inner.data()),
                      int(inner.size()));
    int fin = 0;
    EVP_EncryptFinal_ex(ctx, out + n, &fin);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out + inner.size());
    EVP_CIPHER_CTX_free(ctx);
    return record + body;
}

class KtlsTxTest : public ::testing::TestWithParam<const char*> {
protected:
    std::shared_ptr<const TlsContext> context(const char* suite, bool ktls = true) {
        TlsContextOptions o = pki.options();
        o.ciphersuites = suite;
        o.ktls = ktls;
        std::string error;
        auto ctx = TlsContext::create(o, keys, &error);
        EXPECT_TRUE(ctx) << error;
        return ctx;
    }
    // The stream's pending output (the ticket) delivered and read by the client.
    void settle(TlsStream& s, TestClient& client) {
        deliver(s, client);
        client.read_all();
    }
    PkiDir pki;
    std::shared_ptr<TicketKeys> keys = std::make_shared<TicketKeys>(3'600'000);
    char scratch[16384];
};

TEST_P(KtlsTxTest, KernelSealedRecordsFollowOpenSslsOwn) {
    auto ctx = context(GetParam());
    auto s = TlsStream::accept(ctx);
    ASSERT_TRUE(s->ktls_capable());
    TestClient client(pki.path("ca.pem"));
    Collect sink;
    ASSERT_EQ(handshake(*s, client, sink), TlsStream::Input::more) << s->reason();
    settle(*s, client);
    // Records OpenSSL encrypts before the switch count too: the response head
    // and a first event went out in user space.
    std::string head = "HTTP/1.1 200 OK\r\n\r\n", first = "data: 1\n\n";
    iovec a{head.data(), head.size()}, b{first.data(), first.size()};
    ASSERT_TRUE(s->encrypt(&a, 1, scratch));
    ASSERT_TRUE(s->encrypt(&b, 1, scratch));
    deliver(*s, client);
    EXPECT_EQ(client.read_all(), head + first);

    KtlsTx tx;
    std::string why;
    ASSERT_TRUE(s->export_ktls_tx(&tx, &why)) << why;
    EXPECT_FALSE(s->ktls_capable());  // the capture is over, the secret wiped
    const Material m = material_of(tx);
    EXPECT_GE(m.seq, 3u);  // the ticket and the two writes at least
    std::string wire;
    for (uint64_t i = 0; i < 3; ++i)
        wire += seal(m, m.seq + i, "data: " + std::to_string(i + 2) + "\n\n", 0x17);
    client.give(wire.data(), wire.size());
    EXPECT_EQ(client.read_all(), "data: 2\n\ndata: 3\n\ndata: 4\n\n");
    // close_notify as the transport sends it: an alert record, level warning.
    const std::string bye = seal(m, m.seq + 3, std::string("\x01\x00", 2), 0x15);
    client.give(bye.data(), bye.size());
    char buf[16];
    size_t n = 0;
    EXPECT_EQ(SSL_read_ex(client.ssl, buf, sizeof buf, &n), 0);
    EXPECT_EQ(SSL_get_error(client.ssl, 0), SSL_ERROR_ZERO_RETURN);
}

TEST_P(KtlsTxTest, AResumedHandshakeExportsToo) {
    auto ctx = context(GetParam());
    SSL_SESSION* session = nullptr;
    {
        auto s = TlsStream::accept(ctx);
        TestClient client(pki.path("ca.pem"));
        Collect sink;
        ASSERT_EQ(handshake(*s, client, sink), TlsStream::Input::more);
        settle(*s, client);
        session = SSL_get1_session(client.ssl);
    }
    auto s = TlsStream::accept(ctx);
    TestClient client(pki.path("ca.pem"), 0, session);
    SSL_SESSION_free(session);
    Collect sink;
    ASSERT_EQ(handshake(*s, client, sink), TlsStream::Input::more);
    EXPECT_TRUE(s->resumed());
    settle(*s, client);  // the renewed ticket
    KtlsTx tx;
    std::string why;
    ASSERT_TRUE(s->export_ktls_tx(&tx, &why)) << why;
    const Material m = material_of(tx);
    const std::string rec = seal(m, m.seq, "resumed\n", 0x17);
    client.give(rec.data(), rec.size());
    EXPECT_EQ(client.read_all(), "resumed\n");
}

// ringcastd's own sealer (tls/record_sealer.h), made from the same export,
// makes byte for byte the records the kernel would (the reference above).
TEST_P(KtlsTxTest, TheSealerMakesTheKernelsRecords) {
    auto ctx = context(GetParam());
    auto s = TlsStream::accept(ctx);
    TestClient client(pki.path("ca.pem"));
    Collect sink;
    ASSERT_EQ(handshake(*s, client, sink), TlsStream::Input::more) << s->reason();
    settle(*s, client);
    KtlsTx tx;
    std::string why;
    ASSERT_TRUE(s->export_ktls_tx(&tx, &why)) << why;
    const Material m = material_of(tx);
    auto sealer = RecordSealer::create(tx, &why);
    ASSERT_TRUE(sealer) << why;
    EXPECT_EQ(sealer->sequence(), m.seq);
    const std::string plains[] = {"data: 1\n\n", std::string(16384, 'x'), "\x01"};
    for (uint64_t i = 0; i < 3; ++i) {
        const std::string& plain = plains[i];
        const uint8_t type = i == 2 ? RecordSealer::kAlert : RecordSealer::kApplicationData;
        std::string record(RecordSealer::kHeader + plain.size() + RecordSealer::kTrailer, '\0');
        record.replace(RecordSealer::kHeader, plain.size(), plain);
        ASSERT_TRUE(sealer->seal(record.data(), plain.size(), type));
        EXPECT_EQ(record, seal(m, m.seq + i, plain, type)) << "record " << i;
    }
    EXPECT_EQ(sealer->sequence(), m.seq + 3);
    // More than a record's plaintext is refused, and takes no sequence number.
    std::string big(RecordSealer::kHeader + 16385 + RecordSealer::kTrailer, 'x');
    EXPECT_FALSE(sealer->seal(big.data(), 16385, RecordSealer::kApplicationData));
    EXPECT_EQ(sealer->sequence(), m.seq + 3);
}

INSTANTIATE_TEST_SUITE_P(Suites, KtlsTxTest,
                         ::testing::Values("TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384",
                                           "TLS_CHACHA20_POLY1305_SHA256"));

class KtlsTxRefusals : public KtlsTxTest {};

TEST_F(KtlsTxRefusals, Tls12StaysInUserSpace) {
    auto ctx = context(kIntermediateCiphersuites);
    auto s = TlsStream::accept(ctx);
    TestClient client(pki.path("ca.pem"), TLS1_2_VERSION);
    Collect sink;
    ASSERT_EQ(handshake(*s, client, sink), TlsStream::Input::more) << s->reason();
    settle(*s, client);
    KtlsTx tx;
    std::string why;
    EXPECT_FALSE(s->export_ktls_tx(&tx, &why));
    EXPECT_EQ(why, "TLSv1.2");
    EXPECT_FALSE(s->ktls_capable());
}

TEST_F(KtlsTxRefusals, NotWhileCiphertextWaitsNorWithoutTheOption) {
    auto ctx = context(kIntermediateCiphersuites);
    auto s = TlsStream::accept(ctx);
    TestClient client(pki.path("ca.pem"));
    Collect sink;
    ASSERT_EQ(handshake(*s, client, sink), TlsStream::Input::more);
    std::string head = "HTTP/1.1 200 OK\r\n\r\n";
    iovec a{head.data(), head.size()};
    ASSERT_TRUE(s->encrypt(&a, 1, scratch));
    ASSERT_TRUE(s->has_output());  // a record not sent yet: the kernel would go first
    KtlsTx tx;
    std::string why;
    EXPECT_FALSE(s->export_ktls_tx(&tx, &why));
    EXPECT_EQ(why, "ciphertext still to send");

    auto plain_ctx = context(kIntermediateCiphersuites, false);
    auto s2 = TlsStream::accept(plain_ctx);
    EXPECT_FALSE(s2->ktls_capable());
    EXPECT_FALSE(s2->export_ktls_tx(&tx, &why));
}

}  // namespace
}  // namespace ringcast
