#include "cluster/cluster_bus.h"

#include <openssl/evp.h>

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/clock.h"
#include "core/reactor.h"
#include "core/shard_call.h"
#include "pubsub/event_log.h"
#include "pubsub/event_record.h"
#include "pubsub/message_json.h"

namespace ringcast {

namespace {

// A publish whose script reply never led to its delivery here (its event was
// trimmed from the stream before this node read it) is forgotten this long
// after its reply was answered.
constexpr uint64_t kForgetMs = 60'000;
// How soon a join or a stream read that found Redis away is tried again (the
// command link reconnects by its own backoff meanwhile).
constexpr uint64_t kRetryMs = 200;

std::string sha1_hex(std::string_view text) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(text.data(), text.size(), md, &len, EVP_sha1(), nullptr);
    std::string out;
    for (unsigned i = 0; i < len; ++i)
        fmt::format_to(std::back_inserter(out), "{:02x}", md[i]);
    return out;
}

// The name of a numbering this node would start, should Redis have none: new
// at every attempt, so that a Redis that lost its data never gets an old
// numbering's name again (whose ids clients may still hold).
std::string candidate_epoch() {
    return make_epoch(uint64_t(wall_ms()));
}

bool parse_u64(std::string_view s, uint64_t* out) {
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return !s.empty() && ec == std::errc() && end == s.data() + s.size();
}

// Another node's event delivered here: once every shard of this node has
// counted it, the counts go to its origin.
class RemoteTicket final : public PublishTicket {
public:
    RemoteTicket(ClusterBus& bus, std::string_view instance, uint64_t token)
        : _bus(bus), _instance(instance), _token(token) {}
    void complete() override { _bus.report(_instance, _token, sent, failed); }

private:
    ClusterBus& _bus;
    std::string _instance;
    uint64_t _token;
};

// The cluster's part of a ticket (or all of it, when the cluster refused the
// event), completed on the ticket's own shard.
struct ClusterPart final : ShardCall {
    PublishTicket* ticket = nullptr;
    uint64_t sent = 0;
    uint64_t failed = 0;
    int32_t nodes = -1;
    uint32_t answered = 0;
    uint32_t parts = 1;
    std::string error;
    bool run(Reactor& shard) override {
        ticket->nodes = nodes;
        ticket->nodes_answered = answered;
        if (!error.empty()) ticket->error = std::move(error);
        shard.local<Hub>().complete(ticket, sent, failed, parts);
        return true;
    }
};

}  // namespace

ClusterBus::ClusterBus(Reactor& reactor, Hub& hub, EventLog& log, RedisLink& commands,
                       BlockingWorker* worker, RedisLinkOptions link, ClusterBusOptions opts)
    : _reactor(reactor)
    , _hub(hub)
    , _log(log)
    , _cmd(commands)
    , _sub(reactor, worker, RedisRole::subscriber, std::move(link))
    , _opts(std::move(opts))
    , _keys(_opts.prefix)
    , _instance(_opts.instance.empty() ? make_instance() : _opts.instance)
    , _reports_channel(_keys.reports_prefix + _instance)
    , _sha(sha1_hex(kPublishScript)) {}

ClusterBus::~ClusterBus() {
    _reactor.timers().cancel(&_timer);
    _reactor.timers().cancel(&_probe_timer);
    for (auto& [token, p] : _pending)
        if (p.event) p.event->release();
}

void ClusterBus::start() {
    _sub.on_state([this](bool up, std::string_view why) { on_sub_state(up, why); });
    _sub.on_message([this](std::string_view channel, std::string_view payload, std::string_view) {
        on_message(channel, payload);
    });
    _sub.subscribe(_keys.bus);
    _sub.subscribe(_reports_channel);
    _sub.start();
    if (_sub.options().ping_interval_ms)
        _reactor.timers().schedule(&_probe_timer,
                                   _reactor.now_ms() + _sub.options().ping_interval_ms);
}

