#pragma once
// Whether a request may open a stream on an endpoint, and with what: the identity
// its token proves, and the channels it gets. Pure (no connection, no shard
// state), so that every rule is unit-tested; the HTTP server applies the limits
// that need shared state (instance, IP, user) afterwards.
//
// In order, the first failure wins:
//   401 invalid_token   a token that does not verify (reason: the verifier's code),
//                       or credentials that cannot be a token (reason: malformed)
//   401 unauthorized    no token on an endpoint with require_auth
//   403 forbidden       none of allowed_roles / allowed_permissions held, a
//                       channel the endpoint does not offer (channel_not_allowed),
//                       or one its [[channel]] rule closes to this stream
//                       (channel_forbidden)
//   400 bad_request     ?channels= malformed, empty, invalid names, too many;
//                       ?lastEventId= malformed
// Channels the stream did not name (the endpoint's defaults) that a rule closes
// to it are left out rather than refused; only when none is left is it a 403.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/claims.h"
#include "auth/token_verifier.h"
#include "http/channel_rules.h"
#include "http/endpoint.h"
#include "http/request_parser.h"

namespace ringcast {

struct Refusal {
    int status = 0;
    std::string code;     // "invalid_token", "unauthorized", "forbidden", "bad_request"
    std::string reason;   // finer cause, e.g. "expired", "missing_role"; may be empty
    std::string message;  // for people
};

struct StreamAdmission {
    bool ok = false;
    Refusal refusal;                    // when !ok
    std::optional<Claims> claims;       // a verified token's; nullopt: anonymous
    std::vector<std::string> channels;  // when ok: distinct, valid, allowed
    // Where the client wants to resume from: the Last-Event-ID header, else the
    // lastEventId query parameter (for clients that cannot set headers); an
    // empty value is no resume.
    std::optional<std::string> last_event_id;
};

StreamAdmission admit_stream(const HttpRequest& req, const EndpointOptions& endpoint,
                             const TokenVerifier& verifier, const ChannelRules& rules,
                             uint32_t max_channels, int64_t now_s);

// The identity part alone (also used for API requests): nullopt claims and no
// refusal when the request carries no token.
bool read_identity(const HttpRequest& req, const TokenVerifier& verifier, int64_t now_s,
                   std::optional<Claims>* claims, Refusal* refusal);

}  // namespace ringcast
