#pragma once
// The state of one ringcast-load run, shared by the files that implement its
// phases: run.cc (baseline, connect, memory, hold, publish, the checks),
// resume_burst.cc (the resume-burst mode) and takeover.cc (the takeover mode). Private to
// run_load().
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "audiences.h"
#include "clock.h"
#include "machine_cpu.h"
#include "options.h"
#include "publisher.h"
#include "report.h"
#include "stats_client.h"
#include "worker_set.h"

namespace ringcast::load {

// Margins around the planned time of each phase before it counts as hung.
constexpr uint64_t kControlSlackNs = 10 * kNsPerSec;
constexpr uint64_t kSettleIntervalNs = 250 * kNsPerMs;
constexpr uint64_t kPublishLeadNs = 200 * kNsPerMs;

class Run {
public:
    explicit Run(const LoadOptions& o) : _o(o) {}
    RunReport go();

private:
    void note(const std::string& msg) const {
        if (!_o.quiet) std::fprintf(stderr, "ringcast-load: %s\n", msg.c_str());
    }
    bool fail(const std::string& msg) {
        _r.errors.push_back(msg);
        return false;
    }
    bool connect_phase();
    bool settle_memory();
    bool hold_phase();
    bool publish_phase();
    bool resume_phase();    // resume_burst.cc
    bool takeover_phase();  // takeover.cc
    void fill_delivery(const WorkerResult& w);
    void fill_log(const DaemonStats& start, const DaemonStats& end);
    void check_results();
    void check_resume();                        // resume_burst.cc
    void fill_takeover(const WorkerResult& w);  // takeover.cc
    // Who used the machine between two reads: the daemon, the generator, the rest.
    void share_cpu(const MachineCpu& start, const MachineCpu& end, double seconds,
                   double daemon_cpu_s, double generator_cpu_s);
    std::vector<WorkerConfig> worker_configs(uint64_t connect_deadline, uint64_t watchdog) const;
    uint64_t planned_run_ns() const;
    // The publisher's settings common to every phase that publishes.
    PublisherConfig publisher_config() const;
    PublishResult publish(const PublisherConfig& pc) const;

    std::optional<DaemonStats> stats(const char* when, std::string* error);

    const LoadOptions& _o;
    RunReport _r;
    Endpoint _target;
    Endpoint _stream_target;  // --tls-target, else _target
    WorkerSet _workers;
    DaemonStats _before, _after;
    std::string _last_event_id;  // resume-burst mode: sent with every stream request
    AudienceSetup _audiences;    // --audiences: the streams' tokens
    uint64_t _start_ns = 0;      // before anything of this run was published
};

}  // namespace ringcast::load
