// ringcast-load: the whole-system load generator. It opens N SSE subscriber
// connections (spread over forked worker processes and loopback source
// addresses), publishes events on an absolute schedule through
// POST /api/publish, and measures connect time, daemon memory per connection,
// delivery throughput, publish-to-receive latency, loss/duplication/reordering
// and daemon CPU per delivery. Works against ringcastd and bench/naive. The
// resume-burst mode (ringcastd only) connects them with Last-Event-ID instead
// and measures how fast the daemon replays what they missed. The takeover
// mode (ringcastd only) measures an upgrade without a reconnect under a
// steady publish: pauses, losses and the CPU of the old and new daemons.
//
// Files: options (flags), run/run_phases (the phases), resume_burst (the
// resume-burst mode), takeover/takeover_publisher/takeover_tracker (the
// takeover mode), worker_set/worker/subscriber_pool
// (subscribers), publisher, stream_scan/payload/seq_tracker/histogram (the
// measurement), stats_client (GET /api/stats), report (table and JSON).
// docs/load-generator.md explains the method and how to read the figures.
#include <signal.h>

#include <cctype>
#include <cstdio>

#include <CLI/CLI.hpp>

#include "core/nofile_limit.h"
#include "options.h"
#include "report.h"
#include "run.h"

using namespace ringcast::load;

namespace {

// Channel and event names go into JSON and a query string unescaped.
bool plain_name(const std::string& s) {
    if (s.empty() || s.size() > 128) return false;
    for (unsigned char c : s)
        if (!(std::isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-')) return false;
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    CLI::App app{
        "ringcast-load: SSE load generator for ringcastd (and bench/naive's naive-sse).\n"
        "Publish mode (default): connect N subscribers to --channel, publish --rate events/s of\n"
        "--payload bytes for --duration s after --warmup s, report connect time, RSS per\n"
        "connection, deliveries/s, latency percentiles, loss and daemon CPU per delivery.\n"
        "Idle mode (--idle S): connect N, measure memory, hold S seconds, disconnect.\n"
        "Resume-burst mode (--resume-burst K): publish K events, then connect N subscribers\n"
        "with Last-Event-ID before them; report how fast every one had its K events replayed.\n"
        "Takeover mode (--takeover CMD --old-pid PID): hold N streams, publish --rate events/s\n"
        "over --publish-unix, run CMD (ringcastd --takeover) after --warmup s, go on --duration s\n"
        "after the old daemon exited; report reconnects, lost/duplicated events, the longest\n"
        "pause, publish->arrival delays, the CPU of both daemons and the new daemon's pid.\n"
        "Exit status: 0 clean run, 1 loss/failure (the report says why), 2 bad usage.",
        "ringcast-load"};
    app.get_formatter()->column_width(32);
    LoadOptions opts;
    add_flags(app, opts);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e) == 0 ? 0 : 2;
    }
    if (!plain_name(opts.channel) || !plain_name(opts.event)) {
        std::fprintf(stderr,
                     "ringcast-load: --channel and --event must match [A-Za-z0-9._:-]{1,128}\n");
        return 2;
    }
    std::string error;
    if (!finalize(opts, ringcast::raise_nofile_limit(), &error)) {
        std::fprintf(stderr, "ringcast-load: %s\n", error.c_str());
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);

    RunReport report = run_load(opts);
    std::string out = opts.json ? format_json(report) : format_table(report);
    std::fwrite(out.data(), 1, out.size(), stdout);
    std::fflush(stdout);
    if (!report.ok && opts.json)
        for (const auto& e : report.errors)
            std::fprintf(stderr, "ringcast-load: %s\n", e.c_str());
    return report.ok ? 0 : 1;
}
