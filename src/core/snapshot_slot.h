#pragma once
// A value one thread publishes now and then and any thread reads at any time,
// without asking the writer and without either side ever waiting for the other.
// The shards' metric snapshots use it (ops/metrics_board.h): each shard writes
// its own slot on a timer, and a scrape on any shard reads every slot at once,
// whatever the other loops are doing, stuck ones included.
//
// Two buffers and an index. The writer fills the buffer readers are not
// directed to, then flips `_current` to it; a reader copies the buffer
// `_current` names. A reader pins the buffer it copies (a count per buffer),
// and the writer never fills a pinned buffer: it skips that publish (false)
// and the caller tries again soon. So:
// - a writer stopped half-way through a fill (a handler stuck, a debugger)
//   leaves `_current` on the complete buffer: readers go on reading it;
// - a reader never waits: it retries only when `_current` moved between its
//   two loads, which takes a whole publish by the writer;
// - T may be any copyable type (vectors, strings). A seqlock would copy bytes
//   the writer may be changing and keep the copy only if no write overlapped:
//   that is sound only for trivially copyable values, and the snapshots hold
//   vectors and strings.
//
// Memory ordering. Everything that orders is seq_cst, and each publish and
// read is a handful of atomic operations, once a second or per scrape: not a
// place to save fences. The race that matters: a reader loads `_current`
// (buffer b), is delayed, and the writer meanwhile flips away from b and comes
// back to fill b. The reader's pin (fetch_add) and its second load of
// `_current`, against the writer's flip (store) and its check of b's pins
// (load), are four seq_cst operations in one total order: either the writer's
// check comes after the pin (it sees the pin and skips), or before it, and
// then the flip away from b, sequenced before the check, is visible to the
// reader's second load, which sees `_current` != b and retries. A flip back to
// b is possible only after b was filled completely, and its store releases
// that fill to the reader's load. The unpin is a release the writer's check
// acquires, so a copy ends before the next fill of that buffer begins.
//
// The slot is two cache lines plus the buffers: the index and the pins (written
// by readers and, once per publish, the writer) on one line of their own, so
// that neighbouring slots in an array (one per shard) never share a line.
#include <atomic>
#include <cstdint>

#include "core/spsc_ring.h"  // cache_line

namespace ringcast {

template <typename T>
class alignas(cache_line) SnapshotSlot {
public:
    SnapshotSlot() = default;
    SnapshotSlot(const SnapshotSlot&) = delete;
    SnapshotSlot& operator=(const SnapshotSlot&) = delete;

    // On the one writer thread: fill(T&) writes the next value into the idle
    // buffer (which holds the value of two publishes ago: overwrite all of it),
    // and readers see it from then on. False, without calling fill, when a
    // reader still copies the idle buffer: publish again shortly.
    template <typename Fill>
    bool publish(Fill&& fill) {
        const unsigned next = _current.load(std::memory_order_relaxed) ^ 1u;  // only we store it
        if (_pins[next].load() != 0) return false;
        fill(_buffers[next]);
        _current.store(next);
        return true;
    }

    // On any thread: a copy of the value published last (a default T before
    // the first publish).
    T read() const {
        for (;;) {
            const unsigned i = _current.load();
            _pins[i].fetch_add(1);
            if (_current.load() == i) {
                T copy = _buffers[i];
                _pins[i].fetch_sub(1, std::memory_order_release);
                return copy;
            }
            _pins[i].fetch_sub(1, std::memory_order_release);  // flipped meanwhile: again
        }
    }

private:
    std::atomic<unsigned> _current{0};
    mutable std::atomic<uint32_t> _pins[2] = {0, 0};
    alignas(cache_line) T _buffers[2];
};

}  // namespace ringcast
