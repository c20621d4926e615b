#include "alerts/alert_service.h"

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "alerts/alert_json.h"
#include "cluster/alert_share.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "pubsub/event.h"
#include "pubsub/hub.h"
#include "pubsub/message_json.h"

namespace ringcast {

namespace {

// Every shard takes the new set into its feed.
class AdoptAlerts final : public ShardCall {
public:
    AdoptAlerts(AlertSnapshot set, AlertChange change)
        : _set(std::move(set)), _change(std::move(change)) {}
    bool run(Reactor& shard) override {
        shard.local<AlertFeed>().adopt(std::move(_set), _change);
        return true;
    }
    void complete() override {}

private:
    AlertSnapshot _set;
    AlertChange _change;
};

AlertOutcome refused(AlertOutcome::Status status, std::string message, std::string field = {}) {
    return AlertOutcome::refused(status, std::move(message), std::move(field));
}

}  // namespace

bool AlertCall::run(Reactor& home) {
    home.local<AlertService>().submit(this);
    return false;  // answered once the change is committed or refused
}

// The write of one change, on the blocking worker; completes on the home shard.
class AlertService::Write final : public BlockingJob {
public:
    Write(AlertService& service, AlertCall& call, Alert change)
        : _service(service), _call(call), _change(std::move(change)) {}
    void work() override {
        AlertDb& db = _service._db;
        switch (_call.request.op) {
            case AlertRequest::Op::create: _result = db.insert(&_change, &_error); break;
            case AlertRequest::Op::replace:
            case AlertRequest::Op::patch: _result = db.replace(_change, &_error); break;
            case AlertRequest::Op::remove: _result = db.remove(_change.id, &_error); break;
            case AlertRequest::Op::dismiss:
                _result =
                    db.dismiss({_change.id, _call.request.user, _change.updated_at_ms}, &_error);
                break;
            case AlertRequest::Op::refresh: break;  // never written
        }
    }
    void complete() override { _service.written(_call, _change, _result, _error); }

private:
    AlertService& _service;
    AlertCall& _call;
    Alert _change;
    AlertDb::Outcome _result = AlertDb::Outcome::failed;
    std::string _error;
};

// Records on the worker that admins are told of these expiries, then tells them
// (on the home shard): recorded first, so that a restart never repeats one.
class AlertService::AnnounceExpiries final : public BlockingJob {
public:
    AnnounceExpiries(AlertService& service, std::vector<AlertExpiry> told)
        : _service(service), _told(std::move(told)) {}
    void work() override { _result = _service._db.announced(_told, &_error); }
    void complete() override {
        // Not recorded (a disk error): told anyway, and again after a restart.
        if (_result != AlertDb::Outcome::done) spdlog::error("{}", _error);
        for (const AlertExpiry& e : _told)
            _service.announce(e.alert_id, "expired", "ringcastd");
    }

private:
    AlertService& _service;
    std::vector<AlertExpiry> _told;
    AlertDb::Outcome _result = AlertDb::Outcome::failed;
    std::string _error;
};

AlertService::AlertService(Reactor& reactor, Hub& hub, BlockingWorker& worker, AlertDb& db,
                           const AlertOptions& opts, AlertSnapshot initial)
    : _reactor(reactor)
    , _hub(hub)
    , _worker(worker)
    , _db(db)
    , _opts(opts)
    , _set(std::move(initial)) {}

AlertService::~AlertService() {
    _reactor.timers().cancel(&_expiry_timer);
    _reactor.timers().cancel(&_sync_timer);
}

void AlertService::start() {
    schedule_expiry();  // at once if expiries passed while the daemon was down
    if (_share) sync();
}

void AlertService::submit(AlertCall* call) {
    _queue.push_back(call);
    next();
}

bool AlertService::owns(const TimerNode* node) const {
    return node == &_expiry_timer || node == &_sync_timer || (_share && _share->owns(node));
}

void AlertService::on_timer(TimerNode* node) {
    if (node == &_sync_timer)
        sync();
    else if (node == &_expiry_timer)
        _share ? claim_expiries() : on_expiry_timer();
    else
        _share->on_timer(node);
}

void AlertService::next() {
    if (_share) {
        next_shared();
        return;
    }
    while (!_writing && !_queue.empty()) {
        AlertCall& call = *_queue.front();
        Alert change;
        if (!prepare(call, &change)) {
            finish(call);
            continue;
        }
        if (call.request.op == AlertRequest::Op::refresh) {
            broadcast(_set, {AlertChange::Kind::refresh, 0, call.request.reason, {}});
            call.outcome.status = AlertOutcome::Status::done;
            finish(call);
            continue;
        }
        _writing = true;
        _worker.submit(_reactor.id(), std::make_unique<Write>(*this, call, std::move(change)));
    }
}

void AlertService::finish(AlertCall& call) {
    _queue.pop_front();
    _reactor.answer(&call);
}

bool AlertService::prepare(AlertCall& call, Alert* change) {
    const AlertRequest& r = call.request;
    const int64_t now = wall_ms();
    AlertOutcome& out = call.outcome;
    const Alert* current = nullptr;
    if (r.op != AlertRequest::Op::create && r.op != AlertRequest::Op::refresh) {
        current = _set->find(r.id);
        if (!current) {
            out = refused(AlertOutcome::Status::not_found, fmt::format("no alert {}", r.id));
            return false;
        }
    }
    auto stale = [&](uint64_t edited) {
        if (edited == current->version) return false;
        out = refused(AlertOutcome::Status::conflict,
                      fmt::format("alert {} is at version {}, not {}: someone changed it "
                                  "meanwhile; here it is as it stands",
                                  r.id, current->version, edited));
        out.alert = *current;
        return true;
    };
    switch (r.op) {
        case AlertRequest::Op::refresh: return true;
        case AlertRequest::Op::remove:
            if (r.if_match && stale(r.if_match)) return false;
            *change = *current;
            change->updated_by = r.by;
            return true;
        case AlertRequest::Op::dismiss:
            if (!current->dismissible) {
                out = refused(AlertOutcome::Status::forbidden,
                              fmt::format("alert {} is not dismissible", r.id));
                return false;
            }
            if (_set->dismissed_by(r.id, r.user)) {  // already: nothing to write
                out.status = AlertOutcome::Status::done;
                out.alert = *current;
                return false;
            }
            *change = *current;
            change->updated_at_ms = now;  // the dismissal's time
            return true;
        default: break;
    }
    // create, replace, patch: the body first.
    simdjson::dom::element doc;
    simdjson::dom::object obj;
    if (auto err = _json.parse(r.body).get(doc); err) {
        out = refused(AlertOutcome::Status::invalid, json_error_text("the request body", err));
        return false;
    }
    if (doc.get(obj) != simdjson::SUCCESS) {
        out = refused(AlertOutcome::Status::invalid, "the request body must be a JSON object");
        return false;
    }
    uint64_t edited = 0;
    std::string error, field;
    const bool ok =
        r.op == AlertRequest::Op::patch
            ? merge_patch_alert(*current, obj, _opts.limits, change, &edited, &error, &field)
            : parse_alert_input(obj, _opts.limits, change, &edited, &error, &field);
    if (!ok) {
        out = refused(AlertOutcome::Status::invalid, std::move(error), std::move(field));
        return false;
    }
    if (r.if_match) {
        if (edited && edited != r.if_match) {
            out = refused(
                AlertOutcome::Status::invalid,
                fmt::format("the alert says version {} and If-Match says {}", edited, r.if_match),
                "version");
            return false;
        }
        edited = r.if_match;
    }
    const bool will_live = change->expires_at_ms == 0 || now < change->expires_at_ms;
    size_t live = _set->live_count(now);
    if (current) {
        if (!edited) {
            out = refused(AlertOutcome::Status::invalid,
                          "send the version you edited (\"version\"; over HTTP also If-Match), "
                          "so that a change made meanwhile is not overwritten",
                          "version");
            return false;
        }
        if (stale(edited)) return false;
        if (current->expires_at_ms == 0 || now < current->expires_at_ms) --live;  // itself
    }
    if (will_live && live >= _opts.limits.max_active) {
        out = refused(AlertOutcome::Status::too_many,
                      fmt::format("{} alerts are active or scheduled already, the most allowed "
                                  "(alerts.max_active): delete or expire one first",
                                  live));
        return false;
    }
    if (current) {
        change->id = current->id;
        change->created_at_ms = current->created_at_ms;
        change->created_by = current->created_by;
        change->version = current->version + 1;
    } else {
        change->id = 0;
        change->created_at_ms = now;
        change->created_by = r.by;
        change->version = 1;
    }
    change->updated_at_ms = now;
    change->updated_by = r.by;
    return true;
}

void AlertService::written(AlertCall& call, const Alert& change, AlertDb::Outcome result,
                           const std::string& error) {
    _writing = false;
    AlertOutcome& out = call.outcome;
    const AlertRequest& r = call.request;
    switch (result) {
        case AlertDb::Outcome::done: break;
        case AlertDb::Outcome::not_found:
            out = refused(AlertOutcome::Status::not_found, fmt::format("no alert {}", r.id));
            break;
        case AlertDb::Outcome::conflict:  // the file and memory disagree: never expected
            out = refused(AlertOutcome::Status::conflict,
                          fmt::format("alert {} changed meanwhile", r.id));
            if (const Alert* a = _set->find(r.id)) out.alert = *a;
            break;
        case AlertDb::Outcome::failed:
            spdlog::error("{}", error);
            out = refused(AlertOutcome::Status::failed,
                          fmt::format("the change was not stored: {}", error));
            break;
    }
    if (result == AlertDb::Outcome::done) {
        Applied a = apply(call, change);
        out.status = a.status;
        out.alert = std::move(a.alert);
        _set = std::move(a.set);
        broadcast(_set, a.what);
        announce(change.id, a.action, a.by);
        schedule_expiry();
    }
    finish(call);
    next();
}

AlertService::Applied AlertService::apply(const AlertCall& call, const Alert& change) const {
    const AlertRequest& r = call.request;
    Applied a;
    a.set = std::make_shared<AlertSet>(*_set);
    AlertSet& next = *a.set;
    a.what.alert_id = change.id;
    a.by = r.op == AlertRequest::Op::dismiss ? r.user : r.by;
    switch (r.op) {
        case AlertRequest::Op::create:
            next.alerts.push_back(change);  // ids only grow: the order holds
            mark_told_by_change(next, change);
            a.what.kind = AlertChange::Kind::created;
            a.action = "created";
            a.status = AlertOutcome::Status::created;
            break;
        case AlertRequest::Op::replace:
        case AlertRequest::Op::patch:
            *next.find(change.id) = change;
            mark_told_by_change(next, change);
            a.what.kind = AlertChange::Kind::updated;
            break;
        case AlertRequest::Op::remove:
            std::erase_if(next.alerts, [&](const Alert& x) { return x.id == change.id; });
            next.dismissed.erase(change.id);
            next.expiry_announced.erase(change.id);
            a.what.kind = AlertChange::Kind::deleted;
            a.action = "deleted";
            break;
        case AlertRequest::Op::dismiss:
            next.dismissed[change.id].insert(r.user);
            a.what.kind = AlertChange::Kind::dismissed;
            a.what.user = r.user;
            a.action = "dismissed";
            break;
        case AlertRequest::Op::refresh: break;
    }
    a.alert = r.op == AlertRequest::Op::dismiss ? *next.find(change.id) : change;
    return a;
}

void AlertService::broadcast(const AlertSnapshot& set, const AlertChange& change) {
    for (unsigned s = 0; s < _reactor.shards(); ++s)
        _reactor.post(s, std::make_unique<AdoptAlerts>(set, change));
}

void AlertService::announce(uint64_t alert_id, const char* action, const std::string& by) {
    Message m;
    m.channel = _opts.admin_channel;
    m.event = "update";
    JsonWriter w(m.data);
    w.begin_object()
        .key("type")
        .value("alert-updated")
        .key("alertId")
        .value(alert_id)
        .key("action")
        .value(action)
        .key("by")
        .value(by)
        .key("timestamp")
        .value(wall_ms())
        .end_object();
    _hub.publish(Event::build(m, wall_ms()), nullptr);
}

bool AlertService::expiry_due(const Alert& a, int64_t now) const {
    if (a.expires_at_ms == 0 || a.expires_at_ms > now) return false;
    auto told = _set->expiry_announced.find(a.id);
    return told == _set->expiry_announced.end() || told->second != a.expires_at_ms;
}

void AlertService::mark_told_by_change(AlertSet& set, const Alert& change) {
    // A change that sets an expiry already past is itself what admins hear
    // (alerts.db records the same in the change's transaction).
    if (change.expires_at_ms != 0 && change.expires_at_ms <= change.updated_at_ms)
        set.expiry_announced[change.id] = change.expires_at_ms;
}

void AlertService::schedule_expiry() {
    const int64_t now = wall_ms();
    int64_t next = 0;
    for (const Alert& a : _set->alerts) {
        const int64_t at = expiry_due(a, now) ? now : a.expires_at_ms > now ? a.expires_at_ms : 0;
        if (at != 0 && (next == 0 || at < next)) next = at;
    }
    if (next == 0) {
        _reactor.timers().cancel(&_expiry_timer);
        return;
    }
    next = std::max(next, _expiry_hold_until);
    _reactor.timers().schedule(&_expiry_timer, mono_ms() + uint64_t(next - now));
}

void AlertService::on_expiry_timer() {
    const int64_t now = wall_ms();
    std::vector<AlertExpiry> due;
    for (const Alert& a : _set->alerts)
        if (expiry_due(a, now)) due.push_back({a.id, a.expires_at_ms});
    if (!due.empty()) {
        // Marked here at once, so that the next timer does not take them again;
        // the shards' sets need not hear of it (they never read the marks).
        auto next = std::make_shared<AlertSet>(*_set);
        for (const AlertExpiry& e : due)
            next->expiry_announced[e.alert_id] = e.expires_at_ms;
        _set = std::move(next);
        _worker.submit(_reactor.id(), std::make_unique<AnnounceExpiries>(*this, std::move(due)));
    }
    schedule_expiry();
}

}  // namespace ringcast
