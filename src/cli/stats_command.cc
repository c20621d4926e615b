// ringcast stats: the daemon's statistics (docs/protocol.md "Statistics") as
// tables: totals, what the log keeps (history, cache, mailboxes side by side),
// the store, catch-ups, shards (one column per shard), channels (subscribers
// and what they lost), the busiest channels (messages in the last minute),
// users (the busiest, and how many more). Sections are chosen by the name of an object in
// the document, but the rows inside come from the document rather than being
// listed here, so a counter the daemon adds later shows up without a change to
// the tool (an object no section knows is printed in the totals).
#include <algorithm>
#include <map>
#include <memory>
#include <string>
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

bool scalar(element v) {
    return !v.is_object() && !v.is_array();
}

std::string text(element v) {
    std::string_view s;
    if (v.get_string().get(s) == simdjson::SUCCESS) return std::string(s);
    return simdjson::minify(v);
}

// The raw value, and for the few with a unit a readable form beside it.
std::string with_unit(std::string_view key, element v) {
    std::string t = text(v);
    uint64_t n;
    bool bytes = key.starts_with("memoryUsage.") || key == "store.bytes";
    if (bytes && v.get_uint64().get(n) == simdjson::SUCCESS)
        return fmt::format("{} ({})", t, format_bytes(n));
    if (key == "store.lastCommit" && v.get_uint64().get(n) == simdjson::SUCCESS)
        return n == 0 ? "never" : fmt::format("{} ({})", format_time_ms(int64_t(n)), n);
    if (key == "store.lastCommitUs") return t + " us";
    if (key == "uptime" || key.starts_with("cpu.")) return t + " s";
    return t;
}

// The objects that have a section of their own; the totals leave them out.
bool has_section(std::string_view key) {
    for (std::string_view k :
         {"channels", "channelStats", "shards", "connectionsByUser", "otherUsers",
          "busiestChannels", "otherChannels", "history", "cache", "mailboxes", "store", "catchUp"})
        if (key == k) return true;
    return false;
}

void print_totals(object stats) {
    Table t;
    for (auto field : stats) {
        std::string_view key = field.key;
        if (has_section(key)) continue;
        if (scalar(field.value)) {
            t.add({std::string(key), with_unit(key, field.value)});
            continue;
        }
        object inner;  // memoryUsage, cpu: one row per member
        if (field.value.get_object().get(inner) != simdjson::SUCCESS) continue;
        for (auto f : inner) {
            std::string name = fmt::format("{}.{}", key, std::string_view(f.key));
            if (scalar(f.value)) t.add({name, with_unit(name, f.value)});
        }
    }
    fmt::print("Totals\n");
    t.print();
}

// Shards side by side: one row per counter, one column per shard, and the sum.
void print_shards(simdjson::dom::array shards) {
    std::vector<std::string> header = {"counter"};
    std::vector<std::string> keys;
    std::map<std::string, std::vector<std::string>> cells;
    // Counters are integers and summed exactly; a fractional value sums as double.
    struct Sum {
        uint64_t integer = 0;
        double real = 0;
        bool fractional = false;
        bool summable = true;
    };
    std::map<std::string, Sum> totals;
    for (element s : shards) {
        object obj;
        if (s.get_object().get(obj)) continue;
        element id;
        header.push_back("shard " + (obj["id"].get(id) == simdjson::SUCCESS ? text(id) : "?"));
        for (auto f : obj) {
            std::string k(f.key);
            if (k == "id" || !scalar(f.value)) continue;
            if (!cells.count(k)) {
                keys.push_back(k);
                cells[k].resize(header.size() - 2);  // shards before this one lacked it
            }
            cells[k].push_back(text(f.value));
            Sum& sum = totals[k];
            uint64_t u;
            double d;
            if (f.value.get_uint64().get(u) == simdjson::SUCCESS) {
                sum.integer += u;
            } else if (f.value.get_double().get(d) == simdjson::SUCCESS) {
                sum.real += d;
                sum.fractional = true;
            } else {
                sum.summable = false;
            }
        }
    }
    header.push_back("total");
    Table t(header);
    for (const std::string& k : keys) {
        std::vector<std::string> row = {k};
        auto& c = cells[k];
        c.resize(header.size() - 2);
        row.insert(row.end(), c.begin(), c.end());
        const Sum& sum = totals[k];
        if (!sum.summable)
            row.push_back("");
        else if (sum.fractional)
            row.push_back(fmt::format("{:.3f}", sum.real + double(sum.integer)));
        else
            row.push_back(std::to_string(sum.integer));
        t.add(std::move(row));
    }
    fmt::print("\nShards\n");
    t.print();
}

