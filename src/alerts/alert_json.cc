#include "alerts/alert_json.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "pubsub/message_json.h"

namespace ringcast {

namespace {

const char* const kAlertFields =
    "title, message, details, alert_type, priority, icon, dismissible, persistent, starts_at, "
    "expires_at, actions, metadata, target, targetUsers, targetRoles, targetPermissions, "
    "excludeUsers, requireAuth, version";
const char* const kActionFields = "label, url, action, style";
constexpr size_t kMaxActionName = 128;  // bytes, like an event name

bool is_server_field(std::string_view key) {
    return key == "id" || key == "created_at" || key == "updated_at" || key == "created_by" ||
           key == "updated_by";
}

// How one object is read: from an admin (limits apply, server fields refused)
// or from the store (server fields read; no limits, since the configuration
// may have changed since the alert was accepted, and a stored alert must
// always load).
struct Reader {
    const AlertLimits* limits;  // null: stored text
    std::string* error;
    std::string* field;

    bool stored() const { return limits == nullptr; }

    bool fail(std::string_view f, std::string msg) {
        field->assign(f);
        *error = std::move(msg);
        return false;
    }
    static std::string quoted(std::string_view f) { return "\"" + std::string(f) + "\""; }

    bool text(std::string_view f, simdjson::dom::element v, size_t max, std::string* out) {
        std::string_view s;
        if (v.get_string().get(s) != simdjson::SUCCESS)
            return fail(f, quoted(f) + " must be a string");
        if (!stored() && s.size() > max)
            return fail(f, quoted(f) + " must be at most " + std::to_string(max) +
                               " bytes (it has " + std::to_string(s.size()) + ")");
        out->assign(s);
        return true;
    }

    bool boolean(std::string_view f, simdjson::dom::element v, bool* out) {
        if (v.get_bool().get(*out) != simdjson::SUCCESS)
            return fail(f, quoted(f) + " must be true or false");
        return true;
    }

    // Times an admin sets are after the epoch: 0 means "not set".
    bool time(std::string_view f, simdjson::dom::element v, int64_t* ms) {
        std::string_view s;
        if (v.get_string().get(s) != simdjson::SUCCESS || !parse_iso8601_ms(s, ms))
            return fail(f, quoted(f) +
                               " must be an ISO 8601 time with Z or an offset, such as "
                               "\"2026-12-24T22:00:00Z\" or \"2026-12-24T23:00:00.000+01:00\" "
                               "(years 1970 to 9999)");
        if (*ms == 0 && !stored())
            return fail(f, quoted(f) + " must be after 1970-01-01T00:00:00Z");
        return true;
    }

    bool alert_type(simdjson::dom::element v, std::string* out) {
        static const char* const builtin[] = {"info", "warning", "error", "success"};
        std::string_view s;
        if (v.get_string().get(s) == simdjson::SUCCESS && !s.empty()) {
            if (stored() ||
                std::find(std::begin(builtin), std::end(builtin), s) != std::end(builtin) ||
                std::find(limits->custom_types.begin(), limits->custom_types.end(), s) !=
                    limits->custom_types.end()) {
                out->assign(s);
                return true;
            }
        }
        std::string types = "\"info\", \"warning\", \"error\", \"success\"";
        if (limits)
            for (const std::string& t : limits->custom_types)
                types += ", \"" + t + "\"";
        return fail("alert_type", "\"alert_type\" must be one of " + types);
    }

    bool metadata(simdjson::dom::element v, std::string* out) {
        *out = simdjson::minify(v);
        if (!stored() && out->size() > limits->max_metadata)
            return fail("metadata",
                        "\"metadata\" must be at most " + std::to_string(limits->max_metadata) +
                            " bytes of compact JSON (it has " + std::to_string(out->size()) + ")");
        return true;
    }

