#pragma once
// The slots of a shard's virtual connections (net/mux_host.h), apart from the
// direct-descriptor slots: numbered from kBase up so that a ConnectionHandle
// tells them apart by its slot alone, and reused lowest-first like the
// kernel's. Each holds the connection (for Transport::find()) and its host.
#include <cstdint>
#include <vector>

namespace ringcast {

class Connection;
class MuxHost;

class VirtualSlots {
public:
    static constexpr uint32_t kBase = 1u << 31;

    uint32_t add(Connection* c, MuxHost* host) {
        uint32_t i;
        if (!_free.empty()) {
            i = _free.back();
            _free.pop_back();
        } else {
            i = uint32_t(_entries.size());
            _entries.push_back({});
        }
        _entries[i] = {c, host};
        return kBase + i;
    }
    void remove(uint32_t slot) {
        _entries[slot - kBase] = {};
        _free.push_back(slot - kBase);
    }
    Connection* get(uint32_t slot) const {
        const uint32_t i = slot - kBase;
        return i < _entries.size() ? _entries[i].conn : nullptr;
    }
    MuxHost* host(uint32_t slot) const {
        const uint32_t i = slot - kBase;
        return i < _entries.size() ? _entries[i].host : nullptr;
    }
    // The host went away first (its real connection closed): the child is
    // closing too, and nothing more is reported to the host.
    void detach(uint32_t slot) {
        const uint32_t i = slot - kBase;
        if (i < _entries.size()) _entries[i].host = nullptr;
    }

private:
    struct Entry {
        Connection* conn = nullptr;
        MuxHost* host = nullptr;
    };
    std::vector<Entry> _entries;
    std::vector<uint32_t> _free;
};

}  // namespace ringcast
