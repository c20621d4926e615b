// HttpServer, part 3 of 4: POST /api/publish (one message, or a batch), POST
// /api/invalidate and GET /api/stats, answered once the shards they need have
// replied. Publishing goes through the publish flow shared with the socket
// (ops/publish_flow.h); this side reads the request and formats the answer.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/json_writer.h"
#include "http/http_server.h"
#include "http/response.h"
#include "pubsub/message_json.h"

namespace ringcast {

namespace {

// A published message as JSON members after the first: "id":...,"sent":...
void write_published(JsonWriter& w, const PublishOutcome& o) {
    w.key("id").value(o.id).key("sent").value(o.sent).key("failed").value(o.failed);
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

void HttpServer::start_publish(HttpConnection& c, HttpRequest& req, std::string publisher) {
    simdjson::dom::object obj;
    if (!body_object(c, req, &obj)) return;
    // Credentials not read (http_require_auth = false): the client's address.
    if (publisher.empty()) publisher = "pubip:" + client_of(c).text();
    simdjson::dom::element messages;
    if (obj["messages"].get(messages) == simdjson::SUCCESS) {
        start_batch(c, obj, publisher);
        return;
    }
    Message msg;
    std::string error;
    if (!parse_message(obj, &msg, &error)) {
        reply_bad_request(c, "invalid_field", error);
        return;
    }
    wait_for_answer(c);
    _flow.publish(
        std::move(msg), publisher, true, [this, h = Transport::handle(c)](PublishOutcome& o) {
            if (o.status == PublishOutcome::Status::refused) ++_refused.rate_limited;
            complete_async(h, [&](HttpConnection& c) {
                if (o.status == PublishOutcome::Status::refused) {
                    const uint64_t retry_s = std::max<uint64_t>(1, (o.retry_after_ms + 999) / 1000);
                    return http_response(
                        429, "application/json", json_error_body(o.code, o.message, o.reason),
                        keeps_alive(c), {{"Retry-After", std::to_string(retry_s)}});
                }
                std::string body;
                JsonWriter w(body);
                w.begin_object();
                write_published(w, o);
                w.end_object();
                return http_response(200, "application/json", body, keeps_alive(c));
            });
        });
}

// {"messages": [...]}: each message as the socket's batch takes it, one answer
// with every result (docs/protocol.md, "A batch").
void HttpServer::start_batch(HttpConnection& c, simdjson::dom::object obj,
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
    wait_for_answer(c);
    // A client that goes away before the answer loses only the answer: the
    // batch was received whole, and every message of it is published.
    _flow.publish_batch(
        std::move(items), publisher, true,
        [this, h = Transport::handle(c)](std::vector<PublishOutcome>& outcomes, uint64_t sent,
                                         uint64_t failed) {
            for (const PublishOutcome& o : outcomes)
                if (o.status == PublishOutcome::Status::refused) ++_refused.rate_limited;
            complete_async(h, [&](HttpConnection& c) {
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
                return http_response(200, "application/json", body, keeps_alive(c));
            });
        });
}

void HttpServer::start_invalidate(HttpConnection& c, HttpRequest& req) {
    simdjson::dom::object obj;
    if (!body_object(c, req, &obj)) return;
    CacheInvalidation what;
    std::string error;
    if (!parse_invalidation(obj, &what, &error)) {
        reply_bad_request(c, "invalid_field", error);
        return;
    }
    wait_for_answer(c);
    _hub.invalidate(std::move(what), [this, h = Transport::handle(c)](uint64_t removed) {
        complete_async(h, [&](HttpConnection& c) {
            return http_response(200, "application/json",
                                 fmt::format(R"({{"removed":{}}})", removed), keeps_alive(c));
        });
    });
}

void HttpServer::start_stats(HttpConnection& c) {
    wait_for_answer(c);
    _stats.collect([this, h = Transport::handle(c)](std::vector<ShardSnapshot>& shards) {
        complete_async(h, [&](HttpConnection& c) {
            const double uptime = double(_reactor.now_ms() - _started_ms) / 1000.0;
            return http_response(200, "application/json",
                                 render_stats_json(shards, uptime, read_process_stats()),
                                 keeps_alive(c));
        });
    });
}

void HttpServer::wait_for_answer(HttpConnection& c) {
    c._mode = HttpConnection::Mode::waiting;
    _transport.set_deadline(c, 0);
}

void HttpServer::complete_async(ConnectionHandle h,
                                const std::function<std::string(HttpConnection&)>& answer) {
    if (HttpConnection* c = alive(h)) complete_async(*c, answer(*c));
}

void HttpServer::complete_async(HttpConnection& c, std::string response) {
    reply(c, std::move(response));
    finish_request(c);
    std::unique_ptr<std::string> held = std::move(c._held);
    _transport.resume_reading(c);
    if (held && c._mode == HttpConnection::Mode::reading)
        process_input(c, held->data(), held->size());
}

}  // namespace ringcast
