// SocketOps: the publish op, one message or a batch, through the publish flow
// (ops/publish_flow.h) shared with HTTP; this side counts the connection's own
// publish.rate_limit and formats the replies.
#include <algorithm>

#include <fmt/format.h>

#include "core/log_event.h"
#include "publish/publish_server.h"
#include "publish/reply_json.h"
#include "publish/socket_ops.h"
#include "pubsub/message_json.h"

namespace ringcast {

using namespace reply_json;

SocketOps::SocketOps(PublishServer& server, Reactor& reactor, Hub& hub, StatsCollector& stats,
                     Directory& directory, PublishFlow& flow, Rate rate,
                     std::shared_ptr<const StreamTokenSigner> signer, const AlertOptions& alerts,
                     uint64_t started_ms)
    : _server(server)
    , _reactor(reactor)
    , _hub(hub)
    , _stats(stats)
    , _directory(directory)
    , _flow(flow)
    , _rate(rate)
    , _signer(std::move(signer))
    , _alerts(alerts)
    , _started_ms(started_ms) {}

namespace {

// The reply members of a published message: ,"id":...,"sent":...,"failed":...
std::string published_members(const PublishOutcome& o) {
    std::string nodes;
    if (o.nodes >= 0)
        nodes = fmt::format(",\"nodes\":{},\"nodesAnswered\":{}", o.nodes, o.nodes_answered);
    return fmt::format(",\"id\":{},\"sent\":{},\"failed\":{}{}{}", json_string(o.id), o.sent,
                       o.failed, nodes, limited_member(o.limited));
}

std::string error_of(const PublishOutcome& o) {
    return o.status == PublishOutcome::Status::refused
               ? rate_error_object(o.message, o.retry_after_ms)
               : error_object(o.code, o.message);
}

}  // namespace

bool SocketOps::over_rate(PublishConnection& c, uint64_t* retry_ms) {
    if (!_rate.max) return false;
    const uint64_t now = _reactor.now_ms();
    if (c._rate_count == 0 || now >= c._rate_start_ms + _rate.window_ms) {
        c._rate_start_ms = now;
        c._rate_count = 0;
    }
    if (c._rate_count >= _rate.max) {
        *retry_ms = std::max<uint64_t>(1, c._rate_start_ms + _rate.window_ms - now);
        _server.count_rate_limited();
        log_event(spdlog::level::info, "publish refused",
                  {{"reason", "publisher_rate"},
                   {"conn", fmt::format("c{}-{}", _reactor.id(), c.serial())},
                   {"pid", c._peer.pid},
                   {"retry_ms", *retry_ms}});
        return true;
    }
    ++c._rate_count;
    return false;
}

std::string SocketOps::rate_message() const {
    return fmt::format(
        "more than {} publishes on this connection within {} ms "
        "(publish.rate_limit)",
        _rate.max, _rate.window_ms);
}

void SocketOps::publish(PublishConnection& c, const SocketRequest& r, simdjson::dom::object obj) {
    Message m;
    std::string error;
    if (!parse_message(obj, &m, &error, {"op", "req"})) {
        _server.reply_error(c, r, "invalid_field", error);
        return;
    }
    uint64_t retry_ms = 0;
    if (over_rate(c, &retry_ms)) {
        _server.reply_error_object(c, r, rate_error_object(rate_message(), retry_ms));
        return;
    }
    _flow.count_arrivals(PublishFlow::Via::socket, 1);
    const bool may_fail = _flow.checks(m, {});
    if (!r.answered() && !may_fail) {
        _flow.publish(std::move(m), {}, false, {});  // fire and forget: nothing to say
        return;
    }
    // The reply's place is taken now, so that it keeps its order among the
    // replies: a fire-and-forget publish that may still be refused takes a
    // silent one (nothing if it goes, its error line if not).
    const uint64_t slot = _server.reserve(c, r);
    _flow.publish(std::move(m), {}, r.answered(),
                  [this, h = Transport::handle(c), slot](PublishOutcome& o) {
                      PublishConnection* conn = _server.alive(h);
                      if (!conn) return;  // gone: the event still went out
                      if (o.status == PublishOutcome::Status::published) {
                          conn->_replies.fill_ok(slot, published_members(o));
                      } else if (o.status == PublishOutcome::Status::unavailable) {
                          conn->_replies.fill_error(slot, error_of(o));
                      } else {
                          _server.count_rate_limited();
                          log_event(spdlog::level::info, "publish refused",
                                    {{"reason", o.reason},
                                     {"conn", fmt::format("c{}-{}", _reactor.id(), conn->serial())},
                                     {"pid", conn->_peer.pid},
                                     {"retry_ms", o.retry_after_ms}});
                          conn->_replies.fill_error(slot, error_of(o));
                      }
                      _server.mark_dirty(*conn);
                  });
}

void SocketOps::publish_batch(PublishConnection& c, const SocketRequest& r,
                              simdjson::dom::array messages) {
    std::vector<BatchItem> items(messages.size());
    size_t i = 0;
    for (simdjson::dom::element e : messages) {
        BatchItem& item = items[i++];
        simdjson::dom::object obj;
        std::string error;
        uint64_t retry_ms = 0;
        if (e.get_object().get(obj) != simdjson::SUCCESS) {
            item.ready = true;
            item.outcome = PublishOutcome::invalid_message("a message must be a JSON object");
        } else if (!parse_message(obj, &item.message, &error)) {
            item.ready = true;
            item.outcome = PublishOutcome::invalid_message(error);
        } else if (over_rate(c, &retry_ms)) {  // a batch counts each message
            item.ready = true;
            item.outcome.status = PublishOutcome::Status::refused;
            item.outcome.code = "rate_limited";
            item.outcome.reason = "publisher_rate";
            item.outcome.message = rate_message();
            item.outcome.retry_after_ms = retry_ms;
        }
    }
    // One place among the replies for the whole batch: its reply, or (no "req")
    // the error lines of its messages that did not go, in their order.
    const uint64_t slot = _server.reserve(c, r);
    _flow.count_arrivals(
        PublishFlow::Via::socket,
        std::count_if(items.begin(), items.end(), [](const BatchItem& i) { return !i.ready; }));
    _flow.publish_batch(
        std::move(items), {}, r.answered(),
        [this, h = Transport::handle(c), slot, answered = r.answered(), line = r.line](
            std::vector<PublishOutcome>& outcomes, uint64_t sent, uint64_t failed) {
            uint64_t refused = 0;
            std::string_view reason;
            for (const PublishOutcome& o : outcomes) {
                if (o.status != PublishOutcome::Status::refused || o.reason == "publisher_rate")
                    continue;  // the connection's own were counted (and logged) when read
                _server.count_rate_limited();
                ++refused;
                reason = o.reason;
            }
            PublishConnection* conn = _server.alive(h);
            if (!conn) return;
            if (refused)  // one line per batch, however many of its messages
                log_event(spdlog::level::info, "publish refused",
                          {{"reason", reason},
                           {"conn", fmt::format("c{}-{}", _reactor.id(), conn->serial())},
                           {"pid", conn->_peer.pid},
                           {"refused", refused}});
            if (answered) {
                std::string body =
                    fmt::format(",\"sent\":{},\"failed\":{},\"results\":[", sent, failed);
                for (size_t i = 0; i < outcomes.size(); ++i) {
                    const PublishOutcome& o = outcomes[i];
                    if (i) body += ',';
                    body += o.status == PublishOutcome::Status::published
                                ? "{\"ok\":true" + published_members(o) + "}"
                                : "{\"ok\":false,\"error\":" + error_of(o) + "}";
                }
                body += ']';
                conn->_replies.fill_ok(slot, body);
            } else {
                // Nobody reads a per-message result: each failed message is an error line.
                std::string lines;
                for (size_t i = 0; i < outcomes.size(); ++i) {
                    const PublishOutcome& o = outcomes[i];
                    if (o.status == PublishOutcome::Status::published) continue;
                    PublishOutcome named = o;
                    named.message = fmt::format("messages[{}]: {}", i, o.message);
                    lines += fmt::format("{{\"ok\":false,\"line\":{},\"error\":{}}}\n", line,
                                         error_of(named));
                }
                conn->_replies.fill_lines(slot, std::move(lines));
            }
            _server.mark_dirty(*conn);
        });
}

}  // namespace ringcast
