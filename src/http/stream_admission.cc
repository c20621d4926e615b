#include "http/stream_admission.h"

#include <algorithm>

#include <fmt/format.h>

#include "auth/token_source.h"
#include "http/query.h"
#include "pubsub/channel_name.h"

namespace ringcast {

namespace {

StreamAdmission refuse(int status, std::string code, std::string reason, std::string message) {
    StreamAdmission a;
    a.refusal = Refusal{status, std::move(code), std::move(reason), std::move(message)};
    return a;
}

bool holds_any(const std::vector<std::string>& held, const std::vector<std::string>& wanted) {
    for (const auto& w : wanted)
        if (std::find(held.begin(), held.end(), w) != held.end()) return true;
    return false;
}

// Where this deployment reads tokens, for "send one" messages.
std::string token_places(const AuthOptions& o) {
    std::vector<std::string> places;
    if (o.header) places.push_back("an Authorization: Bearer header");
    if (!o.cookie.empty()) places.push_back(fmt::format("the {} cookie", o.cookie));
    if (!o.query.empty()) places.push_back(fmt::format("?{}=", o.query));
    return places.empty() ? "nowhere (no token source is enabled)"
                          : fmt::format("{}", fmt::join(places, ", "));
}

}  // namespace

bool read_identity(const HttpRequest& req, const TokenVerifier& verifier, int64_t now_s,
                   std::optional<Claims>* claims, Refusal* refusal) {
    std::string error;
    std::optional<FoundToken> found = find_token(req, verifier.options(), &error);
    if (!found) {
        if (error.empty()) return true;  // anonymous
        *refusal = Refusal{401, "invalid_token", "malformed", error};
        return false;
    }
    Verified v = verifier.verify(found->token, now_s);
    if (!v.ok) {
        *refusal = Refusal{401, "invalid_token", v.error_code,
                           fmt::format("the token from the {} was refused: {}",
                                       token_where_name(found->where), v.message)};
        return false;
    }
    *claims = std::move(v.claims);
    return true;
}

StreamAdmission admit_stream(const HttpRequest& req, const EndpointOptions& ep,
                             const TokenVerifier& verifier, const ChannelRules& rules,
                             uint32_t max_channels, int64_t now_s) {
    StreamAdmission a;
    if (!read_identity(req, verifier, now_s, &a.claims, &a.refusal)) return a;
    if (ep.require_auth && !a.claims)
        return refuse(401, "unauthorized", "missing_token",
                      fmt::format("{} requires a token: send it in {}", ep.path,
                                  token_places(verifier.options())));
    if (!ep.allowed_roles.empty() && !holds_any(a.claims->roles, ep.allowed_roles))
        return refuse(403, "forbidden", "missing_role",
                      fmt::format("{} is for the roles {}; the token of user {} holds none of them",
                                  ep.path, fmt::join(ep.allowed_roles, ", "), a.claims->user));
    if (!ep.allowed_permissions.empty() &&
        !holds_any(a.claims->permissions, ep.allowed_permissions))
        return refuse(
            403, "forbidden", "missing_permission",
            fmt::format("{} needs one of the permissions {}; the token of user {} "
                        "holds none of them",
                        ep.path, fmt::join(ep.allowed_permissions, ", "), a.claims->user));

    bool malformed = false;
    auto param = query_param(req.query(), "channels", &malformed);
    if (malformed)
        return refuse(400, "bad_request", "", "the channels parameter has a malformed %-escape");
    std::vector<std::string> names = param ? split_list(*param) : ep.default_channels;
    if (names.empty())
        return refuse(400, "bad_request", "", "no channels given: use ?channels=a,b");
    const Claims* who = a.claims ? &*a.claims : nullptr;
    std::optional<std::string> first_closed;  // of the defaults, when none is left
    for (auto& n : names) {
        if (!valid_channel_name(n))
            return refuse(
                400, "bad_request", "",
                fmt::format("invalid channel name \"{}\": names match [A-Za-z0-9._:-]{{1,128}}",
                            n.substr(0, 200)));
        if (!ep.channels.empty() &&
            std::find(ep.channels.begin(), ep.channels.end(), n) == ep.channels.end())
            return refuse(403, "forbidden", "channel_not_allowed",
                          fmt::format("channel \"{}\" is not available on {} (it offers: {})", n,
                                      ep.path, fmt::join(ep.channels, ", ")));
        if (std::optional<std::string> closed = rules.refusal(n, who)) {
            if (param) return refuse(403, "forbidden", "channel_forbidden", std::move(*closed));
            if (!first_closed) first_closed = std::move(closed);
            continue;
        }
        if (std::find(a.channels.begin(), a.channels.end(), n) == a.channels.end())
            a.channels.push_back(std::move(n));
    }
    if (a.channels.empty())
        return refuse(403, "forbidden", "channel_forbidden",
                      *first_closed +
                          "; no channel of this endpoint's default is left: name "
                          "channels with ?channels=");
    if (a.channels.size() > max_channels)
        return refuse(400, "bad_request", "",
                      fmt::format("{} channels requested; at most {} per stream", a.channels.size(),
                                  max_channels));
    std::string_view header = req.header("last-event-id");
    if (!header.empty()) {
        a.last_event_id.emplace(header);
    } else {
        auto resume = query_param(req.query(), "lastEventId", &malformed);
        if (malformed)
            return refuse(400, "bad_request", "",
                          "the lastEventId parameter has a malformed %-escape");
        if (resume && !resume->empty()) a.last_event_id = std::move(*resume);
    }
    a.ok = true;
    return a;
}

}  // namespace ringcast
