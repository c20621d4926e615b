#pragma once
// The subcommands of `ringcast`. Each add_*() declares its flags on `app` and
// returns what runs it once the command line has been parsed; the runner
// returns the process's exit code (exit_codes.h) and throws UsageError for a
// command line that parses but makes no sense.
#include <functional>

#include <CLI/CLI.hpp>

#include "cli/session.h"

namespace ringcast::cli {

struct Command {
    CLI::App* app = nullptr;
    std::function<int()> run;
};

Command add_publish(CLI::App& app, const GlobalOptions& g);
Command add_stats(CLI::App& app, const GlobalOptions& g);
Command add_top(CLI::App& app, const GlobalOptions& g);
Command add_ping(CLI::App& app, const GlobalOptions& g);
Command add_user(CLI::App& app, const GlobalOptions& g);
Command add_connection(CLI::App& app, const GlobalOptions& g);
Command add_connections(CLI::App& app, const GlobalOptions& g);
Command add_disconnect(CLI::App& app, const GlobalOptions& g);
Command add_invalidate(CLI::App& app, const GlobalOptions& g);
Command add_tail(CLI::App& app, const GlobalOptions& g);
Command add_token(CLI::App& app, const GlobalOptions& g);
Command add_alerts(CLI::App& app, const GlobalOptions& g);
Command add_log_level(CLI::App& app, const GlobalOptions& g);

}  // namespace ringcast::cli