    bool actions(simdjson::dom::element v, std::vector<AlertAction>* out);
    bool action(std::string_view f, simdjson::dom::element v, AlertAction* out);
    bool fields(simdjson::dom::object obj, Alert* out, uint64_t* version);
};

// Why `url` may not be an action's link, or "" if it may. Only http(s) and
// links relative to the page: a browser runs "javascript:" (and "data:",
// "vbscript:") links in the page's origin, and it ignores leading spaces and
// control characters and removes tabs and newlines anywhere, and reads "\" as
// "/", so those are refused outright instead of being interpreted.
std::string url_problem(std::string_view url) {
    for (unsigned char c : url)
        if (c <= 0x20 || c == 0x7f || c == '\\')
            return "must not contain spaces, control characters or backslashes";
    auto starts_nocase = [&](std::string_view prefix) {
        return url.size() >= prefix.size() &&
               std::equal(prefix.begin(), prefix.end(), url.begin(),
                          [](char p, char c) { return p == (c | 0x20); });
    };
    for (std::string_view scheme : {"http://", "https://"})
        if (starts_nocase(scheme)) {
            std::string_view rest = url.substr(scheme.size());
            if (rest.empty() || rest[0] == '/') return "needs a host after " + std::string(scheme);
            return "";
        }
    if (url.starts_with("//"))
        return "must not start with \"//\" (another host, without a scheme): write https://";
    for (std::string_view prefix : {"/", "./", "../", "?", "#"})
        if (url.starts_with(prefix)) return "";
    return "must be an http:// or https:// URL, or a relative one starting with \"/\", \"./\", "
           "\"../\", \"?\" or \"#\"";
}

bool Reader::action(std::string_view f, simdjson::dom::element v, AlertAction* out) {
    simdjson::dom::object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS)
        return fail(f, quoted(f) + " must be an object with \"label\" and \"url\" or \"action\"");
    std::string p(f);
    bool has_label = false, has_url = false, has_action = false;
    std::vector<std::string_view> seen;
    for (auto member : obj) {
        std::string_view key = member.key;
        simdjson::dom::element value = member.value;
        const std::string name = p + "." + std::string(key);
        if (key != "label" && key != "url" && key != "action" && key != "style")
            return fail(name,
                        "unknown field " + quoted(name) + " (supported: " + kActionFields + ")");
        // As for the alert's own fields: first value of a repeated key; null is absent.
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(key);
        if (value.is_null()) continue;
        if (key == "label") {
            if (!text(name, value, limits ? limits->max_label : 0, &out->label)) return false;
            if (out->label.empty()) return fail(name, quoted(name) + " must not be empty");
            has_label = true;
        } else if (key == "url") {
            if (!text(name, value, limits ? limits->max_url : 0, &out->url)) return false;
            std::string why = url_problem(out->url);
            if (!why.empty()) return fail(name, quoted(name) + " " + why);
            has_url = true;
        } else if (key == "action") {
            if (!text(name, value, kMaxActionName, &out->action)) return false;
            if (out->action.empty()) return fail(name, quoted(name) + " must not be empty");
            has_action = true;
        } else {
            std::string_view s;
            if (value.get_string().get(s) != simdjson::SUCCESS ||
                (s != "primary" && s != "secondary" && s != "danger" && s != "link"))
                return fail(name, quoted(name) +
                                      " must be one of \"primary\", \"secondary\", \"danger\", "
                                      "\"link\"");
            out->style.assign(s);
        }
    }
    if (!has_label) return fail(p + ".label", quoted(p + ".label") + " is required");
    if (has_url == has_action)
        return fail(p, quoted(p) + (has_url ? " must have either \"url\" or \"action\", not both"
                                            : " needs a \"url\" to open or an \"action\" name"));
    return true;
}

bool Reader::actions(simdjson::dom::element v, std::vector<AlertAction>* out) {
    simdjson::dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS)
        return fail("actions",
                    "\"actions\" must be an array of {\"label\", \"url\" or \"action\", "
                    "\"style\"?} objects");
    if (!stored() && arr.size() > limits->max_actions)
        return fail("actions", "\"actions\" may hold at most " +
                                   std::to_string(limits->max_actions) + " actions (it has " +
                                   std::to_string(arr.size()) + ")");
    out->clear();
    size_t i = 0;
    for (simdjson::dom::element item : arr) {
        AlertAction a;
        if (!action("actions[" + std::to_string(i++) + "]", item, &a)) return false;
        out->push_back(std::move(a));
    }
    return true;
}

