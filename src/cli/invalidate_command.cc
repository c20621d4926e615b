// ringcast invalidate: remove cached persistent events, so that
// streams opened afterwards no longer get them. The daemon decides what the
// lists mean (channels, users, or those users' events on those channels); the
// tool only insists on one of them, before it connects.
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "core/json_writer.h"

namespace ringcast::cli {

namespace {

struct InvalidateArgs {
    std::vector<std::string> channels, users;
};

int run_invalidate(const GlobalOptions& g, const InvalidateArgs& a) {
    if (a.channels.empty() && a.users.empty())
        throw UsageError("give at least one --channel or --user (the cached events to remove)");
    client::Client c;
    if (!open_session(c, g)) return kExitUnreachable;
    client::Result r = c.invalidate(a.channels, a.users);
    if (!r.ok) return report_failure(r, g);
    if (g.json) {
        std::string out;
        JsonWriter w(out);
        w.begin_object().key("ok").value(true).key("removed").value(r.removed).end_object();
        print_line(out);
        return kExitOk;
    }
    print_line(fmt::format("removed {} cached event{}", r.removed, r.removed == 1 ? "" : "s"));
    return kExitOk;
}

}  // namespace

Command add_invalidate(CLI::App& app, const GlobalOptions& g) {
    auto a = std::make_shared<InvalidateArgs>();
    CLI::App* sub = app.add_subcommand(
        "invalidate", "Remove cached persistent events, so that new streams no longer get them");
    // Channel names cannot hold a comma, so "a,b" is safe to split; user ids can.
    sub->add_option("-c,--channel", a->channels,
                    "every cached event of this channel (repeatable, or a,b)")
        ->delimiter(',');
    sub->add_option("--user", a->users,
                    "the cached events addressed to this user (repeatable); with --channel, "
                    "only those on the channels");
    sub->footer(
        "Give --channel, --user or both. Streams already open are not told: publish a refresh "
        "event for them.\n"
        "Example: ringcast invalidate --channel alerts --user 42");
    return {sub, [a, &g] { return run_invalidate(g, *a); }};
}

}  // namespace ringcast::cli
