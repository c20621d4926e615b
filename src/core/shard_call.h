#pragma once
// Asking another shard for something: the one way protocol and ops code gets work
// done on, or an answer from, a shard other than its own. Seastar's submit_to,
// without futures: a call is an object.
//
//   struct Count final : ShardCall {        // what to ask, and room for the answer
//       uint64_t answer = 0;
//       bool run(Reactor& shard) override { answer = shard.local<Thing>().count(); return true; }
//       void complete() override { ... }    // back on the asking shard, with the answer
//   };
//   reactor.call(target, std::make_unique<Count>());
//
// The rules, the same for every call:
// - run() executes on the target shard's thread, complete() on the asking shard's.
//   Neither runs inside call(): even a call to the asker's own shard runs later in
//   the loop (Reactor::run), so a caller never sees its completion re-entrantly.
// - run() returns true when the answer is ready. It may instead keep the call and
//   answer later (the log shard waiting for a decision, say) with
//   Reactor::answer(call), exactly once.
// - Ownership: the reactor owns the call from call() on and deletes it after
//   complete() (after run(), for post()). Nobody else frees it.
// - Between run() and complete() the call belongs to the target shard; the
//   asker must not touch it. Anything the asker may have lost meanwhile (a
//   connection that closed) is named by a handle the completion looks up, never
//   by a pointer (net/connection_handle.h).
// - post() is a one-way call: run() on the target and nothing comes back
//   (releasing a limiter key, handing back mail). It must answer at once.
// The messages that carry calls are MeshKind::call, call_done and post (core/mesh_kinds.h);
// the reactor handles them itself. The hot path (a published event's fan-out)
// does not use calls: it travels as plain 24-byte messages (pubsub/hub.h).
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <vector>

namespace ringcast {

class Reactor;

class ShardCall {
public:
    virtual ~ShardCall() = default;
    // On the target shard. True: answered (complete() follows on the asker);
    // false: the target keeps the call and hands it to Reactor::answer() later.
    virtual bool run(Reactor& shard) = 0;
    // On the asking shard, with what run() left in the call. Not for post().
    virtual void complete() {}

private:
    friend class Reactor;
    unsigned _asker = 0;  // set by Reactor::call(): where answer() sends it back
};

// A call that asks nothing of anyone: its complete() runs `then` on the asking
// shard later in the loop (Reactor::defer). For an answer known at once that must
// still not arrive inside the call that asked for it.
class Deferred final : public ShardCall {
public:
    explicit Deferred(std::function<void()> then) : _then(std::move(then)) {}
    bool run(Reactor&) override { return true; }
    void complete() override { _then(); }

private:
    std::function<void()> _then;
};

// A shard's own objects by type, for calls that run there: each shard provides
// its Limiter, Hub, ... once, before its loop runs, and run() finds them with
// Reactor::local<T>(). Only the shard's own thread reads them.
class ShardLocals {
public:
    template <typename T>
    void provide(T& object) {
        _entries.push_back({&kTag<T>, &object});
    }
    // The object this shard provided for T; provide() must have been called.
    template <typename T>
    T& get() const {
        for (const Entry& e : _entries)
            if (e.tag == &kTag<T>) return *static_cast<T*>(e.object);
        return missing<T>();
    }

private:
    // One address per type, the same in every translation unit (inline).
    template <typename T>
    static constexpr char kTag = 0;
    struct Entry {
        const void* tag;
        void* object;
    };
    template <typename T>
    [[noreturn]] static T& missing();

    std::vector<Entry> _entries;  // a handful: a linear scan beats a hash
};

// A call for an object the shard never provided: a wiring mistake, found by the
// first test that makes the call.
template <typename T>
T& ShardLocals::missing() {
    std::fputs("ringcast: a shard call asked for an object its shard does not provide\n", stderr);
    std::abort();
}

}  // namespace ringcast
