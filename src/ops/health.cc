#include "ops/health.h"

#include <algorithm>

#include <fmt/format.h>

#include "core/json_writer.h"

namespace ringcast {

namespace {

std::string seconds_text(uint64_t ms) {
    return fmt::format("{:.1f} s", double(ms) / 1000.0);
}

}  // namespace

Readiness assess_readiness(const ReadinessFacts& f) {
    Readiness r;
    r.ready = true;
    std::string body;
    JsonWriter w(body);
    w.begin_object();
    // Written after the checks are known: the status goes first in the text.
    std::string checks;
    JsonWriter c(checks);
    c.begin_object();

    // shards
    std::string silent;
    int64_t slowest_us = 0;
    for (size_t s = 0; s < f.answered_us.size(); ++s) {
        if (f.answered_us[s] >= 0) {
            slowest_us = std::max(slowest_us, f.answered_us[s]);
            continue;
        }
        if (!silent.empty()) silent += "; ";
        silent += fmt::format("shard {} did not answer within {}", s, seconds_text(f.timeout_ms));
        if (s < f.since_turn_ms.size())
            silent +=
                fmt::format(" (its loop last turned {} ago)", seconds_text(f.since_turn_ms[s]));
    }
    c.key("shards").begin_object().key("ok").value(silent.empty());
    if (!silent.empty()) {
        r.ready = false;
        c.key("reason").value(silent);
    } else {
        c.key("probeUs").value(slowest_us);  // the slowest shard's round trip
    }
    c.key("shards").value(uint64_t(f.answered_us.size())).end_object();

    // store
    c.key("store").begin_object();
    if (!f.store_enabled) {
        c.key("ok").value(true).key("enabled").value(false);
    } else if (f.store_failing_since_ms) {
        r.ready = false;
        const uint64_t for_ms =
            f.now_wall_ms > f.store_failing_since_ms ? f.now_wall_ms - f.store_failing_since_ms : 0;
        c.key("ok").value(false).key("enabled").value(true);
        c.key("reason").value(
            fmt::format("store commits have failed for {} ({} records wait; the log says why)",
                        seconds_text(for_ms), f.store_pending));
    } else {
        c.key("ok").value(true).key("enabled").value(true).key("pending").value(f.store_pending);
    }
    c.end_object();

    // redis
    c.key("redis").begin_object();
    if (!f.redis_enabled) {
        c.key("ok").value(true).key("enabled").value(false);
    } else {
        std::string down;
        unsigned up = 0;
        for (size_t s = 0; s < f.redis.size(); ++s) {
            const ReadinessFacts::RedisLinkFact& l = f.redis[s];
            if (!l.answered) continue;
            if (l.up) {
                ++up;
                continue;
            }
            if (!down.empty()) down += "; ";
            down += fmt::format("shard {} has had no link to Redis for {}", s,
                                seconds_text(l.down_for_ms));
            down += l.last_error.empty() ? std::string(" (connecting)")
                                         : fmt::format(" ({})", l.last_error);
        }
        c.key("ok").value(down.empty()).key("enabled").value(true);
        if (!down.empty()) {
            r.ready = false;
            c.key("reason").value("redis: " + down);
        }
        c.key("linksUp").value(uint64_t(up));
    }
    c.end_object();

    // cluster: this node holds its name ([cluster] node)
    c.key("cluster").begin_object();
    if (!f.redis_enabled) {
        c.key("ok").value(true).key("enabled").value(false);
    } else {
        c.key("ok").value(f.cluster_problem.empty()).key("enabled").value(true);
        if (!f.cluster_problem.empty()) {
            r.ready = false;
            c.key("reason").value("cluster: " + f.cluster_problem);
        }
    }
    c.end_object();

    // draining
    c.key("draining").begin_object().key("ok").value(!f.draining);
    if (f.draining) {
        r.ready = false;
        c.key("reason").value("the daemon is shutting down (draining its connections)");
    }
    c.end_object();
    c.end_object();

    w.key("status").value(r.ready ? "ready" : "unready");
    w.key("checks").raw(checks);
    w.end_object();
    r.json = std::move(body);
    return r;
}

}  // namespace ringcast
