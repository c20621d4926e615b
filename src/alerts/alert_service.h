#pragma once
// The one place alerts change: on the home shard (shard 0), every change request
// from any shard is checked against the current set (version, limits), written
// to alerts.db on the blocking worker (one transaction, committed before the
// answer), and only then made the new AlertSet, handed to every shard's
// AlertFeed and announced to admins on the admin channel. Changes are applied
// one at a time, in the order they arrive, so versions never race.
//
// Requests come as shard calls (AlertCall): run() queues the call here, and the
// service answers it once its change is committed or refused.
//
// Expiries need nobody to act: when an alert's expires_at passes, admins are
// told ("expired") once, and alerts.db records it, so that a daemon that was
// down meanwhile tells them at its start, and never twice.
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <simdjson.h>

#include "alerts/alert_db.h"
#include "alerts/alert_feed.h"
#include "alerts/alert_options.h"
#include "alerts/alert_set.h"
#include "core/blocking_worker.h"
#include "core/reactor.h"
#include "core/shard_call.h"
#include "core/timer_wheel.h"

namespace ringcast {

class Hub;

struct AlertRequest {
    enum class Op { create, replace, patch, remove, dismiss, refresh };
    Op op = Op::create;
    uint64_t id = 0;
    std::string body;       // create, replace, patch: the JSON text
    uint64_t if_match = 0;  // the version the writer edited (If-Match); 0: none
    std::string by;         // who asks: a token's user, or "api-key"
    std::string user;       // dismiss: the user dismissing it
    std::string reason;     // refresh
};

struct AlertOutcome {
    enum class Status { done, created, not_found, conflict, invalid, too_many, forbidden, failed };
    Status status = Status::done;
    Alert alert;          // done/created: the alert as stored; conflict: the current one
    std::string message;  // why, for everything but done/created
    std::string field;    // invalid: the field at fault
};

// A request on its way to the home shard and its outcome on the way back.
class AlertCall : public ShardCall {
public:
    AlertCall(AlertRequest request, std::function<void(AlertOutcome&)> done)
        : request(std::move(request)), _done(std::move(done)) {}
    bool run(Reactor& home) override;
    void complete() override { _done(outcome); }

    AlertRequest request;
    AlertOutcome outcome;

private:
    std::function<void(AlertOutcome&)> _done;
};

class AlertService {
public:
    static constexpr unsigned kHomeShard = 0;

    // `db` is used on `worker`'s thread only; `initial` is what it loaded.
    AlertService(Reactor& reactor, Hub& hub, BlockingWorker& worker, AlertDb& db,
                 const AlertOptions& opts, AlertSnapshot initial);
    ~AlertService();
    AlertService(const AlertService&) = delete;
    AlertService& operator=(const AlertService&) = delete;

    // Queues the call; it is answered (Reactor::answer) when done.
    void submit(AlertCall* call);
    // Starts the expiry timer (every shard's feed began with the loaded set).
    void start();

    bool owns(const TimerNode* node) const { return node == &_expiry_timer; }
    void on_timer();

private:
    class Write;
    class AnnounceExpiries;
    void next();
    // Checks a request against the current set; fills `*change` with what to
    // write, or answers the call and returns false.
    bool prepare(AlertCall& call, Alert* change);
    void written(AlertCall& call, const Alert& change, AlertDb::Outcome result,
                 const std::string& error);
    void finish(AlertCall& call);
    void announce(uint64_t alert_id, const char* action, const std::string& by);
    void broadcast(const AlertChange& change);
    // Passed, and admins not yet told (also when it passed while the daemon was down).
    bool expiry_due(const Alert& a, int64_t now) const;
    static void mark_told_by_change(AlertSet& set, const Alert& change);
    void schedule_expiry();

    Reactor& _reactor;
    Hub& _hub;
    BlockingWorker& _worker;
    AlertDb& _db;
    const AlertOptions& _opts;
    AlertSnapshot _set;
    std::deque<AlertCall*> _queue;  // the first one is in progress
    bool _writing = false;
    simdjson::dom::parser _json;
    TimerNode _expiry_timer;
};

}  // namespace ringcast