// A subscription can be dead while its connection answers PING: Redis (or a
// proxy between) lost it without closing anything. Every ping interval a
// probe (token 0, never a publish's) goes to this node's reports channel; the
// PUBLISH says how many subscribers Redis handed it to, and the subscription
// must bring it back within the command timeout. If not, the node is not in
// the cluster's order: unready, and its subscription is made again (what it
// missed meanwhile is read from the stream).
void ClusterBus::probe() {
    const uint64_t now = _reactor.now_ms();
    const RedisLinkOptions& o = _sub.options();
    _reactor.timers().schedule(&_probe_timer, now + o.ping_interval_ms);
    if (_state != State::live || !_cmd.up()) {
        _probe_since_ms = 0;
        return;
    }
    if (_probe_since_ms) {
        if (now >= _probe_since_ms + o.command_timeout_ms)
            probe_failed(fmt::format("a probe published {} ms ago has not come back through it",
                                     now - _probe_since_ms));
        return;
    }
    _probe_since_ms = now;
    _scratch.clear();
    write_report(&_scratch, 0, 0, 0);
    _cmd.command({"PUBLISH", _reports_channel, _scratch}, [this](const RespValue& v) {
        if (v.type == RespValue::Type::integer && v.integer == 0 && _state == State::live)
            probe_failed("Redis knows no subscriber of this node's channel");
    });
}

void ClusterBus::probe_failed(std::string why) {
    ++_stats.probes_failed;
    _probe_since_ms = 0;
    spdlog::warn("cluster: the subscription to Redis is dead ({}); making it again", why);
    _state = State::idle;  // unready until it is back and caught up
    _held.clear();
    _sub.reconnect("found dead by its probe: " + why);
}

void ClusterBus::stop() {
    _state = State::stopped;
    _reactor.timers().cancel(&_timer);
    _reactor.timers().cancel(&_probe_timer);
    for (auto& [token, p] : _pending) {
        if (p.invalidated) {
            InvalidateResult r;
            r.error = "the node is stopping";
            p.invalidated(r);
        }
        if (p.ticket) answer(p, p.delivered ? 1 : _reactor.shards() + 1, "the node is stopping");
        if (p.event) p.event->release();
        p.event = nullptr;
    }
    _pending.clear();
    _due.clear();
    _held.clear();
    _sub.stop();
}

// --- publishing ---------------------------------------------------------------

void ClusterBus::load_script_if_needed() {
    // Redis forgets scripts when it restarts: loaded again on every new
    // connection, in front of the first EVALSHA that goes over it.
    const uint64_t connects = _cmd.stats().connects;
    if (connects == _script_loaded_on) return;
    _script_loaded_on = connects;
    _cmd.command({"SCRIPT", "LOAD", kPublishScript}, [](const RespValue&) {});
}

void ClusterBus::submit(Event* e, PublishTicket* t, unsigned origin) {
    ++_stats.submitted;
    if (_state == State::stopped || !_cmd.up()) {
        ++_stats.refused;
        Pending p;
        p.ticket = t;
        p.origin = origin;
        answer(p, _reactor.shards() + 1, "no link to Redis: the event was not published");
        e->release();
        return;
    }
    const uint64_t token = _next_token++;
    Pending& p = _pending[token];
    p.event = e;
    p.ticket = t;
    p.origin = origin;
    run_script(token, encode_event(*e), false);
}

void ClusterBus::invalidate(CacheInvalidation what, InvalidateDone done) {
    ++_stats.submitted;
    if (_state == State::stopped || !_cmd.up()) {
        ++_stats.refused;
        InvalidateResult r;
        r.error = "no link to Redis: nothing was invalidated";
        done(r);
        return;
    }
    const uint64_t token = _next_token++;
    Pending& p = _pending[token];
    p.is_invalidation = true;
    p.invalidated = std::move(done);
    p.record = invalidation_record(what);
    run_script(token, p.record, false);
}

void ClusterBus::run_script(uint64_t token, std::string_view record, bool whole_script) {
    if (!whole_script) load_script_if_needed();
    _scratch.clear();
    write_bus_submission(&_scratch, _instance, token, record);
    const std::string length = std::to_string(_opts.history_length);
    const std::string candidate = candidate_epoch();
    const std::string_view args[] = {
        whole_script ? "EVAL" : "EVALSHA",
        whole_script ? std::string_view(kPublishScript) : std::string_view(_sha),
        "4",
        _keys.epoch,
        _keys.seq,
        _keys.events,
        _keys.bus,
        _scratch,
        candidate,
        length};
    _cmd.command(args, [this, token](const RespValue& v) { on_script_reply(token, v); });
}

