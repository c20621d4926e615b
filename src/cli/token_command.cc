// ringcast token: a stream token for a user, signed by the daemon (the socket's
// "token" op), printed alone on its line so that a shell can take it:
//
//   curl -N --cookie "ringcast_token=$(ringcast token --user 42)" .../api/sse/stream
//
// For trying identity by hand and for scripts; applications ask through their
// client library (createStreamToken in the Node client).
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "core/json_writer.h"

namespace ringcast::cli {

namespace {

// "900", "900s", "15m", "1h", "1d" -> seconds; 0 if it is none of these.
uint64_t parse_ttl(std::string_view text) {
    uint64_t n = 0;
    size_t i = 0;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        if (n > UINT64_MAX / 10 / 86400) return 0;
        n = n * 10 + uint64_t(text[i] - '0');
    }
    if (i == 0) return 0;
    const std::string_view unit = text.substr(i);
    if (unit.empty() || unit == "s") return n;
    if (unit == "m") return n * 60;
    if (unit == "h") return n * 3600;
    if (unit == "d") return n * 86400;
    return 0;
}

struct TokenArgs {
    client::TokenRequest request;
    std::string ttl;  // a duration ("15m"); empty: the daemon's auth.token_ttl
};

int run_token(const GlobalOptions& g, TokenArgs& a) {
    if (!a.ttl.empty() && !(a.request.ttl_s = parse_ttl(a.ttl)))
        throw UsageError(
            fmt::format("--ttl {}: give a duration of at least 1s, like 900s, 15m "
                        "or 1h",
                        a.ttl));
    client::Client c;
    if (!open_session(c, g)) return kExitUnreachable;
    client::Result r = c.token(a.request);
    if (!r.ok) return report_failure(r, g);
    if (g.json) {
        std::string out;
        JsonWriter w(out);
        w.begin_object().key("ok").value(true).key("token").value(r.token);
        w.key("expiresAt").value(r.expires_at_ms).end_object();
        print_line(out);
        return kExitOk;
    }
    print_line(r.token);
    return kExitOk;
}

}  // namespace

Command add_token(CLI::App& app, const GlobalOptions& g) {
    auto a = std::make_shared<TokenArgs>();
    CLI::App* sub = app.add_subcommand(
        "token", "Print a stream token for a user, signed by the daemon (its browser's identity)");
    sub->add_option("-u,--user", a->request.user_id, "the user the stream carries")->required();
    sub->add_option("--role", a->request.roles, "a role it holds (repeatable, or a,b)")
        ->delimiter(',');
    sub->add_option("--permission", a->request.permissions,
                    "a permission it holds (repeatable, or a,b)")
        ->delimiter(',');
    sub->add_flag("--subscriber", a->request.subscriber, "the user is a subscriber");
    sub->add_option("--ttl", a->ttl,
                    "how long it lasts (900s, 15m, 1h, 1d); default: the daemon's auth.token_ttl");
    sub->footer(
        "The token is printed alone; with --json, {\"ok\":true,\"token\":...,\"expiresAt\":ms}.\n"
        "Example: curl -N --cookie \"ringcast_token=$(ringcast token --user 42 --role admin)\" "
        "'http://127.0.0.1:8080/api/admin/sse/stream'");
    return {sub, [a, &g] { return run_token(g, *a); }};
}

}  // namespace ringcast::cli
