#include "ops/publish_flow.h"

#include <algorithm>
#include <memory>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/clock.h"
#include "pubsub/event.h"

namespace ringcast {

namespace {

// The hub's ticket for a counted publish: its outcome once every shard reported.
class Counted final : public PublishTicket {
public:
    Counted(std::vector<std::string> limited, PublishFlow::Done done, LatencyHistogram& ack)
        : _limited(std::move(limited)), _done(std::move(done)), _ack(ack) {}
    void complete() override {
        const uint64_t now = mono_ns();
        if (event->accepted_ns() && now > event->accepted_ns())
            _ack.observe_us((now - event->accepted_ns()) / 1000);
        PublishOutcome o;
        if (!error.empty()) {
            o.status = PublishOutcome::Status::unavailable;
            o.code = "cluster_unavailable";
            o.message = std::move(error);
            _done(o);
            return;
        }
        o.id = event->id();
        o.sent = sent;
        o.failed = failed;
        o.limited = std::move(_limited);
        o.nodes = nodes;
        o.nodes_answered = nodes_answered;
        _done(o);
    }

private:
    std::vector<std::string> _limited;
    PublishFlow::Done _done;
    LatencyHistogram& _ack;
};

PublishOutcome rate_limited(std::string reason, std::string message, uint64_t retry_after_ms) {
    PublishOutcome o;
    o.status = PublishOutcome::Status::refused;
    o.code = "rate_limited";
    o.reason = std::move(reason);
    o.message = std::move(message);
    o.retry_after_ms = retry_after_ms;
    return o;
}

}  // namespace

PublishOutcome PublishOutcome::invalid_message(std::string message) {
    PublishOutcome o;
    o.status = Status::invalid;
    o.code = "invalid_field";
    o.message = std::move(message);
    return o;
}

bool PublishFlow::checks(const Message& m, const std::string& publisher) const {
    return (!publisher.empty() && _rules.publisher.active()) ||
           (_rules.user.active() && m.target.kind == Target::Kind::users);
}

void PublishFlow::publish(Message m, const std::string& publisher, bool count, Done done) {
    start(std::move(m), publisher, count, {}, std::move(done));
}

void PublishFlow::start(Message m, const std::string& publisher, bool count,
                        std::function<void()> started, Done done) {
    if (!checks(m, publisher)) {  // no limits (the default): no message to anyone
        send(m, {}, count, std::move(done));
        if (started) started();
        return;
    }
    PublishCheck check;
    if (!publisher.empty() && _rules.publisher.active()) {
        check.publisher_key = publisher;
        check.publisher_rule = _rules.publisher;
    }
    const bool by_user = _rules.user.active() && m.target.kind == Target::Kind::users;
    if (by_user) {
        check.users = m.target.users;
        check.user_rule = _rules.user;
    }
    check_publish(_limiter, std::move(check),
                  [this, m = std::move(m), count, by_user, started = std::move(started),
                   done = std::move(done)](PublishVerdict& v) mutable {
                      PublishOutcome refused;
                      if (v.publisher_refused) {
                          refused = rate_limited(
                              "publisher_rate",
                              fmt::format("more than {} publishes from this publisher within {} ms "
                                          "(publish.rate_limit)",
                                          _rules.publisher.window_max, _rules.publisher.window_ms),
                              v.retry_after_ms);
                      } else if (by_user) {
                          std::erase_if(m.target.users, [&](const std::string& u) {
                              return std::find(v.limited.begin(), v.limited.end(), u) !=
                                     v.limited.end();
                          });
                          if (m.target.users.empty())
                              refused = rate_limited(
                                  "user_rate",
                                  fmt::format("every target user already had {} events within {} "
                                              "ms (publish.user_rate_limit): {}",
                                              _rules.user.window_max, _rules.user.window_ms,
                                              fmt::join(v.limited, ", ")),
                                  v.retry_after_ms);
                      }
                      if (refused.status == PublishOutcome::Status::refused) {
                          if (done) done(refused);
                      } else {
                          send(m, std::move(v.limited), count, std::move(done));
                      }
                      if (started) started();
                  });
}

void PublishFlow::send(Message& m, std::vector<std::string> limited, bool count, Done done) {
    Event* e = Event::build(m, wall_ms());
    if (!count || !done) {
        _hub.publish(e, nullptr);
        if (done) {
            PublishOutcome o;  // on its way; nobody counts the shards
            o.limited = std::move(limited);
            done(o);
        }
        return;
    }
    _hub.publish(e, new Counted(std::move(limited), std::move(done), _ack));  // the hub deletes it
}

// --- batches ------------------------------------------------------------------

// A batch until its last message is accounted for.
struct PublishFlow::Batch {
    std::vector<BatchItem> items;
    std::vector<PublishOutcome> outcomes;
    std::string publisher;
    bool count = false;
    BatchDone done;
    size_t next = 0;       // the next message to start
    size_t remaining = 0;  // messages, and the batch's own hold, not accounted for yet
    uint64_t sent = 0, failed = 0;
    bool starting = false;  // inside start_next(): a start that completes at once just moves on
    bool started = false;
};

void PublishFlow::publish_batch(std::vector<BatchItem> items, const std::string& publisher,
                                bool count, BatchDone done) {
    auto* b = new Batch;
    b->items = std::move(items);
    b->outcomes.resize(b->items.size());
    b->publisher = publisher;
    b->count = count;
    b->done = std::move(done);
    b->remaining = b->items.size() + 1;  // the batch's own hold: until every message started
    start_next(b);
}

void PublishFlow::account(Batch* b) {
    if (--b->remaining > 0) return;
    std::unique_ptr<Batch> owned(b);
    b->done(b->outcomes, b->sent, b->failed);
}

// The loop, not recursion, goes on when a message starts at once (no limits):
// a batch of thousands is one pass.
void PublishFlow::start_next(Batch* b) {
    b->starting = true;
    while (b->next < b->items.size()) {
        const size_t i = b->next++;
        BatchItem& item = b->items[i];
        if (item.ready) {
            b->outcomes[i] = std::move(item.outcome);
            account(b);
            continue;
        }
        b->started = false;
        start(
            std::move(item.message), b->publisher, b->count,
            [this, b] {
                if (b->starting) {
                    b->started = true;
                } else {
                    start_next(b);
                }
            },
            [b, i](PublishOutcome& o) {
                if (o.status == PublishOutcome::Status::published) {
                    b->sent += o.sent;
                    b->failed += o.failed;
                }
                b->outcomes[i] = std::move(o);
                account(b);
            });
        if (!b->started) {
            b->starting = false;
            return;  // waits for the limiter; its `started` goes on from here
        }
    }
    b->starting = false;
    account(b);  // every message has started: the batch's own hold goes
}

}  // namespace ringcast