void ClusterBus::on_script_reply(uint64_t token, const RespValue& v) {
    auto it = _pending.find(token);
    if (it == _pending.end()) return;
    Pending& p = it->second;
    if (v.type == RespValue::Type::error && v.text().starts_with("NOSCRIPT") && !p.delivered) {
        // Somebody flushed Redis's scripts: once more with the whole script.
        run_script(token, p.is_invalidation ? p.record : encode_event(*p.event), true);
        return;
    }
    uint64_t seq = 0;
    if (v.is_error() || !v.is_array() || v.elements.size() != 3 ||
        v.elements[0].type != RespValue::Type::integer || v.elements[0].integer <= 0 ||
        v.elements[2].type != RespValue::Type::integer) {
        ++_stats.refused;
        const std::string why = v.is_error() ? std::string(v.text()) : v.describe();
        spdlog::warn("cluster: a publish was not numbered by Redis: {}", why);
        if (p.delivered) {
            // It came back already: it was published; only the count is unknown.
            p.nodes = int32_t(p.answered);
            settle(token, p, true);
        } else {
            fail(
                token, p,
                fmt::format("Redis did not answer ({}): whether it was published is unknown", why));
        }
        return;
    }
    seq = uint64_t(v.elements[0].integer);
    p.sequence = seq;
    p.nodes = int32_t(std::min<int64_t>(v.elements[2].integer, INT32_MAX));
    // The id the reply will carry; the event is not shared before it comes
    // back through the bus, where the same sequence arrives.
    if (p.event && p.event->sequence() == 0) p.event->assign_sequence(seq, v.elements[1].text());
    p.deadline_ms = _reactor.now_ms() + _opts.reply_wait_ms;
    _due.emplace(p.deadline_ms, token);
    schedule();
    settle(token, p, false);
}

void ClusterBus::fail(uint64_t token, Pending& p, std::string error) {
    if (p.is_invalidation) {
        InvalidateResult r;
        r.error = std::move(error);
        p.invalidated(r);
    } else {
        answer(p, _reactor.shards() + 1, std::move(error));
        if (p.event) p.event->release();
    }
    // Should it arrive after all, it is applied as anyone's.
    _pending.erase(token);
}

void ClusterBus::answer(Pending& p, uint32_t parts, std::string error) {
    if (!p.ticket) return;  // fire and forget
    auto part = std::make_unique<ClusterPart>();
    part->ticket = p.ticket;
    part->sent = p.sent;
    part->failed = p.failed;
    part->nodes = p.nodes;
    part->answered = p.answered;
    part->parts = parts;
    part->error = std::move(error);
    _reactor.post(p.origin, std::move(part));
    p.ticket = nullptr;
}

void ClusterBus::settle(uint64_t token, Pending& p, bool timed_out) {
    const bool waiting = p.is_invalidation ? bool(p.invalidated) : p.ticket != nullptr;
    if (waiting) {
        const bool everyone = p.nodes >= 0 && p.delivered && p.answered >= uint32_t(p.nodes);
        if (!everyone && !timed_out) return;
        if (p.nodes > int32_t(p.answered)) _stats.unanswered += uint32_t(p.nodes) - p.answered;
        if (p.is_invalidation) {
            InvalidateResult r;
            r.removed = p.sent;
            r.nodes = p.nodes;
            r.nodes_answered = p.answered;
            InvalidateDone done = std::move(p.invalidated);
            p.invalidated = nullptr;
            done(r);
        } else {
            // Not delivered here yet: every part of the ticket is answered now,
            // this node's with nothing (its delivery comes when the event does).
            answer(p, p.delivered ? 1 : _reactor.shards() + 1, {});
        }
    }
    if (p.delivered) _pending.erase(token);
}

void ClusterBus::on_reports(std::string_view payload) {
    const bool ok = parse_reports(payload, [&](uint64_t token, uint64_t sent, uint64_t failed) {
        if (token == 0) {  // our probe: the subscription delivers
            _probe_since_ms = 0;
            return;
        }
        ++_stats.reports_received;
        auto it = _pending.find(token);
        if (it == _pending.end()) return;  // answered already (reply_wait)
        Pending& p = it->second;
        ++p.answered;
        p.sent += sent;
        p.failed += failed;
        settle(token, p, false);
    });
    if (!ok) {
        ++_stats.bad;
        spdlog::warn("cluster: a report on {} could not be read", _reports_channel);
    }
}

