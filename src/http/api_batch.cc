// HttpServer: POST /api/publish with {"messages": [...]}, a batch, as the
// socket's publish op takes it: each message validated and published on its own,
// in order, through the publish rate limits, and one answer with every result
// and the totals of those published:
//
//   {"sent": 3, "failed": 0, "results": [{"ok": true, "id": "...", "sent": 3,
//    "failed": 0}, {"ok": false, "error": {"code": "invalid_field", ...}}]}
//
// Messages go one after the other (each after the previous one's limits were
// asked and its publish counted), so their ids follow the batch's order. A
// client that goes away mid-batch loses only the answer: the batch was received
// whole, and every message of it is still published.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/clock.h"
#include "core/json_writer.h"
#include "http/http_server.h"
#include "http/response.h"
#include "pubsub/message_json.h"

namespace ringcast {

namespace {

std::string error_result(std::string_view code, std::string_view message,
                         uint64_t retry_after_ms = 0) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("ok").value(false).key("error").begin_object();
    w.key("code").value(code).key("message").value(message);
    if (retry_after_ms) w.key("retryAfterMs").value(retry_after_ms);
    w.end_object().end_object();
    return out;
}

}  // namespace

// Lives until its last message is published; the connection may go first.
struct HttpServer::Batch {
    HttpServer* self = nullptr;
    void* conn = nullptr;  // the HttpConnection; cleared if it goes away
    std::string publisher;
    std::vector<Message> messages;
    std::vector<std::string> results;  // a message's result once known ("" until then)
    size_t next = 0;                   // the message in progress
    uint64_t sent = 0;
    uint64_t failed = 0;
    PublishCheck check;
    std::vector<std::string> limited;  // the current message's limited users
    bool stepping = false;             // inside step(): a completion now only notes it is done
    bool step_done = false;
};

void HttpServer::start_batch(HttpConnection& c, simdjson::dom::object obj, std::string publisher) {
    simdjson::dom::array arr;
    for (auto field : obj) {
        if (field.key != "messages") {
            reply_bad_request(c, "invalid_field",
                              "a batch has only \"messages\"; message fields go inside each "
                              "message");
            return;
        }
    }
    // A repeated "messages" counts once, with its first value, as every key does.
    if (obj["messages"].get_array().get(arr) != simdjson::SUCCESS) {
        reply_bad_request(c, "invalid_field", "\"messages\" must be an array of message objects");
        return;
    }
    auto b = std::make_unique<Batch>();
    b->self = this;
    // Credentials not read (http_require_auth = false): the client's address.
    b->publisher = publisher.empty() ? "pubip:" + client_of(c).text() : std::move(publisher);
    b->messages.resize(arr.size());
    b->results.resize(arr.size());
    size_t i = 0;
    for (simdjson::dom::element e : arr) {
        simdjson::dom::object m;
        std::string error;
        if (e.get_object().get(m) != simdjson::SUCCESS) {
            b->results[i] = error_result("invalid_field", "a message must be a JSON object");
        } else if (!parse_message(m, &b->messages[i], &error)) {
            b->results[i] = error_result("invalid_field", error);
        }
        ++i;
    }
    c._mode = HttpConnection::Mode::waiting;
    _transport.set_deadline(c, 0);
    b->conn = &c;
    c._waiting_ctx = &b->conn;
    step(b.release());
}

// Runs the batch until a message waits on another shard; the completion that
// answers it runs step() again, unless it arrives before step() lost control,
// which the loop then notices itself (no recursion one message deep each).
void HttpServer::step(Batch* b) {
    b->stepping = true;
    while (b->next < b->messages.size()) {
        if (!b->results[b->next].empty()) {  // refused when read
            ++b->next;
            continue;
        }
        b->step_done = false;
        check_batch_message(b);
        if (!b->step_done) {
            b->stepping = false;
            return;  // on_batch_checked / on_batch_published continues
        }
        ++b->next;
    }
    b->stepping = false;
    finish_batch(b);
}

