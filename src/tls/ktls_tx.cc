#include "tls/ktls_tx.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <string_view>

namespace ringcast {

namespace {

// Where an SSL object keeps its KtlsCapture, for the keylog callback (which
// gets the SSL only).
int capture_index() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// HKDF-Expand-Label(secret, label, "", out.size()) of RFC 8446, 7.1.
bool expand_label(const EVP_MD* md, const unsigned char* secret, size_t secret_len,
                  std::string_view label, unsigned char* out, size_t out_len) {
    unsigned char info[2 + 1 + 6 + 32 + 1];
    size_t n = 0;
    info[n++] = uint8_t(out_len >> 8);
    info[n++] = uint8_t(out_len);
    info[n++] = uint8_t(6 + label.size());
    std::memcpy(info + n, "tls13 ", 6);
    n += 6;
    std::memcpy(info + n, label.data(), label.size());
    n += label.size();
    info[n++] = 0;  // no context
    std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr),
                                                          EVP_KDF_free);
    if (!kdf) return false;
    std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf.get()),
                                                                  EVP_KDF_CTX_free);
    if (!ctx) return false;
    int mode = EVP_KDF_HKDF_MODE_EXPAND_ONLY;
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_MODE, &mode),
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
                                         const_cast<char*>(EVP_MD_get0_name(md)), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<unsigned char*>(secret),
                                          secret_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, n),
        OSSL_PARAM_construct_end(),
    };
    return EVP_KDF_derive(ctx.get(), out, out_len, params) == 1;
}

void put_sequence(unsigned char* rec_seq, uint64_t seq) {
    for (int i = 7; i >= 0; --i) {
        rec_seq[i] = uint8_t(seq);
        seq >>= 8;
    }
}

// The kernel's nonce for AES-GCM is salt || iv, XORed with the sequence
// number: RFC 8446 5.3's 12-byte IV cut in two.
template <typename GcmInfo>
void fill_gcm(GcmInfo& info, const unsigned char* key, const unsigned char* iv, uint64_t seq) {
    std::memcpy(info.key, key, sizeof info.key);
    std::memcpy(info.salt, iv, sizeof info.salt);
    std::memcpy(info.iv, iv + sizeof info.salt, sizeof info.iv);
    put_sequence(info.rec_seq, seq);
}

}  // namespace

KtlsTx::~KtlsTx() {
    OPENSSL_cleanse(&info, sizeof info);
}

bool ktls_enable_tx(int fd, const KtlsTx& tx, std::string* error) {
    static const char kUlp[] = "tls";
    if (setsockopt(fd, IPPROTO_TCP, TCP_ULP, kUlp, sizeof kUlp - 1) != 0) {
        *error = std::string("TCP_ULP tls: ") + std::strerror(errno);
        return false;
    }
    if (setsockopt(fd, SOL_TLS, TLS_TX, &tx.info, tx.size) != 0) {
        *error = std::string("TLS_TX: ") + std::strerror(errno);
        return false;
    }
    return true;
}

void KtlsCapture::enable(SSL_CTX* ctx) {
    capture_index();  // allocated before any thread's first handshake
    SSL_CTX_set_keylog_callback(ctx, on_keylog);
}

void KtlsCapture::attach(SSL* ssl) {
    SSL_set_ex_data(ssl, capture_index(), this);
    SSL_set_record_padding_callback(ssl, on_record);
    SSL_set_record_padding_callback_arg(ssl, this);
}

void KtlsCapture::detach(SSL* ssl) {
    SSL_set_ex_data(ssl, capture_index(), nullptr);
    SSL_set_record_padding_callback(ssl, nullptr);
    SSL_set_record_padding_callback_arg(ssl, nullptr);
}

KtlsCapture::~KtlsCapture() {
    OPENSSL_cleanse(_secret.data(), _secret.size());
}

void KtlsCapture::on_keylog(const SSL* ssl, const char* line) {
    auto* self = static_cast<KtlsCapture*>(SSL_get_ex_data(ssl, capture_index()));
    static constexpr std::string_view kLabel = "SERVER_TRAFFIC_SECRET_0 ";
    if (!self || std::strncmp(line, kLabel.data(), kLabel.size()) != 0) return;
    // "<label> <client random, hex> <secret, hex>"
    const char* secret = std::strchr(line + kLabel.size(), ' ');
    if (!secret) return;
    ++secret;
    size_t n = 0;
    for (; secret[0] && secret[1] && n < self->_secret.size(); secret += 2) {
        const int hi = hex_value(secret[0]), lo = hex_value(secret[1]);
        if (hi < 0 || lo < 0) break;
        self->_secret[n++] = uint8_t(hi << 4 | lo);
    }
    self->_secret_len = n;
    self->_records = 0;  // the records after this line are under this secret
}

size_t KtlsCapture::on_record(SSL*, int, size_t, void* arg) {
    auto* self = static_cast<KtlsCapture*>(arg);
    if (self->_secret_len) ++self->_records;
    return 0;  // no padding
}

bool KtlsCapture::export_tx(const SSL* ssl, KtlsTx* out, std::string* why_not) const {
    if (SSL_version(ssl) != TLS1_3_VERSION) {
        *why_not = SSL_get_version(ssl);
        return false;
    }
    const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
    if (!cipher || !_secret_len) {
        *why_not = "no application secret";
        return false;
    }
    const EVP_MD* md = SSL_CIPHER_get_handshake_digest(cipher);
    unsigned char key[32], iv[12];
    size_t key_len = 0;
    switch (SSL_CIPHER_get_protocol_id(cipher)) {
        case 0x1301:  // TLS_AES_128_GCM_SHA256
            out->info.base.cipher_type = TLS_CIPHER_AES_GCM_128;
            out->size = sizeof out->info.aes128;
            key_len = TLS_CIPHER_AES_GCM_128_KEY_SIZE;
            break;
        case 0x1302:  // TLS_AES_256_GCM_SHA384
            out->info.base.cipher_type = TLS_CIPHER_AES_GCM_256;
            out->size = sizeof out->info.aes256;
            key_len = TLS_CIPHER_AES_GCM_256_KEY_SIZE;
            break;
        case 0x1303:  // TLS_CHACHA20_POLY1305_SHA256
            out->info.base.cipher_type = TLS_CIPHER_CHACHA20_POLY1305;
            out->size = sizeof out->info.chacha;
            key_len = TLS_CIPHER_CHACHA20_POLY1305_KEY_SIZE;
            break;
        default: *why_not = std::string("cipher ") + SSL_CIPHER_get_name(cipher); return false;
    }
    if (!md || !expand_label(md, _secret.data(), _secret_len, "key", key, key_len) ||
        !expand_label(md, _secret.data(), _secret_len, "iv", iv, sizeof iv)) {
        OPENSSL_cleanse(key, sizeof key);
        *why_not = "key derivation failed";
        return false;
    }
    out->info.base.version = TLS_1_3_VERSION;
    switch (out->info.base.cipher_type) {
        case TLS_CIPHER_AES_GCM_128: fill_gcm(out->info.aes128, key, iv, _records); break;
        case TLS_CIPHER_AES_GCM_256: fill_gcm(out->info.aes256, key, iv, _records); break;
        default:  // ChaCha20-Poly1305: all 12 bytes of the IV, no salt
            std::memcpy(out->info.chacha.key, key, key_len);
            std::memcpy(out->info.chacha.iv, iv, 12);
            put_sequence(out->info.chacha.rec_seq, _records);
            break;
    }
    OPENSSL_cleanse(key, sizeof key);
    OPENSSL_cleanse(iv, sizeof iv);
    return true;
}

}  // namespace ringcast
