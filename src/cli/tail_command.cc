// ringcast tail: subscribe to channels over HTTP and print events as they come,
// one line each (or one JSON object each with --json), until --count events,
// --timeout, Ctrl-C, or the end of the stream.
#include <ringcast/sse_parser.h>
#include <signal.h>
#include <time.h>

#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/http_stream.h"
#include "core/json_writer.h"

namespace ringcast::cli {

namespace {

// make run listens here (Makefile HTTP).
constexpr const char* kDefaultHttp = "127.0.0.1:8080";
constexpr const char* kHttpEnv = "RINGCAST_HTTP";

volatile sig_atomic_t g_stop_signal = 0;

void on_stop_signal(int sig) {
    g_stop_signal = sig;
}

struct TailArgs {
    std::vector<std::string> channels;
    std::string http;
    std::string path = "/api/sse/stream";
    std::string token;   // sent as Authorization: Bearer
    uint64_t count = 0;  // 0: no limit
    double timeout = 0;  // seconds; 0: none
};

std::string percent_encode(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == ':')
            out += char(c);
        else
            out += fmt::format("%{:02X}", c);
    }
    return out;
}

int64_t wall_ms() {
    timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

std::string clock_time(int64_t ms) {
    time_t secs = time_t(ms / 1000);
    struct tm tm;
    localtime_r(&secs, &tm);
    return fmt::format("{:02}:{:02}:{:02}.{:03}", tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
}

// Prints events, counts them, and says when --count is reached.
class EventPrinter {
public:
    EventPrinter(bool json, uint64_t count) : _json(json), _limit(count) {}

    void on_event(const SseEvent& ev) {
        // The handshake's alert list (a stream on the alerts channel gets it on
        // connect) is state, not an event published; later changes are printed.
        if (ev.type == "heartbeat" || ev.type == "alerts") return;
        if (ev.type == "connected") {
            std::string id;
            simdjson::dom::element doc;
            std::string_view s;
            if (_parser.parse(ev.data).get(doc) == simdjson::SUCCESS &&
                doc["connectionId"].get_string().get(s) == simdjson::SUCCESS)
                id = s;
            fmt::print(stderr, "ringcast tail: subscribed (connection {}); Ctrl-C stops\n",
                       id.empty() ? "?" : id);
            return;
        }
        if (done()) return;
        int64_t now = wall_ms();
        if (_json) {
            std::string out;
            JsonWriter w(out);
            w.begin_object().key("time").value(now).key("id").value(ev.last_event_id);
            w.key("event").value(ev.type).key("data");
            simdjson::dom::element v;
            if (_parser.parse(ev.data).get(v) == simdjson::SUCCESS)
                w.raw(ev.data);
            else
                w.value(ev.data);
            w.end_object();
            print_line(out);
        } else {
            print_line(fmt::format("{}  {:<6}  {:<14}  {}", clock_time(now),
                                   ev.last_event_id.empty() ? "-" : ev.last_event_id, ev.type,
                                   ev.data));
        }
        ++_seen;
    }
    bool done() const { return _limit && _seen >= _limit; }
    uint64_t seen() const { return _seen; }

private:
    bool _json;
    uint64_t _limit;
    uint64_t _seen = 0;
    simdjson::dom::parser _parser;
};

// The error body of a refused stream: {"error":{"code","message"}} if it is one.
std::string describe_refusal(const ResponseHead& head, const std::string& body) {
    simdjson::dom::parser p;
    simdjson::dom::element doc;
    std::string_view code, message;
    if (p.parse(body).get(doc) == simdjson::SUCCESS &&
        doc["error"]["code"].get_string().get(code) == simdjson::SUCCESS &&
        doc["error"]["message"].get_string().get(message) == simdjson::SUCCESS)
        return fmt::format("{} {}: {}", head.status, code, message);
    return fmt::format("{} {}", head.status, head.reason);
}

int run_tail(const GlobalOptions& g, const TailArgs& a) {
    if (!a.path.starts_with('/') || a.path.find_first_of("?# ") != std::string::npos)
        throw UsageError(
            fmt::format("--path {}: expected an endpoint path like /api/sse/stream "
                        "(channels go in --channel)",
                        a.path));
    auto address = parse_http_address(a.http);
    if (!address)
        throw UsageError(fmt::format("--http {}: expected ADDR:PORT, like 127.0.0.1:8080", a.http));

    // SIGINT and SIGTERM stay blocked except inside ppoll(), so a Ctrl-C that
    // arrives while an event is printed is seen at the next wait, never lost.
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

    auto now = SteadyClock::now();
    auto end = a.timeout > 0 ? now + std::chrono::duration_cast<SteadyClock::duration>(
                                         std::chrono::duration<double>(a.timeout))
                             : now + std::chrono::hours(24 * 365 * 100);
    auto head_deadline = std::min(end, now + kRequestTimeout);

    HttpStream s(wait_mask);
    std::string channels;
    for (const std::string& c : a.channels) {
        if (!channels.empty()) channels += ',';
        channels += percent_encode(c);
    }
    ResponseHead head;
    bool ok = s.connect(*address, head_deadline) &&
              s.send_all(fmt::format("GET {}?channels={} HTTP/1.1\r\nHost: {}\r\n"
                                     "Accept: text/event-stream\r\n{}\r\n",
                                     a.path, channels, address->text(),
                                     a.token.empty() ? std::string()
                                                     : "Authorization: Bearer " + a.token + "\r\n"),
                         head_deadline) &&
              s.read_head(&head, head_deadline);
    if (s.interrupted()) return kExitOk;
    auto timed_out = [&](uint64_t seen) {
        if (!a.count) return int(kExitOk);
        fmt::print(stderr, "ringcast tail: --timeout {} s passed after {} of {} events\n",
                   a.timeout, seen, a.count);
        return int(kExitTimedOut);
    };
    if (!ok && SteadyClock::now() >= end) return timed_out(0);  // --timeout came first
    if (!ok) {
        fmt::print(stderr,
                   "ringcast tail: {}\n  Start the daemon with `make run` (it listens on "
                   "http://{}), or name its address with --http ADDR:PORT or {}=ADDR:PORT.\n",
                   s.error(), kDefaultHttp, kHttpEnv);
        return kExitUnreachable;
    }
    if (head.status != 200) {
        // The error body is small and announced by Content-Length.
        size_t want = head.content_length.value_or(0);
        size_t n = 1;
        while (s.body().size() < want && n > 0)
            if (s.read_some(head_deadline, &n) != WaitResult::ready) break;
        if (g.json) {
            print_line(s.body().empty() ? "{\"error\":{\"code\":\"http\",\"message\":\"\"}}"
                                        : s.body());
        }
        fmt::print(stderr, "ringcast tail: the daemon refused the stream: {}\n",
                   describe_refusal(head, s.body()));
        return kExitDaemonError;
    }

    EventPrinter printer(g.json, a.count);
    SseParser parser;
    auto feed = [&] {
        parser.feed(s.body(), [&](const SseEvent& ev) { printer.on_event(ev); });
        s.body().clear();
    };
    feed();
    while (!printer.done()) {
        size_t n = 0;
        WaitResult w = s.read_some(end, &n);
        if (w == WaitResult::interrupted) return kExitOk;  // Ctrl-C: the normal way to stop
        if (w == WaitResult::timeout) return timed_out(printer.seen());
        if (w == WaitResult::error || n == 0) {
            fmt::print(stderr, "ringcast tail: ringcastd at http://{} closed the stream{}{}\n",
                       address->text(), w == WaitResult::error ? ": " : "", s.error());
            return kExitUnreachable;
        }
        feed();
    }
    return kExitOk;
}

}  // namespace

Command add_tail(CLI::App& app, const GlobalOptions& g) {
    auto a = std::make_shared<TailArgs>();
    CLI::App* sub = app.add_subcommand(
        "tail", "Subscribe to channels over HTTP and print events as they arrive");
    sub->add_option("-c,--channel", a->channels, "channel to subscribe to (repeatable, or a,b)")
        ->required()
        ->delimiter(',');
    const char* env = std::getenv(kHttpEnv);
    a->http = env && *env ? env : kDefaultHttp;
    sub->add_option("--http", a->http,
                    fmt::format("the daemon's HTTP address ADDR:PORT (default {}, or ${})",
                                kDefaultHttp, kHttpEnv));
    sub->add_option("--path", a->path, "the SSE endpoint (default /api/sse/stream)");
    const char* token_env = std::getenv("RINGCAST_TOKEN");
    if (token_env) a->token = token_env;
    sub->add_option("--token", a->token,
                    "a JWT for endpoints that need one, sent as Authorization: Bearer (default "
                    "$RINGCAST_TOKEN)");
    sub->add_option("-n,--count", a->count, "stop after N events (default: no limit)")
        ->check(CLI::PositiveNumber);
    sub->add_option("--timeout", a->timeout, "stop after S seconds (default: never)")
        ->check(CLI::PositiveNumber);
    sub->footer(
        "One line per event: arrival time, id, event, data. With --json one object per line: "
        "{\"time\":<ms>,\"id\":..,\"event\":..,\"data\":..}. connected, heartbeat and the "
        "alert list sent on connect (alerts) are not printed. Ctrl-C stops (exit 0); --timeout "
        "before --count events exits 4.");
    return {sub, [a, &g] { return run_tail(g, *a); }};
}

}  // namespace ringcast::cli
