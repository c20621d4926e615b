// ringcastd: the ringcast SSE daemon. Parses the command line, loads the
// configuration, and runs the daemon (src/server/daemon.cc).
#include <sys/un.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "config/config.h"
#include "core/log_setup.h"
#include "core/uring_probe.h"
#include "net/address.h"
#include "server/auth_setup.h"
#include "server/config_source.h"
#include "server/daemon.h"
#include "server/tls_setup.h"
#include "web/embedded_files.h"

using namespace ringcast;

namespace {

// What the daemon checks only when it starts, for --check-config: the HTTP
// address, and the publishing socket's path (sockaddr_un holds 107 bytes).
void check_addresses(const Config& cfg, ConfigProblems* problems) {
    std::string why;
    if (!problems->about("server.http") && !parse_address(cfg.http, &why))
        problems->add_rule_problem({"server.http"},
                                   fmt::format("server.http \"{}\": {}", cfg.http, why));
    if (!cfg.tls_listen.empty() && !problems->about("tls.listen") &&
        !parse_address(cfg.tls_listen, &why))
        problems->add_rule_problem({"tls.listen"},
                                   fmt::format("tls.listen \"{}\": {}", cfg.tls_listen, why));
    if (cfg.unix_path.empty() || problems->about("server.unix")) return;
    std::string path = cfg.unix_path;
    if (path.front() != '/') path = (std::filesystem::path(cfg.data_dir) / path).string();
    if (path.size() >= sizeof(sockaddr_un::sun_path))
        problems->add_rule_problem(
            {"server.unix", "server.data_dir"},
            fmt::format("server.unix: the socket path {} is {} bytes long; at most {} fit", path,
                        path.size(), sizeof(sockaddr_un::sun_path) - 1));
}

// Every problem, in the order of the file: as is for --check-config, each line
// prefixed with the program's name when the daemon refuses to start.
void report_problems(const ConfigProblems& problems, bool prefixed) {
    std::string report = problems.report();
    if (!prefixed) {
        std::fprintf(stderr, "%s\n", report.c_str());
        return;
    }
    for (size_t at = 0; at < report.size();) {
        size_t end = std::min(report.find('\n', at), report.size());
        std::fprintf(stderr, "ringcastd: %.*s\n", int(end - at), report.data() + at);
        at = end + 1;
    }
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

    ConfigSource source;
    std::string check_path;
    bool print_defaults = false, probe_only = false, version = false, takeover = false;

    app.add_option("--config", source.path,
                   "TOML configuration file (every key: --print-default-config)")
        ->check(CLI::ExistingFile);
    app.add_option("--http", source.http,
                   "HTTP listen address ADDR:PORT (default 127.0.0.1:8080; port 0 picks one)");
    app.add_option(
        "--unix", source.unix_path,
        "Unix socket for local publishers (default <data-dir>/ringcast.sock; \"\" disables)");
    app.add_option("--shards", source.shards,
                   "shard threads, one io_uring each (default: one per CPU)")
        ->check(CLI::Range(1u, 1024u));
    app.add_option("--data-dir", source.data_dir,
                   "directory for state (default ./var; created if missing)");
    app.add_option("--api-key-file", source.api_key_file,
                   "file of API keys for the HTTP API, one per line (publish.api_key_file; "
                   "they add to publish.api_keys)");
    app.add_option("--log-level", source.log_level,
                   "trace, debug, info, warn, error, critical or off (default info)")
        ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}));
    app.add_option("--log-format", source.log_format,
                   "log lines as 'json', 'text', or 'auto': text on a terminal, else JSON "
                   "(log.format)")
        ->check(CLI::IsMember({"auto", "json", "text"}));
    app.add_option("--accept", source.accept,
                   "spread connections by 'handoff' (least-loaded shard) or 'reuseport'")
        ->check(CLI::IsMember({"handoff", "reuseport"}));
    app.add_option("--check-config", check_path,
                   "validate the configuration (FILE, or --config and the other flags), the key "
                   "files and addresses it names, explain every error, and exit")
        ->expected(0, 1)
        ->type_name("[FILE]")
        ->check(CLI::Validator(CLI::ExistingFile).description(""));  // no ":FILE" after [FILE]
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

    // --check-config FILE is --check-config --config FILE.
    const bool check = app.count("--check-config") > 0;
    if (!check_path.empty()) {
        if (!source.path.empty() && source.path != check_path) {
            std::fprintf(stderr,
                         "ringcastd: --check-config %s and --config %s: name one file, with "
                         "either\n",
                         check_path.c_str(), source.path.c_str());
            return kExitUsage;
        }
        source.path = check_path;
    }

    // Every problem is gathered, then reported in the order of the file
    // (config/problems.h).
    Config cfg;
    ConfigProblems problems;
    std::string error;
    source.load(&cfg, &problems);
    if (check) {
        // What the daemon reads only as it starts, so that a check that passes
        // means it will start: the key files (without making the stream-token
        // key), the addresses. Nothing is bound, no shard starts.
        AuthSetup auth;
        if (!problems.about("auth") && !make_auth(cfg, &auth, &error, /*check_only=*/true))
            problems.add_rule_problem(
                {"auth.secret_file", "auth.public_key_file", "auth.secret", "auth.token_key_file"},
                error);
        check_addresses(cfg, &problems);
        // The certificate and key as the start reads them ([tls] listen set).
        TlsSetup tls;
        if (!problems.about("tls") && !make_tls(cfg, &tls, &error))
            problems.add_rule_problem({"tls.certificate", "tls.key"}, error);
    }
    if (!problems.empty()) {
        report_problems(problems, !check);
        return kExitUsage;
    }
    if (check) {
        std::printf("%s: OK\n",
                    source.path.empty() ? "the built-in configuration" : source.path.c_str());
        return kExitOk;
    }

    setup_logging(
        {.level = cfg.log_level,
         .format = cfg.log_format,
         .access = cfg.log_access,
         .limits = {.per_second = cfg.log_rate_limit, .report_ms = cfg.log_rate_report_ms}});
    return run_daemon(source, cfg, embedded_web_files(), LaunchCommand::from_argv(argc, argv),
                      takeover);
}
