#pragma once
// The connections of a shard by direct-descriptor slot, for Transport::find().
// The kernel hands out the lowest free slot, so the slots in use are dense from
// 0; the table grows in pages of 512 as they are used and costs 8 bytes per
// slot up to the highest one, allocated and touched once: growing never copies
// the table, and never allocates more than a page past the highest slot (a
// vector that doubles may hold twice what is used; one reserved for the whole
// direct-descriptor table, up to the open-files limit, may land on memory the
// process already has resident).
#include <cstdint>
#include <memory>
#include <vector>

namespace ringcast {

class Connection;

class SlotTable {
public:
    Connection* get(uint32_t slot) const {
        const size_t page = slot / kPage;
        return page < _pages.size() && _pages[page] ? _pages[page][slot % kPage] : nullptr;
    }
    void set(uint32_t slot, Connection* c) {
        const size_t page = slot / kPage;
        if (page >= _pages.size()) _pages.resize(page + 1);
        if (!_pages[page]) _pages[page] = std::make_unique<Connection*[]>(kPage);  // zeroed
        _pages[page][slot % kPage] = c;
    }
    void clear(uint32_t slot) {
        const size_t page = slot / kPage;
        if (page < _pages.size() && _pages[page]) _pages[page][slot % kPage] = nullptr;
    }

private:
    static constexpr uint32_t kPage = 512;  // 4 KiB of pointers
    std::vector<std::unique_ptr<Connection*[]>> _pages;
};

}  // namespace ringcast
