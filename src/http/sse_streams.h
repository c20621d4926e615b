#pragma once
// SSE streams on one shard: admission (token, endpoint gates, channel rules:
// stream_admission.h), the limits counted on other shards (ops/limiter.h), the
// first bytes, catching up before going live (pubsub/catch_up.h), heartbeats and
// lifetimes, and what slow readers lose (slow_readers.cc). HttpServer hands it a
// connection whose request names an endpoint, and the lifecycle events of the
// connections it turned into streams.
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/user_caps.h"
#include "http/handed_stream.h"
#include "http/http_connection.h"
#include "http/http_options.h"
#include "http/stream_admission.h"
#include "http/stream_limit.h"
#include "net/transport.h"
#include "ops/directory.h"
#include "ops/limiter.h"
#include "ops/stats.h"
#include "pubsub/channel_index.h"
#include "pubsub/hub.h"

namespace ringcast {

class HttpServer;

class SseStreams final : public StreamCatalog, public CatchUpListener {
public:
    SseStreams(HttpServer& http, Reactor& reactor, Transport& transport, ChannelIndex& index,
               Audience& audience, Limiter& limiter, Hub& hub, StreamLimit& limit,
               const HttpOptions& opts);
    ~SseStreams() override;
    SseStreams(const SseStreams&) = delete;
    SseStreams& operator=(const SseStreams&) = delete;

    // GET on an endpoint: admitted (maybe after the limiter's answer) or refused.
    void open(HttpConnection& c, HttpRequest& req, const EndpointOptions& ep);
    // A stream's deadline: its next heartbeat, or the end of its lifetime.
    void on_deadline(HttpConnection& c, uint64_t now_ms);
    // The connection closes: its subscriptions, limits and count go.
    void on_closed(HttpConnection& c);
    // stream_handover.cc, an upgrade. The old daemon freezes each stream it
    // hands over: false if it cannot be (it is still catching up); else *out
    // says what the new daemon needs (the socket excepted), and the stream has
    // left its channels and its deadlines: nothing more is queued for it here.
    bool freeze(HttpConnection& c, HandedStream* out);
    // The new daemon rebuilds a stream it was handed, on a connection opened
    // for its socket: no handshake (the client has had it), and it catches up
    // from `resume_id`, the old daemon's last event. False, changing nothing,
    // if it cannot be served here (its endpoint is gone, the stream limit).
    bool adopt(HttpConnection& c, const HandedStream& s, const std::string& resume_id);

    // slow_readers.cc: what a slow reader lost, counted and logged.
    void on_frames_dropped(HttpConnection& c, std::span<LocalFrame* const> frames, DropReason why);
    void on_slow_reader_closed(HttpConnection& c, SlowReaderClose why, uint64_t queued);
    // stream_log.cc: a stream's first and last lines, at debug and in the access log.
    void log_stream_opened(const HttpConnection& c) const;
    void log_stream_closed(const HttpConnection& c) const;

    // StreamCatalog
    bool describe(const Connection& c, JsonWriter& w) const override;
    std::string_view user_of(const Connection& c) const override;
    bool is_stream(const Connection& c) const override { return stream_of(c) != nullptr; }

    // After a reload replaced the endpoints (HttpServer::apply): each stream
    // takes its endpoint's new options (heartbeat interval...) by path.
    void follow_endpoints();

    // [cluster] redis: per-user caps counted across the nodes
    // (stream_cluster_caps.cc), and what GET /api/stats?cluster=1 lists with.
    void set_cluster(UserCaps* caps, RedisLink* link, const ClusterNode* node) {
        _user_caps = caps;
        _cluster_link = link;
        _cluster_node = node;
    }
    RedisLink* cluster_link() const { return _cluster_link; }
    const ClusterNode* cluster_node() const { return _cluster_node; }

