// ApiRequests: the alerts API (/api/alerts...). Reads are answered on the shard
// the request came to, from its AlertFeed's set; every change goes to the home
// shard's AlertService as an AlertCall and is answered once it is committed to
// alerts.db (or refused). docs/alerts.md describes every request.
#include <charconv>

#include <fmt/format.h>

#include "alerts/alert_api.h"
#include "alerts/alert_feed.h"
#include "alerts/alert_json.h"
#include "alerts/alert_service.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "http/api_requests.h"
#include "http/http_server.h"
#include "http/query.h"
#include "http/response.h"
#include "http/stream_admission.h"

namespace ringcast {

namespace {

std::string alert_body(const Alert& a) {
    std::string body;
    JsonWriter w(body);
    write_alert(w, a);
    return body;
}

std::string etag(const Alert& a) {
    return fmt::format("\"{}\"", a.version);
}

// If-Match: "3", W/"3" or 3; 0 if absent; false if it is not a version.
bool read_if_match(const HttpRequest& req, uint64_t* out) {
    *out = 0;
    if (!req.has_header("if-match")) return true;
    std::string_view v = req.header("if-match");
    if (v.starts_with("W/")) v.remove_prefix(2);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
    return ec == std::errc() && p == v.data() + v.size() && *out > 0;
}

bool read_id(std::string_view text, uint64_t* id) {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *id);
    return ec == std::errc() && p == text.data() + text.size() && *id > 0;
}

// Who changed it, for created_by/updated_by and the admin notification.
std::string author(const std::string& publisher) {
    if (publisher.starts_with("pubtoken:")) return publisher.substr(9);
    if (publisher.starts_with("pubkey:")) return "api-key";
    return "anonymous";  // publish.http_require_auth = false
}

// The answer to a change, from the service's outcome.
std::string outcome_response(const AlertOutcome& o, AlertRequest::Op op, bool keep_alive) {
    using S = AlertOutcome::Status;
    switch (o.status) {
        case S::created:
            return http_response(
                201, "application/json", alert_body(o.alert), keep_alive,
                {{"Location", fmt::format("/api/alerts/{}", o.alert.id)}, {"ETag", etag(o.alert)}});
        case S::done: {
            if (op == AlertRequest::Op::replace || op == AlertRequest::Op::patch)
                return http_response(200, "application/json", alert_body(o.alert), keep_alive,
                                     {{"ETag", etag(o.alert)}});
            std::string body;
            JsonWriter w(body);
            w.begin_object();
            if (op == AlertRequest::Op::remove)
                w.key("id").value(o.alert.id).key("deleted").value(true);
            if (op == AlertRequest::Op::dismiss)
                w.key("id").value(o.alert.id).key("dismissed").value(true);
            if (op == AlertRequest::Op::refresh) w.key("refreshed").value(true);
            w.end_object();
            return http_response(200, "application/json", body, keep_alive);
        }
        default: break;
    }
    const AlertRefusal refusal = alert_refusal(o.status);
    std::string body;
    JsonWriter w(body);
    w.begin_object().key("error");
    write_alert_error(w, o);
    if (refusal.with_current) {
        w.key("current");
        write_alert(w, o.alert);
    }
    w.end_object();
    if (o.status == S::unavailable)  // as a publish Redis did not take (docs/protocol.md)
        return http_response(refusal.http_status, "application/json", body, keep_alive,
                             {{"Retry-After", "1"}});
    return http_response(refusal.http_status, "application/json", body, keep_alive);
}

}  // namespace

