// ringcast top: the daemon's figures refreshed live, like top(1): streams,
// users, publish and delivery rates, drops, memory, uptime, the busiest
// channels and users. On a terminal it draws on the alternate screen and puts
// the terminal back on exit (--count reached, Ctrl-C, SIGTERM, a lost daemon);
// otherwise each refresh is printed as plain lines (a block that starts with
// "ringcast top"), so that it can be piped and read by scripts.
//
// Rates come from two consecutive samples, over the daemon's own clock (its
// uptime), so a slow round trip does not skew them; the first refresh has no
// previous sample and shows the averages since the daemon started.
#include <poll.h>
#include <ringcast/stats_view.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "core/json_writer.h"

namespace ringcast::cli {

namespace {

volatile sig_atomic_t g_stop_signal = 0;

void on_stop_signal(int sig) {
    g_stop_signal = sig;
}

struct TopArgs {
    double interval = 1.0;  // seconds between refreshes
    uint64_t count = 0;     // 0: until interrupted
};

// Per-second rates between two samples.
struct Rates {
    double events = 0, deliveries = 0;
    bool since_start = false;  // no previous sample: averages since the daemon started
};

Rates rates_between(const client::StatsView* before, const client::StatsView& now) {
    Rates r;
    double dt = before ? now.uptime_s - before->uptime_s : 0;
    if (!before || dt <= 0) {  // the first sample, or a restarted daemon
        r.since_start = true;
        dt = now.uptime_s;
        if (dt <= 0) return r;
        r.events = double(now.events_published) / dt;
        r.deliveries = double(now.deliveries) / dt;
        return r;
    }
    r.events =
        double(now.events_published - std::min(before->events_published, now.events_published)) /
        dt;
    r.deliveries = double(now.deliveries - std::min(before->deliveries, now.deliveries)) / dt;
    return r;
}

// "3d 04:05:06", "04:05:06".
std::string format_uptime(double seconds) {
    const uint64_t s = uint64_t(std::max(0.0, seconds));
    const uint64_t d = s / 86400, h = s / 3600 % 24, m = s / 60 % 60, sec = s % 60;
    return d ? fmt::format("{}d {:02}:{:02}:{:02}", d, h, m, sec)
             : fmt::format("{:02}:{:02}:{:02}", h, m, sec);
}

void add_lines(std::vector<std::string>& lines, const std::string& text) {
    for (size_t at = 0; at < text.size();) {
        size_t nl = text.find('\n', at);
        if (nl == std::string::npos) nl = text.size();
        lines.push_back(text.substr(at, nl - at));
        at = nl + 1;
    }
}

// One refresh as lines of text (the same on a terminal and in a pipe).
std::vector<std::string> render(const client::StatsView& s, const Rates& r, int64_t now_ms) {
    std::vector<std::string> lines;
    lines.push_back(
        fmt::format("ringcast top  {}  up {}", format_time_ms(now_ms), format_uptime(s.uptime_s)));
    lines.push_back(fmt::format("streams {}  sockets {}  users {}  channels {}  cached {}",
                                s.total_connections, s.sockets, s.unique_users, s.active_channels,
                                s.cache_size));
    lines.push_back(fmt::format("events/s {:.1f}  messages/min {}  deliveries/s {:.1f}{}", r.events,
                                s.messages_per_minute, r.deliveries,
                                r.since_start ? "  (rates: average since start)" : ""));
    lines.push_back(fmt::format(
        "drops: events dropped {}  expired in queue {}  streams cut {}  delivery failures {}",
        s.events_dropped, s.events_expired_in_queue, s.slow_disconnects, s.delivery_failures));
    std::string memory =
        fmt::format("memory: rss {}  peak {}", format_bytes(s.rss), format_bytes(s.peak_rss));
    if (s.has_heap)
        memory += fmt::format("  heap committed {}  peak {}", format_bytes(s.heap_committed),
                              format_bytes(s.heap_peak_committed));
    lines.push_back(memory);
    lines.emplace_back();

    Table channels({"channel", "messages/min", "connections"});
    for (const client::ChannelRate& c : s.busiest_channels)
        channels.add(
            {c.channel, std::to_string(c.messages_per_minute), std::to_string(c.connections)});
    lines.emplace_back("busiest channels (last minute)");
    if (channels.empty()) {
        lines.emplace_back("  (nothing published in the last minute)");
    } else {
        add_lines(lines, channels.render());
    }
    if (s.other_channels)
        lines.push_back(fmt::format("  and {} other channels: {} messages/min", s.other_channels,
                                    s.other_messages_per_minute));
    lines.emplace_back();

    Table users({"user", "connections"});
    for (const client::UserConnections& u : s.connections_by_user)
        users.add({u.user, std::to_string(u.connections)});
    lines.emplace_back("busiest users");
    if (users.empty()) {
        lines.emplace_back("  (no identified user is connected)");
    } else {
        add_lines(lines, users.render());
    }
    if (s.other_users)
        lines.push_back(fmt::format("  and {} other users: {} connections", s.other_users,
                                    s.other_user_connections));
    return lines;
}

// The alternate screen while top runs on a terminal; the terminal as it was
// afterwards, whatever ends the command.
class Screen {
public:
    explicit Screen(bool terminal) : _terminal(terminal) {
        if (_terminal) std::fputs("\x1b[?1049h\x1b[?25l", stdout);  // alternate screen, no cursor
    }
    ~Screen() {
        if (_terminal) std::fputs("\x1b[?25h\x1b[?1049l", stdout);
        std::fflush(stdout);
    }
    Screen(const Screen&) = delete;
    Screen& operator=(const Screen&) = delete;

