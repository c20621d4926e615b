#pragma once
// Who may use the HTTP API (POST /api/publish, GET /api/stats): a configured API
// key, or a token whose claims allow it. Pure, like stream admission, so every
// rule is unit-tested.
//
//   publish   an API key, or a token with the publish or admin claim
//   admin     (stats: user ids, connection counts) an API key, or the admin claim
//
// Credentials come from headers only (X-API-Key, Authorization: Bearer), never
// from cookies or the query: a browser can be made to send those cross-site.
// Refusals: 401 unauthorized (missing_credentials), 401 invalid_api_key (an
// unknown key: X-API-Key, or a Bearer value that is not a JWT), 401 invalid_token
// (a JWT that does not verify), 403 forbidden (missing_publish_claim,
// missing_admin_claim, stream_token: ringcastd's own stream tokens open streams
// only).
#include <optional>
#include <string>
#include <vector>

#include "auth/token_verifier.h"
#include "http/request_parser.h"
#include "http/stream_admission.h"

namespace ringcast {

struct ApiAuthOptions {
    bool require_auth = true;                    // publish.http_require_auth
    std::vector<std::string> api_keys;           // publish.api_keys
    std::vector<std::string> alert_admin_roles;  // alerts.admin_roles
};

// alerts: managing alerts, which the admin claim or one of alerts.admin_roles allows.
enum class ApiRight { publish, admin, alerts };

// nullopt: allowed. `what` names the request in messages ("POST /api/publish").
// When allowed, *publisher (if given) names who is asking, for publish.rate_limit:
// "pubkey:<sha256 hex of the key>" or "pubtoken:<sub>"; "" when credentials are
// not read (http_require_auth = false).
std::optional<Refusal> authorize_api(const HttpRequest& req, ApiRight right,
                                     const ApiAuthOptions& options, const TokenVerifier& verifier,
                                     int64_t now_s, std::string_view what,
                                     std::string* publisher = nullptr);

}  // namespace ringcast
