#pragma once
// The alerts on one shard: the current AlertSet (the home shard's last committed
// one), each alert's targeting resolved against this shard's audience, and the
// alert events of its streams on the alerts channel:
//   - `alerts`: a stream's list when it connects (SseStreams asks list_for());
//   - `alerts-update`: its new list, when a change or the clock changed it;
//   - `alert`: a created or changed alert, to the streams that now show it;
//   - `alerts-refresh` {reason, timestamp}: when asked (the product documents'
//     refresh after an admin update).
// A list is serialized once per distinct list, not per stream: the streams that
// see the same alerts share one frame's bytes. Starts and expiries are this
// shard's own timer: a list changes within the clock's millisecond of the time,
// with no message from anywhere.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "alerts/alert_options.h"
#include "alerts/alert_set.h"
#include "core/reactor.h"
#include "core/timer_wheel.h"
#include "net/transport.h"
#include "pubsub/audience.h"
#include "pubsub/channel_index.h"

namespace ringcast {

// What a new AlertSet comes with: the change that made it.
struct AlertChange {
    enum class Kind { loaded, created, updated, deleted, dismissed, refresh };
    Kind kind = Kind::loaded;
    uint64_t alert_id = 0;
    std::string reason;  // refresh: why (sent as given)
    std::string user;    // dismissed: who (only that user's lists change)
};

class AlertFeed {
public:
    // Starts with `loaded` (what the daemon read from alerts.db; empty if none).
    AlertFeed(Reactor& reactor, Transport& transport, ChannelIndex& index, Audience& audience,
              const AlertOptions& opts, AlertSnapshot loaded);
    ~AlertFeed();
    AlertFeed(const AlertFeed&) = delete;
    AlertFeed& operator=(const AlertFeed&) = delete;

    // Takes a new set (or, for a refresh, the same one) and tells the streams
    // what changed for them.
    void adopt(AlertSnapshot set, const AlertChange& change);
    const AlertSnapshot& snapshot() const { return _set; }

    // The alerts `who` sees at `now_ms`, in the order shown.
    std::vector<const Alert*> list_for(const Identity& who, int64_t now_ms) const;
    // The `alerts` event of a stream that connects now: one frame per distinct
    // list, kept until the set or the clock changes the lists, so that a burst of
    // connections serializes each list once. The caller enqueues it (the frame
    // pool counts that user).
    LocalFrame* first_frame(const Identity& who);

    // Whom an alert with this targeting reaches on this shard now: its streams on
    // the channel, and their distinct users (POST /api/alerts/preview).
    struct Reach {
        uint64_t streams = 0;
        std::vector<std::string> users;
    };
    Reach reach(const Target& target);

    // The start or expiry timer (Shard::on_timer hands it here).
    bool owns(const TimerNode* node) const { return node == &_timer; }
    void on_timer();

    struct Stats {
        uint64_t updates = 0;  // alerts-update events queued
        uint64_t lists = 0;    // distinct lists serialized for them
    };
    const Stats& stats() const { return _stats; }

private:
    struct Resolved;
    void resolve_all();
    std::vector<const Alert*> list_in(const std::vector<Resolved>& resolved, const AlertSet& set,
                                      const Identity& who, int64_t now_ms) const;
    // Sends alerts-update to every stream whose list differs between `before`
    // (under the previous set at `before_ms`) and now; `alert`, if any, to the
    // streams that now show it.
    // With `only_user`, only that user's streams are looked at (a dismissal).
    void push(const std::vector<Resolved>& before, const AlertSet* before_set, int64_t before_ms,
              const Alert* alert, std::string_view only_user = {});
    void push_refresh(const std::string& reason);
    // Each stream on the channel here, subscribed or still catching up.
    template <typename F>
    void for_each_stream(F&& f);
    // The same for the streams of one user: its live streams from the audience's
    // user index, and those of its streams still catching up.
    template <typename F>
    void for_each_stream_of(std::string_view user, F&& f);
    void schedule();
    void forget_first_frames();

    Reactor& _reactor;
    Transport& _transport;
    ChannelIndex& _index;
    Audience& _audience;
    const AlertOptions& _opts;
    uint64_t _channel_hash;
    AlertSnapshot _set;
    std::vector<Resolved> _resolved;  // per alert of _set, same order
    int64_t _evaluated_ms = 0;        // when the streams' lists were last brought up to date
    TimerNode _timer;
    std::unordered_map<std::string, LocalFrame*> _first;  // by list key; one user each is ours
    Stats _stats;
};

}  // namespace ringcast
