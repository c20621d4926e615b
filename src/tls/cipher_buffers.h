#pragma once
// Ciphertext buffers kept for reuse by one shard's TLS connections.
//
// A TLS connection's ciphertext lives in a buffer from the moment OpenSSL
// writes a record until the socket took all of it; then the buffer is free. An
// idle stream holds none (that is what keeps 10k idle TLS streams small), so
// without reuse every write of a busy stream allocated one buffer and freed it
// again: at one event per write (100 events/s per stream) a malloc and a free
// beside every record. Buffers handed back keep their capacity here, up to a
// bound, and the next write takes one.
//
// One per shard (the transport's), used from that shard's thread only.
#include <cstddef>
#include <utility>
#include <vector>

namespace ringcast {

class CipherBuffers {
public:
    // Buffers kept at most, and the largest capacity kept: a shard keeps at
    // most kKeep * kKeepCapacity bytes (8 MiB) that no connection uses.
    static constexpr size_t kKeep = 256;
    static constexpr size_t kKeepCapacity = 32 * 1024;

    // An empty buffer, with the capacity of one handed back earlier if any.
    std::vector<char> take() {
        if (_free.empty()) return {};
        std::vector<char> b = std::move(_free.back());
        _free.pop_back();
        return b;
    }

    // A buffer no one reads any more; its bytes are dropped, its memory kept
    // (or freed beyond the bounds).
    void give(std::vector<char>&& b) {
        if (b.capacity() == 0) return;
        if (_free.size() >= kKeep || b.capacity() > kKeepCapacity) {
            std::vector<char>().swap(b);
            return;
        }
        b.clear();
        _free.push_back(std::move(b));
    }

    size_t kept() const { return _free.size(); }

private:
    std::vector<std::vector<char>> _free;
};

}  // namespace ringcast