    void show(const std::vector<std::string>& lines) {
        if (!_terminal) {
            for (const std::string& l : lines)
                fmt::print("{}\n", l);
            fmt::print("\n");
            std::fflush(stdout);
            return;
        }
        winsize ws{};
        size_t rows = 24, cols = 80;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col) {
            rows = ws.ws_row;
            cols = ws.ws_col;
        }
        std::string out = "\x1b[H";  // home; each line clears its rest, then below the last
        for (size_t i = 0; i < lines.size() && i + 1 < rows; ++i) {
            out += lines[i].substr(0, cols);
            out += "\x1b[K\n";
        }
        out += "\x1b[J";
        std::fputs(out.c_str(), stdout);
        std::fflush(stdout);
    }

private:
    bool _terminal;
};

// Waits `seconds` with SIGINT/SIGTERM let through; false if one arrived.
bool wait_interval(double seconds, const sigset_t& wait_mask) {
    timespec left{time_t(seconds), long(std::fmod(seconds, 1.0) * 1e9)};
    timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!g_stop_signal) {
        // ppoll with no descriptors: a sleep that a stop signal ends.
        if (ppoll(nullptr, 0, &left, &wait_mask) == 0) return true;
        timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        const double elapsed =
            double(now.tv_sec - start.tv_sec) + double(now.tv_nsec - start.tv_nsec) / 1e9;
        if (elapsed >= seconds) return true;
        const double rest = seconds - elapsed;
        left = {time_t(rest), long(std::fmod(rest, 1.0) * 1e9)};
    }
    return false;
}

int64_t now_ms() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

int run_top(const GlobalOptions& g, const TopArgs& a) {
    // SIGINT and SIGTERM stay blocked except while waiting between refreshes,
    // so one that arrives while a refresh is drawn is seen at the next wait.
    sigset_t stop, wait_mask;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    sigprocmask(SIG_BLOCK, &stop, &wait_mask);
    sigdelset(&wait_mask, SIGINT);
    sigdelset(&wait_mask, SIGTERM);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);

    client::Client c;
    if (!open_session(c, g)) return kExitUnreachable;
    const bool terminal = !g.json && isatty(STDOUT_FILENO);
    std::optional<client::Result> failed;  // reported once the terminal is back
    std::string unreadable;
    {
        Screen screen(terminal);
        client::StatsView previous;
        bool have_previous = false;
        for (uint64_t n = 0; a.count == 0 || n < a.count; ++n) {
            if (n > 0 && !wait_interval(a.interval, wait_mask)) break;
            client::Result r = c.stats();
            if (!r.ok) {
                failed = std::move(r);
                break;
            }
            client::StatsView view;
            if (!client::read_stats(r.json, &view, &unreadable)) break;
            const Rates rates = rates_between(have_previous ? &previous : nullptr, view);
            if (g.json) {
                std::string out;
                JsonWriter w(out);
                w.begin_object().key("ok").value(true).key("time").value(now_ms());
                w.key("eventsPerSecond").value(rates.events);
                w.key("deliveriesPerSecond").value(rates.deliveries);
                w.key("ratesSinceStart").value(rates.since_start);
                w.key("stats").raw(r.json).end_object();
                print_line(out);
            } else {
                screen.show(render(view, rates, now_ms()));
            }
            previous = std::move(view);
            have_previous = true;
        }
    }
    if (failed) return report_failure(*failed, g);
    if (!unreadable.empty()) {
        fmt::print(stderr, "ringcast: {}\n", unreadable);
        return kExitUnreachable;
    }
    return kExitOk;
}

}  // namespace

Command add_top(CLI::App& app, const GlobalOptions& g) {
    auto a = std::make_shared<TopArgs>();
    CLI::App* sub = app.add_subcommand(
        "top",
        "Show the daemon's figures live: streams, users, rates, drops, memory, the "
        "busiest channels and users");
    sub->add_option("-i,--interval", a->interval,
                    "seconds between refreshes, 0.1 to 3600 (default 1)")
        ->check(CLI::Range(0.1, 3600.0));
    sub->add_option("-n,--count", a->count, "stop after N refreshes (default: until Ctrl-C)")
        ->check(CLI::PositiveNumber);
    sub->footer(
        "On a terminal: the alternate screen, redrawn every interval, until Ctrl-C. Otherwise "
        "(a pipe, a file): each refresh printed as lines starting with a \"ringcast top\" line, "
        "then a blank line. With --json: one line per refresh, {\"ok\":true,\"time\":<ms>,"
        "\"eventsPerSecond\":..,\"deliveriesPerSecond\":..,\"ratesSinceStart\":..,\"stats\":"
        "<the stats document>}. Rates are per second between two refreshes; the first shows "
        "the averages since the daemon started.");
    return {sub, [a, &g] { return run_top(g, *a); }};
}

}  // namespace ringcast::cli