bool Reader::fields(simdjson::dom::object obj, Alert* out, uint64_t* version) {
    *out = Alert{};
    *version = 0;
    TargetFields target;
    std::vector<std::string_view> seen;
    bool has_title = false;
    for (auto member : obj) {
        std::string_view key = member.key;
        simdjson::dom::element v = member.value;
        if (is_server_field(key) && !stored())
            return fail(key, quoted(key) +
                                 " is set by the server; leave it out (the alert's id goes in "
                                 "the URL)");
        // A repeated key counts once, with its first value, as in a publish.
        if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
        seen.push_back(key);
        // null is the field's default (as in a merge patch).
        if (v.is_null()) continue;
        if (key == "title") {
            if (!text(key, v, limits ? limits->max_title : 0, &out->title)) return false;
            if (out->title.find_first_not_of(" \t\r\n") == std::string::npos)
                return fail(key, "\"title\" must not be empty or blank");
            has_title = true;
        } else if (key == "message") {
            if (!text(key, v, limits ? limits->max_message : 0, &out->message)) return false;
        } else if (key == "details") {
            if (!text(key, v, limits ? limits->max_details : 0, &out->details)) return false;
        } else if (key == "icon") {
            if (!text(key, v, limits ? limits->max_icon : 0, &out->icon)) return false;
        } else if (key == "alert_type") {
            if (!alert_type(v, &out->alert_type)) return false;
        } else if (key == "priority") {
            int64_t p;
            if (v.get_int64().get(p) != simdjson::SUCCESS || p < 0 || p > kMaxPriority)
                return fail(key, "\"priority\" must be an integer from 0 to 10");
            out->priority = uint8_t(p);
        } else if (key == "dismissible") {
            if (!boolean(key, v, &out->dismissible)) return false;
        } else if (key == "persistent") {
            if (!boolean(key, v, &out->persistent)) return false;
        } else if (key == "starts_at") {
            if (!time(key, v, &out->starts_at_ms)) return false;
        } else if (key == "expires_at") {
            if (!time(key, v, &out->expires_at_ms)) return false;
        } else if (key == "actions") {
            if (!actions(v, &out->actions)) return false;
        } else if (key == "metadata") {
            if (!metadata(v, &out->metadata)) return false;
        } else if (is_target_field(key)) {
            if (!read_target_field(key, v, &target, error)) return fail(key, *error);
        } else if (key == "version") {
            if (v.get_uint64().get(stored() ? out->version : *version) != simdjson::SUCCESS)
                return fail(key,
                            "\"version\" must be a non-negative integer (the version you "
                            "edited)");
        } else if (stored() && key == "id") {
            if (v.get_uint64().get(out->id) != simdjson::SUCCESS)
                return fail(key, "\"id\" must be a non-negative integer");
        } else if (stored() && (key == "created_at" || key == "updated_at")) {
            if (!time(key, v, key == "created_at" ? &out->created_at_ms : &out->updated_at_ms))
                return false;
        } else if (stored() && (key == "created_by" || key == "updated_by")) {
            if (!text(key, v, 0, key == "created_by" ? &out->created_by : &out->updated_by))
                return false;
        } else {
            return fail(key, "unknown field " + quoted(key) + " (supported: " + kAlertFields + ")");
        }
    }
    if (!has_title) return fail("title", "\"title\" is required");
    if (out->starts_at_ms && out->expires_at_ms && out->expires_at_ms <= out->starts_at_ms)
        return fail("expires_at", "\"expires_at\" must be after \"starts_at\"");
    if (!finish_target(&target, error, field)) return false;
    out->target = std::move(target.target);
    return true;
}

// The alert as JSON; the server's fields (id, created_*, updated_*, version)
// only when `server_fields`: merge_patch_alert patches the others.
// Which fields: what an admin sets (the base of a merge patch), everything (the
// API, the store), or what a browser the alert targets is shown.
enum class Fields { input, full, viewer };

void write_fields(JsonWriter& w, const Alert& a, Fields which) {
    const bool server_fields = which != Fields::input;
    w.begin_object();
    if (server_fields) w.key("id").value(a.id);
    w.key("title").value(a.title);
    if (!a.message.empty()) w.key("message").value(a.message);
    if (!a.details.empty()) w.key("details").value(a.details);
    w.key("alert_type").value(a.alert_type);
    w.key("priority").value(unsigned(a.priority));
    if (!a.icon.empty()) w.key("icon").value(a.icon);
    w.key("dismissible").value(a.dismissible);
    w.key("persistent").value(a.persistent);
    if (a.starts_at_ms) w.key("starts_at").value(format_iso8601_ms(a.starts_at_ms));
    if (a.expires_at_ms) w.key("expires_at").value(format_iso8601_ms(a.expires_at_ms));
    if (!a.actions.empty()) {
        w.key("actions").begin_array();
        for (const AlertAction& act : a.actions) {
            w.begin_object().key("label").value(act.label);
            if (!act.url.empty()) w.key("url").value(act.url);
            if (!act.action.empty()) w.key("action").value(act.action);
            if (!act.style.empty()) w.key("style").value(act.style);
            w.end_object();
        }
        w.end_array();
    }
    if (!a.metadata.empty()) w.key("metadata").raw(a.metadata);
    // A viewer never sees whom else it targets (user ids) nor who wrote it.
    if (which != Fields::viewer) write_target_fields(w, a.target);
    if (server_fields) {
        w.key("created_at").value(format_iso8601_ms(a.created_at_ms));
        w.key("updated_at").value(format_iso8601_ms(a.updated_at_ms));
        if (which == Fields::full) {
            w.key("created_by").value(a.created_by);
            w.key("updated_by").value(a.updated_by);
        }
        w.key("version").value(a.version);
    }
    w.end_object();
}

