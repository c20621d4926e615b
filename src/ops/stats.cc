#include "ops/stats.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string_view>

#if RINGCAST_MIMALLOC
#include <mimalloc.h>
#endif

#include "core/clock.h"
#include "core/json_writer.h"
#include "core/shard_gather.h"
#include "ops/metrics_board.h"
#include "pubsub/channel_name.h"
#include "tls/ktls_probe.h"

namespace ringcast {

ProcessStats read_process_stats() {
    ProcessStats p;
    std::ifstream statm("/proc/self/statm");
    uint64_t size = 0, resident = 0;
    if (statm >> size >> resident) p.rss_bytes = resident * uint64_t(sysconf(_SC_PAGESIZE));
    std::ifstream status("/proc/self/status");
    for (std::string line; std::getline(status, line);)
        if (line.starts_with("VmHWM:")) {
            p.peak_rss_bytes = std::strtoull(line.c_str() + 6, nullptr, 10) * 1024;  // in kB
            break;
        }
#if RINGCAST_MIMALLOC
    size_t elapsed, user, system, rss, peak_rss, commit, peak_commit, faults;
    mi_process_info(&elapsed, &user, &system, &rss, &peak_rss, &commit, &peak_commit, &faults);
    p.has_heap = true;
    p.heap_committed = commit;
    p.heap_peak_committed = peak_commit;
#endif
    rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        p.cpu_user_s = double(ru.ru_utime.tv_sec) + double(ru.ru_utime.tv_usec) / 1e6;
        p.cpu_system_s = double(ru.ru_stime.tv_sec) + double(ru.ru_stime.tv_usec) / 1e6;
    }
    return p;
}

StatsCollector::StatsCollector(Reactor& reactor, Transport& transport, ChannelIndex& index,
                               Hub& hub)
    : _reactor(reactor), _transport(transport), _index(index), _hub(hub) {}

ShardSnapshot StatsCollector::snapshot(SnapshotScope scope) const {
    ShardSnapshot snap;
    ShardSnapshot* s = &snap;
    s->shard = _reactor.id();
    s->taken_ns = mono_ns();
    s->sockets = _transport.connection_count();
    s->streams = _streams ? *_streams : 0;
    for (const RefusalStats* r : {_refused, _more_refused}) {
        if (!r) continue;
        s->refused.bad_request += r->bad_request;
        s->refused.unauthorized += r->unauthorized;
        s->refused.forbidden += r->forbidden;
        s->refused.rate_limited += r->rate_limited;
        s->refused.unavailable += r->unavailable;
    }
    s->loop_turns = _reactor.loop_turns();
    s->mesh_overflows = _reactor.mesh_overflows();
    s->hub = _hub.stats();
    s->transport = _transport.stats();
    if (_catch_ups) s->catch_up = *_catch_ups;
    if (_h2) s->http2 = *_h2;
    if (const EventLog* log = _hub.log()) {
        s->has_log = true;
        s->log = log->stats();
        s->history = log->history_stats();
        s->cache = log->cache_stats();
        s->mailbox = log->mailbox_stats();
        s->pending_mail = log->pending_mail();
        if (_store) s->store = _store();
        if (_cluster) s->cluster = _cluster();
    }
    if (_losses) s->losses = *_losses;
    if (_alerts) s->alerts = _alerts();
    if (scope == SnapshotScope::metrics) {
        fill_metrics(s);
        if (_redis) s->redis = _redis();
        return snap;
    }
    _index.for_each([&](const Channel& ch) {
        // A stream catching up (pubsub/catch_up.h) is a subscriber already: it
        // takes the channel's events, and is counted in `sent`.
        const size_t subscribers = ch.subscribers.size() + ch.waiting.size();
        if (!subscribers && !ch.dropped && !ch.expired && !ch.slow_disconnects) return;
        s->channels.push_back(
            ChannelFigures{ch.name, subscribers, ch.dropped, ch.expired, ch.slow_disconnects});
    });
    PublishRate& rate = _hub.rate();
    const uint64_t now = _reactor.now_ms();
    s->messages_per_minute = rate.total(now);
    rate.for_each_channel(now, [&](std::string_view name, uint64_t n) {
        s->channel_rates.emplace_back(std::string(name), n);
    });
    if (_catalog) {
        std::map<std::string, uint64_t, std::less<>> users;
        _transport.for_each_connection([&](Connection& c) {
            std::string_view user = _catalog->user_of(c);
            if (!user.empty() && c.is_open()) ++users[std::string(user)];
        });
        s->users.assign(users.begin(), users.end());
    }
    return snap;
}

