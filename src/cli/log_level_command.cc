// ringcast log-level [LEVEL]: the daemon's log level, read or changed at once
// (the socket's log-level op; docs/operations.md, "Logs"). The change lasts
// until the daemon restarts or reloads its configuration.
#include <memory>
#include <string>

#include <fmt/format.h>
#include <simdjson.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace ringcast::cli {

namespace {

int run_log_level(const GlobalOptions& g, const std::string& level) {
    client::Client c;
    if (!open_session(c, g)) return kExitUnreachable;
    client::Result r = c.log_level(level);
    if (!r.ok) return report_failure(r, g);
    if (g.json) {  // {"ok":true,"level":...} like every command's answer
        print_line(r.json.size() > 2 ? "{\"ok\":true," + r.json.substr(1) : "{\"ok\":true}");
        return kExitOk;
    }
    simdjson::dom::parser parser;
    simdjson::dom::object obj;
    std::string_view now, was;
    if (parser.parse(r.json).get_object().get(obj) != simdjson::SUCCESS ||
        obj["level"].get_string().get(now) != simdjson::SUCCESS) {
        print_line(r.json);
        return kExitOk;
    }
    if (obj["was"].get_string().get(was) == simdjson::SUCCESS) {
        print_line(fmt::format("log level: {} (was {})", now, was));
    } else {
        print_line(fmt::format("log level: {}", now));
    }
    return kExitOk;
}

}  // namespace

Command add_log_level(CLI::App& app, const GlobalOptions& g) {
    auto level = std::make_shared<std::string>();
    CLI::App* sub = app.add_subcommand(
        "log-level", "Show the daemon's log level, or change it at once (no restart)");
    sub->add_option("level", *level, "trace, debug, info, warn, error, critical or off")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
    sub->footer(
        "The change lasts until the daemon restarts or reloads its configuration "
        "(server.log_level).\n"
        "Example: ringcast log-level debug");
    return {sub, [level, &g] { return run_log_level(g, *level); }};
}

}  // namespace ringcast::cli
