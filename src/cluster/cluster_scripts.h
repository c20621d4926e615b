#pragma once
// The Lua scripts the cluster's bookkeeping runs in Redis (docs/scaling.md).
// Each is atomic in Redis: a count read and the increment that depends on it
// cannot interleave with another node's. Sent with EVAL (Redis caches the
// compiled script by its digest; the text travels with each call: these run
// per stream admission and per heartbeat, never per event). The scripts read
// keys they derive from the prefix, so they are for one Redis, not Redis
// Cluster's slots.
#include <string_view>

namespace ringcast::cluster_scripts {

// KEYS: P:node:<name>, P:stats:<name>, P:nodes
// ARGV: instance, ttl ms, name, then the summary's field, value pairs
// -> {0, holder}: the name is held by another live instance (nothing written)
//    {1, ""}: refreshed; {2, ""}: claimed (the key was free)
inline constexpr std::string_view kHeartbeat = R"lua(
local cur = redis.call('GET', KEYS[1])
if cur and cur ~= ARGV[1] then return {0, cur} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
redis.call('HSET', KEYS[2], unpack(ARGV, 4))
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
if cur then return {1, ''} end
return {2, ''}
)lua";

// A graceful stop: the name is given up at once (if still this instance's).
// KEYS: P:node:<name>, P:stats:<name>; ARGV: instance
inline constexpr std::string_view kLeave = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1], KEYS[2])
  return 1
end
return 0
)lua";

// The live nodes and their summaries; dead names leave the set.
// KEYS: P:nodes; ARGV: P
// -> {name1, {field, value, ...}, name2, {...}, ...}
inline constexpr std::string_view kListNodes = R"lua(
local out = {}
for _, name in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local s = redis.call('HGETALL', ARGV[1] .. ':stats:' .. name)
  if #s > 0 and redis.call('EXISTS', ARGV[1] .. ':node:' .. name) == 1 then
    out[#out + 1] = name
    out[#out + 1] = s
  else
    redis.call('SREM', KEYS[1], name)
  end
end
return out
)lua";

// One more stream of a user, if the live nodes' streams of the user are under
// the cap (0: no cap, counted whatever the total). Fields of dead instances
// are removed on the way.
// KEYS: P:user:<user>; ARGV: "P:node:", this shard's field, cap
// -> {1, total after}: counted; {0, total}: refused
inline constexpr std::string_view kUserAcquire = R"lua(
local all = redis.call('HGETALL', KEYS[1])
local live = {}
local sum = 0
for i = 1, #all, 2 do
  local field = all[i]
  local name, inst = string.match(field, '^(.*)#([^#]*)#[^#]*$')
  local ok = false
  if name then
    local held = live[name]
    if held == nil then
      held = redis.call('GET', ARGV[1] .. name)
      live[name] = held
    end
    ok = held == inst
  end
  if ok then sum = sum + tonumber(all[i + 1]) else redis.call('HDEL', KEYS[1], field) end
end
local cap = tonumber(ARGV[3])
if cap > 0 and sum >= cap then return {0, sum} end
redis.call('HINCRBY', KEYS[1], ARGV[2], 1)
return {1, sum + 1}
)lua";

// One stream of a user closed. KEYS: P:user:<user>; ARGV: field
inline constexpr std::string_view kUserRelease = R"lua(
local n = redis.call('HINCRBY', KEYS[1], ARGV[1], -1)
if n <= 0 then redis.call('HDEL', KEYS[1], ARGV[1]) end
return n
)lua";

// This shard's count of a user set to what the shard knows (after a command
// whose outcome is unknown). KEYS: P:user:<user>; ARGV: field, count
inline constexpr std::string_view kUserSet = R"lua(
if tonumber(ARGV[2]) > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
else
  redis.call('HDEL', KEYS[1], ARGV[1])
end
return 1
)lua";

}  // namespace ringcast::cluster_scripts
