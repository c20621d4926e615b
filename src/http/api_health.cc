// ApiRequests: GET /metrics (ops/metrics.h) and the health checks GET
// /healthz/live and GET /healthz/ready (ops/health.h). Who may read them is
// decided in handle() ([metrics] open, the metrics listener).
//
// /metrics answers at once from the snapshots every shard leaves on the board
// (ops/metrics_board.h): it asks no shard, so a busy or stuck one delays it
// not at all (the stuck one's snapshot ages, and the answer says by how much).
//
// /healthz/ready sends a probe to every shard (a shard call, through the mesh
// rings that events travel) and answers when all have answered, or when its
// connection's deadline ([metrics] ready_timeout) passes first: then the shards
// still silent are named. A probe that answers after that finds its request
// answered already and only frees its state.
#include <memory>

#include "core/clock.h"
#include "http/api_requests.h"
#include "http/http_server.h"
#include "http/response.h"
#include "ops/health.h"
#include "ops/metrics.h"
#include "ops/metrics_text.h"

namespace ringcast {

// One /healthz/ready request in flight, shared by its shard calls.
struct ReadyProbe {
    uint64_t started_ns = 0;
    std::vector<int64_t> answered_us;  // per shard; -1: not yet
    unsigned pending = 0;
    bool answered = false;            // the request was answered (all in, or the deadline)
    StoreFigures store;               // from the log shard
    std::vector<RedisFigures> redis;  // per shard, as its probe found it
    ConnectionHandle handle;
};

namespace {

class ProbeCall final : public ShardCall {
public:
    ProbeCall(std::shared_ptr<ReadyProbe> probe, unsigned shard,
              std::function<void(ReadyProbe&)> all_in)
        : _probe(std::move(probe)), _shard(shard), _all_in(std::move(all_in)) {}
    bool run(Reactor& shard) override {
        // The store's figures are atomics: the log shard reads them for us.
        _store = shard.local<StatsCollector>().store_figures();
        _redis = shard.local<StatsCollector>().redis_figures();
        return true;
    }
    void complete() override {
        ReadyProbe& p = *_probe;
        p.answered_us[_shard] = int64_t((mono_ns() - p.started_ns) / 1000);
        if (_store.enabled) p.store = _store;
        p.redis[_shard] = std::move(_redis);
        if (--p.pending == 0 && !p.answered) _all_in(p);
    }

private:
    std::shared_ptr<ReadyProbe> _probe;
    unsigned _shard;
    std::function<void(ReadyProbe&)> _all_in;
    StoreFigures _store;
    RedisFigures _redis;
};

}  // namespace

void ApiRequests::metrics(HttpConnection& c) {
    const std::vector<ShardSnapshot> shards = _stats.latest_metrics();
    MetricsContext ctx;
    ctx.now_ns = mono_ns();
    ctx.uptime_s = double(_reactor.now_ms() - _started_ms) / 1000.0;
    ctx.process = read_process_stats();
    for (const EndpointOptions& e : _opts.endpoints)
        ctx.endpoints.push_back(e.path);
    _http.reply(c, http_response(200, kMetricsContentType, render_metrics(shards, ctx),
                                 _http.keeps_alive(c)));
    _http.finish_request(c);
}

void ApiRequests::live(HttpConnection& c) {
    _http.reply(c, http_response(200, "application/json", kLiveBody, _http.keeps_alive(c)));
    _http.finish_request(c);
}

void ApiRequests::ready(HttpConnection& c) {
    if (_http.shutting_down()) {
        answer_ready(c, nullptr);
        return;
    }
    auto probe = std::make_shared<ReadyProbe>();
    probe->started_ns = mono_ns();
    probe->answered_us.assign(_reactor.shards(), -1);
    probe->redis.resize(_reactor.shards());
    probe->pending = _reactor.shards();
    probe->handle = Transport::handle(c);
    _http.wait_for_answer(c);
    _http.set_waiting_deadline(c, _reactor.now_ms() + _opts.metrics.ready_timeout_ms);
    _probes[c.serial()] = probe;
    for (unsigned s = 0; s < _reactor.shards(); ++s)
        _reactor.call(s, std::make_unique<ProbeCall>(probe, s, [this](ReadyProbe& p) {
                          if (HttpConnection* conn = _http.alive(p.handle)) {
                              finish_ready(*conn);
                          } else {
                              p.answered = true;
                              _probes.erase(p.handle.serial);
                          }
                      }));
}

bool ApiRequests::ready_deadline(HttpConnection& c) {
    if (!_probes.count(c.serial())) return false;
    finish_ready(c);
    return true;
}

void ApiRequests::forget(HttpConnection& c) {
    auto it = _probes.find(c.serial());
    if (it == _probes.end()) return;
    it->second->answered = true;  // late answers only free the state
    _probes.erase(it);
}

void ApiRequests::finish_ready(HttpConnection& c) {
    auto it = _probes.find(c.serial());
    std::shared_ptr<ReadyProbe> probe = it->second;
    _probes.erase(it);
    probe->answered = true;
    _http.complete_async(c, ready_response(c, probe.get()));
}

void ApiRequests::answer_ready(HttpConnection& c, const ReadyProbe* probe) {
    _http.reply(c, ready_response(c, probe));
    _http.finish_request(c);
}

std::string ApiRequests::ready_response(HttpConnection& c, const ReadyProbe* probe) {
    ReadinessFacts f;
    f.draining = _http.shutting_down();
    f.timeout_ms = _opts.metrics.ready_timeout_ms;
    f.now_wall_ms = wall_ms();
    Mesh& mesh = _reactor.mesh();
    for (unsigned s = 0; s < _reactor.shards(); ++s) {
        // A shard that never turned yet (0) counts from the start of the clock.
        const uint64_t turned = mesh.turned_ms(s);
        f.since_turn_ms.push_back(_reactor.now_ms() > turned ? _reactor.now_ms() - turned : 0);
        f.answered_us.push_back(probe ? probe->answered_us[s] : 0);
    }
    if (probe && probe->store.enabled) {
        f.store_enabled = true;
        f.store_failing_since_ms = probe->store.failing_since_ms;
        f.store_pending = probe->store.pending;
    }
    if (probe) {
        for (unsigned s = 0; s < _reactor.shards(); ++s) {
            const RedisFigures& l = probe->redis[s];
            f.redis_enabled |= l.enabled;
            f.redis.push_back(
                {probe->answered_us[s] >= 0 && l.enabled, l.up, l.down_for_ms, l.last_error});
            if (!l.node_problem.empty()) f.cluster_problem = l.node_problem;
        }
    }
    Readiness r = assess_readiness(f);
    if (r.ready) return http_response(200, "application/json", r.json, _http.keeps_alive(c));
    const std::string retry = std::to_string(_opts.retry_after_s);
    return http_response(503, "application/json", r.json, _http.keeps_alive(c),
                         {{"Retry-After", retry}});
}

}  // namespace ringcast
