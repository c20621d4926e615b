#pragma once
// What the kernel needs to encrypt a connection's records itself (kTLS
// transmit, setsockopt(SOL_TLS, TLS_TX)): the key, the IV and the sequence
// number of the next record, taken from a handshake that a TlsStream ran in
// user space.
//
// Why not OpenSSL's own kTLS (SSL_OP_ENABLE_KTLS): OpenSSL 3.0 turns it on only
// over a socket BIO, calling setsockopt on the descriptor during the handshake,
// and our handshakes run over io_uring receives and sends with no descriptor in
// OpenSSL's hands. So the handshake stays ours, and at its end the transport
// gives the kernel what OpenSSL would have given it:
//   - the server's application traffic secret, which OpenSSL hands to a keylog
//     callback as it derives it ("SERVER_TRAFFIC_SECRET_0"; kept in memory only
//     until exported, then wiped);
//   - the key and IV made from it by HKDF-Expand-Label (RFC 8446, 7.1 and 7.3);
//   - the sequence number: how many records OpenSSL has encrypted under that
//     secret (the session ticket, and whatever was written before the switch),
//     counted by the record-padding callback, which OpenSSL calls once for every
//     TLS 1.3 record it encrypts (it pads nothing: the callback answers 0).
// TLS 1.3 with the kernel's three suites (AES-128-GCM, AES-256-GCM,
// ChaCha20-Poly1305) only; a TLS 1.2 connection stays in user space.
//
// The same export feeds the user-space sealer (tls/record_sealer.h) where the
// kernel does not take it.
//
// Transmit only: OpenSSL keeps decrypting what the peer sends, and must never
// write again once the kernel does (its write sequence would be stale). It
// writes only for a KeyUpdate the peer asks for, an alert or close_notify; the
// transport sends close_notify itself as a kTLS alert record and ends a
// connection on which OpenSSL wrote anything after the switch.
#include <linux/tls.h>
#include <openssl/ssl.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ringcast {

// The TLS_TX argument for one connection.
struct KtlsTx {
    union {
        tls_crypto_info base;
        tls12_crypto_info_aes_gcm_128 aes128;
        tls12_crypto_info_aes_gcm_256 aes256;
        tls12_crypto_info_chacha20_poly1305 chacha;
    } info{};
    uint32_t size = 0;  // of the member in use: setsockopt's optlen

    KtlsTx() = default;
    ~KtlsTx();  // the key does not stay in freed memory
    KtlsTx(const KtlsTx&) = delete;
    KtlsTx& operator=(const KtlsTx&) = delete;
};

// Hands the transmit side of the connected TCP socket fd to the kernel: the
// "tls" upper-layer protocol, then TLS_TX with tx. False with *error saying
// which step the kernel refused and why; the socket then still sends as it did
// (the ULP without TLS_TX passes bytes through), so user space can go on.
bool ktls_enable_tx(int fd, const KtlsTx& tx, std::string* error);

// What one handshake keeps for the export; made only when the context was
// made for kTLS (TlsContextOptions::ktls), so other connections pay nothing.
class KtlsCapture {
public:
    // The keylog callback on a context, once, before its first SSL_new.
    static void enable(SSL_CTX* ctx);
    // Follows ssl's handshake from now on (before it starts); detach() stops.
    void attach(SSL* ssl);
    void detach(SSL* ssl);
    ~KtlsCapture();

    // After the handshake: the kernel's argument, as of the next record. False
    // with *why_not when this connection cannot go to the kernel ("TLSv1.2",
    // "cipher TLS_AES_128_CCM_SHA256", ...).
    bool export_tx(const SSL* ssl, KtlsTx* out, std::string* why_not) const;
    // Records OpenSSL encrypted under the application secret so far.
    uint64_t records() const { return _records; }

private:
    static void on_keylog(const SSL* ssl, const char* line);
    static size_t on_record(SSL* ssl, int type, size_t len, void* arg);

    std::array<unsigned char, 64> _secret{};
    size_t _secret_len = 0;
    uint64_t _records = 0;
};

}  // namespace ringcast