void ApiRequests::alerts(HttpConnection& c, HttpRequest& req, const RouteMatch& m) {
    if (!_opts.alerts.enabled) {
        _http.reply_error(c, 404, "alerts are disabled here (alerts.enabled = false)", false);
        return;
    }
    const std::string what = fmt::format("{} {}", req.method_name(), req.path());
    if (m.route == Route::alerts_active) {
        alerts_active(c, req);
        return;
    }
    if (m.route == Route::alert_dismiss) {
        alert_dismiss(c, req, m.rest);
        return;
    }
    std::string publisher;
    if (auto r = authorize_api(req, ApiRight::alerts, _opts.api, *_opts.verifier, wall_ms() / 1000,
                               what, &publisher)) {
        _http.refuse(c, *r);
        return;
    }
    uint64_t id = 0;
    if (!m.rest.empty() && !read_id(m.rest, &id)) {
        _http.reply_error(
            c, 404, fmt::format("no alert {}: alert ids are positive integers", m.rest), false);
        return;
    }
    uint64_t if_match = 0;
    if (!read_if_match(req, &if_match)) {
        reply_bad_request(c, "invalid_field",
                          "If-Match must name the version you edited, e.g. If-Match: \"3\"");
        return;
    }
    AlertRequest r;
    r.id = id;
    r.if_match = if_match;
    r.by = author(publisher);
    switch (m.route) {
        case Route::alerts_list: alerts_list(c, req); return;
        case Route::alert_get: alert_get(c, id); return;
        case Route::alerts_preview: alerts_preview(c, req); return;
        case Route::alerts_create:
        case Route::alert_replace:
        case Route::alert_patch: {
            simdjson::dom::object obj;
            if (!body_object(c, req, &obj)) return;
            r.op = m.route == Route::alerts_create   ? AlertRequest::Op::create
                   : m.route == Route::alert_replace ? AlertRequest::Op::replace
                                                     : AlertRequest::Op::patch;
            r.body = req.body;
            break;
        }
        case Route::alert_delete: r.op = AlertRequest::Op::remove; break;
        case Route::alerts_refresh: {
            r.op = AlertRequest::Op::refresh;
            r.reason = "admin_update";
            if (!req.body.empty()) {
                simdjson::dom::object obj;
                if (!body_object(c, req, &obj)) return;
                std::string_view reason;
                if (obj["reason"].get(reason) == simdjson::SUCCESS) r.reason = reason;
            }
            break;
        }
        default: return;
    }
    change_alert(c, std::move(r));
}

void ApiRequests::change_alert(HttpConnection& c, AlertRequest r) {
    const AlertRequest::Op op = r.op;
    _http.wait_for_answer(c);
    _reactor.call(AlertService::kHomeShard,
                  std::make_unique<AlertCall>(
                      std::move(r), [this, op, h = Transport::handle(c)](AlertOutcome& o) {
                          _http.complete_async(h, [&](HttpConnection& c) {
                              return outcome_response(o, op, _http.keeps_alive(c));
                          });
                      }));
}

void ApiRequests::alerts_list(HttpConnection& c, HttpRequest& req) {
    bool malformed = false;
    const std::string_view q = req.query();
    std::optional<std::string> active = query_param(q, "active", &malformed);
    std::optional<std::string> type = query_param(q, "type", &malformed);
    std::optional<std::string> limit_text = query_param(q, "limit", &malformed);
    std::optional<std::string> offset_text = query_param(q, "offset", &malformed);
    AlertPage page;
    auto number = [](const std::optional<std::string>& t, size_t* out) {
        if (!t) return true;
        auto [p, ec] = std::from_chars(t->data(), t->data() + t->size(), *out);
        return ec == std::errc() && p == t->data() + t->size();
    };
    if (malformed || (active && *active != "true" && *active != "false") ||
        !number(limit_text, &page.limit) || !number(offset_text, &page.offset) || page.limit == 0 ||
        page.limit > AlertPage::kMaxLimit) {
        reply_bad_request(c, "invalid_field",
                          fmt::format("query parameters: active=true|false, type=<alert type>, "
                                      "limit=1..{} (default {}), offset=<n>",
                                      AlertPage::kMaxLimit, AlertPage::kDefaultLimit));
        return;
    }
    if (active) page.active = *active == "true";
    page.type = std::move(type);
    std::string body;
    JsonWriter w(body);
    w.begin_object();
    write_alert_page(w, *_reactor.local<AlertFeed>().snapshot(), page, wall_ms());
    w.end_object();
    _http.reply(c, http_response(200, "application/json", body, _http.keeps_alive(c)));
    _http.finish_request(c);
}