void ClusterBus::report(const std::string& instance, uint64_t token, uint64_t sent,
                        uint64_t failed) {
    write_report(&_reports[instance], token, sent, failed);
}

void ClusterBus::flush() {
    if (_reports.empty()) return;
    for (auto& [instance, lines] : _reports) {
        const std::string channel = _keys.reports_prefix + instance;
        _cmd.command({"PUBLISH", channel, lines}, [](const RespValue&) {});
        ++_stats.reports_sent;
    }
    _reports.clear();
}

// --- the cluster's order --------------------------------------------------------

void ClusterBus::on_sub_state(bool up, std::string_view why) {
    if (_state == State::stopped) return;
    if (!up) {
        if (_state == State::live)
            spdlog::warn(
                "cluster: the subscription to Redis is lost ({}); events are read from the "
                "stream once it is back",
                why);
        _state = State::idle;
        _held.clear();  // read from the stream after the reconnect
        return;
    }
    join();
}

void ClusterBus::retry_soon() {
    _retry_due_ms = _reactor.now_ms() + kRetryMs;
    schedule();
}

void ClusterBus::join() {
    _state = State::joining;
    const uint64_t attempt = ++_attempt;
    if (!_cmd.up()) {  // it comes up by its own backoff; nothing to say meanwhile
        retry_soon();
        return;
    }
    const std::string applied = std::to_string(_applied);
    const std::string candidate = candidate_epoch();
    const std::string_view args[] = {"EVAL",       kJoinScript, "3",     _keys.epoch, _keys.seq,
                                     _keys.events, candidate,   applied, _epoch};
    _cmd.command(args, [this, attempt](const RespValue& v) {
        if (attempt == _attempt && _state == State::joining) on_joined(v);
    });
}

void ClusterBus::on_joined(const RespValue& v) {
    uint64_t seq = 0;
    if (v.is_error() || !v.is_array() || v.elements.size() != 2 ||
        !parse_u64(v.elements[1].text(), &seq) || v.elements[0].text().empty()) {
        spdlog::warn("cluster: joining failed ({}); trying again",
                     v.is_error() ? std::string(v.text()) : v.describe());
        retry_soon();
        return;
    }
    const std::string_view epoch = v.elements[0].text();
    if (_joined_once && epoch == _epoch) {
        // Back after a cut: what was published meanwhile is delivered from the
        // stream, then live again.
        catch_up();
        return;
    }
    if (_joined_once)
        spdlog::error(
            "cluster: Redis holds another numbering ({} instead of {}): it lost its data; "
            "history of the old numbering is dropped, resumes from it get history-gap",
            epoch, _epoch);
    _epoch = std::string(epoch);
    _log.renumber(_epoch, 0, 0);
    _applied = 0;
    _join_until = seq;
    _join_floor = 0;
    _restored = 0;
    read_stream(0, true);
}

void ClusterBus::catch_up() {
    _state = State::catching_up;
    ++_attempt;
    ++_stats.catch_ups;
    read_stream(_applied, false);
}

void ClusterBus::read_stream(uint64_t after, bool restore) {
    const std::string from = fmt::format("({}-0", after);
    const std::string to = restore ? fmt::format("{}-0", _join_until) : std::string("+");
    const std::string count = std::to_string(_opts.read_batch);
    const std::string_view args[] = {"XRANGE", _keys.events, from, to, "COUNT", count};
    const uint64_t attempt = _attempt;
    _cmd.command(args, [this, restore, attempt](const RespValue& v) {
        if (attempt == _attempt && _state == (restore ? State::joining : State::catching_up))
            on_stream(v, restore);
    });
}

