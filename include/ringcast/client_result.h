#pragma once
// What ringcast::client::Client hands back for each request: one Result per
// request that asked for a reply, and a LineError for a fire-and-forget request
// the daemon refused.
//
// Depends on the standard library alone.
#include <cstdint>
#include <string>
#include <vector>

namespace ringcast::client {

// The operations of the Unix socket protocol (docs/protocol.md).
enum class Op : uint8_t {
    ping,
    publish,
    publish_batch,
    stats,
    connection,
    connections,  // a page of every connection (Client::connections)
    user,
    disconnect,
    invalidate,
    token,
    alerts,     // alerts.list, alerts.get, ... (Client::alerts)
    log_level,  // "log-level" (Client::log_level)
};

const char* op_name(Op op);  // "ping", "publish", ... ("publish" for publish_batch)
                             // "alerts" for every alerts.* op

// Error codes the client produces itself, when no answer came from the daemon
// (Result::answered is false). Every other code is the daemon's own
// (docs/protocol.md "Errors": invalid_field, not_found, forbidden, ...).
namespace errc {
inline constexpr const char* not_connected = "not_connected";      // connect() first
inline constexpr const char* connection_lost = "connection_lost";  // closed, or a socket error
inline constexpr const char* timeout = "timeout";                  // ClientOptions::timeout
inline constexpr const char* bad_reply = "bad_reply";  // a reply that is not the protocol's
inline constexpr const char* busy = "busy";  // a synchronous call while replies are outstanding
}  // namespace errc

// One message of a batch.
struct ItemResult {
    bool ok = false;
    std::string id;  // the event id, when ok
    uint64_t sent = 0;
    uint64_t failed = 0;
    std::string code;  // when !ok
    std::string message;
};

struct Result {
    Op op = Op::ping;
    // The daemon answered (ok or not). False: the connection failed, timed out, or
    // the reply was unreadable; code is one of errc and message says what happened.
    bool answered = false;
    bool ok = false;
    std::string code;     // when !ok
    std::string message;  // when !ok: meant for people; the daemon's names the field
    std::string field;    // when !ok: the field at fault, when the daemon names one

    // publish: the event's id; publish and batches: connections reached (sent)
    // and subscribers that could not take it (failed); batches: the totals.
    std::string id;
    uint64_t sent = 0;
    uint64_t failed = 0;
    std::vector<ItemResult> items;  // publish_batch: one per message, in order

    std::string version;  // ping: the daemon's version
    int64_t time_ms = 0;  // ping: the daemon's clock, ms since the epoch

    // stats: the "stats" object; connection: the "connection" object; user: the
    // "connections" array; connections: {"total":N,"connections":[...],"next":
    // "c1-42" or null}; alerts: the reply's members but "req" and "ok" as an
    // object ({"alert": {...}}, {"alerts": [...], "total": ...}), or, refused
    // with version_conflict, the "current" alert; log_level: {"level":"debug"}
    // and, when it was changed, "was". Compact JSON text; empty for the other ops.
    std::string json;
    bool connected = false;     // user: has at least one connection
    uint64_t disconnected = 0;  // disconnect: connections closed
    uint64_t removed = 0;       // invalidate: cached persistent events removed
    std::string token;          // token: the stream token
    int64_t expires_at_ms = 0;  // token: when it expires, ms since the epoch

    explicit operator bool() const { return ok; }
};

// A fire-and-forget request (one sent without asking for a reply) that failed.
// `line` is the value Client::post() returned for it: requests are numbered by
// their line on the connection, from 1.
struct LineError {
    uint64_t line = 0;
    std::string code;
    std::string message;
};

}  // namespace ringcast::client
