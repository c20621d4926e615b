#include "tls/record_sealer.h"

#include <openssl/crypto.h>

#include <cstring>

namespace ringcast {

namespace {

uint64_t sequence_of(const unsigned char* rec_seq) {
    uint64_t s = 0;
    for (int i = 0; i < 8; ++i)
        s = s << 8 | rec_seq[i];
    return s;
}

}  // namespace

std::unique_ptr<RecordSealer> RecordSealer::create(const KtlsTx& tx, std::string* error) {
    std::unique_ptr<RecordSealer> s(new RecordSealer);
    const EVP_CIPHER* cipher = nullptr;
    const unsigned char* key = nullptr;
    // The kernel's layout (tls/ktls_tx.cc): for AES-GCM the 12-byte IV is
    // salt || iv; ChaCha20-Poly1305 keeps it whole.
    switch (tx.info.base.cipher_type) {
        case TLS_CIPHER_AES_GCM_128:
            cipher = EVP_aes_128_gcm();
            key = tx.info.aes128.key;
            std::memcpy(s->_iv, tx.info.aes128.salt, 4);
            std::memcpy(s->_iv + 4, tx.info.aes128.iv, 8);
            s->_seq = sequence_of(tx.info.aes128.rec_seq);
            break;
        case TLS_CIPHER_AES_GCM_256:
            cipher = EVP_aes_256_gcm();
            key = tx.info.aes256.key;
            std::memcpy(s->_iv, tx.info.aes256.salt, 4);
            std::memcpy(s->_iv + 4, tx.info.aes256.iv, 8);
            s->_seq = sequence_of(tx.info.aes256.rec_seq);
            break;
        case TLS_CIPHER_CHACHA20_POLY1305:
            cipher = EVP_chacha20_poly1305();
            key = tx.info.chacha.key;
            std::memcpy(s->_iv, tx.info.chacha.iv, 12);
            s->_seq = sequence_of(tx.info.chacha.rec_seq);
            break;
        default: *error = "cipher type " + std::to_string(tx.info.base.cipher_type); return nullptr;
    }
    s->_ctx = EVP_CIPHER_CTX_new();
    // Both AEADs take a 12-byte nonce by default; the key is set once here.
    if (!s->_ctx || EVP_EncryptInit_ex(s->_ctx, cipher, nullptr, key, nullptr) != 1) {
        *error = "cannot set up the record cipher";
        return nullptr;
    }
    return s;
}

RecordSealer::~RecordSealer() {
    EVP_CIPHER_CTX_free(_ctx);  // OpenSSL clears the key schedule as it frees it
    OPENSSL_cleanse(_iv, sizeof _iv);
}

bool RecordSealer::seal(char* record, size_t len, uint8_t type) {
    if (len == 0 || len > kMaxPlain || _seq == UINT64_MAX) return false;
    auto* r = reinterpret_cast<unsigned char*>(record);
    const size_t body = len + kTrailer;  // what the header's length counts
    r[0] = kApplicationData;             // the outer type is always application data
    r[1] = 3;
    r[2] = 3;
    r[3] = uint8_t(body >> 8);
    r[4] = uint8_t(body);
    unsigned char* plain = r + kHeader;
    plain[len] = type;  // the inner content type, encrypted with the plaintext
    unsigned char nonce[12];
    std::memcpy(nonce, _iv, 12);
    for (int i = 0; i < 8; ++i)
        nonce[4 + i] ^= uint8_t(_seq >> (56 - 8 * i));
    int n = 0, fin = 0;
    // In place: EVP's AEADs take out == in.
    const bool ok = EVP_EncryptInit_ex(_ctx, nullptr, nullptr, nullptr, nonce) == 1 &&
                    EVP_EncryptUpdate(_ctx, nullptr, &n, r, int(kHeader)) == 1 &&
                    EVP_EncryptUpdate(_ctx, plain, &n, plain, int(len + 1)) == 1 &&
                    EVP_EncryptFinal_ex(_ctx, plain + n, &fin) == 1 &&
                    EVP_CIPHER_CTX_ctrl(_ctx, EVP_CTRL_AEAD_GET_TAG, 16, plain + len + 1) == 1;
    ++_seq;  // a failed seal ends the connection: never reuse its nonce
    return ok;
}

}  // namespace ringcast