void StatsCollector::fill_metrics(ShardSnapshot* s) const {
    ShardMetricFigures& m = s->metrics;
    if (_flow) {
        m.published_http = _flow->arrivals(PublishFlow::Via::http);
        m.published_socket = _flow->arrivals(PublishFlow::Via::socket);
        m.publish_ack = _flow->ack_latency();
    }
    m.delivery = _hub.delivery_latency();
    m.loop_lag_us = _reactor.loop_lag_us();
    m.loop_busy_us = _reactor.busy_us();
    m.cq_overflows = _reactor.ring().cq_overflow();
    if (_census) m.census = _census();
    // Channels by name only where [metrics] channels names them: labels stay bounded.
    for (const std::string& name : _metric_channels) {
        ChannelFigures f{name, 0, 0, 0, 0};
        if (const Channel* ch = _index.find(name, channel_hash(name))) {
            f.subscribers = ch->subscribers.size() + ch->waiting.size();
            f.dropped = ch->dropped;
            f.expired = ch->expired;
            f.slow_disconnects = ch->slow_disconnects;
        }
        s->channels.push_back(std::move(f));
    }
}

bool StatsCollector::publish_metrics() {
    if (!_board) return true;
    // Moved in: the buffer's old vectors are freed here, on their own thread.
    return _board->publish(
        _reactor.id(), [this](ShardSnapshot& slot) { slot = snapshot(SnapshotScope::metrics); });
}

std::vector<ShardSnapshot> StatsCollector::latest_metrics() const {
    return _board ? _board->read_all() : std::vector<ShardSnapshot>{};
}

void StatsCollector::collect(std::function<void(std::vector<ShardSnapshot>&)> done,
                             SnapshotScope scope) {
    std::vector<ShardAsk<ShardSnapshot>> asks;
    for (unsigned s = 0; s < _reactor.shards(); ++s)
        asks.push_back(
            {s, [scope](Reactor& shard) { return shard.local<StatsCollector>().snapshot(scope); }});
    gather<ShardSnapshot>(_reactor, std::move(asks), std::move(done));
}

namespace {

// The n largest of `counts` (by count, then by name), and the rest summed:
// how many were left out and their total.
struct TopN {
    std::vector<std::pair<std::string_view, uint64_t>> listed;
    uint64_t others = 0, others_total = 0;
};
TopN top_n(const std::map<std::string, uint64_t>& counts, size_t n) {
    TopN t;
    for (const auto& [name, count] : counts)
        t.listed.emplace_back(name, count);
    auto busier = [](const auto& a, const auto& b) {
        return a.second != b.second ? a.second > b.second : a.first < b.first;
    };
    if (t.listed.size() > n) {
        std::partial_sort(t.listed.begin(), t.listed.begin() + ptrdiff_t(n), t.listed.end(),
                          busier);
        for (size_t i = n; i < t.listed.size(); ++i) {
            ++t.others;
            t.others_total += t.listed[i].second;
        }
        t.listed.resize(n);
    } else {
        std::sort(t.listed.begin(), t.listed.end(), busier);
    }
    return t;
}

// "tls": HTTPS ([tls]): the encryption path and the handshakes, summed.
void write_tls_stats(JsonWriter& w, const std::vector<ShardSnapshot>& shards) {
    const TransportStats t = tls_totals(shards);
    w.key("tls").begin_object();
    w.key("enabled").value(t.tls_enabled);
    w.key("path")
        .value(tls_path(t.tls_ktls_enabled, t.tls_seal_enabled))
        .key("kernelTls")
        .value(kernel_tls().kernel_tls);
    w.key("connections").value(t.tls_open).key("handshaking").value(t.tls_handshaking);
    w.key("ktls").value(t.tls_ktls).key("ktlsFallbacks").value(t.tls_ktls_fallbacks);
    w.key("sealed").value(t.tls_sealed);
    w.key("handshakes").value(t.tls_handshakes).key("resumed").value(t.tls_resumed);
    w.key("handshakeFailures").value(t.tls_handshake_failures);
    w.key("handshakeTimeouts").value(t.tls_handshake_timeouts);
    w.key("refused").value(t.tls_refused).key("errors").value(t.tls_errors);
    w.end_object();
}

}  // namespace

