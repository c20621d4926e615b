// ringcastd: the ringcast SSE daemon. Parses the command line, loads the
// configuration, and runs the daemon (src/server/daemon.cc).
#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "config/config.h"
#include "core/uring_probe.h"
#include "server/auth_setup.h"
#include "server/daemon.h"
#include "web/embedded_files.h"
#include "web/web_root.h"

using namespace ringcast;

namespace {

// [web] root, when the pages are on and read from a folder: it must be one.
void check_web_folder(const Config& cfg, ConfigProblems* problems) {
    std::string why;
    if (!cfg.web_enabled || cfg.web_root.empty() || problems->about("web")) return;
    if (!check_web_root(cfg.web_root, &why))
        problems->add_rule_problem({"web.root"},
                                   fmt::format("web.root \"{}\": {}", cfg.web_root, why));
}

void setup_logging(const std::string& level) {
    auto logger = spdlog::stderr_color_mt("ringcastd");
    // journald adds its own timestamps; keep ours for plain terminals and files.
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    spdlog::set_default_logger(logger);
    spdlog::set_level(spdlog::level::from_str(level));
    spdlog::flush_on(spdlog::level::info);
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "ringcastd " RINGCAST_VERSION
        " - Server-Sent Events hub on io_uring.\n"
        "Streams: GET /api/sse/stream?channels=a,b   Publish: POST /api/publish   "
        "Stats: GET /api/stats\n"
        "Settings come from the built-in defaults, then --config FILE, then the flags below.",
        "ringcastd"};
    app.get_formatter()->column_width(34);

    std::string config_path, check_path;
    std::string http, data_dir, log_level, accept, api_key_file;
    std::optional<std::string> unix_path;
    unsigned shards = 0;
    bool print_defaults = false, probe_only = false, version = false, takeover = false;

    app.add_option("--config", config_path,
                   "TOML configuration file (every key: --print-default-config)")
        ->check(CLI::ExistingFile);
    app.add_option("--http", http,
                   "HTTP listen address ADDR:PORT (default 127.0.0.1:8080; port 0 picks one)");
    app.add_option(
        "--unix", unix_path,
        "Unix socket for local publishers (default <data-dir>/ringcast.sock; \"\" disables)");
    app.add_option("--shards", shards, "shard threads, one io_uring each (default: one per CPU)")
        ->check(CLI::Range(1u, 1024u));
    app.add_option("--data-dir", data_dir,
                   "directory for state (default ./var; created if missing)");
    app.add_option("--api-key-file", api_key_file,
                   "file of API keys for the HTTP API, one per line (publish.api_key_file; "
                   "they add to publish.api_keys)");
    app.add_option("--log-level", log_level,
                   "trace, debug, info, warn, error, critical or off (default info)")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
    app.add_option("--accept", accept,
                   "spread connections by 'handoff' (least-loaded shard) or 'reuseport'")
        ->check(CLI::IsMember({"handoff", "reuseport"}));
    app.add_option("--check-config", check_path,
                   "validate a configuration file, explain any error, and exit")
        ->check(CLI::ExistingFile);
    app.add_flag("--print-default-config", print_defaults,
                 "print the built-in configuration (every key, with comments) and exit");
    app.add_flag("--probe", probe_only, "check io_uring support on this machine and exit");
    app.add_flag("--takeover", takeover,
                 "take over the listeners and SSE streams of the ringcastd running with the same "
                 "configuration (upgrade.socket), without a reconnect");
    app.add_flag("--version", version, "print the version and exit");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? kExitOk : kExitUsage;
    }

    if (version) {
        std::printf("ringcastd %s\n", RINGCAST_VERSION);
        return kExitOk;
    }
    if (print_defaults) {
        std::fwrite(default_config_toml().data(), 1, default_config_toml().size(), stdout);
        return kExitOk;
    }
    if (probe_only) {
        ProbeReport r = probe_io_uring();
        std::fputs(format_probe(r).c_str(), stdout);
        return r.ok ? kExitOk : kExitEnvironment;
    }

    // Every problem is gathered, then reported in the order of the file
    // (config/problems.h).
    Config cfg;
    ConfigProblems problems;
    std::string error;
    if (!check_path.empty()) {
        load_config(cfg, check_path, &problems);
        validate_config(cfg, &problems);
        // The key files too: a check that passes means the daemon will start.
        AuthSetup auth;
        if (!problems.about("auth") && !make_auth(cfg, &auth, &error, /*check_only=*/true))
            problems.add_rule_problem(
                {"auth.secret_file", "auth.public_key_file", "auth.secret", "auth.token_key_file"},
                error);
        if (!problems.about("publish.api_key_file") && !read_api_key_file(cfg, &error))
            problems.add_rule_problem({"publish.api_key_file"}, error);
        check_web_folder(cfg, &problems);
        if (!problems.empty()) {
            std::fprintf(stderr, "%s\n", problems.report().c_str());
            return kExitUsage;
        }
        std::printf("%s: OK\n", check_path.c_str());
        return kExitOk;
    }
    load_config(cfg, config_path, &problems);
    if (!http.empty()) cfg.http = http;
    if (unix_path) cfg.unix_path = *unix_path;
    if (shards) cfg.shards = shards;
    if (!data_dir.empty()) cfg.data_dir = data_dir;
    if (!log_level.empty()) cfg.log_level = log_level;
    if (!accept.empty()) cfg.accept = accept;
    if (!api_key_file.empty()) cfg.publish_api_key_file = api_key_file;
    validate_config(cfg, &problems);
    if (!problems.about("publish.api_key_file") && !read_api_key_file(cfg, &error))
        problems.add_rule_problem({"publish.api_key_file"}, error);
    check_web_folder(cfg, &problems);
    if (!problems.empty()) {
        std::string report = problems.report();
        for (size_t at = 0; at < report.size();) {
            size_t end = std::min(report.find('\n', at), report.size());
            std::fprintf(stderr, "ringcastd: %.*s\n", int(end - at), report.data() + at);
            at = end + 1;
        }
        return kExitUsage;
    }

    setup_logging(cfg.log_level);
    return run_daemon(cfg, embedded_web_files(), takeover);
}
