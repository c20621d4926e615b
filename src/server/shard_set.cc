#include "server/shard_set.h"

#include <errno.h>

#include <chrono>
#include <cstring>
#include <exception>

#include <fmt/format.h>
#include <liburing.h>
#include <spdlog/spdlog.h>

#include "core/affinity.h"
#include "core/log_event.h"
#include "core/user_data.h"

namespace ringcast {

// Sends Op::stop(phase) and Op::reload to each shard through a small ring of
// the main thread.
// MSG_RING is the only way into a shard's ring from outside: SINGLE_ISSUER rings
// take no submissions from other threads. It has kEntries entries, fewer than
// any shard's ring may have (engine.sq_entries is at least 16): the integration
// tests make exactly this ring fail to be created by its size
// (tests/integration/startup_failure_test.cc).
class ControlRing {
public:
    static constexpr unsigned kEntries = 8;

    ControlRing() = default;
    ControlRing(const ControlRing&) = delete;
    ControlRing& operator=(const ControlRing&) = delete;
    ~ControlRing() {
        if (_ready) io_uring_queue_exit(&_ring);
    }

    // 0 or -errno (liburing returns it; errno is not set).
    int init() {
        int r = io_uring_queue_init(kEntries, &_ring, 0);
        _ready = r == 0;
        return r;
    }

