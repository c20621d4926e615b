#pragma once
// The keys that encrypt session tickets (RFC 5077 tickets in TLS 1.2, and the
// TLS 1.3 tickets that carry the resumption secret), kept in memory only and
// rotated: a key encrypts new tickets for `rotation_ms`, then decrypts for one
// more period as the previous key, then is forgotten; every ticket accepted is
// renewed under the current key (a resumed connection gets a fresh ticket). A ticket is thus
// accepted for between one and two periods; a restart or an upgrade starts with new keys (clients
// fall back to a full handshake once).
//
// One object serves every shard and survives certificate reloads (each new
// TlsContext is given the same one): its callback runs on whichever shard's
// thread is in a handshake, so the keys sit behind a mutex, taken once per
// full or resumed handshake, never per record.
#include <openssl/evp.h>
#include <openssl/ssl.h>

#include <cstdint>
#include <mutex>

namespace ringcast {

class TicketKeys {
public:
    explicit TicketKeys(uint64_t rotation_ms);
    TicketKeys(const TicketKeys&) = delete;
    TicketKeys& operator=(const TicketKeys&) = delete;
    ~TicketKeys();

    // The callback of SSL_CTX_set_tlsext_ticket_key_evp_cb, for the context
    // whose app data is this object (tls/tls_context.cc).
    static int callback(SSL* ssl, unsigned char name[16], unsigned char iv[16],
                        EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac, int encrypt);

    // Rotations so far (for tests and stats).
    uint64_t rotations() const;
    // For tests: the current key is rotated at the next ticket (the previous
    // one keeps its age).
    void expire_now();

private:
    struct Key {
        unsigned char name[16];
        unsigned char aes[32];
        unsigned char hmac[32];
        uint64_t created_ms = 0;
        bool valid = false;
    };
    // 1: a ticket made, 2: a ticket found under either key (and renewed),
    // 0: unknown name (a full handshake), -1: error.
    int handle(unsigned char name[16], unsigned char iv[16], EVP_CIPHER_CTX* cipher,
               EVP_MAC_CTX* mac, int encrypt);
    bool make_key(Key* k, uint64_t now_ms);
    void rotate_if_due(uint64_t now_ms);

    const uint64_t _rotation_ms;
    mutable std::mutex _mutex;
    Key _current, _previous;
    uint64_t _rotations = 0;
    bool _rotate_now = false;  // expire_now()
};

}  // namespace ringcast
