#pragma once
// The alerts' keys in Redis and the Lua scripts that change them (docs/alerts.md,
// "In a cluster"). The whole alert set is one value with a version beside it;
// it changes only by compare-and-set, so that two nodes never overwrite each
// other's change: each change names the version it was made from.
#include <string>
#include <string_view>

namespace ringcast {

struct AlertKeys {
    std::string version;  // string (INCR): the set's version
    std::string value;    // string: the set as JSON (alerts/alert_set_json.h)
    std::string next_id;  // string (INCR): the last alert id given
    std::string changed;  // channel: "v <version>" after a change, "r <reason>" for a refresh

    explicit AlertKeys(std::string_view prefix)
        : version(std::string(prefix) + ":alerts:version")
        , value(std::string(prefix) + ":alerts")
        , next_id(std::string(prefix) + ":alerts:next_id")
        , changed(std::string(prefix) + ":alerts:changed") {}
};

// KEYS: version, value. ARGV: the version the change was made from, the new
// set, the channel. Returns {1, new version} when the set was at that version
// (and is now the new one, announced on the channel), else {0, version, set
// or nil}: what it is now, to make the change again from.
inline constexpr std::string_view kAlertCommitScript = R"lua(
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
local held = redis.call('GET', KEYS[2])
if v ~= tonumber(ARGV[1]) or not held then
  return {0, v, held}
end
v = redis.call('INCR', KEYS[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('PUBLISH', ARGV[3], 'v ' .. v)
return {1, v}
)lua";

// KEYS: version, value, next_id. ARGV: a version, a set, the highest alert id
// in it, the channel. A Redis that holds no set (new, or it lost its data)
// takes this one, at a version above any it had, and ids above the set's;
// one that holds a set keeps it. Returns as the commit script does.
inline constexpr std::string_view kAlertSeedScript = R"lua(
local held = redis.call('GET', KEYS[2])
if held then
  return {0, tonumber(redis.call('GET', KEYS[1]) or '0'), held}
end
local v = math.max(tonumber(redis.call('GET', KEYS[1]) or '0') + 1, tonumber(ARGV[1]))
redis.call('SET', KEYS[1], v)
redis.call('SET', KEYS[2], ARGV[2])
local n = tonumber(redis.call('GET', KEYS[3]) or '0')
if n < tonumber(ARGV[3]) then
  redis.call('SET', KEYS[3], ARGV[3])
end
redis.call('PUBLISH', ARGV[4], 'v ' .. v)
return {1, v}
)lua";

}  // namespace ringcast