TransportStats tls_totals(const std::vector<ShardSnapshot>& shards) {
    TransportStats t;
    for (const ShardSnapshot& s : shards) {
        t.tls_enabled = t.tls_enabled || s.transport.tls_enabled;
        t.tls_ktls_enabled = t.tls_ktls_enabled || s.transport.tls_ktls_enabled;
        t.tls_ktls += s.transport.tls_ktls;
        t.tls_ktls_fallbacks += s.transport.tls_ktls_fallbacks;
        t.tls_seal_enabled = t.tls_seal_enabled || s.transport.tls_seal_enabled;
        t.tls_sealed += s.transport.tls_sealed;
        t.tls_handshakes += s.transport.tls_handshakes;
        t.tls_resumed += s.transport.tls_resumed;
        t.tls_handshake_failures += s.transport.tls_handshake_failures;
        t.tls_handshake_timeouts += s.transport.tls_handshake_timeouts;
        t.tls_refused += s.transport.tls_refused;
        t.tls_errors += s.transport.tls_errors;
        t.tls_handshaking += s.transport.tls_handshaking;
        t.tls_open += s.transport.tls_open;
    }
    return t;
}

std::string render_stats_json(const std::vector<ShardSnapshot>& shards, double uptime_s,
                              const ProcessStats& p) {
    uint64_t streams = 0, sockets = 0, published = 0, deliveries = 0, failures = 0;
    uint64_t dropped_slow = 0, dropped_stalled = 0, slow_disconnects = 0;
    QueueLossStats losses;
    RefusalStats refused;
    CatchUpStats catch_up;
    AlertEventStats alerts;
    H2Stats h2;
    uint64_t buffered = 0;
    const ShardSnapshot* log = nullptr;
    std::map<std::string, uint64_t> channels, users;
    std::map<std::string, ChannelFigures> channel_stats;
    std::map<std::string, uint64_t> channel_rates;
    uint64_t per_minute = 0;
    for (const ShardSnapshot& part : shards) {
        const ShardSnapshot* s = &part;
        if (s->has_log) log = s;
        catch_up.streams += s->catch_up.streams;
        catch_up.resumes += s->catch_up.resumes;
        catch_up.gaps += s->catch_up.gaps;
        catch_up.replayed += s->catch_up.replayed;
        catch_up.trimmed += s->catch_up.trimmed;
        alerts.updates += s->alerts.updates;
        alerts.lists += s->alerts.lists;
        h2.connections += s->http2.connections;
        h2.streams += s->http2.streams;
        h2.connections_total += s->http2.connections_total;
        h2.streams_total += s->http2.streams_total;
        h2.streams_reset += s->http2.streams_reset;
        h2.streams_refused += s->http2.streams_refused;
        h2.connection_errors += s->http2.connection_errors;
        buffered += s->hub.buffered;
        for (const auto& [user, n] : s->users)
            users[user] += n;
        per_minute += s->messages_per_minute;
        for (const auto& [name, n] : s->channel_rates)
            channel_rates[name] += n;
        streams += s->streams;
        sockets += s->sockets;
        published += s->hub.sequenced;
        deliveries += s->hub.deliveries;
        failures += s->hub.failures;
        dropped_slow += s->transport.dropped_slow;
        dropped_stalled += s->transport.dropped_stalled;
        slow_disconnects += s->transport.slow_disconnects;
        losses.events_dropped += s->losses.events_dropped;
        losses.events_expired += s->losses.events_expired;
        refused.bad_request += s->refused.bad_request;
        refused.unauthorized += s->refused.unauthorized;
        refused.forbidden += s->refused.forbidden;
        refused.rate_limited += s->refused.rate_limited;
        refused.unavailable += s->refused.unavailable;
        for (const ChannelFigures& ch : s->channels) {
            if (ch.subscribers) channels[ch.name] += ch.subscribers;
            ChannelFigures& sum = channel_stats[ch.name];
            sum.subscribers += ch.subscribers;
            sum.dropped += ch.dropped;
            sum.expired += ch.expired;
            sum.slow_disconnects += ch.slow_disconnects;
        }
    }
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    w.key("totalConnections").value(streams);
    w.key("sockets").value(sockets);
    w.key("uniqueUsers").value(users.size());
    const TopN top_users = top_n(users, kStatsTopN);
    w.key("connectionsByUser").begin_object();
    for (const auto& [user, n] : top_users.listed)
        w.key(user).value(n);
    w.end_object();
    w.key("otherUsers").begin_object();
    w.key("users").value(top_users.others).key("connections").value(top_users.others_total);
    w.end_object();
    w.key("activeChannels").value(channels.size());
    w.key("eventsPublished").value(published);
    w.key("messagesPerMinute").value(per_minute);
    const TopN busiest = top_n(channel_rates, kStatsTopN);
    w.key("busiestChannels").begin_array();
    uint64_t listed = 0;
    for (const auto& [name, n] : busiest.listed) {
        auto subscribed = channels.find(std::string(name));
        w.begin_object().key("channel").value(name).key("messagesPerMinute").value(n);
        w.key("connections").value(subscribed == channels.end() ? 0 : subscribed->second);
        w.end_object();
        listed += n;
    }
    w.end_array();
    // The total, not the sum of the others: publishes to channels a shard did not
    // track (PublishRate::kMaxChannels) are in it.
    w.key("otherChannels").begin_object();
    w.key("channels").value(busiest.others).key("messagesPerMinute").value(per_minute - listed);
    w.end_object();
    w.key("deliveries").value(deliveries);
    w.key("deliveryFailures").value(failures);
    w.key("droppedSlowReaders").value(dropped_slow);
    w.key("droppedStalledWriters").value(dropped_stalled);
    w.key("slowReaderDisconnects").value(slow_disconnects);
    w.key("eventsDropped").value(losses.events_dropped);
    w.key("eventsExpiredInQueue").value(losses.events_expired);
    w.key("refused")
        .begin_object()
        .key("badRequest")
        .value(refused.bad_request)
        .key("unauthorized")
        .value(refused.unauthorized)
        .key("forbidden")
        .value(refused.forbidden)
        .key("rateLimited")
        .value(refused.rate_limited)
        .key("unavailable")
        .value(refused.unavailable)
        .end_object();
    w.key("http2").begin_object();
    w.key("connections").value(h2.connections).key("streams").value(h2.streams);
    w.key("connectionsTotal").value(h2.connections_total);
    w.key("streamsTotal").value(h2.streams_total);
    w.key("streamsReset").value(h2.streams_reset);
    w.key("streamsRefused").value(h2.streams_refused);
    w.key("connectionErrors").value(h2.connection_errors);
    w.end_object();
    static const ShardSnapshot kNoLog;
    const ShardSnapshot& l = log ? *log : kNoLog;
    w.key("cacheSize").value(l.cache.events);
    auto keep = [&](const char* name, const char* keys, const KeyedLogStats& k) {
        w.key(name).begin_object();
        w.key(keys).value(k.keys).key("events").value(k.events).key("bytes").value(k.bytes);
        w.key("evicted").value(k.evicted).key("expired").value(k.aged);
    };
    keep("history", "channels", l.history);
    w.end_object();
    keep("cache", "channels", l.cache);
    w.key("invalidated").value(l.log.invalidated).end_object();
    keep("mailboxes", "users", l.mailbox);
    w.key("mailed").value(l.log.mailed).key("delivered").value(l.log.mail_delivered);
    w.key("returned").value(l.log.mail_returned).key("pending").value(l.pending_mail);
    w.end_object();
    w.key("store").begin_object().key("enabled").value(l.store.enabled);
    if (l.store.enabled) {
        w.key("path").value(l.store.path).key("written").value(l.store.written);
        w.key("commits").value(l.store.commits).key("failedCommits").value(l.store.failed_commits);
        w.key("givenUp").value(l.store.given_up).key("pending").value(l.store.pending);
        w.key("lastCommit").value(l.store.last_commit_ms);
        w.key("lastCommitUs").value(l.store.last_commit_us);
        w.key("bytes").value(l.store.database_bytes);
    }
    w.end_object();
    w.key("cluster").begin_object().key("enabled").value(l.cluster.enabled);
    if (l.cluster.enabled) {
        const ClusterFigures& cl = l.cluster;
        w.key("live").value(cl.live).key("epoch").value(cl.epoch);
        w.key("instance").value(cl.instance).key("lastSequence").value(cl.last_sequence);
        w.key("submitted").value(cl.submitted).key("refused").value(cl.refused);
        w.key("applied").value(cl.applied).key("remote").value(cl.remote);
        w.key("readFromStream").value(cl.read).key("catchUps").value(cl.catch_ups);
        w.key("missed").value(cl.missed).key("unreadable").value(cl.bad);
        w.key("reportsSent").value(cl.reports_sent);
        w.key("reportsReceived").value(cl.reports_received);
        w.key("nodesUnanswered").value(cl.unanswered);
        w.key("probesFailed").value(cl.probes_failed);
    }
    w.end_object();
    w.key("catchUp").begin_object();
    w.key("streams").value(catch_up.streams).key("resumes").value(catch_up.resumes);
    w.key("gaps").value(catch_up.gaps).key("replayed").value(catch_up.replayed);
    w.key("trimmed").value(catch_up.trimmed);
    w.key("buffered").value(buffered).key("deferred").value(l.log.deferred);
    w.end_object();
    w.key("alerts").begin_object();
    w.key("updates").value(alerts.updates).key("lists").value(alerts.lists);
    w.end_object();
    write_tls_stats(w, shards);
    w.key("uptime").value(uptime_s);
    w.key("memoryUsage").begin_object().key("rss").value(p.rss_bytes);
    w.key("peakRss").value(p.peak_rss_bytes);
    if (p.has_heap) {
        w.key("heapCommitted").value(p.heap_committed);
        w.key("heapPeakCommitted").value(p.heap_peak_committed);
    }
    w.end_object();
    w.key("cpu")
        .begin_object()
        .key("user")
        .value(p.cpu_user_s)
        .key("system")
        .value(p.cpu_system_s)
        .end_object();
    w.key("channels").begin_object();
    for (const auto& [name, n] : channels)
        w.key(name).begin_object().key("connections").value(n).end_object();
    w.end_object();
    w.key("channelStats").begin_object();
    for (const auto& [name, ch] : channel_stats) {
        w.key(name).begin_object();
        w.key("connections").value(ch.subscribers);
        w.key("dropped").value(ch.dropped);
        w.key("expired").value(ch.expired);
        w.key("disconnected").value(ch.slow_disconnects);
        w.end_object();
    }
    w.end_object();
    w.key("shards").begin_array();
    for (const ShardSnapshot& part : shards) {
        const ShardSnapshot* s = &part;
        w.begin_object();
        w.key("id").value(s->shard);
        w.key("connections").value(s->streams);
        w.key("sockets").value(s->sockets);
        w.key("eventsSequenced").value(s->hub.sequenced);
        w.key("eventsDelivered").value(s->hub.delivered);
        w.key("deliveries").value(s->hub.deliveries);
        w.key("deliveryFailures").value(s->hub.failures);
        w.key("accepted").value(s->transport.accepted);
        w.key("handedOff").value(s->transport.handed_off);
        w.key("adopted").value(s->transport.adopted);
        w.key("adoptedV6").value(s->transport.adopted_v6);
        w.key("sends").value(s->transport.sends);
        w.key("framesSent").value(s->transport.send_frames);
        w.key("bytesSent").value(s->transport.bytes_sent);
        w.key("recvStarved").value(s->transport.recv_starved);
        w.key("loopTurns").value(s->loop_turns);
        w.key("meshQueued").value(s->mesh_overflows);
        w.key("eventsExpired").value(s->hub.expired);
        w.key("eventsDropped").value(s->losses.events_dropped);
        w.key("eventsExpiredInQueue").value(s->losses.events_expired);
        w.key("droppedSlowReaders").value(s->transport.dropped_slow);
        w.key("slowReaderDisconnects").value(s->transport.slow_disconnects);
        w.key("shardsSkipped").value(s->hub.skipped);
        w.end_object();
    }
    w.end_array();
    w.end_object();
    return out;
}

}  // namespace ringcast