// Objects of counters side by side: one row per member, one column per
// object, a blank where an object lacks it. History, cache and mailboxes
// share most members (events, bytes, evicted, expired), so this reads better
// than three lists.
void print_side_by_side(const char* title, object stats, std::initializer_list<const char*> names) {
    std::vector<std::string> header = {"figure"};
    std::vector<object> columns;
    for (const char* name : names) {
        object o;
        if (stats[name].get_object().get(o) != simdjson::SUCCESS) continue;
        header.emplace_back(name);
        columns.push_back(o);
    }
    if (columns.empty()) return;
    // Each object's first member says what holds its events (channels, users):
    // those rows go first, together.
    std::vector<std::string> keys;
    auto add_key = [&](std::string_view k) {
        if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.emplace_back(k);
    };
    for (object o : columns)
        for (auto f : o) {
            if (scalar(f.value)) add_key(f.key);
            break;
        }
    for (object o : columns)
        for (auto f : o)
            if (scalar(f.value)) add_key(f.key);
    Table t(header);
    for (const std::string& k : keys) {
        std::vector<std::string> row = {k};
        for (object o : columns) {
            element v;
            row.push_back(o[k].get(v) == simdjson::SUCCESS ? text(v) : "");
        }
        t.add(std::move(row));
    }
    fmt::print("\n{}\n", title);
    t.print();
}

// One object as a key/value list (the store, catch-ups); `empty_note` when it
// has nothing to show.
void print_members(const char* title, std::string_view name, object o, const char* empty_note) {
    Table t;
    for (auto f : o)
        if (scalar(f.value)) {
            std::string key = fmt::format("{}.{}", name, std::string_view(f.key));
            t.add({std::string(f.key), with_unit(key, f.value)});
        }
    fmt::print("\n{}\n", title);
    if (t.empty())
        fmt::print("  {}\n", empty_note);
    else
        t.print();
}

void print_store(object stats) {
    object store;
    if (stats["store"].get_object().get(store) != simdjson::SUCCESS) return;
    bool enabled = false;
    if (store["enabled"].get_bool().get(enabled) == simdjson::SUCCESS && !enabled) {
        fmt::print(
            "\nStore\n  (disabled: history, cache and mailboxes do not survive a "
            "restart)\n");
        return;
    }
    print_members("Store", "store", store, "(no figures)");
}

// channels {"name": {"connections": N}} and channelStats {"name": {"connections":
// N, "dropped": ..., ...}} merged: one row per channel named in either, one
// column per member named in either (a channel whose subscribers left keeps
// its losses in channelStats until its shard forgets it).
void print_channels(object stats) {
    std::vector<std::string> keys, names;
    std::map<std::string, std::map<std::string, std::string>, std::less<>> cells;
    for (const char* part : {"channels", "channelStats"}) {
        object channels;
        if (stats[part].get_object().get(channels) != simdjson::SUCCESS) continue;
        for (auto ch : channels) {
            std::string name(ch.key);
            if (!cells.count(name)) names.push_back(name);
            auto& row = cells[name];
            object o;
            if (ch.value.get_object().get(o) != simdjson::SUCCESS) continue;
            for (auto f : o) {
                std::string k(f.key);
                if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
                row.try_emplace(k, text(f.value));
            }
        }
    }
    std::sort(names.begin(), names.end());
    std::vector<std::string> header = {"channel"};
    header.insert(header.end(), keys.begin(), keys.end());
    Table t(header);
    for (const std::string& name : names) {
        std::vector<std::string> row = {name};
        const auto& c = cells[name];
        for (const std::string& k : keys) {
            auto it = c.find(k);
            row.push_back(it == c.end() ? "" : it->second);
        }
        t.add(std::move(row));
    }
    fmt::print("\nChannels\n");
    if (t.empty())
        fmt::print("  (no channel has subscribers)\n");
    else
        t.print();
}

// "  and 3 other users: 7 connections" under a bounded list, when it left some out.
void print_others(object stats, const char* name, const char* count_key, const char* sum_key,
                  const char* sum_label) {
    object o;
    uint64_t count = 0, sum = 0;
    if (stats[name].get_object().get(o) != simdjson::SUCCESS ||
        o[count_key].get_uint64().get(count) != simdjson::SUCCESS || count == 0)
        return;
    if (o[sum_key].get_uint64().get(sum) != simdjson::SUCCESS) sum = 0;
    fmt::print("  and {} other {}: {} {}\n", count, count_key, sum, sum_label);
}

// busiestChannels [{"channel", "messagesPerMinute", "connections"}], busiest first.
void print_busiest_channels(object stats) {
    simdjson::dom::array busiest;
    if (stats["busiestChannels"].get_array().get(busiest) != simdjson::SUCCESS) return;
    Table t({"channel", "messages/min", "connections"});
    for (element e : busiest) {
        object ch;
        if (e.get_object().get(ch) != simdjson::SUCCESS) continue;
        std::vector<std::string> row;
        for (const char* k : {"channel", "messagesPerMinute", "connections"}) {
            element v;
            row.push_back(ch[k].get(v) == simdjson::SUCCESS ? text(v) : "");
        }
        t.add(std::move(row));
    }
    fmt::print("\nBusiest channels (messages published in the last minute)\n");
    if (t.empty())
        fmt::print("  (nothing published in the last minute)\n");
    else
        t.print();
    print_others(stats, "otherChannels", "channels", "messagesPerMinute", "messages/min");
}

