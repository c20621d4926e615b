#pragma once
// One publish, the same whichever way it came (HTTP or the Unix socket): the
// publish rate limits (publish_gate), the event built once, the fan-out through
// the hub, and what came of it. The protocols only read their requests and
// format this outcome as their reply.
//
//   flow.publish(std::move(message), publisher_key, /*count=*/true,
//                [handle](PublishOutcome& o) { ...reply to the connection, if still there... });
//
// `done` may run before publish() returns (a single shard, no limits), and
// runs exactly once. Without `count` (fire and forget) nobody waits for the
// shards: done() runs as soon as the event is on its way, or refused.
//
// A batch publishes its messages one after the other: each starts once the one
// before it was handed to the hub (or refused), so their ids follow the batch's
// order, while their fan-outs overlap. done() gets one outcome per message and
// the totals of those published.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/latency_histogram.h"
#include "ops/limiter.h"
#include "ops/publish_gate.h"
#include "pubsub/hub.h"
#include "pubsub/message.h"

namespace ringcast {

struct PublishOutcome {
    enum class Status : uint8_t {
        published,    // id, sent, failed (sent and failed when counted), limited
        refused,      // code "rate_limited", reason, message, retry_after_ms
        invalid,      // code "invalid_field", message (a batch's message that could not be read)
        unavailable,  // code "cluster_unavailable", message: Redis did not take it (a cluster)
    };
    Status status = Status::published;
    std::string id;
    uint64_t sent = 0;
    uint64_t failed = 0;
    std::vector<std::string> limited;  // target users left out by publish.user_rate_limit
    // In a cluster: the nodes the event reached and those counted in sent and
    // failed (docs/scaling.md); -1 on a single node, where nothing is added.
    int32_t nodes = -1;
    uint32_t nodes_answered = 0;
    std::string code;
    std::string reason;  // refused: "publisher_rate" or "user_rate"
    std::string message;
    uint64_t retry_after_ms = 0;

    static PublishOutcome invalid_message(std::string message);
};

// publish.rate_limit (per publisher key) and publish.user_rate_limit (per target
// user of user-specific messages); an inactive rule asks nothing.
struct PublishRules {
    LimitRule publisher;
    LimitRule user;
};

// A batch's message: its message, or (read already) what came of it.
struct BatchItem {
    Message message;
    bool ready = false;  // outcome already decided (invalid, or refused by the protocol)
    PublishOutcome outcome;
};

class PublishFlow {
public:
    using Done = std::function<void(PublishOutcome& outcome)>;
    using BatchDone =
        std::function<void(std::vector<PublishOutcome>& outcomes, uint64_t sent, uint64_t failed)>;

    PublishFlow(Hub& hub, Limiter& limiter, PublishRules rules)
        : _hub(hub), _limiter(limiter), _rules(rules) {}
    // A reload: the next publishes are counted against the new windows.
    void apply(const PublishRules& rules) { _rules = rules; }

    // `publisher`: its limiter key for publish.rate_limit ("" asks nothing: the
    // socket counts its connections itself). `done` may be empty (fire and
    // forget, nobody told of a refusal either).
    void publish(Message m, const std::string& publisher, bool count, Done done);
    void publish_batch(std::vector<BatchItem> items, const std::string& publisher, bool count,
                       BatchDone done);

    // Whether publishing `m` asks the limiter (and so may be refused later).
    bool checks(const Message& m, const std::string& publisher) const;

    // For the metrics: messages each protocol handed to the flow (counted by the
    // protocol, which knows how they came), and the latency of counted publishes
    // from the event built (Event::accepted_ns) to every shard's report, which is
    // when the acknowledgement is written.
    enum class Via : uint8_t { http, socket };
    void count_arrivals(Via via, uint64_t n) { _arrivals[size_t(via)] += n; }
    uint64_t arrivals(Via via) const { return _arrivals[size_t(via)]; }
    const LatencyHistogram& ack_latency() const { return _ack; }

private:
    struct Batch;
    // publish() in two steps: `started` once the event is handed to the hub or
    // refused (a batch starts its next message then), `done` with the outcome.
    void start(Message m, const std::string& publisher, bool count, std::function<void()> started,
               Done done);
    void send(Message& m, std::vector<std::string> limited, bool count, Done done);
    // Starts a batch's messages until one waits for the limiter.
    void start_next(Batch* b);
    static void account(Batch* b);

    Hub& _hub;
    Limiter& _limiter;
    PublishRules _rules;
    uint64_t _arrivals[2] = {};
    LatencyHistogram _ack;
};

}  // namespace ringcast
