#pragma once
// Stream tokens: short-lived JWTs that ringcastd signs itself, for backends that
// have a session but no JWT of their own (an app using NextAuth, say). The
// backend asks over the socket (op "token") or POST /api/tokens; the browser
// presents the token like any other (the ringcast_token cookie, ?token=, a
// Bearer header) and its stream carries the user, roles, permissions and
// subscriber flag the backend gave.
//
// The token is an HS256 JWT signed with ringcastd's own key (auth.token_key_file,
// made at the first start), its header names kStreamTokenKid and its payload
// kStreamTokenIssuer as `iss`. The verifier (token_verifier.h) checks a token with
// that kid against this key alone, whatever auth.algorithm says, and marks its
// claims as a stream token: it opens streams and nothing else (never the API).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/auth_options.h"

namespace ringcast {

inline constexpr std::string_view kStreamTokenKid = "ringcast-stream";
inline constexpr std::string_view kStreamTokenIssuer = "ringcast";
// A signing key shorter than this is refused (as for HS256 secrets, RFC 7518 §3.2).
inline constexpr size_t kStreamTokenKeyBytes = 32;

struct StreamTokenRequest {
    std::string user;  // never empty, at most kMaxUserIdBytes
    std::vector<std::string> roles;
    std::vector<std::string> permissions;
    bool subscriber = false;
    uint64_t ttl_s = 0;  // 0: the signer's default
};

struct StreamToken {
    std::string token;
    int64_t expires_at_ms = 0;  // exp, in ms since the epoch
};

class StreamTokenSigner {
public:
    // `names`: the claim names the verifier reads ([auth] user_claim...).
    StreamTokenSigner(std::string key, const AuthOptions& names, uint64_t default_ttl_s,
                      uint64_t max_ttl_s);

    // The token, or nullopt with *error naming the field at fault (a ttl above
    // the maximum, a token that would be longer than a verifier accepts).
    std::optional<StreamToken> sign(const StreamTokenRequest& r, int64_t now_ms,
                                    std::string* error) const;

    uint64_t default_ttl_s() const { return _default_ttl_s; }
    uint64_t max_ttl_s() const { return _max_ttl_s; }

private:
    std::string _key;
    std::string _user_claim, _roles_claim, _permissions_claim, _subscriber_claim;
    uint64_t _default_ttl_s;
    uint64_t _max_ttl_s;
};

}  // namespace ringcast