void HttpServer::check_batch_message(Batch* b) {
    Message& m = b->messages[b->next];
    const bool by_publisher = _opts.publish_rule.active();
    const bool by_user = _opts.publish_user_rule.active() && m.target.kind == Target::Kind::users;
    b->limited.clear();
    if (!by_publisher && !by_user) {
        publish_batch_message(b);
        return;
    }
    b->check = PublishCheck{};
    if (by_publisher) {
        b->check.publisher_key = b->publisher;
        b->check.publisher_rule = _opts.publish_rule;
    }
    if (by_user) {
        b->check.users = m.target.users;
        b->check.user_rule = _opts.publish_user_rule;
    }
    b->check.done = on_batch_checked;
    b->check.owner = b;
    check_publish(_limiter, &b->check);  // may answer at once
}

void HttpServer::on_batch_checked(PublishCheck& k, void* /*ctx*/) {
    Batch* b = static_cast<Batch*>(k.owner);
    HttpServer& self = *b->self;
    Message& m = b->messages[b->next];
    bool refused = false;
    if (k.publisher_refused) {
        ++self._refused.rate_limited;
        b->results[b->next] =
            error_result("rate_limited",
                         fmt::format("more than {} publishes from this publisher within {} ms "
                                     "(publish.rate_limit)",
                                     k.publisher_rule.window_max, k.publisher_rule.window_ms),
                         k.retry_after_ms);
        refused = true;
    } else if (!k.limited.empty()) {
        std::erase_if(m.target.users, [&](const std::string& u) {
            return std::find(k.limited.begin(), k.limited.end(), u) != k.limited.end();
        });
        if (m.target.users.empty()) {
            ++self._refused.rate_limited;
            b->results[b->next] =
                error_result("rate_limited",
                             fmt::format("every target user already had {} events within {} ms "
                                         "(publish.user_rate_limit): {}",
                                         k.user_rule.window_max, k.user_rule.window_ms,
                                         fmt::join(k.limited, ", ")),
                             k.retry_after_ms);
            refused = true;
        } else {
            b->limited = std::move(k.limited);
        }
    }
    if (refused) {
        self.batch_message_done(b);
        return;
    }
    self.publish_batch_message(b);
}

void HttpServer::publish_batch_message(Batch* b) {
    Event* e = Event::build(b->messages[b->next], wall_ms());
    auto* t = new PublishTicket;
    t->done = on_batch_published;
    t->owner = b;
    _hub.publish(e, t);  // may complete synchronously (single shard)
}

void HttpServer::on_batch_published(PublishTicket& t, void* /*ctx*/) {
    Batch* b = static_cast<Batch*>(t.owner);
    std::string r;
    JsonWriter w(r);
    w.begin_object().key("ok").value(true).key("id").value(t.event->id());
    w.key("sent").value(t.sent).key("failed").value(t.failed);
    if (!b->limited.empty()) {
        w.key("limited").begin_array();
        for (const std::string& u : b->limited)
            w.value(u);
        w.end_array();
    }
    w.end_object();
    b->results[b->next] = std::move(r);
    b->sent += t.sent;
    b->failed += t.failed;
    b->self->batch_message_done(b);
}

void HttpServer::batch_message_done(Batch* b) {
    if (b->stepping) {
        b->step_done = true;  // step()'s loop goes on
        return;
    }
    ++b->next;
    step(b);
}

void HttpServer::finish_batch(Batch* b) {
    std::unique_ptr<Batch> owned(b);
    if (!b->conn) return;  // the client went away; everything was published
    auto& c = *static_cast<HttpConnection*>(b->conn);
    std::string body = fmt::format(R"({{"sent":{},"failed":{},"results":[{}]}})", b->sent,
                                   b->failed, fmt::join(b->results, ","));
    const bool keep_alive = c._parser && c._parser->request().keep_alive && !c._close_after_reply;
    complete_async(c, http_response(200, "application/json", body, keep_alive));
}

}  // namespace ringcast
