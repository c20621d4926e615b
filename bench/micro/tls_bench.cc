// The encrypt-per-write step of a TLS connection (src/tls/tls_stream.h): the
// iovec of queued frames a send would cover, turned into records. Coalesced
// (TlsStream::encrypt on the whole iovec: records of up to 16 KiB) against one
// SSL_write per frame (encrypt() called piece by piece, which is what per-frame
// records cost), for fan-out frames of typical sizes. Bytes/s is plaintext.
//
// Run: ./build/bench/micro/ringcast-microbench --benchmark_filter='Tls|EvpSeal'
#include <openssl/evp.h>

#include <cstdio>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "../../tests/unit/tls/tls_test_peer.h"

namespace ringcast {
namespace {

// One established server stream, its client gone quiet: only encryption is
// measured. `seal`: its records are sealed by ringcastd (tls/record_sealer.h),
// not by SSL_write.
struct Established {
    explicit Established(bool seal = false) {
        std::string error;
        TlsContextOptions o = pki.options();
        o.seal = seal;
        ctx = TlsContext::create(o, std::make_shared<TicketKeys>(3'600'000), &error);
        stream = TlsStream::accept(ctx, &buffers);
        client = std::make_unique<test::TestClient>(pki.path("ca.pem"));
        test::Collect sink;
        test::handshake(*stream, *client, sink);
        std::string why;
        if (seal && !stream->start_sealing(&why))
            std::fprintf(stderr, "no sealer: %s\n", why.c_str());
    }
    test::PkiDir pki;
    CipherBuffers buffers;  // the shard's, as in the transport
    std::shared_ptr<const TlsContext> ctx;
    std::unique_ptr<TlsStream> stream;
    std::unique_ptr<test::TestClient> client;
};

void drain(TlsStream& s) {
    while (s.has_output())
        s.sent(s.next_output().size());
}

// args: frames per write, bytes per frame
void run(benchmark::State& state, bool coalesce, bool seal = false) {
    Established e(seal);
    if (seal && !e.stream->sealing()) {
        state.SkipWithError("the sealer did not start");
        return;
    }
    const size_t frames = size_t(state.range(0)), size = size_t(state.range(1));
    std::vector<std::string> payload(frames, std::string(size, 'x'));
    std::vector<iovec> iov;
    for (std::string& p : payload)
        iov.push_back({p.data(), p.size()});
    char scratch[16384];
    size_t ciphertext = 0;
    for (auto _ : state) {
        if (coalesce) {
            e.stream->encrypt(iov.data(), unsigned(iov.size()), scratch);
        } else {
            for (const iovec& v : iov)
                e.stream->encrypt(&v, 1, scratch);
        }
        ciphertext += e.stream->output_bytes();
        drain(*e.stream);
    }
    state.SetBytesProcessed(int64_t(state.iterations() * frames * size));
    state.counters["overhead_bytes_per_write"] =
        double(ciphertext) / double(state.iterations()) - double(frames * size);
}

void BM_TlsEncryptCoalesced(benchmark::State& state) {
    run(state, true);
}
void BM_TlsEncryptPerFrame(benchmark::State& state) {
    run(state, false);
}
// The same writes as BM_TlsEncryptCoalesced (same records), sealed by
// ringcastd: compare /1/150 with BM_TlsEncryptCoalesced/1/150 (SSL_write) and
// BM_EvpSealRecord/150 (the floor).
void BM_TlsSealCoalesced(benchmark::State& state) {
    run(state, true, true);
}

// The floor under any user-space TLS 1.3 record with OpenSSL 3.0: sealing one
// record directly through EVP with a context keyed once (a new nonce, the
// header as AAD, the payload and content type, the tag), which is all a record
// layer of our own could do. Compare with BM_TlsEncryptCoalesced/1/SIZE: what
// SSL_write adds on top of it.
void BM_EvpSealRecord(benchmark::State& state) {
    const size_t size = size_t(state.range(0));
    unsigned char key[16] = {1}, nonce[12] = {2}, tag[16];
    std::vector<unsigned char> in(size + 1, 'x'), out(size + 1);
    in[size] = 23;  // the inner content type
    const unsigned char header[5] = {23, 3, 3, uint8_t((size + 17) >> 8), uint8_t(size + 17)};
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), nullptr, key, nullptr);
    uint64_t seq = 0;
    for (auto _ : state) {
        nonce[11] = uint8_t(++seq);
        int n = 0, fin = 0;
        EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce);
        EVP_EncryptUpdate(ctx, nullptr, &n, header, sizeof header);
        EVP_EncryptUpdate(ctx, out.data(), &n, in.data(), int(in.size()));
        EVP_EncryptFinal_ex(ctx, out.data() + n, &fin);
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, tag);
        benchmark::DoNotOptimize(tag);
    }
    EVP_CIPHER_CTX_free(ctx);
    state.SetBytesProcessed(int64_t(state.iterations() * size));
}
BENCHMARK(BM_EvpSealRecord)->Arg(150)->Arg(1024);

// A fan-out write: 64 events of 150 bytes; 16 of 1 KiB; 4 of 8 KiB; one of 150.
#define TLS_SIZES Args({64, 150})->Args({16, 1024})->Args({4, 8192})->Args({1, 150})
BENCHMARK(BM_TlsEncryptCoalesced)->TLS_SIZES;
BENCHMARK(BM_TlsEncryptPerFrame)->TLS_SIZES;
BENCHMARK(BM_TlsSealCoalesced)->TLS_SIZES;

}  // namespace
}  // namespace ringcast
