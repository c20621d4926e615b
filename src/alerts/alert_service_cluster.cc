// AlertService in a cluster (alerts/alert_service.h; docs/alerts.md, "In a
// cluster"): the set kept in Redis by compare-and-set on its version, read
// again whenever another node changed it, and adopted step by step.
#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "alerts/alert_json.h"
#include "alerts/alert_service.h"
#include "alerts/alert_set_json.h"
#include "alerts/alert_steps.h"
#include "cluster/alert_share.h"
#include "core/clock.h"

namespace ringcast {

namespace {

// A change that lost its compare-and-set this many times in a row (other
// nodes changed the set each time it was made again) is refused: try again.
constexpr unsigned kMaxAttempts = 8;
// How soon a read that found Redis away is tried again (the command link
// reconnects by its own backoff meanwhile).
constexpr uint64_t kSyncRetryMs = 200;
// How soon an expiry claim Redis did not answer is tried again.
constexpr int64_t kExpiryRetryMs = 1000;
// A set that differs from this node's in more changes than this is adopted
// in one step: every stream whose list differs gets its new list.
constexpr size_t kMaxSteps = 32;

uint64_t highest_id(const AlertSet& set) {
    return set.alerts.empty() ? 0 : set.alerts.back().id;
}

}  // namespace

// alerts.db as a copy of the cluster's set: what this node puts back into a
// Redis that lost its set, should it be the first to find it so after a
// restart. Written after the fact, never on the way to an answer.
class AlertService::Mirror final : public BlockingJob {
public:
    Mirror(AlertService& service, AlertSnapshot set) : _service(service), _set(std::move(set)) {}
    void work() override { _result = _service._db.mirror(*_set, &_error); }
    void complete() override {
        AlertService& s = _service;
        s._mirroring = false;
        if (_result != AlertDb::Outcome::done && !s._mirror_failing)
            spdlog::error("{} (the cluster's alerts are in Redis; this is only the node's copy)",
                          _error);
        s._mirror_failing = _result != AlertDb::Outcome::done;
        if (s._mirror_again) {
            s._mirror_again = false;
            s.mirror();
        }
    }

private:
    AlertService& _service;
    AlertSnapshot _set;
    AlertDb::Outcome _result = AlertDb::Outcome::failed;
    std::string _error;
};

void AlertService::mirror() {
    if (_mirroring) {
        _mirror_again = true;
        return;
    }
    _mirroring = true;
    _worker.submit(_reactor.id(), std::make_unique<Mirror>(*this, _set));
}

void AlertService::share(AlertShare* share, AlertSnapshot seed) {
    _share = share;
    _seed = std::move(seed);
    share->on_changed([this](uint64_t version) {
        if (!_loaded || version != _version) sync();
    });
    share->on_refresh([this](std::string_view reason) {
        broadcast(_set, {AlertChange::Kind::refresh, 0, std::string(reason), {}});
    });
    share->on_listening([this](bool up) {
        _current = false;  // changes may be missed meanwhile: read again when back
        if (up) sync();
    });
}

bool AlertService::in_step() const {
    return !_share || (_loaded && _current && _share->listening());
}

// --- changes ------------------------------------------------------------------

void AlertService::next_shared() {
    using Op = AlertRequest::Op;
    using Status = AlertOutcome::Status;
    while (!_writing && !_queue.empty()) {
        AlertCall& call = *_queue.front();
        if (!_loaded || !_share->linked()) {
            call.outcome = AlertOutcome::refused(
                Status::unavailable,
                _loaded ? "no link to Redis: the change was not made"
                        : "this node has not read the cluster's alerts from Redis yet: the "
                          "change was not made");
            done_shared(call);
            continue;
        }
        Alert change;
        if (!prepare(call, &change)) {
            done_shared(call);
            continue;
        }
        _writing = true;
        if (call.request.op == Op::refresh) {
            // Every node's streams, this one's too, hear it from the channel.
            _share->refresh(call.request.reason, [this, &call](std::string_view error) {
                if (error.empty())
                    call.outcome.status = Status::done;
                else
                    call.outcome = AlertOutcome::refused(
                        Status::unavailable,
                        fmt::format("Redis did not answer the refresh ({}): whether streams "
                                    "were told is unknown",
                                    error));
                settle_shared(call);
            });
            return;
        }
        if (call.request.op == Op::create && _reserved_id == 0) {
            _share->next_id([this, &call](uint64_t id, std::string_view error) {
                if (id == 0) {
                    call.outcome = AlertOutcome::refused(
                        Status::unavailable,
                        fmt::format("Redis gave no alert id ({}): the alert was not created",
                                    error));
                    settle_shared(call);
                    return;
                }
                _reserved_id = id;
                _writing = false;
                next();  // prepared again: the set may have changed meanwhile
            });
            return;
        }
        if (call.request.op == Op::create) change.id = _reserved_id;
        Applied a = apply(call, change);
        std::string text = alert_set_json(*a.set);
        const uint64_t expected = _version;
        _share->commit(expected, text,
                       [this, &call, a = std::move(a), text](AlertShareReply& r) mutable {
                           committed(call, a, text, r);
                       });
        return;
    }
}

void AlertService::committed(AlertCall& call, Applied& a, std::string& text, AlertShareReply& r) {
    using Status = AlertOutcome::Status;
    if (!r.answered) {
        call.outcome = AlertOutcome::refused(
            Status::unavailable, fmt::format("Redis did not answer the change ({}): whether it "
                                             "was made is unknown; read the alerts again before "
                                             "sending it again",
                                             r.error));
        sync();  // whatever happened there, this node reads it
        settle_shared(call);
        return;
    }
    if (r.won) {
        call.outcome.status = a.status;
        call.outcome.alert = std::move(a.alert);
        _set = std::move(a.set);
        _version = r.version;
        _text = std::move(text);
        broadcast(_set, a.what);
        announce(a.what.alert_id, a.action, a.by);
        schedule_expiry();
        mirror();
        settle_shared(call);
        return;
    }
    // Another node changed the set since this one read it: the change is made
    // again from the set as it is now (where a stale version is a conflict).
    if (++_attempts >= kMaxAttempts) {
        call.outcome = AlertOutcome::refused(
            Status::unavailable,
            fmt::format("the alerts changed on other nodes {} times while this change was being "
                        "made: it was not made; send it again",
                        _attempts));
        settle_shared(call);
        return;
    }
    if (r.held) {
        adopt(r.version, r.text);
        _writing = false;
        next();
        return;
    }
    // Redis lost the set: this node's goes back first, then the change.
    _resume = true;
    sync();
}

void AlertService::done_shared(AlertCall& call) {
    _writing = false;
    _reserved_id = 0;
    _attempts = 0;
    finish(call);
}

void AlertService::settle_shared(AlertCall& call) {
    done_shared(call);
    after_write();
}

void AlertService::after_write() {
    if (_expiry_wanted && !_writing) {
        _expiry_wanted = false;
        claim_expiries();
    }
    next();
}

// --- reading the set ----------------------------------------------------------

void AlertService::sync() {
    if (_share->stopped()) return;
    if (_reading) {
        _read_again = true;
        return;
    }
    if (!_share->linked()) {
        retry_sync();
        return;
    }
    _reading = true;
    const bool listening = _share->listening();
    _share->read([this, listening](AlertShareReply& r) { on_read(r, listening); });
}

void AlertService::retry_sync() {
    if (_resume) {  // the call waiting for the set is refused rather than held
        _resume = false;
        AlertCall& call = *_queue.front();
        call.outcome = AlertOutcome::refused(
            AlertOutcome::Status::unavailable,
            "no link to Redis (it lost the alert set and this node could not put it back): "
            "the change was not made");
        settle_shared(call);
    }
    _reactor.timers().schedule(&_sync_timer, _reactor.now_ms() + kSyncRetryMs);
}

void AlertService::on_read(AlertShareReply& r, bool listening) {
    if (!r.answered) {
        _reading = false;
        if (!_read_failing)
            spdlog::warn("alerts: cannot read the set from Redis ({}); trying again", r.error);
        _read_failing = true;
        retry_sync();
        return;
    }
    _read_failing = false;
    if (!r.held) {
        // Redis holds no set (new, or it lost its data): this node's goes
        // there, or before it held one, what it loaded from alerts.db. The
        // script takes it only if no other node was first.
        const AlertSnapshot& mine = _loaded ? _set : _seed;
        std::string text = alert_set_json(*mine);
        const size_t count = mine->alerts.size();
        _share->seed(std::max<uint64_t>(_version, 1), text, highest_id(*mine),
                     [this, listening, text, count](AlertShareReply& s) {
                         if (s.answered && s.won) {
                             spdlog::info(
                                 "alerts: Redis held no alert set; this node put its {} "
                                 "there (version {})",
                                 count, s.version);
                             s.held = true;
                             s.text = text;
                         }
                         on_read(s, listening);  // the set there now
                     });
        return;
    }
    _reading = false;
    adopt(r.version, r.text);
    if (listening && _share->listening()) _current = true;
    if (_resume) {
        _resume = false;
        _writing = false;
        next();
    }
    if (_read_again) {
        _read_again = false;
        sync();
    }
}

void AlertService::adopt(uint64_t version, const std::string& text) {
    if (_loaded && version == _version && text == _text) return;
    auto next = std::make_shared<AlertSet>();
    std::string error;
    if (!read_alert_set(_json, text, next.get(), &error)) {
        // Not this node's to repair by guessing: it keeps its set, and the
        // next change (made from this version) replaces what Redis holds.
        spdlog::error(
            "alerts: the set in Redis ({}, version {}) cannot be read: {}; this node "
            "keeps its {} alerts",
            _share->keys().value, version, error, _set->alerts.size());
        _version = version;
        _text = text;
        _loaded = true;
        return;
    }
    AlertSnapshot adopted = std::move(next);
    std::vector<AlertStep> steps = alert_steps(_set, adopted);
    if (steps.size() > kMaxSteps)
        broadcast(adopted, {AlertChange::Kind::updated, 0, {}, {}});
    else
        for (const AlertStep& s : steps)
            broadcast(s.set, s.change);
    if (!_loaded)
        spdlog::info("alerts: the cluster's set read from Redis: {} alerts (version {})",
                     adopted->alerts.size(), version);
    _set = std::move(adopted);
    _version = version;
    _text = text;
    _loaded = true;
    schedule_expiry();
    mirror();
}

// --- expiries -----------------------------------------------------------------

void AlertService::claim_expiries() {
    if (_writing || !_loaded) {
        _expiry_wanted = true;
        return;
    }
    const int64_t now = wall_ms();
    std::vector<uint64_t> due;
    auto next = std::make_shared<AlertSet>(*_set);
    for (const Alert& a : _set->alerts)
        if (expiry_due(a, now)) {
            due.push_back(a.id);
            next->expiry_announced[a.id] = a.expires_at_ms;
        }
    if (due.empty()) {
        schedule_expiry();
        return;
    }
    // Claimed by marking them in the set: of all the nodes whose timers fire
    // now, the one whose compare-and-set wins announces them.
    std::string text = alert_set_json(*next);
    _writing = true;
    _share->commit(_version, text, [this, next, text, due](AlertShareReply& r) {
        _writing = false;
        if (r.answered && r.won) {
            _set = next;
            _version = r.version;
            _text = text;
            for (uint64_t id : due)
                announce(id, "expired", "ringcastd");
            mirror();
        } else if (r.answered && r.held) {
            adopt(r.version, r.text);  // perhaps another node's claim: looked at again
            _expiry_wanted = true;
        } else {
            _expiry_hold_until = wall_ms() + kExpiryRetryMs;
            sync();
        }
        schedule_expiry();
        after_write();
    });
}

}  // namespace ringcast
