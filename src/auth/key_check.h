#pragma once
// The start-up check of the configured verification key.
//
// A wrong key would otherwise show up only as every client getting 401 for a bad
// signature. Checking it at start, with OpenSSL, lets the daemon refuse to start
// with a message that says what is wrong.
#include <string>

#include "auth/auth_options.h"

typedef struct evp_pkey_st EVP_PKEY;

namespace ringcast {

// True when options.key can verify options.algorithm:
//   none   anything (the key is not used);
//   HS256  a secret of at least 32 bytes (RFC 7518 §3.2: no shorter than the
//          hash) that is not a PEM block — a public key as an HMAC secret is the
//          shape of an algorithm-confusion attack, never a deliberate choice;
//   RS256  a PEM "PUBLIC KEY" (SubjectPublicKeyInfo) holding an RSA key of at
//          least 2048 bits;
//   ES256  a PEM "PUBLIC KEY" holding an EC key on P-256.
// Otherwise false with *error. The message never quotes the key.
bool check_auth_key(const AuthOptions& options, std::string* error);

// The public key in a PEM "PUBLIC KEY" block, or nullptr; the caller frees it
// (EVP_PKEY_free). Leaves nothing on OpenSSL's error queue.
EVP_PKEY* read_public_key(const std::string& pem);

}  // namespace ringcast
