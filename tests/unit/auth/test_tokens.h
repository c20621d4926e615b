#pragma once
// Keys and tokens for the auth tests, all made at test time (no files, no
// network): RSA and EC key pairs from OpenSSL 3, tokens signed by libjwt the way
// an issuer would, and tokens assembled by hand for the shapes no honest issuer
// produces (duplicate headers, confused algorithms, broken encodings).
#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <cstdlib>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "auth/auth_options.h"
#include "auth/base64url.h"

namespace ringcast::test {

struct KeyPair {
    std::string private_pem;
    std::string public_pem;
};

inline std::string pem_of(EVP_PKEY* key, bool private_part) {
    BIO* bio = BIO_new(BIO_s_mem());
    if (private_part)
        PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
    else
        PEM_write_bio_PUBKEY(bio, key);
    char* data = nullptr;
    long len = BIO_get_mem_data(bio, &data);
    std::string pem(data, size_t(len));
    BIO_free(bio);
    return pem;
}

inline KeyPair key_pair_of(EVP_PKEY* key) {
    KeyPair kp{pem_of(key, true), pem_of(key, false)};
    EVP_PKEY_free(key);
    return kp;
}

inline KeyPair make_rsa_key(unsigned bits = 2048) {
    return key_pair_of(EVP_RSA_gen(bits));
}
inline KeyPair make_ec_key(const char* curve = "P-256") {
    return key_pair_of(EVP_EC_gen(curve));
}

// Generating RSA keys takes a while; the tests share these.
inline const KeyPair& rsa_key() {
    static const KeyPair k = make_rsa_key();
    return k;
}
inline const KeyPair& other_rsa_key() {
    static const KeyPair k = make_rsa_key();
    return k;
}
inline const KeyPair& ec_key() {
    static const KeyPair k = make_ec_key();
    return k;
}
inline const KeyPair& other_ec_key() {
    static const KeyPair k = make_ec_key();
    return k;
}

inline const std::string kSecret = "an HS256 secret of well over 32 bytes, for tests only";

// Signed by libjwt: `claims` is the payload as a JSON object; `key` the secret
// (HS256) or the private key's PEM (RS256, ES256).
inline std::string sign_token(JwtAlgorithm alg, const std::string& key, const std::string& claims) {
    jwt_alg_t a = alg == JwtAlgorithm::hs256   ? JWT_ALG_HS256
                  : alg == JwtAlgorithm::rs256 ? JWT_ALG_RS256
                  : alg == JwtAlgorithm::es256 ? JWT_ALG_ES256
                                               : JWT_ALG_NONE;
    jwt_t* jwt = nullptr;
    EXPECT_EQ(jwt_new(&jwt), 0);
    EXPECT_EQ(jwt_add_grants_json(jwt, claims.c_str()), 0) << claims;
    EXPECT_EQ(
        jwt_set_alg(jwt, a, reinterpret_cast<const unsigned char*>(key.data()), int(key.size())),
        0);
    char* text = jwt_encode_str(jwt);
    std::string token = text ? text : "";
    free(text);  // libjwt 1.10 allocates with malloc and has no jwt_free_str
    jwt_free(jwt);
    EXPECT_FALSE(token.empty());
    return token;
}

// header.payload.signature from raw JSON texts and raw signature bytes.
inline std::string assemble(std::string_view header, std::string_view payload,
                            std::string_view signature) {
    return base64url_encode(header) + "." + base64url_encode(payload) + "." +
           base64url_encode(signature);
}

// Hand-made HS256: any header, HMAC-SHA256 with `secret` over what is assembled.
inline std::string hs256_token(std::string_view header, std::string_view payload,
                               std::string_view secret) {
    std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), int(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
    return input + "." + base64url_encode(std::string_view(reinterpret_cast<char*>(mac), len));
}

// Hand-made RS256: any header, RSASSA-PKCS1-v1_5 SHA-256 with the private key.
inline std::string rs256_token(std::string_view header, std::string_view payload,
                               const std::string& private_pem) {
    std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    BIO* bio = BIO_new_mem_buf(private_pem.data(), int(private_pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    size_t len = 0;
    std::string sig;
    if (key && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
        EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(input.data()),
                       input.size()) == 1) {
        sig.resize(len);
        EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(input.data()), input.size());
        sig.resize(len);
    }
    EVP_MD_CTX_free(ctx);
    EVP_PKEY_free(key);
    EXPECT_FALSE(sig.empty());
    return input + "." + base64url_encode(sig);
}

}  // namespace ringcast::test