    // True if the shard's ring took the message.
    bool send(int shard_ring_fd, Op op, uint64_t payload) {
        io_uring_sqe* sqe = io_uring_get_sqe(&_ring);
        io_uring_prep_msg_ring(sqe, shard_ring_fd, 0, tag(op, payload), 0);
        io_uring_submit(&_ring);
        io_uring_cqe* cqe;
        bool sent = false;
        if (io_uring_wait_cqe(&_ring, &cqe) == 0) {
            sent = cqe->res >= 0;
            if (!sent)
                spdlog::error("{} message to a shard failed: {}",
                              op == Op::stop ? "stop" : "reload", std::strerror(-cqe->res));
            io_uring_cqe_seen(&_ring, cqe);
        }
        return sent;
    }

private:
    io_uring _ring{};
    bool _ready = false;
};

namespace {

// What to change when a ring could not be made for want of descriptors or memory.
void log_resource_hint(int r) {
    if (r == -ENOMEM || r == -EMFILE)
        spdlog::critical(
            "hint: lower engine.connections_per_shard or engine.recv_buffers, "
            "or raise LimitNOFILE / LimitMEMLOCK");
}

}  // namespace

ShardSet::ShardSet(unsigned shards, size_t mesh_ring_capacity, uint64_t max_streams)
    : _size(shards)
    , _mesh(shards, mesh_ring_capacity)
    , _board(shards)
    , _streams(max_streams)
    , _presence(shards)
    , _pulses(shards)
    , _metrics(shards)
    , _worker(_mesh, "ringcast-work")
    , _shared{_mesh, _board, _streams, _presence, _shutdown, _worker, _pulses, _metrics, _reload}
    , _ready(shards) {}

ShardSet::~ShardSet() {
    stop_and_join();
}

bool ShardSet::start(const ShardOptions& opts, const std::vector<int>& cpus, ListenerSet& listeners,
                     uint64_t started_ms) {
    _control = std::make_unique<ControlRing>();
    if (int r = _control->init(); r < 0) {
        _control.reset();
        spdlog::critical("cannot create the control ring: {}", std::strerror(-r));
        log_resource_hint(r);
        return false;
    }
    if (int r = _worker.start(); r < 0) {
        spdlog::critical("cannot start the worker thread's ring: {}", std::strerror(-r));
        log_resource_hint(r);
        return false;
    }
    _opts = opts;
    _threads.reserve(_size);
    for (unsigned i = 0; i < _size; ++i) {
        try {
            _threads.push_back(std::make_unique<Thread>());
            Thread* self = _threads.back().get();
            int cpu = cpus[i % cpus.size()];
            self->thread = std::thread([this, i, cpu, self, &listeners, started_ms] {
                run_shard(i, cpu, self, listeners, started_ms);
            });
        } catch (const std::exception& e) {
            // Out of threads or memory: the shards already started stop when
            // the set goes, once each has counted down.
            if (_threads.size() > i) _threads.pop_back();
            spdlog::critical("cannot start the thread of shard {}: {}", i, e.what());
            _ready.count_down(_size - i);  // those never started will not count
            _ready.wait();
            return false;
        }
    }
    _ready.wait();
    return check_initialized();
}

void ShardSet::run_shard(unsigned i, int cpu, Thread* self, ListenerSet& listeners,
                         uint64_t started_ms) {
    name_current_thread(fmt::format("ringcast-s{}", i));
    set_log_shard(i);
    if (int r = pin_current_thread(cpu); r < 0)
        spdlog::warn("shard {}: cannot pin to CPU {}: {}", i, cpu, std::strerror(-r));
    // The shard is built on its own thread so that its memory comes from this
    // thread's mimalloc heap and its ring is bound to this thread.
    auto shard = std::make_unique<Shard>(i, _shared, _opts, started_ms);
    const char* what = "";
    int r = shard->init(&what);
    self->init_step = what;
    self->init_result.store(r);
    self->ring_mode = r == 0 ? shard->ring_mode() : "";
    if (r == 0) {
        // An upgrade's streams first: their slots are taken before any accept
        // exists that could take one (Shard::adopt_streams).
        if (_opts.adopt && i < _opts.adopt->size())
            shard->adopt_streams((*_opts.adopt)[i], _opts.resume_id);
        // The listeners become the shard's (its transport closes them).
        if (int fd = listeners.take_http(i); fd >= 0)
            shard->add_listener(fd, Shard::kHttp, listeners.handoff());
        if (int fd = listeners.take_https(i); fd >= 0)
            shard->add_https_listener(fd, listeners.https_handoff());
        if (i == 0)
            if (int fd = listeners.take_unix(); fd >= 0)
                shard->add_listener(fd, Shard::kPublish, true);
        // Metrics and probes stay on shard 0: a scrape reads every shard's
        // snapshot from the board, and a probe asks every shard, wherever it lands.
        if (i == 0)
            if (int fd = listeners.take_metrics(); fd >= 0)
                shard->add_listener(fd, Shard::kMetrics, false);
    }
    // No loop runs before every shard is ready: a shard that runs accepts and
    // hands connections to the others, into slots of their tables the kernel
    // picks, and a shard still registering the streams of an upgrade in slots
    // from 0 up would overwrite one of them (a stream lost without a trace).
    _ready.arrive_and_wait();
    if (r == 0) shard->run();
}

// Called once every thread has counted down: each result is final.
bool ShardSet::check_initialized() const {
    for (unsigned i = 0; i < _threads.size(); ++i) {
        int r = _threads[i]->init_result.load();
        if (r != 0) {
            spdlog::critical("shard {}: {} failed: {}", i, _threads[i]->init_step,
                             std::strerror(-r));
            log_resource_hint(r);
            return false;
        }
    }
    return true;
}

void ShardSet::stop(uint64_t phase) {
    if (!_control || _joined) return;
    for (unsigned i = 0; i < _threads.size(); ++i)
        if (_threads[i]->init_result.load() == 0) _control->send(_mesh.ring_fd(i), Op::stop, phase);
}

unsigned ShardSet::reload(std::shared_ptr<const ShardOptions> next, uint64_t max_streams,
                          uint64_t wait_ms) {
    if (!_control || _joined) return 0;
    {
        std::lock_guard lock(_reload.mutex);
        _reload.next = std::move(next);
    }
    _reload.applied.store(0);
    _streams.set_max(max_streams);
    unsigned asked = 0;
    for (unsigned i = 0; i < _threads.size(); ++i)
        if (_threads[i]->init_result.load() == 0 && _control->send(_mesh.ring_fd(i), Op::reload, 0))
            ++asked;
    // Each shard applies between two loop turns: microseconds unless one is stuck.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms);
    while (_reload.applied.load() < asked && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return _reload.applied.load();
}

void ShardSet::stop_and_join() {
    // What the worker still has completes on shards that still turn.
    _worker.stop();
    stop(1);
    for (auto& t : _threads)
        if (t->thread.joinable()) t->thread.join();
    _joined = true;
}

std::vector<HandedStream> ShardSet::take_handed(std::string* epoch, uint64_t* last_sequence) {
    std::lock_guard lock(_shutdown.handed_mutex);
    *epoch = _shutdown.epoch;
    *last_sequence = _shutdown.last_sequence;
    return std::move(_shutdown.handed);
}

const char* ShardSet::ring_mode() const {
    return _threads.empty() ? "" : _threads[0]->ring_mode;
}

}  // namespace ringcast
