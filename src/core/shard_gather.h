#pragma once
// A question asked of several shards at once, answered when every answer is in:
// the map-reduce that statistics, the directory and the limiter are made of.
//
//   std::vector<ShardAsk<Snapshot>> asks;
//   for (unsigned s = 0; s < reactor.shards(); ++s)
//       asks.push_back({s, [](Reactor& shard) { return shard.local<Stats>().snapshot(); }});
//   gather<Snapshot>(reactor, std::move(asks), [](std::vector<Snapshot>& parts) { ... });
//
// Each ask is a shard call (core/shard_call.h): its function runs on its shard's
// thread, so it may capture only what that thread may read (values, not the
// asker's objects); `done` runs on the asking shard with the parts in the order
// of the asks, never inside gather(), and may capture what the asker owns.
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "core/reactor.h"

namespace ringcast {

template <typename Part>
struct ShardAsk {
    unsigned shard;
    std::function<Part(Reactor& shard)> ask;
};

namespace gather_detail {

template <typename Part>
struct State {
    std::vector<Part> parts;
    size_t pending = 0;
    std::function<void(std::vector<Part>&)> done;
};

template <typename Part>
class Call final : public ShardCall {
public:
    Call(State<Part>* state, size_t index, std::function<Part(Reactor&)> ask)
        : _state(state), _index(index), _ask(std::move(ask)) {}
    bool run(Reactor& shard) override {
        _part = _ask(shard);
        return true;
    }
    void complete() override {
        _state->parts[_index] = std::move(_part);
        if (--_state->pending > 0) return;
        std::unique_ptr<State<Part>> state(_state);
        state->done(state->parts);
    }

private:
    State<Part>* _state;  // freed by the last completion
    size_t _index;
    std::function<Part(Reactor&)> _ask;
    Part _part{};
};

}  // namespace gather_detail

template <typename Part>
void gather(Reactor& reactor, std::vector<ShardAsk<Part>> asks,
            std::function<void(std::vector<Part>&)> done) {
    if (asks.empty()) {
        reactor.defer([done = std::move(done)] {
            std::vector<Part> none;
            done(none);
        });
        return;
    }
    auto* state = new gather_detail::State<Part>;
    state->parts.resize(asks.size());
    state->pending = asks.size();
    state->done = std::move(done);
    for (size_t i = 0; i < asks.size(); ++i)
        reactor.call(asks[i].shard,
                     std::make_unique<gather_detail::Call<Part>>(state, i, std::move(asks[i].ask)));
}

}  // namespace ringcast
