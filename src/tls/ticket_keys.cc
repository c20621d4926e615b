#include "tls/ticket_keys.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstring>

#include "core/clock.h"

namespace ringcast {

TicketKeys::TicketKeys(uint64_t rotation_ms) : _rotation_ms(rotation_ms) {}

TicketKeys::~TicketKeys() {
    OPENSSL_cleanse(&_current, sizeof _current);
    OPENSSL_cleanse(&_previous, sizeof _previous);
}

int TicketKeys::callback(SSL* ssl, unsigned char name[16], unsigned char iv[16],
                         EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt) {
    auto* self = static_cast<TicketKeys*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
    if (!self) return 0;
    return self->handle(name, iv, cipher, mac, encrypt);
}

uint64_t TicketKeys::rotations() const {
    std::lock_guard lock(_mutex);
    return _rotations;
}

void TicketKeys::expire_now() {
    std::lock_guard lock(_mutex);
    _rotate_now = true;
}

bool TicketKeys::make_key(Key* k, uint64_t now_ms) {
    if (RAND_bytes(k->name, sizeof k->name) != 1 || RAND_bytes(k->aes, sizeof k->aes) != 1 ||
        RAND_bytes(k->hmac, sizeof k->hmac) != 1)
        return false;
    k->created_ms = now_ms;
    k->valid = true;
    return true;
}

void TicketKeys::rotate_if_due(uint64_t now_ms) {
    if (_current.valid && now_ms - _current.created_ms < _rotation_ms && !_rotate_now) return;
    _rotate_now = false;
    Key next;
    if (!make_key(&next, now_ms)) return;  // keep the old one rather than none
    if (_current.valid) ++_rotations;
    _previous = _current;
    _current = next;
    OPENSSL_cleanse(&next, sizeof next);
}

int TicketKeys::handle(unsigned char name[16], unsigned char iv[16], EVP_CIPHER_CTX* cipher,
                       EVP_MAC_CTX* mac, int encrypt) {
    std::lock_guard lock(_mutex);
    const uint64_t now = mono_ms();
    rotate_if_due(now);
    const Key* key = nullptr;
    // A good ticket is always renewed (2): under TLS 1.3 OpenSSL sends a
    // resumed connection a new ticket only then, and clients use a TLS 1.3
    // ticket once (RFC 8446 C.4; browsers do), so without renewal every other
    // connection of a client would pay a full handshake. Under TLS 1.2 it
    // costs one small NewSessionTicket message per resumption.
    int found = 2;
    if (encrypt) {
        if (!_current.valid || RAND_bytes(iv, 16) != 1) return -1;
        key = &_current;
        std::memcpy(name, key->name, sizeof key->name);
    } else if (_current.valid && std::memcmp(name, _current.name, 16) == 0) {
        key = &_current;
    } else if (_previous.valid && std::memcmp(name, _previous.name, 16) == 0 &&
               now - _previous.created_ms < 2 * _rotation_ms) {
        key = &_previous;  // still good; the renewal is under the current key
    } else {
        return 0;
    }
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(key->hmac),
                                          sizeof key->hmac),
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>("SHA256"), 0),
        OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(mac, params) != 1) return -1;
    const int ok = encrypt ? EVP_EncryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes, iv)
                           : EVP_DecryptInit_ex(cipher, EVP_aes_256_cbc(), nullptr, key->aes, iv);
    return ok == 1 ? (encrypt ? 1 : found) : -1;
}

}  // namespace ringcast