void print_users(object stats, object users) {
    Table t({"user", "connections"});
    for (auto u : users)
        t.add({std::string(u.key), text(u.value)});
    fmt::print("\nUsers\n");
    if (t.empty())
        fmt::print("  (no identified user is connected)\n");
    else
        t.print();
    print_others(stats, "otherUsers", "users", "connections", "connections");
}

// --cluster: one row per live node, then the totals.
int print_cluster(object doc) {
    std::string_view self, prefix;
    if (doc["self"].get_string().get(self) != simdjson::SUCCESS) self = "?";
    if (doc["prefix"].get_string().get(prefix) != simdjson::SUCCESS) prefix = "?";
    simdjson::dom::array nodes;
    if (doc["nodes"].get_array().get(nodes) != simdjson::SUCCESS) {
        fmt::print(stderr, "ringcast: the cluster's stats have no \"nodes\"\n");
        return kExitUnreachable;
    }
    fmt::print("Cluster (prefix \"{}\", asked of {})\n", prefix, self);
    Table t({"node", "shards", "streams", "published", "deliveries", "uptime"});
    auto number = [](object o, const char* k) {
        uint64_t v = 0;
        if (o[k].get_uint64().get(v) != simdjson::SUCCESS) return std::string("-");
        return fmt::format("{}", v);
    };
    t.set_text(0);
    for (element e : nodes) {
        object n;
        if (e.get_object().get(n) != simdjson::SUCCESS) continue;
        std::string_view name;
        if (n["node"].get_string().get(name) != simdjson::SUCCESS) continue;
        uint64_t up_ms = 0;
        std::string uptime = n["uptimeMs"].get_uint64().get(up_ms) == simdjson::SUCCESS
                                 ? fmt::format("{}s", up_ms / 1000)
                                 : std::string("-");
        t.add({std::string(name) + (name == self ? " *" : ""), number(n, "shards"),
               number(n, "streams"), number(n, "published"), number(n, "deliveries"), uptime});
    }
    object totals;
    if (doc["totals"].get_object().get(totals) == simdjson::SUCCESS)
        t.add({fmt::format("total ({} nodes)", number(totals, "nodes")), number(totals, "shards"),
               number(totals, "streams"), number(totals, "published"), number(totals, "deliveries"),
               ""});
    t.print();
    std::fflush(stdout);
    return kExitOk;
}

int run_stats(const GlobalOptions& g, bool cluster) {
    client::Client c;
    if (!open_session(c, g)) return kExitUnreachable;
    client::Result r = cluster ? c.cluster_stats() : c.stats();
    if (!r.ok) return report_failure(r, g);
    if (g.json) {
        // The daemon's document as it sent it, in the envelope every command uses.
        std::string out;
        JsonWriter w(out);
        w.begin_object().key("ok").value(true).key("stats").raw(r.json).end_object();
        print_line(out);
        return kExitOk;
    }
    simdjson::dom::parser p;
    element doc;
    object stats;
    if (p.parse(r.json).get(doc) || doc.get_object().get(stats)) {
        fmt::print(stderr, "ringcast: the daemon's stats are not a JSON object: {}\n", r.json);
        return kExitUnreachable;
    }
    if (cluster) return print_cluster(stats);
    print_totals(stats);
    print_side_by_side("Kept events", stats, {"history", "cache", "mailboxes"});
    print_store(stats);
    object catch_up;
    if (stats["catchUp"].get_object().get(catch_up) == simdjson::SUCCESS)
        print_members("Catch-ups", "catchUp", catch_up, "(no figures)");
    simdjson::dom::array shards;
    if (stats["shards"].get_array().get(shards) == simdjson::SUCCESS) print_shards(shards);
    print_channels(stats);
    print_busiest_channels(stats);
    object users;
    if (stats["connectionsByUser"].get_object().get(users) == simdjson::SUCCESS)
        print_users(stats, users);
    std::fflush(stdout);
    return kExitOk;
}

}  // namespace

Command add_stats(CLI::App& app, const GlobalOptions& g) {
    CLI::App* sub = app.add_subcommand(
        "stats",
        "Show the daemon's statistics: totals, kept events (history, cache, mailboxes), store, "
        "catch-ups, shards, channels, the busiest channels, users");
    auto cluster = std::make_shared<bool>(false);
    sub->add_flag("--cluster", *cluster,
                  "Every live node of the cluster ([cluster] redis): one row per node, then "
                  "the totals");
    sub->footer(
        "With --json: {\"ok\":true,\"stats\":<the daemon's stats document, unchanged>} "
        "(docs/protocol.md, Statistics; with --cluster, \"The cluster's statistics\").");
    return {sub, [&g, cluster] { return run_stats(g, *cluster); }};
}

}  // namespace ringcast::cli
