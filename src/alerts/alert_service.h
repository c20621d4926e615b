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
//
// In a cluster (share()), Redis holds the set instead of alerts.db
// (docs/alerts.md, "In a cluster"): a change is prepared here exactly as on one
// node, then made by compare-and-set on the set's version in Redis; when
// another node changed the set meanwhile, the set as it is now is adopted and
// the change prepared again from it (a stale If-Match is then a conflict). The
// node that made a change announces it; an expiry is claimed by writing its
// mark into the set the same way, so one node announces it. Every node adopts
// every set it hears of (alert_steps: the same events on its streams as the
// change would have made here).
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

class AlertShare;
class Hub;
struct AlertShareReply;

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
    enum class Status {
        done,
        created,
        not_found,
        conflict,
        invalid,
        too_many,
        forbidden,
        failed,       // alerts.db did not take it
        unavailable,  // a cluster: Redis did not take it (or did not answer)
    };
    Status status = Status::done;
    Alert alert;          // done/created: the alert as stored; conflict: the current one
    std::string message;  // why, for everything but done/created
    std::string field;    // invalid: the field at fault

    static AlertOutcome refused(Status status, std::string message, std::string field = {}) {
        AlertOutcome o;
        o.status = status;
        o.message = std::move(message);
        o.field = std::move(field);
        return o;
    }
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
    // In a cluster, before start(): where the set is kept (the service reads
    // it from there and listens for its changes), and what this node loaded
    // from alerts.db, put there should Redis hold no set yet.
    void share(AlertShare* share, AlertSnapshot seed);
    // Starts the expiry timer (every shard's feed began with the loaded set);
    // in a cluster, reads the cluster's set.
    void start();
    // In a cluster: holds the cluster's set, read since the subscription to
    // its changes last came up (readiness). Always true on one node.
    bool in_step() const;

    bool owns(const TimerNode* node) const;
    void on_timer(TimerNode* node);

private:
    class Write;
    class AnnounceExpiries;
    class Mirror;
    // A prepared change made into the next set: what the feeds are told,
    // what admins hear, and what the caller gets.
    struct Applied {
        std::shared_ptr<AlertSet> set;
        AlertChange what;
        const char* action = "updated";
        std::string by;
        AlertOutcome::Status status = AlertOutcome::Status::done;
        Alert alert;
    };
    Applied apply(const AlertCall& call, const Alert& change) const;
    void next();
    void on_expiry_timer();
    // Checks a request against the current set; fills `*change` with what to
    // write, or answers the call and returns false.
    bool prepare(AlertCall& call, Alert* change);
    void written(AlertCall& call, const Alert& change, AlertDb::Outcome result,
                 const std::string& error);
    void finish(AlertCall& call);
    void announce(uint64_t alert_id, const char* action, const std::string& by);
    void broadcast(const AlertSnapshot& set, const AlertChange& change);

    // In a cluster (alert_service_cluster.cc).
    void next_shared();
    void committed(AlertCall& call, Applied& applied, std::string& text, AlertShareReply& r);
    void done_shared(AlertCall& call);    // answered; the next may start
    void settle_shared(AlertCall& call);  // ... and starts it (or a waiting claim)
    void after_write();
    void sync();
    void retry_sync();
    void on_read(AlertShareReply& r, bool listening);
    void adopt(uint64_t version, const std::string& text);
    void claim_expiries();
    // alerts.db becomes a copy of _set, on the worker (one copy at a time; the
    // latest set waits for the one being written).
    void mirror();
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

    // In a cluster.
    AlertShare* _share = nullptr;
    AlertSnapshot _seed;             // from alerts.db: for a Redis that holds no set
    uint64_t _version = 0;           // the cluster's version of _set
    std::string _text;               // _set as Redis holds it
    bool _loaded = false;            // _set is the cluster's (read once at least)
    bool _current = false;           // ... read since the subscription last came up
    bool _reading = false;           // a read (or a seed) at Redis
    bool _read_again = false;        // another change was heard of meanwhile
    bool _read_failing = false;      // logged once until a read succeeds
    bool _resume = false;            // the first call waits for the set to be read again
    uint64_t _reserved_id = 0;       // the first call's new alert id
    unsigned _attempts = 0;          // the first call's compare-and-sets lost
    bool _expiry_wanted = false;     // a claim waits for the write in progress
    int64_t _expiry_hold_until = 0;  // wall ms: no claim before (Redis did not answer one)
    TimerNode _sync_timer;           // a read that found Redis away, tried again
    bool _mirroring = false;         // a copy to alerts.db at the worker
    bool _mirror_again = false;      // ... and _set changed since it was taken
    bool _mirror_failing = false;    // logged once until a copy succeeds
};

}  // namespace ringcast
