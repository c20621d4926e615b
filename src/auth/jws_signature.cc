#include "auth/jws_signature.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/key_check.h"

namespace ringcast {

namespace {

constexpr size_t kSha256Bytes = 32;
constexpr size_t kEs256SignatureBytes = 64;  // r || s, 32 bytes each

// SHA-256 fetched once: EVP_get_digestbyname-style lookups on every call are a
// measurable part of a verification under OpenSSL 3.
const EVP_MD* sha256() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return md;
}

// One digest context per shard thread, reset between tokens.
EVP_MD_CTX* thread_ctx() {
    struct Holder {
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        ~Holder() { EVP_MD_CTX_free(ctx); }
    };
    thread_local Holder holder;
    EVP_MD_CTX_reset(holder.ctx);
    return holder.ctx;
}

bool verify_hmac(const std::string& secret, std::string_view input, std::string_view signature) {
    if (signature.size() != kSha256Bytes) return false;
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(sha256(), secret.data(), int(secret.size()),
              reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len) ||
        mac_len != kSha256Bytes)
        return false;
    return CRYPTO_memcmp(mac, signature.data(), kSha256Bytes) == 0;
}

// JWS carries an ECDSA signature as the fixed-width pair r || s; OpenSSL verifies
// the DER SEQUENCE of two INTEGERs. Empty on any failure.
std::string es256_to_der(std::string_view signature) {
    if (signature.size() != kEs256SignatureBytes) return {};
    const auto* p = reinterpret_cast<const unsigned char*>(signature.data());
    ECDSA_SIG* sig = ECDSA_SIG_new();
    BIGNUM* r = BN_bin2bn(p, 32, nullptr);
    BIGNUM* s = BN_bin2bn(p + 32, 32, nullptr);
    std::string der;
    if (sig && r && s && ECDSA_SIG_set0(sig, r, s) == 1) {
        r = s = nullptr;  // owned by sig now
        int len = i2d_ECDSA_SIG(sig, nullptr);
        if (len > 0) {
            der.resize(size_t(len));
            auto* out = reinterpret_cast<unsigned char*>(der.data());
            if (i2d_ECDSA_SIG(sig, &out) != len) der.clear();
        }
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(sig);
    return der;
}

bool verify_digest_signature(EVP_PKEY* key, std::string_view input, std::string_view signature) {
    EVP_MD_CTX* ctx = thread_ctx();
    if (EVP_DigestVerifyInit(ctx, nullptr, sha256(), nullptr, key) != 1) return false;
    return EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(input.data()),
                            input.size()) == 1;
}

}  // namespace

std::optional<JwsSignatureKey> JwsSignatureKey::load(const AuthOptions& options,
                                                     std::string* error) {
    if (!check_auth_key(options, error)) return std::nullopt;
    if (!sha256()) {
        ERR_clear_error();
        *error = "OpenSSL offers no SHA-256 (is the default provider loaded?)";
        return std::nullopt;
    }
    JwsSignatureKey k;
    k._algorithm = options.algorithm;
    switch (options.algorithm) {
        case JwtAlgorithm::none: break;
        case JwtAlgorithm::hs256: k._secret = options.key; break;
        case JwtAlgorithm::rs256:
        case JwtAlgorithm::es256: {
            EVP_PKEY* key = read_public_key(options.key);
            if (!key) {  // check_auth_key read it a moment ago; only memory can fail here
                *error = "the public key could not be loaded";
                return std::nullopt;
            }
            k._key.reset(key, EVP_PKEY_free);
            // One verification now so that OpenSSL's one-time work on the key (its
            // export to the provider, cached inside the key) happens here, not
            // concurrently on the shards.
            verify_digest_signature(key, "warm-up", "");
            ERR_clear_error();
            break;
        }
    }
    return k;
}

bool JwsSignatureKey::verify(std::string_view signing_input, std::string_view signature) const {
    bool ok = false;
    switch (_algorithm) {
        case JwtAlgorithm::none: return false;
        case JwtAlgorithm::hs256: ok = verify_hmac(_secret, signing_input, signature); break;
        case JwtAlgorithm::rs256:
            ok = verify_digest_signature(_key.get(), signing_input, signature);
            break;
        case JwtAlgorithm::es256: {
            std::string der = es256_to_der(signature);
            ok = !der.empty() && verify_digest_signature(_key.get(), signing_input, der);
            break;
        }
    }
    // A refused signature leaves OpenSSL's reasons on this thread's queue, where
    // the next unrelated OpenSSL call would find them.
    if (!ok) ERR_clear_error();
    return ok;
}

}  // namespace ringcast