    // Number of SSE streams on this shard (read by stats).
    const uint64_t& stream_count() const { return _streams; }
    const CatchUpStats& catch_ups() const { return _catch_up_stats; }
    const QueueLossStats& queue_losses() const { return _losses; }
    // Streams by endpoint and every connection's queued bytes, in one walk over
    // the shard's connections (for /metrics; nothing is counted on the hot path).
    StreamCensus census() const;

private:
    // What a stream that waits for the limiter's answers (per-IP, per-user owner
    // shards) needs to open afterwards.
    struct PendingOpen {
        std::string path;    // the endpoint's: a reload while we ask may change it
        PeerAddress client;  // whose streams the per-IP limits count
        StreamAdmission admission;
        std::string origin;
        std::vector<LimitAsk> asks;
        // [cluster]: the per-user cap asked of Redis after the node's own limits
        // granted (stream_cluster_caps.cc), and a count held there.
        bool cluster_asked = false;
        bool cluster_held = false;
    };
    void on_limit_answer(ConnectionHandle h, PendingOpen& p, std::vector<LimitVerdict>& verdicts);
    // After every check: subscribes, sends the handshake, starts the heartbeat.
    void start(HttpConnection& c, const EndpointOptions& ep, StreamAdmission& a,
               std::string_view origin);
    // Subscribes the stream to the channels it holds, and lists it under its user.
    void go_live(Member& m, const std::vector<Channel*>& held);
    // Holds the stream's channels (subscribed by go_live once the log answers)
    // and makes the question for the log.
    std::unique_ptr<CatchUpWaiter> hold_channels(HttpConnection& c,
                                                 const std::vector<std::string>& unique,
                                                 std::optional<std::string> last_id);
    void ask_catch_up(HttpConnection& c, std::unique_ptr<CatchUpWaiter> catch_up);
    // stream_handover.cc: an adopted stream's connection-limit counts, taken again.
    void recount_limits(HttpConnection& c, const std::vector<std::string>& keys);
    // Unsubscribes the stream and takes it off its user's list.
    void leave_channels(HttpConnection& c);
    void on_catch_up_answer(CatchUpWaiter& w) override;
    // Queues what a stream gets before it goes live: a history-gap refresh, the
    // events meant for it, and the log's position.
    void queue_catch_up(HttpConnection& c, CatchUpWaiter& w);
    // When a stream's next heartbeat is due, or its lifetime ends if sooner.
    uint64_t deadline(const HttpConnection& c, uint64_t now_ms) const;
    void send_heartbeat(HttpConnection& c);
    // The `token-expired` event a stream gets when its token ends it.
    void send_token_expired(HttpConnection& c);
    LocalFrame* heartbeat_frame();
    // The stream's connection, by its HTTP protocol id (describe, user_of).
    const HttpConnection* stream_of(const Connection& c) const;
    // stream_cluster_caps.cc. True when the user's cap is asked of the cluster
    // (on_limit_answer runs again with the answer in p and verdicts).
    bool ask_cluster_cap(ConnectionHandle h, PendingOpen& p, std::vector<LimitVerdict>& verdicts);
    // A stream's hold on its user's count in the cluster, among its limit
    // holds: "cluster-user:<id>".
    static std::string cluster_hold(const std::string& user);
    // True (and released) when `key` is a cluster hold.
    bool release_cluster_hold(const std::string& key);
    // An adopted stream's cluster holds, counted again whatever the cap says.
    void recount_cluster_holds(HttpConnection& c, const std::vector<std::string>& keys);

    HttpServer& _http;
    Reactor& _reactor;
    Transport& _transport;
    ChannelIndex& _index;
    Audience& _audience;
    Limiter& _limiter;
    Hub& _hub;
    StreamLimit& _limit;
    const HttpOptions& _opts;
    UserCaps* _user_caps = nullptr;  // [cluster] redis
    RedisLink* _cluster_link = nullptr;
    const ClusterNode* _cluster_node = nullptr;
    uint64_t _streams = 0;
    CatchUpStats _catch_up_stats;
    QueueLossStats _losses;
    LocalFrame* _heartbeat = nullptr;  // shared by every stream whose beat falls in the same ms
    int64_t _heartbeat_ms = -1;
    // Endpoints a reload removed while streams on them were open (stable
    // addresses: those streams point here).
    std::deque<EndpointOptions> _removed_endpoints;
};

}  // namespace ringcast
