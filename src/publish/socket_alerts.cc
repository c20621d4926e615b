// SocketOps: the alerts API on the socket (docs/protocol.md, "Alerts"): the
// operations of docs/alerts.md, without credentials like every socket op. Reads
// are answered from this shard's AlertFeed; every change goes to the home
// shard's AlertService as an AlertCall, as HTTP's do, and its outcome becomes a
// reply through the same refusal table (alerts/alert_api.h): the same codes,
// the same messages, "current" on a version conflict.
#include <algorithm>
#include <array>
#include <vector>

#include <fmt/format.h>

#include "alerts/alert_api.h"
#include "alerts/alert_feed.h"
#include "alerts/alert_json.h"
#include "core/clock.h"
#include "core/json_writer.h"
#include "publish/publish_server.h"
#include "publish/reply_json.h"
#include "publish/socket_ops.h"

namespace ringcast {

namespace {

constexpr std::array<std::string_view, 8> kAlertOps = {
    "alerts.list",  "alerts.get",    "alerts.create",  "alerts.update",
    "alerts.patch", "alerts.delete", "alerts.preview", "alerts.refresh"};

// Who changed an alert over the socket (created_by, updated_by, the admin
// notification's "by"): the socket's access is its file's permissions, so there
// is no name more exact than the way in.
constexpr const char* kSocketAuthor = "socket";

// The members written by `fill` into an object, as a reply carries them after
// "ok" (",\"a\":1,..."); `fill` writes at least one.
template <typename F>
std::string members(F&& fill) {
    std::string out;
    JsonWriter w(out);
    w.begin_object();
    fill(w);
    w.end_object();
    out[0] = ',';
    out.pop_back();
    return out;
}

std::string error_json(std::string_view code, std::string_view message,
                       std::string_view field = {}) {
    std::string out;
    JsonWriter w(out);
    write_alert_error(w, code, message, field);
    return out;
}

// The first member not in `allowed` (besides "op" and "req"), or "".
std::string_view unknown_member(simdjson::dom::object obj,
                                const std::vector<std::string_view>& allowed) {
    for (auto field : obj) {
        if (field.key == "op" || field.key == "req") continue;
        if (std::find(allowed.begin(), allowed.end(), field.key) == allowed.end()) return field.key;
    }
    return {};
}

// A positive integer member; absent: `*out` stays 0 and `required` decides.
bool read_positive(simdjson::dom::object obj, std::string_view key, bool required, uint64_t* out) {
    simdjson::dom::element e;
    if (obj[key].get(e) != simdjson::SUCCESS) return !required;
    return e.get_uint64().get(*out) == simdjson::SUCCESS && *out > 0;
}

}  // namespace

bool SocketOps::is_alert_op(std::string_view op) {
    return op.starts_with("alerts.");
}

void SocketOps::alerts(PublishConnection& c, const SocketRequest& r, std::string_view op,
                       simdjson::dom::object obj) {
    auto refuse = [&](std::string_view message, std::string_view field) {
        _server.reply_error_object(c, r, error_json("invalid_field", message, field));
    };
    if (std::find(kAlertOps.begin(), kAlertOps.end(), op) == kAlertOps.end()) {
        _server.reply_error(
            c, r, "unknown_op",
            fmt::format("unknown op \"{}\" (alerts ops: {})", op, fmt::join(kAlertOps, ", ")));
        return;
    }
    const bool read_only = op == "alerts.list" || op == "alerts.get" || op == "alerts.preview";
    if (read_only && !r.answered()) return;  // nothing to do for an answer nobody reads
    if (!_alerts.enabled) {
        _server.reply_error(c, r, "not_configured",
                            "alerts are disabled here (alerts.enabled = false)");
        return;
    }
    std::vector<std::string_view> allowed;
    if (op == "alerts.list") allowed = {"active", "type", "limit", "offset"};
    if (op == "alerts.get") allowed = {"id"};
    if (op == "alerts.create" || op == "alerts.preview") allowed = {"alert"};
    if (op == "alerts.update") allowed = {"id", "alert", "version"};
    if (op == "alerts.patch") allowed = {"id", "patch", "version"};
    if (op == "alerts.delete") allowed = {"id", "version"};
    if (op == "alerts.refresh") allowed = {"reason"};
    if (std::string_view bad = unknown_member(obj, allowed); !bad.empty()) {
        refuse(fmt::format("{} takes no \"{}\" (it takes: {})", op, bad, fmt::join(allowed, ", ")),
               bad);
        return;
    }
    if (op == "alerts.list") {
        alerts_list(c, r, obj);
        return;
    }
    AlertRequest request;
    request.by = kSocketAuthor;
    const bool has_id = op != "alerts.create" && op != "alerts.preview" && op != "alerts.refresh";
    if (has_id && !read_positive(obj, "id", true, &request.id)) {
        refuse("\"id\" must be the alert's id, a positive integer", "id");
        return;
    }
    if (!read_positive(obj, "version", false, &request.if_match)) {
        refuse("\"version\" must be the version you edited, a positive integer", "version");
        return;
    }
    if (op == "alerts.get") {
        alert_get(c, r, request.id);
        return;
    }
    if (op == "alerts.refresh") {
        request.op = AlertRequest::Op::refresh;
        request.reason = "admin_update";
        simdjson::dom::element reason;
        if (obj["reason"].get(reason) == simdjson::SUCCESS) {
            std::string_view text;
            if (reason.get_string().get(text) != simdjson::SUCCESS) {
                refuse("\"reason\" must be a string (sent to the streams as given)", "reason");
                return;
            }
            request.reason = text;
        }
        change_alert(c, r, std::move(request));
        return;
    }
    if (op == "alerts.delete") {
        request.op = AlertRequest::Op::remove;
        change_alert(c, r, std::move(request));
        return;
    }
    // create, update, patch, preview: an object to read.
    const char* key = op == "alerts.patch" ? "patch" : "alert";
    simdjson::dom::element body;
    simdjson::dom::object body_obj;
    if (obj[key].get(body) != simdjson::SUCCESS || body.get_object().get(body_obj)) {
        refuse(op == "alerts.patch"
                   ? "\"patch\" must be a JSON merge patch of the alert: an object of the fields "
                     "to change, null to reset one"
                   : "\"alert\" must be an object: the alert's fields (docs/alerts.md)",
               key);
        return;
    }
    if (op == "alerts.preview") {
        alerts_preview(c, r, body_obj);
        return;
    }
    request.op = op == "alerts.create"   ? AlertRequest::Op::create
                 : op == "alerts.update" ? AlertRequest::Op::replace
                                         : AlertRequest::Op::patch;
    request.body = simdjson::minify(body);
    change_alert(c, r, std::move(request));
}

void SocketOps::alerts_list(PublishConnection& c, const SocketRequest& r,
                            simdjson::dom::object obj) {
    AlertPage page;
    simdjson::dom::element e;
    if (obj["active"].get(e) == simdjson::SUCCESS) {
        bool active = false;
        if (e.get_bool().get(active) != simdjson::SUCCESS) {
            _server.reply_error_object(
                c, r, error_json("invalid_field", "\"active\" must be true or false", "active"));
            return;
        }
        page.active = active;
    }
    if (obj["type"].get(e) == simdjson::SUCCESS) {
        std::string_view type;
        if (e.get_string().get(type) != simdjson::SUCCESS) {
            _server.reply_error_object(
                c, r, error_json("invalid_field", "\"type\" must be an alert type", "type"));
            return;
        }
        page.type = std::string(type);
    }
    uint64_t limit = 0, offset = 0;
    if (obj["limit"].get(e) == simdjson::SUCCESS &&
        (e.get_uint64().get(limit) != simdjson::SUCCESS || limit == 0 ||
         limit > AlertPage::kMaxLimit)) {
        _server.reply_error_object(
            c, r,
            error_json("invalid_field",
                       fmt::format("\"limit\" must be 1 to {} (default {})", AlertPage::kMaxLimit,
                                   AlertPage::kDefaultLimit),
                       "limit"));
        return;
    }
    if (limit) page.limit = limit;
    if (obj["offset"].get(e) == simdjson::SUCCESS) {
        if (e.get_uint64().get(offset) != simdjson::SUCCESS) {
            _server.reply_error_object(
                c, r,
                error_json("invalid_field", "\"offset\" must be a non-negative integer", "offset"));
            return;
        }
        page.offset = offset;
    }
    const AlertSnapshot& set = _reactor.local<AlertFeed>().snapshot();
    _server.reply_ok(c, r,
                     members([&](JsonWriter& w) { write_alert_page(w, *set, page, wall_ms()); }));
}

void SocketOps::alert_get(PublishConnection& c, const SocketRequest& r, uint64_t id) {
    const Alert* a = _reactor.local<AlertFeed>().snapshot()->find(id);
    if (!a) {
        _server.reply_error(c, r, "not_found", fmt::format("no alert {}", id));
        return;
    }
    _server.reply_ok(c, r, members([&](JsonWriter& w) {
                         w.key("alert");
                         write_alert(w, *a);
                     }));
}

void SocketOps::alerts_preview(PublishConnection& c, const SocketRequest& r,
                               simdjson::dom::object alert) {
    Alert a;
    uint64_t version = 0;
    std::string error, field;
    if (!parse_alert_input(alert, _alerts.limits, &a, &version, &error, &field)) {
        _server.reply_error_object(c, r, error_json("invalid_field", error, field));
        return;
    }
    const uint64_t slot = _server.reserve(c, r);
    gather_alert_reach(_reactor, a.target,
                       [this, h = Transport::handle(c), slot](const AlertReach& reach) {
                           PublishConnection* conn = _server.alive(h);
                           if (!conn) return;
                           conn->_replies.fill_ok(slot, members([&](JsonWriter& w) {
                                                      w.key("streams").value(reach.streams);
                                                      w.key("users").value(reach.users);
                                                  }));
                           _server.mark_dirty(*conn);
                       });
}

// A fire-and-forget change is still made; only a refusal is reported, by line.
void SocketOps::change_alert(PublishConnection& c, const SocketRequest& r, AlertRequest request) {
    const AlertRequest::Op op = request.op;
    const uint64_t slot = _server.reserve(c, r);
    _reactor.call(
        AlertService::kHomeShard,
        std::make_unique<AlertCall>(
            std::move(request), [this, op, h = Transport::handle(c), slot](AlertOutcome& o) {
                PublishConnection* conn = _server.alive(h);
                if (!conn) return;  // gone: the change was still made (or refused)
                using S = AlertOutcome::Status;
                if (o.status == S::done || o.status == S::created) {
                    conn->_replies.fill_ok(slot, members([&](JsonWriter& w) {
                                               if (op == AlertRequest::Op::remove) {
                                                   w.key("id").value(o.alert.id);
                                                   w.key("deleted").value(true);
                                               } else if (op == AlertRequest::Op::refresh) {
                                                   w.key("refreshed").value(true);
                                               } else {
                                                   w.key("alert");
                                                   write_alert(w, o.alert);
                                               }
                                           }));
                } else {
                    std::string error;
                    JsonWriter ew(error);
                    write_alert_error(ew, o);
                    std::string current;
                    if (alert_refusal(o.status).with_current)
                        current = members([&](JsonWriter& w) {
                            w.key("current");
                            write_alert(w, o.alert);
                        });
                    conn->_replies.fill_error(slot, error, current);
                }
                _server.mark_dirty(*conn);
            }));
}

}  // namespace ringcast
