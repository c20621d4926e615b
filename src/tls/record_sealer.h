#pragma once
// TLS 1.3 records sealed by ringcastd itself (RFC 8446 5.2), in place of
// SSL_write, once a handshake is done.
//
// Why: at one event per write, every delivery is one small record, and OpenSSL
// 3.0's SSL_write costs about 2.5 times the AEAD seal under it (record layer
// bookkeeping, its write buffer, a copy into our BIO; bench/micro/tls_bench.cc,
// BM_TlsEncryptCoalesced/1/150 against BM_EvpSealRecord). A record is only
//   header (23, 3 3, length) | AEAD(plaintext | inner content type) | tag
// with nonce = IV xor sequence number, so we make it ourselves from the same
// key, IV and next sequence number the kTLS export gives the kernel
// (tls/ktls_tx.h: KtlsTx), with one EVP context per connection keyed once;
// per record only the nonce changes.
//
// From then on OpenSSL only reads, as under kTLS: its write sequence is stale,
// so what it would still write (a KeyUpdate the peer asks for, an alert) must
// never reach the wire (tls/tls_stream.h drops it and says so).
//
// TLS 1.3 with AES-128-GCM, AES-256-GCM or ChaCha20-Poly1305: what KtlsTx holds.
#include <openssl/evp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "tls/ktls_tx.h"

namespace ringcast {

class RecordSealer {
public:
    static constexpr size_t kMaxPlain = 16384;  // plaintext of one record, at most
    static constexpr size_t kHeader = 5;
    static constexpr size_t kTrailer = 1 + 16;  // inner content type, tag
    static constexpr uint8_t kApplicationData = 23;
    static constexpr uint8_t kAlert = 21;

    // A sealer going on from where tx says (its key, IV and sequence number).
    // nullptr with *error when the cipher cannot be set up.
    static std::unique_ptr<RecordSealer> create(const KtlsTx& tx, std::string* error);
    ~RecordSealer();  // the key schedule and IV do not stay in freed memory
    RecordSealer(const RecordSealer&) = delete;
    RecordSealer& operator=(const RecordSealer&) = delete;

    // Seals one record in place: `record` holds kHeader bytes of room, then
    // `len` (1..kMaxPlain) bytes of plaintext, then kTrailer bytes of room.
    // Writes the header, the content type and the tag, encrypts the rest and
    // takes the next sequence number. False when the cipher failed or the
    // sequence numbers ran out (the connection cannot go on).
    bool seal(char* record, size_t len, uint8_t type);

    // The sequence number of the next record.
    uint64_t sequence() const { return _seq; }

private:
    RecordSealer() = default;

    EVP_CIPHER_CTX* _ctx = nullptr;  // keyed once
    unsigned char _iv[12] = {};      // RFC 8446 5.3's per-connection IV
    uint64_t _seq = 0;
};

}  // namespace ringcast
