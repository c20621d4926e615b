#pragma once
// The cluster's keys in Redis and the two Lua scripts that change them
// (docs/scaling.md, "The cluster's order"). A script runs atomically: the
// number an event gets, its place in the history stream and its publication on
// the bus can never disagree, whatever the nodes do at the same time.
#include <string>
#include <string_view>

namespace ringcast {

// Every key the cluster uses starts with [cluster] prefix, so that two
// clusters can share one Redis.
struct BusKeys {
    std::string epoch;           // the numbering's name (string)
    std::string seq;             // the last sequence given (INCR)
    std::string events;          // the history: a stream, entry id "<seq>-0", field "m"
    std::string bus;             // the channel every numbered event is published on
    std::string reports_prefix;  // + instance: where a node hears its publishes' counts

    explicit BusKeys(std::string_view prefix)
        : epoch(std::string(prefix) + ":epoch")
        , seq(std::string(prefix) + ":seq")
        , events(std::string(prefix) + ":events")
        , bus(std::string(prefix) + ":bus")
        , reports_prefix(std::string(prefix) + ":reports:") {}
};

// What both scripts begin with, `candidate` set before it: the numbering's
// name, and a Redis without one (new, or one that lost its data) starts a
// numbering named by the candidate; what was left of an older one is removed,
// so no id of it can be handed out again.
inline constexpr std::string_view kEpochPrelude = R"lua(
local epoch = redis.call('GET', KEYS[1])
if not epoch then
  redis.call('DEL', KEYS[2], KEYS[3])
  epoch = candidate
  redis.call('SET', KEYS[1], epoch)
end
)lua";

// KEYS: epoch, seq, events. ARGV: a candidate epoch, the last sequence this
// node applied, and the epoch it belongs to ("" for none).
// Returns {epoch, last sequence}. A Redis
// whose sequence is behind what a node of the same numbering applied (it was
// restored from an older snapshot) continues above it, for the same reason.
inline const std::string kJoinScript = "local candidate = ARGV[1]" + std::string(kEpochPrelude) +
                                       R"lua(
local seq = redis.call('GET', KEYS[2]) or '0'
if epoch == ARGV[3] and tonumber(seq) < tonumber(ARGV[2]) then
  redis.call('SET', KEYS[2], ARGV[2])
  seq = ARGV[2]
end
return {epoch, seq}
)lua";

// KEYS: epoch, seq, events, bus. ARGV: "<instance> <token> <record>"
// (cluster/bus_message.h), a candidate epoch, the stream's length.
// Returns {sequence, epoch, nodes}: nodes is how many subscribers the bus
// message reached, one per node that listens.
inline const std::string kPublishScript =
    "local candidate = ARGV[2]" + std::string(kEpochPrelude) + R"lua(
local seq = redis.call('INCR', KEYS[2])
local text = string.format('%d', seq)
local msg = text .. ' ' .. epoch .. ' ' .. ARGV[1]
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], text .. '-0', 'm', msg)
local nodes = redis.call('PUBLISH', KEYS[4], msg)
return {seq, epoch, nodes}
)lua";

}  // namespace ringcast
