#pragma once
// Minting JWTs for the tests, with OpenSSL 3 and nothing of the daemon's code:
// HS256 (HMAC-SHA256), RS256 (RSASSA-PKCS1-v1_5 with SHA-256) and ES256 (ECDSA
// P-256 with SHA-256, the signature in JOSE form: r||s, 32 bytes each, RFC 7518
// §3.4, not the DER that OpenSSL produces). Key pairs are generated in memory;
// the public half is handed to the daemon as PEM (public_key_file).
//
// The header and payload are taken as JSON text, so that tests can forge what a
// well-behaved issuer never would ("alg":"none", a wrong alg, odd claims).
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json.h"

namespace ringcast::itest {

// base64url without padding (RFC 7515 §2).
inline std::string b64url(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    size_t i = 0;
    auto at = [&](size_t k) { return uint32_t(static_cast<unsigned char>(bytes[k])); };
    for (; i + 3 <= bytes.size(); i += 3) {
        uint32_t v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
        for (int s = 18; s >= 0; s -= 6)
            out += kAlphabet[(v >> s) & 63];
    }
    if (bytes.size() - i == 1) {
        uint32_t v = at(i) << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
    } else if (bytes.size() - i == 2) {
        uint32_t v = at(i) << 16 | at(i + 1) << 8;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
    }
    return out;
}

// Unix seconds now, as exp / nbf / iat are written.
inline int64_t unix_now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// HMAC-SHA256 of `data` under `key`, raw bytes.
inline std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), int(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac, &len);
    return std::string(reinterpret_cast<char*>(mac), len);
}

// An RSA or EC P-256 key pair, generated in memory.
class KeyPair {
public:
    static KeyPair rsa(unsigned bits = 2048) { return KeyPair(EVP_RSA_gen(bits), false); }
    static KeyPair ec_p256() { return KeyPair(EVP_EC_gen("P-256"), true); }

    bool valid() const { return _key != nullptr; }
    bool is_ec() const { return _ec; }
    // "RS256" or "ES256".
    const char* alg() const { return _ec ? "ES256" : "RS256"; }

    // The public key as a "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo) PEM.
    std::string public_pem() const {
        std::string out;
        BIO* bio = BIO_new(BIO_s_mem());
        if (bio && PEM_write_bio_PUBKEY(bio, _key.get()) == 1) {
            char* p = nullptr;
            long n = BIO_get_mem_data(bio, &p);
            out.assign(p, size_t(n));
        }
        BIO_free(bio);
        return out;
    }

    // The SHA-256 signature of `data` as a JWS carries it: for RSA the PKCS#1
    // v1.5 signature; for EC r||s (64 bytes), or OpenSSL's DER ECDSA-Sig-Value
    // when `der` (a wrong encoding, for negative tests). Empty on failure.
    std::string sign(std::string_view data, bool der = false) const {
        std::string sig;
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        size_t len = 0;
        if (ctx && EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, _key.get()) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(data.data()),
                           data.size()) == 1) {
            sig.resize(len);
            if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                               reinterpret_cast<const unsigned char*>(data.data()),
                               data.size()) == 1) {
                sig.resize(len);
            } else {
                sig.clear();
            }
        }
        EVP_MD_CTX_free(ctx);
        if (!_ec || der || sig.empty()) return sig;
        return der_to_jose(sig);
    }

private:
    struct PkeyFree {
        void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
    };

    KeyPair(EVP_PKEY* key, bool ec) : _key(key), _ec(ec) {}

    // DER ECDSA-Sig-Value {r, s} -> r||s, each left-padded to 32 bytes.
    static std::string der_to_jose(const std::string& der) {
        const auto* p = reinterpret_cast<const unsigned char*>(der.data());
        ECDSA_SIG* s = d2i_ECDSA_SIG(nullptr, &p, long(der.size()));
        if (!s) return {};
        std::string out(64, '\0');
        auto* o = reinterpret_cast<unsigned char*>(out.data());
        bool ok = BN_bn2binpad(ECDSA_SIG_get0_r(s), o, 32) == 32 &&
                  BN_bn2binpad(ECDSA_SIG_get0_s(s), o + 32, 32) == 32;
        ECDSA_SIG_free(s);
        return ok ? out : std::string();
    }

    std::unique_ptr<EVP_PKEY, PkeyFree> _key;
    bool _ec = false;
};

// "<b64url(header)>.<b64url(payload)>": what a JWS signature covers.
inline std::string jwt_signing_input(std::string_view header_json, std::string_view payload_json) {
    return b64url(header_json) + "." + b64url(payload_json);
}

inline std::string jwt_header(std::string_view alg) {
    return "{\"alg\":" + json_quote(alg) + ",\"typ\":\"JWT\"}";
}

// An HS256 token; `header_json` defaults to {"alg":"HS256","typ":"JWT"}.
inline std::string mint_hs256(std::string_view secret, std::string_view payload_json,
                              std::optional<std::string> header_json = std::nullopt) {
    std::string input =
        jwt_signing_input(header_json ? *header_json : jwt_header("HS256"), payload_json);
    return input + "." + b64url(hmac_sha256(secret, input));
}

// An RS256 or ES256 token (by the key's type); `header_json` defaults to
// {"alg":"RS256"|"ES256","typ":"JWT"}.
inline std::string mint(const KeyPair& key, std::string_view payload_json,
                        std::optional<std::string> header_json = std::nullopt,
                        bool der_signature = false) {
    std::string input =
        jwt_signing_input(header_json ? *header_json : jwt_header(key.alg()), payload_json);
    return input + "." + b64url(key.sign(input, der_signature));
}

// The payload of a test token. Unset fields are left out of the JSON.
struct TokenClaims {
    std::optional<std::string> sub;  // written as a JSON string
    std::optional<int64_t> sub_int;  // written as a JSON number (instead of sub)
    std::vector<std::string> roles;
    std::vector<std::string> permissions;
    std::optional<bool> subscriber;
    std::optional<bool> publish;
    std::optional<int64_t> exp = unix_now_s() + 3600;
    std::optional<int64_t> nbf;
    std::optional<std::string> iss;
    std::optional<std::string> aud;     // a string
    std::vector<std::string> aud_list;  // an array (when non-empty)

    std::string json() const {
        std::string j = "{";
        auto field = [&](std::string_view k, const std::string& v) {
            if (j.size() > 1) j += ",";
            j += json_quote(k) + ":" + v;
        };
        auto list = [](const std::vector<std::string>& l) {
            std::string s = "[";
            for (size_t i = 0; i < l.size(); ++i)
                s += (i ? "," : "") + json_quote(l[i]);
            return s + "]";
        };
        if (sub) field("sub", json_quote(*sub));
        if (sub_int) field("sub", std::to_string(*sub_int));
        if (!roles.empty()) field("roles", list(roles));
        if (!permissions.empty()) field("permissions", list(permissions));
        if (subscriber) field("subscriber", *subscriber ? "true" : "false");
        if (publish) field("publish", *publish ? "true" : "false");
        if (exp) field("exp", std::to_string(*exp));
        if (nbf) field("nbf", std::to_string(*nbf));
        if (iss) field("iss", json_quote(*iss));
        if (aud) field("aud", json_quote(*aud));
        if (!aud_list.empty()) field("aud", list(aud_list));
        field("iat", std::to_string(unix_now_s()));
        return j + "}";
    }
};

// Every byte of `s` as %XX: what a query parameter may carry, and a check that
// the daemon percent-decodes it.
inline std::string percent_encode_all(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    return out;
}

}  // namespace ringcast::itest
