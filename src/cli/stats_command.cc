// ringcast stats: the daemon's statistics (docs/protocol.md "Statistics") as
// tables: totals, shards (one column per shard), channels, users. Fields are read
// from the document rather than listed here, so a counter the daemon adds later
// shows up without a change to the tool.
#include <algorithm>
#include <map>
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
    if ((key == "rss" || key == "memoryUsage.rss") && v.get_uint64().get(n) == simdjson::SUCCESS)
        return fmt::format("{} ({})", t, format_bytes(n));
    if (key == "uptime" || key.starts_with("cpu.")) return t + " s";
    return t;
}

void print_totals(object stats) {
    Table t;
    for (auto field : stats) {
        std::string_view key = field.key;
        if (key == "channels" || key == "shards" || key == "connectionsByUser") continue;
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

// channels: {"name": {"connections": N, ...}}, one row each.
void print_channels(object channels) {
    std::vector<std::string> keys;
    for (auto ch : channels) {
        object o;
        if (ch.value.get_object().get(o) == simdjson::SUCCESS)
            for (auto f : o)
                if (std::find(keys.begin(), keys.end(), std::string_view(f.key)) == keys.end())
                    keys.emplace_back(f.key);
    }
    std::vector<std::string> header = {"channel"};
    header.insert(header.end(), keys.begin(), keys.end());
    Table t(header);
    for (auto ch : channels) {
        std::vector<std::string> row = {std::string(ch.key)};
        object o;
        bool is_obj = ch.value.get_object().get(o) == simdjson::SUCCESS;
        for (const std::string& k : keys) {
            element v;
            row.push_back(is_obj && o[k].get(v) == simdjson::SUCCESS ? text(v) : "");
        }
        t.add(std::move(row));
    }
    fmt::print("\nChannels\n");
    if (t.empty())
        fmt::print("  (no channel has subscribers)\n");
    else
        t.print();
}

void print_users(object users) {
    Table t({"user", "connections"});
    for (auto u : users)
        t.add({std::string(u.key), text(u.value)});
    fmt::print("\nUsers\n");
    if (t.empty())
        fmt::print("  (no identified user is connected)\n");
    else
        t.print();
}

int run_stats(const GlobalOptions& g) {
    client::Client c;
    if (!open_session(c, g)) return kExitUnreachable;
    client::Result r = c.stats();
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
    print_totals(stats);
    simdjson::dom::array shards;
    if (stats["shards"].get_array().get(shards) == simdjson::SUCCESS) print_shards(shards);
    object channels, users;
    if (stats["channels"].get_object().get(channels) == simdjson::SUCCESS) print_channels(channels);
    if (stats["connectionsByUser"].get_object().get(users) == simdjson::SUCCESS) print_users(users);
    std::fflush(stdout);
    return kExitOk;
}

}  // namespace

Command add_stats(CLI::App& app, const GlobalOptions& g) {
    CLI::App* sub = app.add_subcommand(
        "stats", "Show the daemon's statistics: totals, shards, channels, users");
    sub->footer(
        "With --json: {\"ok\":true,\"stats\":<the daemon's stats document, unchanged>} "
        "(docs/protocol.md, Statistics).");
    return {sub, [&g] { return run_stats(g); }};
}

}  // namespace ringcast::cli
