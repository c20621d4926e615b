// The small free functions of the public client headers: names of targets and
// operations, and json_quote().
#include "client/request_writer.h"
#include "ringcast/client_message.h"
#include "ringcast/client_result.h"

namespace ringcast::client {

namespace {
constexpr Target kTargets[] = {Target::all,         Target::users,         Target::roles,
                               Target::permissions, Target::authenticated, Target::subscribers};
}  // namespace

const char* target_name(Target t) {
    switch (t) {
        case Target::all: return "all";
        case Target::users: return "user-specific";
        case Target::roles: return "role-based";
        case Target::permissions: return "permission-based";
        case Target::authenticated: return "authenticated";
        case Target::subscribers: return "subscribers";
    }
    return "all";
}

std::optional<Target> parse_target(std::string_view name) {
    for (Target t : kTargets)
        if (name == target_name(t)) return t;
    return std::nullopt;
}

std::string json_quote(std::string_view s) {
    std::string out;
    out.reserve(s.size() + 2);
    append_json_string(out, s);
    return out;
}

const char* op_name(Op op) {
    switch (op) {
        case Op::ping: return "ping";
        case Op::publish:
        case Op::publish_batch: return "publish";
        case Op::stats: return "stats";
        case Op::connection: return "connection";
        case Op::connections: return "connections";
        case Op::user: return "user";
        case Op::disconnect: return "disconnect";
        case Op::invalidate: return "invalidate";
        case Op::token: return "token";
        case Op::alerts: return "alerts";
        case Op::log_level: return "log-level";
    }
    return "ping";
}

}  // namespace ringcast::client
