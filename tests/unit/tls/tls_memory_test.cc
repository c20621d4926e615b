// What an idle TLS stream costs (docs/architecture.md, "TLS"): OpenSSL's
// allocations counted through CRYPTO_set_mem_functions, installed before
// OpenSSL allocates anything in this process (a static initializer; if
// something allocated first, the test skips saying so).
#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

#include <gtest/gtest.h>

#include "net/tls_conn.h"
#include "tls_test_peer.h"

namespace ringcast {
namespace {

std::atomic<int64_t> g_openssl_live{0};

// Each block carries its size in front (16 bytes keep the alignment).
void* counted_malloc(size_t n, const char*, int) {
    auto* p = static_cast<char*>(std::malloc(n + 16));
    if (!p) return nullptr;
    std::memcpy(p, &n, sizeof n);
    g_openssl_live += int64_t(n);
    return p + 16;
}
void counted_free(void* ptr, const char*, int) {
    if (!ptr) return;
    char* p = static_cast<char*>(ptr) - 16;
    size_t n = 0;
    std::memcpy(&n, p, sizeof n);
    g_openssl_live -= int64_t(n);
    std::free(p);
}
void* counted_realloc(void* ptr, size_t n, const char* f, int l) {
    if (!ptr) return counted_malloc(n, f, l);
    if (n == 0) {
        counted_free(ptr, f, l);
        return nullptr;
    }
    char* p = static_cast<char*>(ptr) - 16;
    size_t old = 0;
    std::memcpy(&old, p, sizeof old);
    auto* q = static_cast<char*>(std::realloc(p, n + 16));
    if (!q) return nullptr;
    std::memcpy(q, &n, sizeof n);
    g_openssl_live += int64_t(n) - int64_t(old);
    return q + 16;
}

const bool g_counting = CRYPTO_set_mem_functions(counted_malloc, counted_realloc, counted_free);

// What one idle stream holds, in bytes: OpenSSL's allocations (the SSL
// object, its session, the record layer's cipher contexts; the sealer's EVP
// context when `seal`) and ours. -1 when the counters are not installed.
int64_t idle_stream_bytes(bool seal) {
    test::PkiDir pki;
    std::string error;
    TlsContextOptions o = pki.options();
    o.seal = seal;
    auto ctx = TlsContext::create(o, std::make_shared<TicketKeys>(3600'000), &error);
    EXPECT_TRUE(ctx) << error;
    if (!ctx) return -1;
    char scratch[16384];
    constexpr int kStreams = 50;
    std::vector<std::unique_ptr<TlsStream>> streams;
    std::vector<std::unique_ptr<test::TestClient>> clients;
    // The clients go before the count is read: only the server side stays.
    const int64_t before = g_openssl_live.load();
    for (int i = 0; i < kStreams; ++i)
        clients.push_back(std::make_unique<test::TestClient>(pki.path("ca.pem")));
    test::Collect sink;
    for (int i = 0; i < kStreams; ++i) {
        streams.push_back(TlsStream::accept(ctx));
        EXPECT_EQ(test::handshake(*streams.back(), *clients[size_t(i)], sink),
                  TlsStream::Input::more);
        std::string why;
        if (seal) EXPECT_TRUE(streams.back()->start_sealing(&why)) << why;
        // A request and its answer, then silence: an SSE stream at rest.
        SSL_write(clients[size_t(i)]->ssl, "GET / HTTP/1.1\r\n\r\n", 18);
        std::string wire = clients[size_t(i)]->take();
        streams.back()->feed(wire.data(), wire.size(), scratch, sink);
        iovec answer{const_cast<char*>("HTTP/1.1 200 OK\r\n\r\n"), 19};
        streams.back()->encrypt(&answer, 1, scratch);
        test::deliver(*streams.back(), *clients[size_t(i)]);
        EXPECT_EQ(clients[size_t(i)]->read_all(), "HTTP/1.1 200 OK\r\n\r\n");
    }
    clients.clear();
    const int64_t openssl_per_stream = (g_openssl_live.load() - before) / kStreams;
    const size_t ours = sizeof(TlsStream) + sizeof(Transport::TlsConn) +
                        // the side table's node and its share of buckets
                        sizeof(void*) * 2 + sizeof(std::unique_ptr<Transport::TlsConn>) + 8 +
                        (seal ? sizeof(RecordSealer) : 0);
    const int64_t total = openssl_per_stream + int64_t(ours);
    std::printf("idle TLS stream%s: %lld bytes (OpenSSL %lld, ours %zu)\n",
                seal ? " (records sealed by ringcastd)" : "", (long long)total,
                (long long)openssl_per_stream, ours);
    EXPECT_GT(openssl_per_stream, 0);
    return total;
}

TEST(TlsMemoryTest, IdleStreamCostsAFewKilobytes) {
    if (!g_counting) GTEST_SKIP() << "OpenSSL allocated before the counters were installed";
    const int64_t total = idle_stream_bytes(false);
    RecordProperty("idle_tls_stream_bytes", std::to_string(total));
    // About 14 KiB with OpenSSL 3.0 (the SSL object, its session, the record
    // layer's cipher contexts); without SSL_MODE_RELEASE_BUFFERS the read and
    // write buffers would add about 34 KiB more.
    EXPECT_LT(total, 20 * 1024) << "SSL_MODE_RELEASE_BUFFERS should leave no record buffer";
}

// The sealer adds one keyed EVP context per stream (OpenSSL's own write
// context stays: no API frees it), and no buffer: OpenSSL never writes again,
// so SSL_MODE_RELEASE_BUFFERS leaves it none, and our ciphertext buffer goes
// back to the pool once sent.
TEST(TlsMemoryTest, ASealedIdleStreamCostsOneCipherContextMore) {
    if (!g_counting) GTEST_SKIP() << "OpenSSL allocated before the counters were installed";
    const int64_t plain = idle_stream_bytes(false), sealed = idle_stream_bytes(true);
    RecordProperty("idle_sealed_tls_stream_bytes", std::to_string(sealed));
    std::printf("the sealer adds %lld bytes per idle stream\n", (long long)(sealed - plain));
    EXPECT_GT(sealed, plain);
    EXPECT_LT(sealed - plain, 2 * 1024);
}

}  // namespace
}  // namespace ringcast
