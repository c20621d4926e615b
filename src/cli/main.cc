// ringcast: the command-line tool for ringcastd (docs/clients.md). Parses the
// command line, runs the chosen subcommand, and exits with a code from
// exit_codes.h.
#include <ringcast/socket_location.h>

#include <cstdio>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"

using namespace ringcast::cli;

int main(int argc, char** argv) {
    CLI::App app{
        "ringcast - publish to and inspect a ringcastd Server-Sent Events hub.\n"
        "Commands talk to the daemon's Unix socket (--socket), except tail, which subscribes "
        "over HTTP (--http).",
        "ringcast"};
    app.get_formatter()->column_width(30);
    app.require_subcommand(1);
    // Global flags may also follow the subcommand: ringcast stats --json.
    app.fallthrough();
    app.footer(std::string(kExitCodesHelp) +
               "\nEvery command has --help. Documentation: docs/clients.md");

    app.set_version_flag("--version", "ringcast " RINGCAST_VERSION, "print the version and exit");

    GlobalOptions g;
    app.add_option("-s,--socket", g.socket,
                   fmt::format("the daemon's Unix socket (default: ${}, else {} if it exists, "
                               "as make run makes it, else {}, the systemd unit's)",
                               ringcast::client::kSocketEnv, ringcast::client::kMakeRunSocket,
                               ringcast::client::kSystemdSocket));
    app.add_flag("--json", g.json, "machine-readable output: JSON on stdout");

    std::vector<Command> commands = {
        add_publish(app, g),    add_stats(app, g),       add_user(app, g),
        add_connection(app, g), add_connections(app, g), add_disconnect(app, g),
        add_invalidate(app, g), add_ping(app, g),        add_tail(app, g),
        add_token(app, g),      add_alerts(app, g),      add_top(app, g),
        add_log_level(app, g),
    };

    for (const Command& c : commands) {
        std::string footer = c.app->get_footer();
        c.app->footer((footer.empty() ? "" : footer + "\n") +
                      "Global flags, before or after the command: --socket PATH (or $" +
                      ringcast::client::kSocketEnv + "), --json. Exit codes: ringcast --help.");
    }

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // CLI11 reports a mistyped command as a missing one; name it instead.
        std::vector<std::string> rest = app.remaining();
        if (app.get_subcommands().empty() && !rest.empty() && !rest.front().starts_with("-")) {
            fmt::print(stderr,
                       "ringcast: unknown command \"{}\" (commands: publish, stats, user, "
                       "connection, disconnect, invalidate, ping, tail, token, alerts, "
                       "log-level)\nRun with "
                       "--help for "
                       "more information.\n",
                       rest.front());
            return kExitUsage;
        }
        // The same one level down: `ringcast alerts frobnicate`, or `ringcast alerts`.
        for (const Command& c : commands) {
            if (e.get_exit_code() == 0 || !c.app->parsed() ||  // --help is a ParseError too
                c.app->get_subcommands({}).empty() || !c.app->get_subcommands().empty())
                continue;
            std::string names;
            for (const CLI::App* sub : c.app->get_subcommands({}))
                names += (names.empty() ? "" : ", ") + sub->get_name();
            if (!rest.empty() && !rest.front().starts_with("-")) {
                fmt::print(stderr, "ringcast {}: unknown command \"{}\" (commands: {})\n",
                           c.app->get_name(), rest.front(), names);
            } else if (rest.empty()) {
                fmt::print(stderr, "ringcast {}: give a command: {}\n", c.app->get_name(), names);
            } else {
                break;  // a flag CLI11 explains
            }
            fmt::print(stderr, "Run with --help for more information.\n");
            return kExitUsage;
        }
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }
    for (const Command& c : commands) {
        if (!c.app->parsed()) continue;
        try {
            return c.run();
        } catch (const UsageError& e) {
            fmt::print(stderr, "ringcast {}: {}\nRun with --help for more information.\n",
                       c.app->get_name(), e.what());
            return kExitUsage;
        }
    }
    return kExitUsage;  // require_subcommand(1) makes this unreachable
}
