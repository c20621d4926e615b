// ringcast ping | user ID | connection ID | connections | disconnect: the
// daemon's directory of connections, one request each.
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <simdjson.h>

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/table.h"
#include "core/json_writer.h"

namespace ringcast::cli {

namespace {

using simdjson::dom::element;
using simdjson::dom::object;

// Labels for the connection fields the daemon sends today; a field added later
// is shown under its own name.
std::string label(std::string_view key) {
    static const std::pair<std::string_view, std::string_view> known[] = {
        {"connectionId", "connection"},    {"userId", "user"},
        {"channels", "channels"},          {"connectedAt", "connected at"},
        {"lastActivity", "last activity"}, {"queuedBytes", "queued bytes"}};
    for (auto& [k, l] : known)
        if (k == key) return std::string(l);
    return std::string(key);
}

bool is_time(std::string_view key) {
    return key == "lastActivity" || key.ends_with("At");
}

// A field for people. Times show as local time, with the raw milliseconds when
// `exact` (the one-connection view, where there is room for them).
std::string cell(std::string_view key, element v, bool exact = true) {
    std::string_view s;
    int64_t n;
    if (v.is_null()) return key == "userId" ? "(anonymous)" : "-";
    if (v.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
    if (is_time(key) && v.get_int64().get(n) == simdjson::SUCCESS)
        return exact ? fmt::format("{} ({})", format_time_ms(n), n) : format_time_ms(n);
    simdjson::dom::array arr;
    if (v.get_array().get(arr) == simdjson::SUCCESS) {
        std::string out;
        for (element item : arr) {
            if (!out.empty()) out += ",";
            out += item.get_string().get(s) == simdjson::SUCCESS ? std::string(s)
                                                                 : simdjson::minify(item);
        }
        return out.empty() ? "-" : out;
    }
    return simdjson::minify(v);
}

// Parses JSON the daemon sent; an unreadable document is the daemon's fault,
// reported as a lost connection would be.
bool parse(simdjson::dom::parser& p, const std::string& json, element* out) {
    if (p.parse(json).get(*out) == simdjson::SUCCESS) return true;
    fmt::print(stderr, "ringcast: the daemon's answer is not JSON: {}\n", json);
    return false;
}

// One row per connection; the columns are the fields of the first one, less
// `leave_out`.
Table connection_table(simdjson::dom::array list, std::string_view leave_out) {
    std::vector<std::string> keys, header;
    object first;
    if (list.size() && list.at(0).get_object().get(first) == simdjson::SUCCESS)
        for (auto field : first)
            if (field.key != leave_out) {
                keys.emplace_back(field.key);
                header.push_back(label(field.key));
            }
    Table t(header);
    for (size_t i = 0; i < keys.size(); ++i)
        if (element v; first[keys[i]].get(v) == simdjson::SUCCESS && v.is_string()) t.set_text(i);
    for (element e : list) {
        object conn;
        if (e.get_object().get(conn)) continue;
        std::vector<std::string> row;
        for (const std::string& k : keys) {
            element v;
            row.push_back(conn[k].get(v) == simdjson::SUCCESS ? cell(k, v, false) : "-");
        }
        t.add(std::move(row));
    }
    return t;
}

int run_ping(const GlobalOptions& g) {
    client::Client c;
    if (!open_session(c, g)) return kExitUnreachable;
    auto start = std::chrono::steady_clock::now();
    client::Result r = c.ping();
    double rtt_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    if (!r.ok) return report_failure(r, g);
    if (g.json) {
        std::string out;
        JsonWriter w(out);
        w.begin_object().key("ok").value(true).key("version").value(r.version);
        w.key("time").value(r.time_ms).key("roundTripMs").value(rtt_ms).end_object();
        print_line(out);
    } else {
        print_line(fmt::format("ringcastd {} at {}: answered in {:.3f} ms (daemon time {})",
                               r.version, c.path(), rtt_ms, format_time_ms(r.time_ms)));
    }
    return kExitOk;
}

int run_connection(const GlobalOptions& g, const std::string& id) {
    client::Client c;
    if (!open_session(c, g)) return kExitUnreachable;
    client::Result r = c.connection(id);
    if (!r.ok) return report_failure(r, g);
    if (g.json) {
        std::string out;
        JsonWriter w(out);
        w.begin_object().key("ok").value(true).key("connection").raw(r.json).end_object();
        print_line(out);
        return kExitOk;
    }
    simdjson::dom::parser p;
    element doc;
    object obj;
    if (!parse(p, r.json, &doc) || doc.get_object().get(obj)) return kExitUnreachable;
    Table t;
    for (auto field : obj)
        t.add({label(field.key), cell(field.key, field.value)});
    t.print(stdout, "");
    return kExitOk;
}

int run_user(const GlobalOptions& g, const std::string& user) {
    client::Client c;
    if (!open_session(c, g)) return kExitUnreachable;
    client::Result r = c.user(user);
    if (!r.ok) return report_failure(r, g);
    if (g.json) {
        std::string out;
        JsonWriter w(out);
        w.begin_object().key("ok").value(true).key("userId").value(user);
        w.key("connected").value(r.connected);
        w.key("connections").raw(r.json.empty() ? "[]" : r.json).end_object();
        print_line(out);
        return kExitOk;
    }
    simdjson::dom::parser p;
    element doc;
    simdjson::dom::array list;
    if (!parse(p, r.json.empty() ? "[]" : r.json, &doc) || doc.get_array().get(list))
        return kExitUnreachable;
    if (!r.connected || list.size() == 0) {
        print_line(fmt::format("user {}: not connected", user));
        return kExitOk;
    }
    print_line(
        fmt::format("user {}: {} connection{}", user, list.size(), list.size() == 1 ? "" : "s"));
    // The user id, the same on every row, is left out.
    connection_table(list, "userId").print();
    return kExitOk;
}

int run_connections(const GlobalOptions& g, uint32_t limit, const std::string& after) {
    client::Client c;
    if (!open_session(c, g)) return kExitUnreachable;
    client::Result r = c.connections(limit, after);
    if (!r.ok) return report_failure(r, g);
    if (g.json) {
        // {"ok":true,"total":...,"connections":[...],"next":...}: the socket's reply.
        print_line("{\"ok\":true," + r.json.substr(1));
        return kExitOk;
    }
    simdjson::dom::parser p;
    element doc;
    simdjson::dom::array list;
    uint64_t total = 0;
    if (!parse(p, r.json, &doc) || doc["connections"].get_array().get(list) ||
        doc["total"].get_uint64().get(total))
        return kExitUnreachable;
    std::string_view next;
    const bool more = doc["next"].get_string().get(next) == simdjson::SUCCESS;
    if (list.size() == 0) {
        print_line(after.empty()
                       ? "no connections"
                       : fmt::format("no connections after {} ({} in all)", after, total));
        return kExitOk;
    }
    print_line(fmt::format("{} connection{}{} of {}", list.size(), list.size() == 1 ? "" : "s",
                           after.empty() ? "" : fmt::format(" after {}", after), total));
    connection_table(list, {}).print();
    if (more)
        print_line(fmt::format("more: ringcast connections --after {}{}", next,
                               limit ? fmt::format(" --limit {}", limit) : ""));
    return kExitOk;
}

struct DisconnectArgs {
    std::string user, connection;
};

int run_disconnect(const GlobalOptions& g, const DisconnectArgs& a) {
    if (a.user.empty() == a.connection.empty())
        throw UsageError("give exactly one of --user ID and --connection ID");
    client::Client c;
    if (!open_session(c, g)) return kExitUnreachable;
    client::Result r =
        a.user.empty() ? c.disconnect_connection(a.connection) : c.disconnect_user(a.user);
    if (!r.ok) return report_failure(r, g);
    if (g.json) {
        std::string out;
        JsonWriter w(out);
        w.begin_object().key("ok").value(true).key("disconnected").value(r.disconnected);
        w.end_object();
        print_line(out);
        return kExitOk;
    }
    if (!a.connection.empty())
        print_line(r.disconnected
                       ? fmt::format("disconnected connection {}", a.connection)
                       : fmt::format("disconnected nothing: no open connection {}", a.connection));
    else
        print_line(fmt::format("disconnected {} connection{} of user {}", r.disconnected,
                               r.disconnected == 1 ? "" : "s", a.user));
    return kExitOk;
}

}  // namespace

Command add_ping(CLI::App& app, const GlobalOptions& g) {
    CLI::App* sub = app.add_subcommand("ping", "Check that the daemon answers; print its version");
    return {sub, [&g] { return run_ping(g); }};
}

Command add_connection(CLI::App& app, const GlobalOptions& g) {
    auto id = std::make_shared<std::string>();
    CLI::App* sub = app.add_subcommand(
        "connection", "Show one SSE connection: user, channels, connected at, last activity");
    sub->add_option("id", *id, "connection id, as in the stream's connected event (c1-42)")
        ->required();
    return {sub, [id, &g] { return run_connection(g, *id); }};
}

struct ListArgs {
    uint32_t limit = 0;  // 0: the daemon's default
    std::string after;
};

Command add_connections(CLI::App& app, const GlobalOptions& g) {
    auto a = std::make_shared<ListArgs>();
    CLI::App* sub = app.add_subcommand(
        "connections", "List every SSE connection, anonymous ones too, a page at a time");
    sub->add_option("--limit", a->limit, "at most this many (1-1000; the daemon's default: 100)")
        ->check(CLI::Range(1u, 1000u));
    sub->add_option("--after", a->after,
                    "start after this connection id (the \"more:\" line or --json's next)");
    return {sub, [a, &g] { return run_connections(g, a->limit, a->after); }};
}

Command add_user(CLI::App& app, const GlobalOptions& g) {
    auto id = std::make_shared<std::string>();
    CLI::App* sub =
        app.add_subcommand("user", "Show whether a user is connected, and their connections");
    sub->add_option("id", *id, "user id")->required();
    return {sub, [id, &g] { return run_user(g, *id); }};
}

Command add_disconnect(CLI::App& app, const GlobalOptions& g) {
    auto a = std::make_shared<DisconnectArgs>();
    CLI::App* sub = app.add_subcommand(
        "disconnect", "Close a user's connections, or one connection (queued events go first)");
    auto* user = sub->add_option("--user", a->user, "every connection of this user");
    auto* conn = sub->add_option("--connection", a->connection, "this connection (c1-42)");
    user->excludes(conn);
    sub->footer("Give exactly one of --user and --connection.");
    return {sub, [a, &g] { return run_disconnect(g, *a); }};
}

}  // namespace ringcast::cli