void ApiRequests::alert_get(HttpConnection& c, uint64_t id) {
    const Alert* a = _reactor.local<AlertFeed>().snapshot()->find(id);
    if (!a) {
        _http.reply_error(c, 404, fmt::format("no alert {}", id), false);
        return;
    }
    _http.reply(c, http_response(200, "application/json", alert_body(*a), _http.keeps_alive(c),
                                 {{"ETag", etag(*a)}}));
    _http.finish_request(c);
}

void ApiRequests::alerts_active(HttpConnection& c, HttpRequest& req) {
    std::optional<Claims> claims;
    Refusal refusal;
    if (!read_identity(req, *_opts.verifier, wall_ms() / 1000, &claims, &refusal)) {
        _http.refuse(c, refusal);
        return;
    }
    Identity who;
    if (claims) {
        who.user = claims->user;
        who.authenticated = true;
        who.subscriber = claims->subscriber;
        _audience.set_names(who, claims->roles, claims->permissions);
    }
    const int64_t now = wall_ms();
    std::string body;
    JsonWriter w(body);
    w.begin_object().key("alerts").raw(
        alert_list_json(_reactor.local<AlertFeed>().list_for(claims ? who : kAnonymous, now)));
    w.key("timestamp").value(now).end_object();
    _http.reply(c, http_response(200, "application/json", body, _http.keeps_alive(c)));
    _http.finish_request(c);
}

void ApiRequests::alert_dismiss(HttpConnection& c, HttpRequest& req, std::string_view name) {
    std::optional<Claims> claims;
    Refusal refusal;
    if (!read_identity(req, *_opts.verifier, wall_ms() / 1000, &claims, &refusal)) {
        _http.refuse(c, refusal);
        return;
    }
    if (!claims) {
        _http.refuse(c, Refusal{401, "unauthorized", "missing_token",
                                "dismissing an alert takes the user's token: the dismissal is "
                                "that user's, on all of its tabs and devices"});
        return;
    }
    // A cookie rides along on requests other sites make the browser send; a
    // JSON content type cannot be sent cross-site without a CORS preflight.
    if (!req.header("content-type").starts_with("application/json")) {
        reply_bad_request(c, "invalid_field",
                          "send the dismissal with Content-Type: application/json");
        return;
    }
    uint64_t id = 0;
    if (!read_id(name, &id)) {
        _http.reply_error(c, 404, fmt::format("no alert {}", name), false);
        return;
    }
    AlertRequest r;
    r.op = AlertRequest::Op::dismiss;
    r.id = id;
    r.user = claims->user;
    r.by = claims->user;
    change_alert(c, std::move(r));
}

void ApiRequests::alerts_preview(HttpConnection& c, HttpRequest& req) {
    simdjson::dom::object obj;
    if (!body_object(c, req, &obj)) return;
    Alert a;
    uint64_t version = 0;
    std::string error, field;
    if (!parse_alert_input(obj, _opts.alerts.limits, &a, &version, &error, &field)) {
        std::string body;
        JsonWriter w(body);
        w.begin_object().key("error");
        write_alert_error(w, "invalid_field", error, field);
        w.end_object();
        _http.reply(c, http_response(400, "application/json", body, _http.keeps_alive(c)));
        _http.finish_request(c);
        return;
    }
    _http.wait_for_answer(c);
    gather_alert_reach(_reactor, a.target, [this, h = Transport::handle(c)](const AlertReach& r) {
        std::string body;
        JsonWriter w(body);
        w.begin_object().key("streams").value(r.streams).key("users").value(r.users).end_object();
        _http.complete_async(h, [&](HttpConnection& c) {
            return http_response(200, "application/json", body, _http.keeps_alive(c));
        });
    });
}

}  // namespace ringcast
