#include "cluster/cluster_stats.h"

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <map>
#include <optional>

#include "core/json_writer.h"

namespace ringcast {

namespace {

std::optional<uint64_t> number(const std::string& text) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return n;
}

// Summed over the nodes; the others (instance, at, uptimeMs) are per node.
constexpr const char* kSummed[] = {"shards", "streams", "published", "deliveries"};

}  // namespace

std::string render_cluster_stats(const NodeList& list, const ClusterNode& self) {
    std::vector<const NodeSummary*> nodes;
    for (const NodeSummary& n : list.nodes)
        nodes.push_back(&n);
    std::sort(nodes.begin(), nodes.end(),
              [](const NodeSummary* a, const NodeSummary* b) { return a->name < b->name; });
    std::map<std::string, uint64_t> totals;
    for (const char* k : kSummed)
        totals[k] = 0;

    std::string out;
    JsonWriter w(out);
    w.begin_object().key("self").value(self.name).key("prefix").value(self.prefix);
    w.key("nodes").begin_array();
    for (const NodeSummary* n : nodes) {
        w.begin_object().key("node").value(n->name);
        for (const auto& [field, text] : n->fields) {
            if (field == "node") continue;
            w.key(field);
            std::optional<uint64_t> v = field == "instance" ? std::nullopt : number(text);
            if (!v) {
                w.value(text);
                continue;
            }
            w.value(*v);
            if (totals.contains(field)) totals[field] += *v;
        }
        w.end_object();
    }
    w.end_array();
    w.key("totals").begin_object().key("nodes").value(uint64_t(nodes.size()));
    for (const char* k : kSummed)
        w.key(k).value(totals[k]);
    w.end_object().end_object();
    return out;
}

}  // namespace ringcast
