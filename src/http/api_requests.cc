// HttpServer, part 3 of 4: POST /api/publish (one message; batches are in
// api_batch.cc), POST /api/invalidate and GET /api/stats, answered once every
// shard (for publishes, the limiter too; for invalidations, the log shard) has
// replied.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/clock.h"
#include "core/json_writer.h"
#include "http/http_server.h"
#include "http/response.h"
#include "pubsub/message_json.h"

namespace ringcast {

// A publish waiting for the limiter's answers (publish.rate_limit, user_rate_limit).
struct HttpServer::PendingPublish {
    PublishCheck check;  // check.ctx: the connection, cleared if it goes away
    Message msg;
    HttpServer* self = nullptr;
};

void HttpServer::start_publish(HttpConnection& c, HttpRequest& req, std::string publisher) {
    simdjson::dom::object obj;
    if (!body_object(c, req, &obj)) return;
    simdjson::dom::element messages;
    if (obj["messages"].get(messages) == simdjson::SUCCESS) {
        start_batch(c, obj, std::move(publisher));
        return;
    }
    Message msg;
    std::string error;
    if (!parse_message(obj, &msg, &error)) {
        reply_bad_request(c, "invalid_field", error);
        return;
    }
    c._mode = HttpConnection::Mode::waiting;
    _transport.set_deadline(c, 0);
    const bool by_publisher = _opts.publish_rule.active();
    const bool by_user = _opts.publish_user_rule.active() && msg.target.kind == Target::Kind::users;
    if (!by_publisher && !by_user) {  // no limits (the default): no message to anyone
        publish_now(&c, msg, {});
        return;
    }
    auto* p = new PendingPublish;
    p->self = this;
    p->msg = std::move(msg);
    PublishCheck& k = p->check;
    if (by_publisher) {
        // Credentials not read (http_require_auth = false): the client's address.
        k.publisher_key = publisher.empty() ? "pubip:" + client_of(c).text() : std::move(publisher);
        k.publisher_rule = _opts.publish_rule;
    }
    if (by_user) {
        k.users = p->msg.target.users;
        k.user_rule = _opts.publish_user_rule;
    }
    k.done = on_publish_checked;
    k.ctx = &c;
    k.owner = p;
    c._waiting_ctx = &k.ctx;
    check_publish(_limiter, &k);  // may answer synchronously (keys this shard owns)
}

void HttpServer::on_publish_checked(PublishCheck& k, void* ctx) {
    std::unique_ptr<PendingPublish> p(static_cast<PendingPublish*>(k.owner));
    HttpServer& self = *p->self;
    auto* c = static_cast<HttpConnection*>(ctx);  // null: the publisher went away
    if (c) c->_waiting_ctx = nullptr;
    auto refuse_429 = [&](std::string_view reason, std::string message) {
        if (!c) return;
        self.count_refusal(429);
        const uint64_t retry_s = std::max<uint64_t>(1, (k.retry_after_ms + 999) / 1000);
        bool keep_alive = c->_parser && c->_parser->request().keep_alive && !c->_close_after_reply;
        self.complete_async(
            *c,
            http_response(429, "application/json", json_error_body("rate_limited", message, reason),
                          keep_alive, {{"Retry-After", std::to_string(retry_s)}}));
    };
    if (k.publisher_refused) {
        refuse_429("publisher_rate",
                   fmt::format("more than {} publishes from this publisher within {} ms "
                               "(publish.rate_limit)",
                               k.publisher_rule.window_max, k.publisher_rule.window_ms));
        return;
    }
    std::vector<std::string>& users = p->msg.target.users;
    if (!k.limited.empty()) {
        std::erase_if(users, [&](const std::string& u) {
            return std::find(k.limited.begin(), k.limited.end(), u) != k.limited.end();
        });
        if (users.empty()) {
            refuse_429("user_rate",
                       fmt::format("every target user already had {} events within {} ms "
                                   "(publish.user_rate_limit): {}",
                                   k.user_rule.window_max, k.user_rule.window_ms,
                                   fmt::join(k.limited, ", ")));
            return;
        }
    }
    self.publish_now(c, p->msg, std::move(k.limited));
}

// Builds the event and hands it to the hub; the reply (if `c`) comes when every
// shard has reported. `limited`: target users left out by user_rate_limit.
void HttpServer::publish_now(HttpConnection* c, Message& msg, std::vector<std::string> limited) {
    Event* e = Event::build(msg, wall_ms());
    if (!c) {
        _hub.publish(e, nullptr);
        return;
    }
    auto* t = new PublishTicket;
    t->done = on_publish_done;
    t->ctx = c;
    t->owner = this;
    if (!limited.empty())
        t->cookie =
            uint64_t(reinterpret_cast<uintptr_t>(new std::vector<std::string>(std::move(limited))));
    c->_waiting_ctx = &t->ctx;
    _hub.publish(e, t);  // may complete synchronously (single shard)
}

void HttpServer::on_publish_done(PublishTicket& t, void* ctx) {
    std::unique_ptr<std::vector<std::string>> limited(
        reinterpret_cast<std::vector<std::string>*>(uintptr_t(t.cookie)));
    if (!ctx) return;  // the publisher went away; the event was still delivered
    auto& c = *static_cast<HttpConnection*>(ctx);
    auto* self = static_cast<HttpServer*>(t.owner);
    std::string body;
    JsonWriter w(body);
    w.begin_object()
        .key("id")
        .value(t.event->id())
        .key("sent")
        .value(t.sent)
        .key("failed")
        .value(t.failed);
    if (limited) {
        w.key("limited").begin_array();
        for (const std::string& u : *limited)
            w.value(u);
        w.end_array();
    }
    w.end_object();
    bool keep_alive = c._parser && c._parser->request().keep_alive && !c._close_after_reply;
    self->complete_async(c, http_response(200, "application/json", body, keep_alive));
}

void HttpServer::start_invalidate(HttpConnection& c, HttpRequest& req) {
    auto r = std::make_unique<InvalidateRequest>();
    simdjson::dom::object obj;
    if (!body_object(c, req, &obj)) return;
    std::string error;
    if (!parse_invalidation(obj, &r->what, &error)) {
        reply_bad_request(c, "invalid_field", error);
        return;
    }
    r->done = on_invalidate_done;
    r->ctx = &c;
    r->owner = this;
    c._waiting_ctx = &r->ctx;
    c._mode = HttpConnection::Mode::waiting;
    _transport.set_deadline(c, 0);
    _hub.invalidate(r.release());  // may answer synchronously (this shard is the log)
}

void HttpServer::on_invalidate_done(InvalidateRequest& r, void* ctx) {
    std::unique_ptr<InvalidateRequest> owned(&r);
    if (!ctx) return;  // the client went away; the cache was still invalidated
    auto& c = *static_cast<HttpConnection*>(ctx);
    auto* self = static_cast<HttpServer*>(r.owner);
    bool keep_alive = c._parser && c._parser->request().keep_alive && !c._close_after_reply;
    self->complete_async(
        c, http_response(200, "application/json", fmt::format(R"({{"removed":{}}})", r.removed),
                         keep_alive));
}

void HttpServer::start_stats(HttpConnection& c) {
    auto* r = new StatsRequest;
    r->done = on_stats_done;
    r->ctx = &c;
    r->owner = this;
    c._waiting_ctx = &r->ctx;
    c._mode = HttpConnection::Mode::waiting;
    _transport.set_deadline(c, 0);
    _stats.collect(r);
}

void HttpServer::on_stats_done(StatsRequest& r, void* ctx) {
    if (!ctx) return;
    auto& c = *static_cast<HttpConnection*>(ctx);
    auto* self = static_cast<HttpServer*>(r.owner);
    double uptime = double(self->_reactor.now_ms() - self->_started_ms) / 1000.0;
    std::string body = render_stats_json(r, uptime, read_process_stats());
    bool keep_alive = c._parser && c._parser->request().keep_alive && !c._close_after_reply;
    self->complete_async(c, http_response(200, "application/json", body, keep_alive));
}

void HttpServer::complete_async(HttpConnection& c, std::string response) {
    c._waiting_ctx = nullptr;
    reply(c, std::move(response));
    finish_request(c);
    std::unique_ptr<std::string> held = std::move(c._held);
    _transport.resume_reading(c);
    if (held && c._mode == HttpConnection::Mode::reading)
        process_input(c, held->data(), held->size());
}

}  // namespace ringcast