void ClusterBus::on_stream(const RespValue& v, bool restore) {
    if (!v.is_array()) {
        spdlog::warn("cluster: reading the stream failed ({}); trying again",
                     v.is_error() ? std::string(v.text()) : v.describe());
        retry_soon();
        return;
    }
    for (const RespValue& entry : v.elements) {
        // [id, [field, value]]
        if (!entry.is_array() || entry.elements.size() != 2 || !entry.elements[1].is_array() ||
            entry.elements[1].elements.size() != 2) {
            ++_stats.bad;
            continue;
        }
        BusEvent b;
        std::string error;
        if (!parse_bus_event(entry.elements[1].elements[1].text(), &b, &error)) {
            ++_stats.bad;
            spdlog::warn("cluster: stream entry {} could not be read: {}", entry.elements[0].text(),
                         error);
            continue;
        }
        if (b.sequence <= _applied) continue;
        if (b.epoch != _epoch) continue;  // left over from an older numbering
        if (restore)
            this->restore(b);
        else
            apply(b, true);
    }
    if (v.elements.size() >= _opts.read_batch) {
        read_stream(_applied, restore);  // the next batch
        return;
    }
    if (restore) {
        // Everything up to the join's sequence that the stream still had is in
        // history; what it no longer had is a gap for resumes from before it
        // (all of it, when the stream kept nothing).
        const uint64_t floor = _restored == 0 ? _join_until : _join_floor;
        _log.renumber(_epoch, _join_until, floor);
        _applied = _join_until;
        _joined_once = true;
        spdlog::info("cluster: joined numbering {} at {} ({} events of history read)", _epoch,
                     _applied, _restored);
    }
    go_live();
}

void ClusterBus::go_live() {
    while (!_held.empty()) {
        BusEvent b;
        std::string error;
        if (!parse_bus_event(_held.front(), &b, &error) || b.epoch != _epoch) {
            _held.pop_front();
            continue;
        }
        if (b.sequence <= _applied) {
            _held.pop_front();
            continue;
        }
        if (b.sequence != _applied + 1) {
            catch_up();  // still a hole: the stream again (it has it by now)
            return;
        }
        std::string text = std::move(_held.front());
        _held.pop_front();
        BusEvent again;
        parse_bus_event(text, &again, nullptr);  // views into `text`, alive below
        apply(again, false);
    }
    _state = State::live;
}

void ClusterBus::on_message(std::string_view channel, std::string_view payload) {
    if (_state == State::stopped) return;
    if (channel == _reports_channel) {
        on_reports(payload);
        return;
    }
    if (_state != State::live) {
        // Read again from the stream if this bound is passed.
        if (_held.size() < _opts.max_held) _held.emplace_back(payload);
        return;
    }
    BusEvent b;
    std::string error;
    if (!parse_bus_event(payload, &b, &error)) {
        ++_stats.bad;
        spdlog::warn("cluster: a bus message could not be read: {}", error);
        return;
    }
    if (b.epoch != _epoch) {
        // Redis lost its data and a node started a new numbering: join it.
        _held.emplace_back(payload);
        join();
        return;
    }
    if (b.sequence <= _applied) return;  // had it already
    if (b.sequence != _applied + 1) {
        _held.emplace_back(payload);
        catch_up();
        return;
    }
    apply(b, false);
}

void ClusterBus::restore(const BusEvent& b) {
    // The join: the stream's first entry; what came before it is a gap.
    if (_restored == 0 && b.sequence > 1) _join_floor = b.sequence - 1;
    _applied = b.sequence;
    std::string error;
    if (std::string_view json = invalidation_json(b.record); !json.empty()) {
        // What it removed from the cache of the events restored before it.
        CacheInvalidation what;
        if (parse_invalidation_text(_json, json, &what, &error)) _log.invalidate(what);
        return;
    }
    Event* e = decode_event(b.record, &error);
    if (!e) {
        ++_stats.bad;
        spdlog::warn("cluster: event {} could not be read: {}", b.sequence, error);
        return;
    }
    e->assign_sequence(b.sequence, b.epoch);
    _log.restore(e, true, e->persistent(), {}, wall_ms());
    e->release();
    ++_restored;
}

