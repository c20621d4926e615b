#include "auth/stream_token.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fmt/format.h>

#include "auth/base64url.h"
#include "auth/token_verifier.h"
#include "core/json_writer.h"

namespace ringcast {

StreamTokenSigner::StreamTokenSigner(std::string key, const AuthOptions& names,
                                     uint64_t default_ttl_s, uint64_t max_ttl_s)
    : _key(std::move(key))
    , _user_claim(names.user_claim)
    , _roles_claim(names.roles_claim)
    , _permissions_claim(names.permissions_claim)
    , _subscriber_claim(names.subscriber_claim)
    , _default_ttl_s(default_ttl_s)
    , _max_ttl_s(max_ttl_s) {}

std::optional<StreamToken> StreamTokenSigner::sign(const StreamTokenRequest& r, int64_t now_ms,
                                                   std::string* error) const {
    const uint64_t ttl = r.ttl_s ? r.ttl_s : _default_ttl_s;
    if (ttl > _max_ttl_s) {
        *error =
            fmt::format("\"ttl\" is {} s, more than auth.token_max_ttl ({} s)", ttl, _max_ttl_s);
        return std::nullopt;
    }
    const int64_t now_s = now_ms / 1000;
    const int64_t exp = now_s + int64_t(ttl);

    std::string header;
    JsonWriter(header)
        .begin_object()
        .key("alg")
        .value("HS256")
        .key("typ")
        .value("JWT")
        .key("kid")
        .value(kStreamTokenKid)
        .end_object();
    std::string payload;
    JsonWriter w(payload);
    w.begin_object().key("iss").value(kStreamTokenIssuer).key(_user_claim).value(r.user);
    if (!r.roles.empty()) {
        w.key(_roles_claim).begin_array();
        for (const std::string& s : r.roles)
            w.value(s);
        w.end_array();
    }
    if (!r.permissions.empty()) {
        w.key(_permissions_claim).begin_array();
        for (const std::string& s : r.permissions)
            w.value(s);
        w.end_array();
    }
    if (r.subscriber) w.key(_subscriber_claim).value(true);
    w.key("iat").value(now_s).key("exp").value(exp).end_object();

    std::string token = base64url_encode(header) + "." + base64url_encode(payload);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (!HMAC(EVP_sha256(), _key.data(), int(_key.size()),
              reinterpret_cast<const unsigned char*>(token.data()), token.size(), mac, &mac_len)) {
        *error = "signing the token failed (OpenSSL HMAC)";
        return std::nullopt;
    }
    token += '.';
    token += base64url_encode(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
    if (token.size() > kMaxTokenBytes) {
        *error = fmt::format(
            "the token would be {} bytes, more than the {} a verifier accepts: "
            "give fewer or shorter \"roles\" / \"permissions\"",
            token.size(), kMaxTokenBytes);
        return std::nullopt;
    }
    return StreamToken{std::move(token), exp * 1000};
}

}  // namespace ringcast
