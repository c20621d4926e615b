#include "auth/key_check.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#include <limits>
#include <memory>

namespace ringcast {

namespace {

constexpr size_t kMinSecretBytes = 32;
constexpr int kMinRsaBits = 2048;

bool fail(std::string* error, std::string msg) {
    *error = std::move(msg);
    return false;
}

struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string type_name(EVP_PKEY* key) {
    const char* name = EVP_PKEY_get0_type_name(key);
    return name ? name : "unknown";
}

bool check_public_key(const AuthOptions& o, std::string* error) {
    std::string_view alg = jwt_algorithm_name(o.algorithm);
    std::string what = o.algorithm == JwtAlgorithm::rs256 ? "an RSA" : "an EC P-256";
    if (o.key.empty())
        return fail(error,
                    std::string(alg) + " needs " + what + " public key (PEM), and none is set");
    Pkey key(read_public_key(o.key));
    if (!key)
        return fail(error, std::string(alg) +
                               " key is not a PEM public key: expected a \"-----BEGIN PUBLIC "
                               "KEY-----\" block (a private key, a certificate or a PKCS#1 "
                               "\"RSA PUBLIC KEY\" block is not accepted)");
    if (o.algorithm == JwtAlgorithm::rs256) {
        if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA)
            return fail(error, "RS256 needs an RSA public key, but the PEM holds a key of type " +
                                   type_name(key.get()));
        int bits = EVP_PKEY_get_bits(key.get());
        if (bits < kMinRsaBits)
            return fail(error, "RS256 key has " + std::to_string(bits) +
                                   " bits; at least 2048 are required");
        return true;
    }
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC)
        return fail(error, "ES256 needs an EC P-256 public key, but the PEM holds a key of type " +
                               type_name(key.get()));
    char group[64] = {};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                       &len) != 1 ||
        OBJ_txt2nid(group) != NID_X9_62_prime256v1) {
        ERR_clear_error();
        return fail(error, "ES256 needs an EC key on curve P-256 (prime256v1), but the key is on " +
                               std::string(len ? group : "another curve"));
    }
    return true;
}

}  // namespace

// The one reader of configured keys: what passes the start-up check is exactly
// what JwsSignatureKey verifies with.
EVP_PKEY* read_public_key(const std::string& pem) {
    if (pem.size() > size_t(std::numeric_limits<int>::max())) return nullptr;
    BIO* bio = BIO_new_mem_buf(pem.data(), int(pem.size()));
    if (!bio) return nullptr;
    EVP_PKEY* key = PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    // A failed read leaves entries on this thread's OpenSSL error queue; nothing
    // later should mistake them for its own.
    ERR_clear_error();
    return key;
}

bool check_auth_key(const AuthOptions& o, std::string* error) {
    switch (o.algorithm) {
        case JwtAlgorithm::none: return true;
        case JwtAlgorithm::hs256:
            if (o.key.size() < kMinSecretBytes)
                return fail(error, "HS256 secret has " + std::to_string(o.key.size()) +
                                       " bytes; at least 32 are required");
            if (o.key.size() > size_t(std::numeric_limits<int>::max()))
                return fail(error, "HS256 secret is too long");
            if (o.key.find("-----BEGIN ") != std::string::npos)
                return fail(error,
                            "HS256 secret is a PEM block; HS256 takes a random shared secret "
                            "(use RS256 or ES256 to verify with a public key)");
            return true;
        case JwtAlgorithm::rs256:
        case JwtAlgorithm::es256: return check_public_key(o, error);
    }
    return fail(error, "unknown algorithm");
}

}  // namespace ringcast