void ClusterBus::apply(const BusEvent& b, bool from_stream) {
    if (b.sequence > _applied + 1) {
        const uint64_t missed = b.sequence - _applied - 1;
        _stats.missed += missed;
        spdlog::warn(
            "cluster: {} event(s) after {} were no longer in the stream; streams of this node "
            "missed them, resumes from before {} get history-gap",
            missed, _applied, b.sequence);
        _log.history().log().restore_floor(b.sequence - 1);
    }
    _applied = b.sequence;
    if (std::string_view json = invalidation_json(b.record); !json.empty()) {
        apply_invalidation(b, json, from_stream);
        return;
    }
    Pending* mine = nullptr;
    if (b.instance == _instance) {
        auto it = _pending.find(b.token);
        if (it != _pending.end() && it->second.event) mine = &it->second;
    }
    Event* e = nullptr;
    if (mine) {
        e = mine->event;
        mine->event = nullptr;
        if (e->sequence() == 0) e->assign_sequence(b.sequence, b.epoch);
    } else {
        std::string error;
        e = decode_event(b.record, &error);
        if (!e) {
            ++_stats.bad;
            spdlog::warn("cluster: event {} could not be read: {}", b.sequence, error);
            return;
        }
        e->assign_sequence(b.sequence, b.epoch);
    }
    ++_stats.applied;
    if (from_stream) ++_stats.read;
    if (mine) {
        PublishTicket* t = mine->ticket;
        _hub.deliver_numbered(e, t, mine->origin);
        mine->delivered = true;
        ++mine->answered;
        settle(b.token, *mine, false);
        return;
    }
    if (b.instance != _instance) ++_stats.remote;
    if (b.instance == _instance || from_stream) {
        // Ours from before a restart, or read late: nobody waits for counts.
        _hub.deliver_numbered(e, nullptr, _reactor.id());
        return;
    }
    auto* t = new RemoteTicket(*this, b.instance, b.token);
    _hub.track(e, t);
    _hub.deliver_numbered(e, t, _reactor.id());
}

void ClusterBus::apply_invalidation(const BusEvent& b, std::string_view json, bool from_stream) {
    CacheInvalidation what;
    std::string error;
    if (!parse_invalidation_text(_json, json, &what, &error)) {
        ++_stats.bad;
        spdlog::warn("cluster: invalidation {} could not be read: {}", b.sequence, error);
        return;
    }
    ++_stats.applied;
    if (from_stream) ++_stats.read;
    const uint64_t removed = _log.invalidate(what);
    if (b.instance == _instance) {
        auto it = _pending.find(b.token);
        if (it == _pending.end()) return;
        Pending& p = it->second;
        p.sent += removed;
        p.delivered = true;
        ++p.answered;
        settle(b.token, p, false);
        return;
    }
    ++_stats.remote;
    if (!from_stream) report(std::string(b.instance), b.token, removed, 0);
}

// --- timers -------------------------------------------------------------------

void ClusterBus::schedule() {
    uint64_t due = _retry_due_ms;
    if (!_due.empty()) due = due ? std::min(due, _due.begin()->first) : _due.begin()->first;
    _reactor.timers().cancel(&_timer);
    if (due) _reactor.timers().schedule(&_timer, std::max(due, _reactor.now_ms()));
}

void ClusterBus::on_timer(TimerNode* t) {
    if (t == &_probe_timer) {
        probe();
        return;
    }
    if (t != &_timer) {
        _sub.on_timer(t);
        return;
    }
    const uint64_t now = _reactor.now_ms();
    if (_retry_due_ms && now >= _retry_due_ms) {
        _retry_due_ms = 0;
        if (_state == State::joining) join();
        if (_state == State::catching_up) {
            if (_cmd.up())
                read_stream(_applied, false);
            else
                retry_soon();
        }
    }
    while (!_due.empty() && _due.begin()->first <= now) {
        const uint64_t token = _due.begin()->second;
        _due.erase(_due.begin());
        auto it = _pending.find(token);
        if (it == _pending.end()) continue;
        Pending& p = it->second;
        if (p.ticket || p.invalidated) {
            settle(token, p, true);
            if (_pending.count(token)) {
                // Answered, not delivered here yet: forgotten if it never comes.
                p.deadline_ms = now + kForgetMs;
                _due.emplace(p.deadline_ms, token);
            }
        } else if (!p.delivered) {
            spdlog::warn("cluster: event {} of this node never came back through the bus",
                         p.sequence);
            if (p.event) p.event->release();
            _pending.erase(it);
        }
    }
    schedule();
}

}  // namespace ringcast
