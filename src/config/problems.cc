#include "config/problems.h"

#include <algorithm>

#include <fmt/format.h>

namespace ringcast {
namespace {

// Whether `inner` is `outer` or a key inside it ("endpoint[1].path" is inside
// "endpoint" and "endpoint[1]"; "server.shards" is not inside "server.shard").
bool within(std::string_view inner, std::string_view outer) {
    if (!inner.starts_with(outer)) return false;
    return inner.size() == outer.size() || inner[outer.size()] == '.' || inner[outer.size()] == '[';
}

}  // namespace

void ConfigProblems::add_value_problem(std::string key, ConfigPlace at, std::string message) {
    _found.push_back({at, _found.size(), std::move(message), {std::move(key)}, true});
}

void ConfigProblems::add_rule_problem(std::vector<std::string> keys, std::string message) {
    ConfigPlace at;
    for (const std::string& key : keys) {
        if (has_value_problem(key)) return;
        ConfigPlace p = place_of(key);
        if (p.known() && (!at.known() || p < at)) at = p;
    }
    if (at.known()) message = fmt::format("{}:{}: {}", _source, at.line, message);
    _found.push_back({at, _found.size(), std::move(message), std::move(keys)});
}

ConfigPlace ConfigProblems::place_of(const std::string& key) const {
    auto it = _places.find(key);
    return it == _places.end() ? ConfigPlace{} : it->second;
}

bool ConfigProblems::has_value_problem(const std::string& key) const {
    return std::any_of(_found.begin(), _found.end(), [&](const Problem& p) {
        return p.value && (within(key, p.keys[0]) || within(p.keys[0], key));
    });
}

bool ConfigProblems::about(const std::string& key) const {
    for (const Problem& p : _found)
        for (const std::string& k : p.keys)
            if (within(k, key)) return true;
    return false;
}

std::vector<const ConfigProblems::Problem*> ConfigProblems::ordered() const {
    std::vector<const Problem*> out;
    for (const Problem& p : _found)
        out.push_back(&p);
    std::stable_sort(out.begin(), out.end(), [](const Problem* a, const Problem* b) {
        if (a->at.known() != b->at.known()) return a->at.known();
        return a->at < b->at;  // equal places keep the order found
    });
    return out;
}

std::string ConfigProblems::report() const {
    std::string out;
    for (const Problem* p : ordered())
        out += (out.empty() ? "" : "\n") + p->message;
    return out;
}

}  // namespace ringcast
