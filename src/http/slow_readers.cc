// SseStreams: what slow readers lose. The transport's queue policy
// (net/queue_policy.h) decides which frames go and which connections are closed;
// this side knows what the frames are, so it counts lost events against their
// channels and the shard's totals, and logs one line per compaction or
// disconnect (never one per frame: a stuck reader may lose thousands).
#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/log_event.h"
#include "http/http_server.h"
#include "http/sse_streams.h"
#include "pubsub/event.h"

namespace ringcast {

namespace {

// 1048576 -> "1.0 MiB", 900 -> "900 B".
std::string human_bytes(uint64_t n) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB"};
    double v = double(n);
    unsigned u = 0;
    while (v >= 1024 && u + 1 < std::size(units)) {
        v /= 1024;
        ++u;
    }
    return u == 0 ? fmt::format("{} B", n) : fmt::format("{:.1f} {}", v, units[u]);
}

}  // namespace

void SseStreams::on_frames_dropped(HttpConnection& c, std::span<LocalFrame* const> frames,
                                   DropReason why) {
    const bool expired = why == DropReason::expired;
    uint64_t events = 0, others = 0;
    unsigned lowest = SharedFrame::kMaxEventPriority, highest = 0;
    const Event* previous = nullptr;
    Channel* ch = nullptr;
    for (LocalFrame* lf : frames) {
        const Event* e = Event::from(lf->frame);
        if (!e) {
            ++others;  // a heartbeat: the only other frame a queue gives up
            continue;
        }
        ++events;
        lowest = std::min<unsigned>(lowest, e->priority());
        highest = std::max<unsigned>(highest, e->priority());
        // Runs of one channel are the rule: look it up once per run.
        if (!previous || previous->channel_hash() != e->channel_hash() ||
            previous->channel() != e->channel())
            ch = _index.find(e->channel(), e->channel_hash());
        previous = e;
        if (ch) ++(expired ? ch->expired : ch->dropped);
    }
    (expired ? _losses.events_expired : _losses.events_dropped) += events;

    if (expired) {
        log_event(spdlog::level::debug, "queued events expired",
                  {{"reason", "expired"},
                   {"conn", _http.connection_id(c)},
                   {"ip", _http.client_of(c).text()},
                   {"events", events}});
        return;
    }
    std::string what;
    if (events)
        what = fmt::format(
            "{} event{} ({} {})", events, events == 1 ? "" : "s",
            lowest == highest ? "priority" : "priorities",
            lowest == highest ? fmt::format("{}", lowest) : fmt::format("{}–{}", lowest, highest));
    if (others)
        what += fmt::format("{}{} heartbeat{}", what.empty() ? "" : " and ", others,
                            others == 1 ? "" : "s");
    // A refusal (the newcomer was below everything queued) happens once per
    // event while the reader stays stuck: counted, but not worth a line each.
    auto level = why == DropReason::compacted ? spdlog::level::info : spdlog::level::debug;
    log_event(level, "slow reader dropped events",
              {{"reason", why == DropReason::compacted ? "queue_limit" : "below_queued_priority"},
               {"conn", _http.connection_id(c)},
               {"ip", _http.client_of(c).text()},
               {"dropped", what},
               {"queued", human_bytes(c.queued_bytes())}});
}

void SseStreams::on_slow_reader_closed(HttpConnection& c, SlowReaderClose why, uint64_t queued) {
    const Member& m = c._member;
    for (uint16_t i = 0; m.subs && i < m.nsubs; ++i)
        if (Channel* ch = m.subs[i].channel) ++ch->slow_disconnects;
    c._end = HttpConnection::End::slow_reader;
    log_event(spdlog::level::info, "slow reader disconnected",
              {{"reason", why == SlowReaderClose::queue_limit ? "queue_limit" : "max_queue"},
               {"conn", _http.connection_id(c)},
               {"ip", _http.client_of(c).text()},
               {"user", c._member.who->user},
               {"queued", human_bytes(queued)}});
}

}  // namespace ringcast
