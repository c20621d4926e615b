#pragma once
// Role and permission names as small integers, so that "does this connection hold
// any of the roles this event wants" is a few AND instructions per recipient
// instead of string comparisons.
//
// Each shard interns the names its connections hold (NameInterner); a connection's
// roles become a NameSet of those ids. An event's target names are looked up once
// per event per shard (never inserted: a name nobody holds matches nobody).
// Ids below 64 live in one word, which covers every deployment we know of; more
// names spill into a sorted vector and stay correct, only slower.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ringcast {

class NameSet {
public:
    void add(uint32_t id) {
        if (id < 64) {
            _low |= uint64_t(1) << id;
        } else if (!contains(id)) {
            _high.insert(std::upper_bound(_high.begin(), _high.end(), id), id);
        }
    }
    bool contains(uint32_t id) const {
        if (id < 64) return (_low >> id) & 1;
        return std::binary_search(_high.begin(), _high.end(), id);
    }
    bool intersects(const NameSet& o) const {
        if (_low & o._low) return true;
        if (_high.empty() || o._high.empty()) return false;
        auto a = _high.begin(), b = o._high.begin();
        while (a != _high.end() && b != o._high.end()) {
            if (*a == *b) return true;
            if (*a < *b) {
                ++a;
            } else {
                ++b;
            }
        }
        return false;
    }
    bool empty() const { return _low == 0 && _high.empty(); }
    template <typename F>
    void for_each(F&& f) const {
        for (uint32_t i = 0; i < 64; ++i)
            if ((_low >> i) & 1) f(i);
        for (uint32_t id : _high)
            f(id);
    }

private:
    uint64_t _low = 0;
    std::vector<uint32_t> _high;
};

class NameInterner {
public:
    uint32_t intern(std::string_view name) {
        auto it = _ids.find(name);
        if (it != _ids.end()) return it->second;
        uint32_t id = uint32_t(_names.size());
        _names.emplace_back(name);
        _ids.emplace(_names.back(), id);
        return id;
    }
    std::optional<uint32_t> find(std::string_view name) const {
        auto it = _ids.find(name);
        if (it == _ids.end()) return std::nullopt;
        return it->second;
    }
    const std::string& name(uint32_t id) const { return _names[id]; }
    size_t size() const { return _names.size(); }

private:
    // Lookups by string_view without building a string (C++20 heterogeneous lookup).
    struct Hash {
        using is_transparent = void;
        size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, uint32_t, Hash, std::equal_to<>> _ids;
    std::vector<std::string> _names;
};

}  // namespace ringcast
