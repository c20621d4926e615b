// ringcast publish: one message, every field of docs/protocol.md "Messages".
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "core/json_writer.h"

namespace ringcast::cli {

namespace {

struct PublishArgs {
    std::string channel, event, data, id, target;
    std::vector<std::string> users, roles, permissions, exclude;
    std::optional<int> priority;
    std::optional<double> ttl;
    bool require_auth = false, persistent = false, retryable = false;
};

std::string read_stdin() {
    std::string text;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0)
        text.append(buf, n);
    if (std::ferror(stdin)) throw UsageError("--data -: cannot read standard input");
    return text;
}

// The payload must be one JSON value: checked here so that a typo is a usage
// error with a hint, not a daemon error about the whole request line. Sent
// minified, so a pretty-printed file stays one request line.
std::string checked_data(const std::string& arg) {
    std::string text = arg == "-" ? read_stdin() : arg;
    simdjson::dom::parser parser;
    simdjson::dom::element v;
    if (auto err = parser.parse(text).get(v)) {
        std::string_view t(text);
        size_t first = t.find_first_not_of(" \t\r\n");
        if (first == std::string_view::npos)
            throw UsageError("--data is empty: give a JSON value (null for no payload)");
        std::string shown = text.size() > 60 ? text.substr(0, 60) + "..." : text;
        if (err == simdjson::NUMBER_ERROR)
            throw UsageError(fmt::format(
                "--data {} holds a number the daemon cannot read ({}): numbers must fit a "
                "64-bit integer or a double; send a larger one as a string",
                shown, simdjson::error_message(err)));
        std::string hint;
        if (std::string_view("{[\"-0123456789tfn").find(t[first]) == std::string_view::npos)
            hint = fmt::format(". A string needs JSON quotes: --data '\"{}\"'", shown);
        throw UsageError(fmt::format("--data {} is not valid JSON ({}){}", shown,
                                     simdjson::error_message(err), hint));
    }
    return simdjson::minify(v);
}

// --user, --role and --permission each imply a target; --target may say it
// too. Any disagreement is a usage error rather than a guess.
std::optional<client::Target> resolve_target(const PublishArgs& a) {
    struct List {
        const char* flag;
        client::Target target;
        bool given;
    };
    const List lists[] = {{"--user", client::Target::users, !a.users.empty()},
                          {"--role", client::Target::roles, !a.roles.empty()},
                          {"--permission", client::Target::permissions, !a.permissions.empty()}};
    const List* implied = nullptr;
    for (const List& l : lists) {
        if (!l.given) continue;
        if (implied)
            throw UsageError(fmt::format(
                "{} and {} choose different targets ({} and {}): give only one of --user, "
                "--role and --permission",
                implied->flag, l.flag, client::target_name(implied->target),
                client::target_name(l.target)));
        implied = &l;
    }
    if (a.target.empty()) {
        if (implied) return implied->target;
        return std::nullopt;
    }
    client::Target t = *client::parse_target(a.target);  // CLI11 checked the name
    if (implied && implied->target != t)
        throw UsageError(fmt::format("--target {} conflicts with {} (which sends to {})", a.target,
                                     implied->flag, client::target_name(implied->target)));
    for (const List& l : lists)
        if (l.target == t && !l.given)
            throw UsageError(fmt::format("--target {} needs at least one {}", a.target, l.flag));
    return t;
}

client::Message build_message(const PublishArgs& a) {
    client::Message m;
    m.channel = a.channel;
    m.event = a.event;
    m.data = checked_data(a.data);
    m.id = a.id;
    m.target = resolve_target(a);
    m.target_users = a.users;
    m.target_roles = a.roles;
    m.target_permissions = a.permissions;
    m.exclude_users = a.exclude;
    m.require_auth = a.require_auth;
    m.priority = a.priority;
    m.ttl_seconds = a.ttl;
    m.persistent = a.persistent;
    m.retryable = a.retryable;
    return m;
}

}  // namespace

Command add_publish(CLI::App& app, const GlobalOptions& g) {
    auto a = std::make_shared<PublishArgs>();
    CLI::App* sub = app.add_subcommand("publish", "Publish one message to a channel");
    sub->footer(
        "The message reaches the channel's subscribers that its target selects; the answer "
        "says how many (sent) and how many could not take it (failed).\n"
        "Example: ringcast publish --channel orders --event order-update --data "
        "'{\"orderId\":\"A-1\"}'");
    sub->add_option("-c,--channel", a->channel, "channel name, [A-Za-z0-9._:-]{1,128}")->required();
    sub->add_option("-e,--event", a->event, "event type (the SSE event: field)")->required();
    sub->add_option("-d,--data", a->data,
                    "payload as JSON (a string needs quotes: '\"hi\"'); - reads standard input")
        ->required();
    sub->add_option("--id", a->id, "event id (default: the channel's next sequence number)");
    sub->add_option("--user", a->users, "send to this user (repeatable): target user-specific");
    sub->add_option("--role", a->roles, "send to holders of this role (repeatable): role-based");
    sub->add_option("--permission", a->permissions,
                    "send to holders of this permission (repeatable): permission-based");
    sub->add_option("--exclude", a->exclude, "never send to this user (repeatable)");
    sub->add_option("--target", a->target,
                    "all, user-specific, role-based, permission-based, authenticated or "
                    "subscribers (default: all, or what --user/--role/--permission imply)")
        ->check(CLI::IsMember({"all", "user-specific", "role-based", "permission-based",
                               "authenticated", "subscribers"}));
    sub->add_flag("--require-auth", a->require_auth, "only authenticated connections receive it");
    sub->add_option("--priority", a->priority, "0 (lowest) to 10 (default 5)")
        ->check(CLI::Range(0, 10));
    sub->add_option("--ttl", a->ttl, "seconds after which it is never delivered (> 0)")
        ->check(CLI::PositiveNumber);
    sub->add_flag("--persistent", a->persistent, "keep it for connections that subscribe later");
    sub->add_flag("--retryable", a->retryable, "keep it for targeted users who are offline");

    return {sub, [a, &g] {
                client::Message m = build_message(*a);  // usage errors before connecting
                client::Client c;
                if (!open_session(c, g)) return int(kExitUnreachable);
                client::Result r = c.publish(m);
                if (!r.ok) return report_failure(r, g);
                if (g.json) {
                    std::string out;
                    JsonWriter w(out);
                    w.begin_object().key("ok").value(true).key("id").value(r.id);
                    w.key("sent").value(r.sent).key("failed").value(r.failed).end_object();
                    print_line(out);
                } else {
                    print_line(fmt::format("published event {} on channel {}: sent {}, failed {}",
                                           r.id, m.channel, r.sent, r.failed));
                }
                return int(kExitOk);
            }};
}

}  // namespace ringcast::cli