// RFC 7396 MergePatch(target, patch), written out: a patch that is not an
// object replaces the target; an object patch merges member by member into the
// target (or into {} if the target is absent or not an object), null removing a
// member. Members keep the target's order; new ones follow. A key repeated in
// an object counts once, with its first value.
void merge_into(JsonWriter& w, const simdjson::dom::element* target, simdjson::dom::element patch);

// Hash lookups, not simdjson's linear at_key: a patch (or metadata) with many
// keys costs linear time, not quadratic, on the thread that applies it.
void merge_object(JsonWriter& w, const simdjson::dom::element* target, simdjson::dom::object p) {
    std::unordered_map<std::string_view, simdjson::dom::element> patch;
    patch.reserve(p.size());
    for (auto member : p)
        patch.try_emplace(member.key, member.value);  // the first of a repeated key
    std::unordered_set<std::string_view> written;
    w.begin_object();
    simdjson::dom::object t;
    if (target && target->get_object().get(t) == simdjson::SUCCESS)
        for (auto member : t) {
            std::string_view key = member.key;
            if (!written.insert(key).second) continue;
            auto it = patch.find(key);
            if (it == patch.end()) {
                w.key(key).raw(simdjson::minify(member.value));
            } else if (!it->second.is_null()) {
                w.key(key);
                merge_into(w, &member.value, it->second);
            }
        }
    for (auto member : p) {
        std::string_view key = member.key;
        if (!written.insert(key).second || member.value.is_null()) continue;
        w.key(key);
        merge_into(w, nullptr, member.value);
    }
    w.end_object();
}

void merge_into(JsonWriter& w, const simdjson::dom::element* target, simdjson::dom::element patch) {
    simdjson::dom::object p;
    if (patch.get_object().get(p) == simdjson::SUCCESS)
        merge_object(w, target, p);
    else
        w.raw(simdjson::minify(patch));
}

}  // namespace

bool parse_alert_input(simdjson::dom::object obj, const AlertLimits& limits, Alert* out,
                       uint64_t* version, std::string* error, std::string* field) {
    Reader r{&limits, error, field};
    return r.fields(obj, out, version);
}

bool merge_patch_alert(const Alert& current, simdjson::dom::object patch, const AlertLimits& limits,
                       Alert* out, uint64_t* version, std::string* error, std::string* field) {
    for (auto member : patch)
        if (is_server_field(member.key)) {
            Reader r{&limits, error, field};
            return r.fail(member.key, "\"" + std::string(member.key) +
                                          "\" is set by the server; leave it out of the patch");
        }
    std::string current_text;
    JsonWriter cw(current_text);
    write_fields(cw, current, Fields::input);
    simdjson::dom::parser parser;
    simdjson::dom::element current_doc;
    if (auto err = parser.parse(current_text).get(current_doc)) {
        field->clear();
        *error = json_error_text("the current alert", err);
        return false;
    }
    std::string merged;
    JsonWriter mw(merged);
    merge_object(mw, &current_doc, patch);

    // The merged document is validated as a create is: one set of rules.
    simdjson::dom::parser merged_parser;
    simdjson::dom::element merged_doc;
    simdjson::dom::object merged_obj;
    if (auto err = merged_parser.parse(merged).get(merged_doc)) {
        field->clear();
        *error = json_error_text("the patched alert", err);
        return false;
    }
    if (merged_doc.get_object().get(merged_obj) != simdjson::SUCCESS ||
        !parse_alert_input(merged_obj, limits, out, version, error, field))
        return false;
    out->id = current.id;
    out->created_at_ms = current.created_at_ms;
    out->created_by = current.created_by;
    out->updated_at_ms = current.updated_at_ms;
    out->updated_by = current.updated_by;
    out->version = current.version;
    return true;
}

void write_alert(JsonWriter& w, const Alert& a) {
    write_fields(w, a, Fields::full);
}

void write_alert_for_viewer(JsonWriter& w, const Alert& a) {
    write_fields(w, a, Fields::viewer);
}

std::string alert_json(const Alert& a) {
    std::string out;
    JsonWriter w(out);
    write_alert(w, a);
    return out;
}

bool read_stored_alert(simdjson::dom::parser& parser, std::string_view text, Alert* out,
                       std::string* error) {
    simdjson::dom::object obj;
    return parse_json_object(parser, text, "stored alert", &obj, error) &&
           read_stored_alert(obj, out, error);
}

bool read_stored_alert(simdjson::dom::object obj, Alert* out, std::string* error) {
    std::string field;
    uint64_t unused;
    Reader r{nullptr, error, &field};
    if (r.fields(obj, out, &unused)) return true;
    *error = "stored alert: " + *error;
    return false;
}

}  // namespace ringcast
