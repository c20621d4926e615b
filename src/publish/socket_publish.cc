// PublishServer, part 2 of 3: the publish op, one message or a batch, through the
// publish rate limits (ops/publish_gate) to the hub, and its {id, sent, failed}.
#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/clock.h"
#include "publish/publish_request.h"
#include "publish/publish_server.h"
#include "publish/reply_json.h"
#include "pubsub/event.h"
#include "pubsub/message_json.h"

namespace ringcast {

namespace {

// Drops the users the limiter refused; false if nobody is left.
bool drop_limited(Message& m, const std::vector<std::string>& limited) {
    if (limited.empty()) return true;
    std::erase_if(m.target.users, [&](const std::string& u) {
        return std::find(limited.begin(), limited.end(), u) != limited.end();
    });
    return !m.target.users.empty();
}

}  // namespace

using namespace reply_json;

struct PublishServer::Batch {
    PublishServer* server = nullptr;
    PublishConnection* conn = nullptr;
    Request request;
    uint64_t slot = 0;
    uint32_t remaining = 0;
    uint64_t sent = 0;
    uint64_t failed = 0;
    std::vector<std::string> results;  // per message; deferred: its error line, if any
    std::vector<std::string> limited;  // per message (sized when needed): ,"limited":[...]
    bool deferred = false;  // fire-and-forget, waiting on the limiter: errors go in `slot`
};

// One message waiting for publish.user_rate_limit, then for its publish.
struct PublishServer::PendingOne {
    PublishCheck check;
    Message msg;
    PublishServer* server = nullptr;
    PublishConnection* conn = nullptr;
    uint64_t slot = 0;
    bool answered = false;
};

// A batch's message waiting for publish.user_rate_limit.
struct PublishServer::PendingItem {
    PublishCheck check;
    Message msg;
    Batch* batch = nullptr;
    size_t index = 0;
};

bool PublishServer::over_rate(PublishConnection& c, uint64_t* retry_ms) {
    if (!_opts.rate_max) return false;
    const uint64_t now = _reactor.now_ms();
    if (c._rate_count == 0 || now >= c._rate_start_ms + _opts.rate_window_ms) {
        c._rate_start_ms = now;
        c._rate_count = 0;
    }
    if (c._rate_count >= _opts.rate_max) {
        *retry_ms = std::max<uint64_t>(1, c._rate_start_ms + _opts.rate_window_ms - now);
        ++_refused.rate_limited;
        return true;
    }
    ++c._rate_count;
    return false;
}

std::string PublishServer::rate_message() const {
    return fmt::format(
        "more than {} publishes on this connection within {} ms "
        "(publish.rate_limit)",
        _opts.rate_max, _opts.rate_window_ms);
}

bool PublishServer::needs_user_check(const Message& m) const {
    return _opts.user_rule.active() && m.target.kind == Target::Kind::users;
}

std::string PublishServer::user_rate_message(const PublishCheck& k) {
    return fmt::format(
        "every target user already had {} events within {} ms "
        "(publish.user_rate_limit): {}",
        k.user_rule.window_max, k.user_rule.window_ms, fmt::join(k.limited, ", "));
}

void PublishServer::publish_one(PublishConnection& c, const Request& r, simdjson::dom::object obj) {
    Message m;
    std::string error;
    if (!parse_message(obj, &m, &error, {"op", "req"})) {
        reply_error(c, r, "invalid_field", error);
        return;
    }
    uint64_t retry_ms = 0;
    if (over_rate(c, &retry_ms)) {
        reply_error_object(c, r, rate_error_object(rate_message(), retry_ms));
        return;
    }
    if (needs_user_check(m)) {
        // The reply's place is taken now, so it keeps its order among the replies.
        auto* p = new PendingOne;
        p->server = this;
        p->conn = &c;
        p->answered = r.answered();
        p->slot = r.answered() ? reserve(c, r) : c._replies.reserve_silent(r.line);
        p->msg = std::move(m);
        p->check.users = p->msg.target.users;
        p->check.user_rule = _opts.user_rule;
        p->check.done = on_one_checked;
        p->check.owner = p;
        ++c._inflight;
        check_publish(_limiter, &p->check);  // may answer at once
        return;
    }
    Event* e = Event::build(m, wall_ms());
    if (!r.answered()) {
        _hub.publish(e, nullptr);  // fire-and-forget: nobody waits for the counts
        return;
    }
    auto* t = new PublishTicket;
    t->done = on_publish_done;
    t->ctx = &c;
    t->owner = this;
    t->cookie = reserve(c, r);
    ++c._inflight;
    _hub.publish(e, t);
}

void PublishServer::on_one_checked(PublishCheck& k, void* /*ctx*/) {
    std::unique_ptr<PendingOne> p(static_cast<PendingOne*>(k.owner));
    PublishServer* self = p->server;
    PublishConnection& c = *p->conn;
    const bool someone_left = drop_limited(p->msg, k.limited);
    const bool alive = self->answer_arrived(c);  // may free c
    if (!someone_left) {
        if (!alive) return;
        ++self->_refused.rate_limited;
        c._replies.fill_error(p->slot, rate_error_object(user_rate_message(k), k.retry_after_ms));
        self->mark_dirty(c);
        return;
    }
    Event* e = Event::build(p->msg, wall_ms());
    if (!alive || !p->answered) {
        self->_hub.publish(e, nullptr);
        if (alive) {
            c._replies.fill_ok(p->slot, {});  // silent: nothing to say
            self->mark_dirty(c);
        }
        return;
    }
    auto* t = new PublishTicket;
    t->done = on_checked_publish_done;
    t->ctx = &c;
    t->owner = self;
    ++c._inflight;
    t->cookie = uint64_t(reinterpret_cast<uintptr_t>(p.release()));
    self->_hub.publish(e, t);
}

void PublishServer::on_checked_publish_done(PublishTicket& t, void* ctx) {
    std::unique_ptr<PendingOne> p(reinterpret_cast<PendingOne*>(uintptr_t(t.cookie)));
    auto* self = static_cast<PublishServer*>(t.owner);
    auto& c = *static_cast<PublishConnection*>(ctx);
    if (!self->answer_arrived(c)) return;
    c._replies.fill_ok(
        p->slot, fmt::format(",\"id\":{},\"sent\":{},\"failed\":{}{}", json_string(t.event->id()),
                             t.sent, t.failed, limited_member(p->check.limited)));
    self->mark_dirty(c);
}

void PublishServer::on_publish_done(PublishTicket& t, void* ctx) {
    auto* self = static_cast<PublishServer*>(t.owner);
    auto& c = *static_cast<PublishConnection*>(ctx);
    if (!self->answer_arrived(c)) return;
    c._replies.fill_ok(t.cookie, fmt::format(",\"id\":{},\"sent\":{},\"failed\":{}",
                                             json_string(t.event->id()), t.sent, t.failed));
    self->mark_dirty(c);
}

// Records a message that did not go: its result, or (no "req") its error line,
// written at once or, while the batch waits on the limiter, in the batch's slot.
// `retry_ms` >= 0: a rate_limited error, with "retryAfterMs".
void PublishServer::batch_fail(Batch& b, size_t index, std::string_view code,
                               const std::string& message, int64_t retry_ms) {
    auto make = [&](std::string_view text) {
        return retry_ms >= 0 ? rate_error_object(text, uint64_t(retry_ms))
                             : error_object(code, text);
    };
    if (b.request.answered()) {
        b.results[index] = "{\"ok\":false,\"error\":" + make(message) + "}";
        return;
    }
    // Nobody reads a per-message result: each failed message is an error line.
    std::string line = fmt::format("{{\"ok\":false,\"line\":{},\"error\":{}}}\n", b.request.line,
                                   make(fmt::format("messages[{}]: {}", index, message)));
    if (b.deferred) {
        b.results[index] = std::move(line);
    } else {
        b.conn->_replies.push(line);
    }
}

void PublishServer::publish_batch(PublishConnection& c, const Request& r,
                                  simdjson::dom::array messages) {
    auto* b = new Batch;
    b->server = this;
    b->conn = &c;
    b->request = r;
    b->results.resize(messages.size());
    if (r.answered()) b->slot = reserve(c, r);
    ++c._inflight;  // the batch itself, until its last message is accounted for
    b->remaining = 1;
    size_t i = 0;
    for (simdjson::dom::element item : messages) {
        size_t index = i++;
        simdjson::dom::object obj;
        Message m;
        std::string error;
        if (item.get_object().get(obj) != simdjson::SUCCESS) {
            error = "a message must be a JSON object";
        } else if (!parse_message(obj, &m, &error)) {
        } else {
            uint64_t retry_ms = 0;
            if (over_rate(c, &retry_ms)) {  // a batch counts each message
                batch_fail(*b, index, "rate_limited", rate_message(), int64_t(retry_ms));
                continue;
            }
            if (needs_user_check(m)) {
                if (!r.answered() && !b->deferred) {
                    // Later failures wait with this message, to keep their order.
                    b->deferred = true;
                    b->slot = c._replies.reserve_silent(r.line);
                }
                auto* p = new PendingItem;
                p->batch = b;
                p->index = index;
                p->msg = std::move(m);
                p->check.users = p->msg.target.users;
                p->check.user_rule = _opts.user_rule;
                p->check.done = on_item_checked;
                p->check.owner = p;
                ++b->remaining;
                check_publish(_limiter, &p->check);  // may answer at once
                continue;
            }
            Event* e = Event::build(m, wall_ms());
            if (!r.answered()) {
                _hub.publish(e, nullptr);
                continue;
            }
            auto* t = new PublishTicket;
            t->done = on_batch_item_done;
            t->ctx = b;
            t->owner = this;
            t->cookie = index;
            ++b->remaining;
            _hub.publish(e, t);
            continue;
        }
        batch_fail(*b, index, "invalid_field", error);
    }
    // Drop the batch's own count; completes it if every message was answered already.
    batch_step_done(*b);
}

void PublishServer::on_item_checked(PublishCheck& k, void* /*ctx*/) {
    std::unique_ptr<PendingItem> p(static_cast<PendingItem*>(k.owner));
    Batch& b = *p->batch;
    PublishServer* self = b.server;
    if (!drop_limited(p->msg, k.limited)) {
        ++self->_refused.rate_limited;
        self->batch_fail(b, p->index, "rate_limited", user_rate_message(k),
                         int64_t(k.retry_after_ms));
        batch_step_done(b);
        return;
    }
    if (!k.limited.empty()) {
        b.limited.resize(b.results.size());
        b.limited[p->index] = limited_member(k.limited);
    }
    Event* e = Event::build(p->msg, wall_ms());
    if (!b.request.answered()) {
        self->_hub.publish(e, nullptr);
    } else {
        auto* t = new PublishTicket;
        t->done = on_batch_item_done;
        t->ctx = &b;
        t->owner = self;
        t->cookie = p->index;
        ++b.remaining;
        self->_hub.publish(e, t);
    }
    batch_step_done(b);
}

void PublishServer::on_batch_item_done(PublishTicket& t, void* ctx) {
    auto* b = static_cast<Batch*>(ctx);
    b->sent += t.sent;
    b->failed += t.failed;
    const std::string_view limited =
        b->limited.empty() ? std::string_view() : std::string_view(b->limited[t.cookie]);
    b->results[t.cookie] = fmt::format("{{\"ok\":true,\"id\":{},\"sent\":{},\"failed\":{}{}}}",
                                       json_string(t.event->id()), t.sent, t.failed, limited);
    batch_step_done(*b);
}

// One of the batch's outstanding parts is accounted for; the last one replies.
void PublishServer::batch_step_done(Batch& b) {
    if (--b.remaining > 0) return;
    PublishServer* self = b.server;
    PublishConnection& c = *b.conn;
    if (self->answer_arrived(c)) {
        if (b.request.answered()) {
            std::string body =
                fmt::format(",\"sent\":{},\"failed\":{},\"results\":[", b.sent, b.failed);
            for (size_t i = 0; i < b.results.size(); ++i) {
                if (i) body += ',';
                body += b.results[i];
            }
            body += ']';
            c._replies.fill_ok(b.slot, body);
            self->mark_dirty(c);
        } else if (b.deferred) {
            std::string lines;
            for (const std::string& l : b.results)
                lines += l;
            c._replies.fill_lines(b.slot, std::move(lines));
            self->mark_dirty(c);
        }
    }
    delete &b;
}

}  // namespace ringcast
