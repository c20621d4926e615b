// ApiRequests: POST /api/publish (one message, or a batch) and POST
// /api/invalidate. Publishing goes through the publish flow shared with the
// socket (ops/publish_flow.h); this side reads the request and formats the
// answer, written once the shards have replied.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/json_writer.h"
#include "core/log_event.h"
#include "http/api_requests.h"
#include "http/http_server.h"
#include "http/response.h"
#include "pubsub/message_json.h"

namespace ringcast {

namespace {

// A published message as JSON members after the first: "id":...,"sent":...
void write_published(JsonWriter& w, const PublishOutcome& o) {
    w.key("id").value(o.id).key("sent").value(o.sent).key("failed").value(o.failed);
    if (o.nodes >= 0) w.key("nodes").value(o.nodes).key("nodesAnswered").value(o.nodes_answered);
    if (!o.limited.empty()) {
        w.key("limited").begin_array();
        for (const std::string& u : o.limited)
            w.value(u);
        w.end_array();
    }
}

void write_error(JsonWriter& w, const PublishOutcome& o) {
    w.key("error").begin_object().key("code").value(o.code).key("message").value(o.message);
    if (o.status == PublishOutcome::Status::refused) w.key("retryAfterMs").value(o.retry_after_ms);
    w.end_object();
}

}  // namespace

void ApiRequests::publish(HttpConnection& c, HttpRequest& req, std::string publisher) {
    simdjson::dom::object obj;
    if (!body_object(c, req, &obj)) return;
    // Credentials not read (http_require_auth = false): the client's address.
    if (publisher.empty()) publisher = "pubip:" + _http.client_of(c).text();
    simdjson::dom::element messages;
    if (obj["messages"].get(messages) == simdjson::SUCCESS) {
        publish_batch(c, obj, publisher);
        return;
    }
    Message msg;
    std::string error;
    if (!parse_message(obj, &msg, &error)) {
        reply_bad_request(c, "invalid_field", error);
        return;
    }
    _http.wait_for_answer(c);
    _flow.count_arrivals(PublishFlow::Via::http, 1);
    _flow.publish(
        std::move(msg), publisher, true, [this, h = Transport::handle(c)](PublishOutcome& o) {
            if (o.status == PublishOutcome::Status::refused) _http.count_refusal(429);
            _http.complete_async(h, [&](HttpConnection& c) {
                if (o.status == PublishOutcome::Status::refused) {
                    log_event(spdlog::level::info, "publish refused",
                              {{"status", 429},
                               {"reason", o.reason},
                               {"ip", _http.client_of(c).text()},
                               {"conn", _http.connection_id(c)},
                               {"retry_ms", o.retry_after_ms}});
                    const uint64_t retry_s = std::max<uint64_t>(1, (o.retry_after_ms + 999) / 1000);
                    return http_response(
                        429, "application/json", json_error_body(o.code, o.message, o.reason),
                        _http.keeps_alive(c), {{"Retry-After", std::to_string(retry_s)}});
                }
                if (o.status == PublishOutcome::Status::unavailable)
                    return http_response(503, "application/json",
                                         json_error_body(o.code, o.message), _http.keeps_alive(c),
                                         {{"Retry-After", "1"}});
                std::string body;
                JsonWriter w(body);
                w.begin_object();
                write_published(w, o);
                w.end_object();
                return http_response(200, "application/json", body, _http.keeps_alive(c));
            });
        });
}

// {"messages": [...]}: each message as the socket's batch takes it, one answer
// with every result (docs/protocol.md, "A batch").
void ApiRequests::publish_batch(HttpConnection& c, simdjson::dom::object obj,
                                const std::string& publisher) {
    for (auto field : obj) {
        if (field.key != "messages") {
            reply_bad_request(c, "invalid_field",
                              "a batch has only \"messages\"; message fields go inside each "
                              "message");
            return;
        }
    }
    // A repeated "messages" counts once, with its first value, as every key does.
    simdjson::dom::array arr;
    if (obj["messages"].get_array().get(arr) != simdjson::SUCCESS) {
        reply_bad_request(c, "invalid_field", "\"messages\" must be an array of message objects");
        return;
    }
    std::vector<BatchItem> items(arr.size());
    size_t i = 0;
    for (simdjson::dom::element e : arr) {
        BatchItem& item = items[i++];
        simdjson::dom::object m;
        std::string error;
        if (e.get_object().get(m) != simdjson::SUCCESS) {
            item.ready = true;
            item.outcome = PublishOutcome::invalid_message("a message must be a JSON object");
        } else if (!parse_message(m, &item.message, &error)) {
            item.ready = true;
            item.outcome = PublishOutcome::invalid_message(error);
        }
    }
    _http.wait_for_answer(c);
    // A client that goes away before the answer loses only the answer: the
    // batch was received whole, and every message of it is published.
    _flow.count_arrivals(
        PublishFlow::Via::http,
        std::count_if(items.begin(), items.end(), [](const BatchItem& i) { return !i.ready; }));
    _flow.publish_batch(
        std::move(items), publisher, true,
        [this, h = Transport::handle(c)](std::vector<PublishOutcome>& outcomes, uint64_t sent,
                                         uint64_t failed) {
            uint64_t refused = 0;
            std::string_view reason;
            for (const PublishOutcome& o : outcomes) {
                if (o.status != PublishOutcome::Status::refused) continue;
                _http.count_refusal(429);
                ++refused;
                reason = o.reason;
            }
            _http.complete_async(h, [&](HttpConnection& c) {
                if (refused)  // one line per batch, however many of its messages
                    log_event(spdlog::level::info, "publish refused",
                              {{"status", 429},
                               {"reason", reason},
                               {"ip", _http.client_of(c).text()},
                               {"conn", _http.connection_id(c)},
                               {"refused", refused}});
                std::string body;
                JsonWriter w(body);
                w.begin_object().key("sent").value(sent).key("failed").value(failed);
                w.key("results").begin_array();
                for (const PublishOutcome& o : outcomes) {
                    w.begin_object().key("ok").value(o.status == PublishOutcome::Status::published);
                    if (o.status == PublishOutcome::Status::published) {
                        write_published(w, o);
                    } else {
                        write_error(w, o);
                    }
                    w.end_object();
                }
                w.end_array().end_object();
                return http_response(200, "application/json", body, _http.keeps_alive(c));
            });
        });
}

void ApiRequests::invalidate(HttpConnection& c, HttpRequest& req) {
    simdjson::dom::object obj;
    if (!body_object(c, req, &obj)) return;
    CacheInvalidation what;
    std::string error;
    if (!parse_invalidation(obj, &what, &error)) {
        reply_bad_request(c, "invalid_field", error);
        return;
    }
    _http.wait_for_answer(c);
    _hub.invalidate(std::move(what), [this, h = Transport::handle(c)](InvalidateResult& r) {
        _http.complete_async(h, [&](HttpConnection& c) {
            if (!r.error.empty())
                return http_response(503, "application/json",
                                     json_error_body("cluster_unavailable", r.error),
                                     _http.keeps_alive(c), {{"Retry-After", "1"}});
            std::string body;
            JsonWriter w(body);
            w.begin_object().key("removed").value(r.removed);
            if (r.nodes >= 0)
                w.key("nodes").value(r.nodes).key("nodesAnswered").value(r.nodes_answered);
            w.end_object();
            return http_response(200, "application/json", body, _http.keeps_alive(c));
        });
    });
}

}  // namespace ringcast
