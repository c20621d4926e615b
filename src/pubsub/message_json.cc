#include "pubsub/message_json.h"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "pubsub/channel_name.h"
#include "pubsub/sse_format.h"

namespace ringcast {

const char* const kMessageFields =
    "channel, event, data, id, timestamp, target, targetUsers, targetRoles, targetPermissions, "
    "excludeUsers, requireAuth, priority, ttl, persistent, retryable";

const char* const kTargetFields =
    "target, targetUsers, targetRoles, targetPermissions, excludeUsers, requireAuth";

const char* target_kind_name(Target::Kind k) {
    switch (k) {
        case Target::Kind::all: return "all";
        case Target::Kind::users: return "user-specific";
        case Target::Kind::roles: return "role-based";
        case Target::Kind::permissions: return "permission-based";
        case Target::Kind::authenticated: return "authenticated";
        case Target::Kind::subscribers: return "subscribers";
    }
    return "all";
}

namespace {

constexpr size_t kMaxListItems = 10000;
constexpr size_t kMaxNameBytes = 256;
constexpr double kMaxTtlSeconds = 366.0 * 24 * 3600;

bool fail(std::string* error, std::string msg) {
    *error = std::move(msg);
    return false;
}

// A key repeated in one object counts once: its first occurrence, as
// simdjson's obj["key"] lookups find it (the socket's "op", "req", "messages").
// The later ones are skipped unchecked, so that every part of a request reads
// the same value. `names` are the object's known keys (at most 32), one bit
// each in *seen; an unknown key is not tracked (the caller refuses it).
bool repeated(std::string_view key, std::initializer_list<std::string_view> names, uint32_t* seen) {
    uint32_t bit = 1;
    for (std::string_view n : names) {
        if (key == n) {
            const bool was = *seen & bit;
            *seen |= bit;
            return was;
        }
        bit <<= 1;
    }
    return false;
}

bool parse_kind(std::string_view s, Target::Kind* k) {
    for (Target::Kind c :
         {Target::Kind::all, Target::Kind::users, Target::Kind::roles, Target::Kind::permissions,
          Target::Kind::authenticated, Target::Kind::subscribers})
        if (s == target_kind_name(c)) {
            *k = c;
            return true;
        }
    return false;
}

bool user_list(std::string_view key, simdjson::dom::element v, std::vector<std::string>* out,
               std::string* error) {
    simdjson::dom::array arr;
    if (v.get_array().get(arr) != simdjson::SUCCESS)
        return fail(error, "\"" + std::string(key) +
                               "\" must be an array of user ids (strings or integers)");
    out->clear();
    // 123 and "123" are one user, and a user named twice still gets the event
    // once (the fan-out walks each listed user's streams): first mention wins.
    std::unordered_set<std::string> seen;
    for (simdjson::dom::element item : arr) {
        std::string id;
        if (!read_user_id(item, &id))
            return fail(error, "\"" + std::string(key) +
                                   "\" holds something that is not a user id "
                                   "(a non-empty string of at most 256 bytes, or an integer)");
        if (out->size() == kMaxListItems)
            return fail(error, "\"" + std::string(key) + "\" has more than 10000 entries");
        if (seen.insert(id).second) out->push_back(std::move(id));
    }
    return true;
}

bool name_list(std::string_view key, simdjson::dom::element v, std::vector<std::string>* out,
               std::string* error) {
    simdjson::dom::array arr;
    std::string what = "\"" + std::string(key) + "\" must be an array of non-empty strings";
    if (v.get_array().get(arr) != simdjson::SUCCESS) return fail(error, what);
    out->clear();
    for (simdjson::dom::element item : arr) {
        std::string_view s;
        if (item.get_string().get(s) != simdjson::SUCCESS || s.empty() || s.size() > kMaxNameBytes)
            return fail(error, what + " of at most 256 bytes");
        if (out->size() == kMaxListItems)
            return fail(error, "\"" + std::string(key) + "\" has more than 10000 entries");
        out->emplace_back(s);
    }
    return true;
}

bool boolean(std::string_view key, simdjson::dom::element v, bool* out, std::string* error) {
    if (v.get_bool().get(*out) != simdjson::SUCCESS)
        return fail(error, "\"" + std::string(key) + "\" must be true or false");
    return true;
}

// An HTTP body that must be one JSON object; `expected` says what it should hold.
bool body_object(simdjson::dom::parser& parser, std::string_view text, std::string_view expected,
                 simdjson::dom::object* obj, std::string* error) {
    if (text.empty())
        return fail(error, "request body is empty; expected " + std::string(expected));
    simdjson::dom::element root;
    auto err = parser.parse(text.data(), text.size(), true).get(root);
    if (err) return fail(error, json_error_text("request body", err));
    if (root.get_object().get(*obj) != simdjson::SUCCESS)
        return fail(error, "request body must be a JSON object");
    return true;
}

}  // namespace

bool is_target_field(std::string_view key) {
    return key == "target" || key == "targetUsers" || key == "targetRoles" ||
           key == "targetPermissions" || key == "excludeUsers" || key == "requireAuth";
}

bool read_target_field(std::string_view key, simdjson::dom::element v, TargetFields* in,
                       std::string* error) {
    Target& t = in->target;
    if (key == "target") {
        std::string_view s;
        if (v.get_string().get(s) != simdjson::SUCCESS || !parse_kind(s, &t.kind))
            return fail(error,
                        "\"target\" must be one of \"all\", \"user-specific\", \"role-based\", "
                        "\"permission-based\", \"authenticated\", \"subscribers\"");
        in->kind_given = true;
        return true;
    }
    if (key == "targetUsers") return user_list(key, v, &t.users, error);
    if (key == "excludeUsers") return user_list(key, v, &t.exclude, error);
    if (key == "targetRoles") return name_list(key, v, &t.roles, error);
    if (key == "targetPermissions") return name_list(key, v, &t.permissions, error);
    if (key == "requireAuth") return boolean(key, v, &t.require_auth, error);
    return fail(error, "unknown targeting field \"" + std::string(key) + "\"");
}

bool finish_target(TargetFields* in, std::string* error, std::string* field) {
    // The lists must agree with the target. Without "target", a single list says
    // what is meant (sendMessage({targetUsers: [...]}) sends to those users).
    Target& t = in->target;
    auto blame = [&](const char* f, std::string msg) {
        if (field) *field = f;
        return fail(error, std::move(msg));
    };
    if (!in->kind_given) {
        int lists = !t.users.empty() + !t.roles.empty() + !t.permissions.empty();
        if (lists > 1)
            return blame("target",
                         "give \"target\" when more than one of \"targetUsers\", \"targetRoles\" "
                         "and \"targetPermissions\" is set");
        if (!t.users.empty()) t.kind = Target::Kind::users;
        if (!t.roles.empty()) t.kind = Target::Kind::roles;
        if (!t.permissions.empty()) t.kind = Target::Kind::permissions;
    }
    auto needs = [&](Target::Kind k, const std::vector<std::string>& list, const char* f) {
        if (t.kind == k && list.empty())
            return blame(f, std::string("target \"") + target_kind_name(k) +
                                "\" needs a non-empty \"" + f + "\"");
        if (t.kind != k && !list.empty())
            return blame(f, std::string("\"") + f + "\" is only used with target \"" +
                                target_kind_name(k) + "\" (target is \"" +
                                target_kind_name(t.kind) + "\")");
        return true;
    };
    return needs(Target::Kind::users, t.users, "targetUsers") &&
           needs(Target::Kind::roles, t.roles, "targetRoles") &&
           needs(Target::Kind::permissions, t.permissions, "targetPermissions");
}

void write_target_fields(JsonWriter& w, const Target& t) {
    auto list = [&](std::string_view key, const std::vector<std::string>& items) {
        if (items.empty()) return;
        w.key(key).begin_array();
        for (const std::string& s : items)
            w.value(s);
        w.end_array();
    };
    w.key("target").value(target_kind_name(t.kind));
    list("targetUsers", t.users);
    list("targetRoles", t.roles);
    list("targetPermissions", t.permissions);
    list("excludeUsers", t.exclude);
    if (t.require_auth) w.key("requireAuth").value(true);
}

bool parse_message(simdjson::dom::object obj, Message* out, std::string* error,
                   std::initializer_list<std::string_view> ignore) {
    *out = Message{};
    bool has_channel = false, has_event = false, has_data = false;
    TargetFields target;
    uint32_t seen = 0;
    for (auto field : obj) {
        std::string_view key = field.key;
        simdjson::dom::element v = field.value;
        bool skip = false;
        for (std::string_view i : ignore)
            skip |= key == i;
        if (skip) continue;
        if (repeated(key,
                     {"channel", "event", "data", "id", "timestamp", "target", "targetUsers",
                      "excludeUsers", "targetRoles", "targetPermissions", "requireAuth",
                      "persistent", "retryable", "priority", "ttl"},
                     &seen))
            continue;
        if (key == "channel") {
            std::string_view s;
            if (v.get_string().get(s) != simdjson::SUCCESS || !valid_channel_name(s))
                return fail(error, "\"channel\" must be a string matching [A-Za-z0-9._:-]{1,128}");
            out->channel.assign(s);
            has_channel = true;
        } else if (key == "event") {
            std::string_view s;
            if (v.get_string().get(s) != simdjson::SUCCESS || !valid_event_name(s))
                return fail(error,
                            "\"event\" must be a string of 1 to 128 printable characters "
                            "without line breaks");
            out->event.assign(s);
            has_event = true;
        } else if (key == "data") {
            out->data = simdjson::minify(v);
            has_data = true;
        } else if (key == "id") {
            std::string_view s;
            int64_t n;
            uint64_t u;
            if (v.get_string().get(s) == simdjson::SUCCESS) {
                if (!valid_event_id(s))
                    return fail(error, "\"id\" must be 1 to 128 bytes without line breaks or NUL");
                out->id.assign(s);
            } else if (v.get_int64().get(n) == simdjson::SUCCESS) {
                out->id = std::to_string(n);
            } else if (v.get_uint64().get(u) == simdjson::SUCCESS) {
                out->id = std::to_string(u);  // above INT64_MAX: still an integer
            } else if (!v.is_null()) {
                return fail(error, "\"id\" must be a string or an integer");
            }
        } else if (key == "timestamp") {
            double t;
            if (v.is_null()) continue;
            if (v.get_double().get(t) != simdjson::SUCCESS || !(t >= 0) || t > 1e15)
                return fail(error,
                            "\"timestamp\" must be a number of milliseconds since the epoch");
            out->timestamp_ms = int64_t(t);
        } else if (is_target_field(key)) {
            if (!read_target_field(key, v, &target, error)) return false;
        } else if (key == "persistent") {
            if (!boolean(key, v, &out->persistent, error)) return false;
        } else if (key == "retryable") {
            if (!boolean(key, v, &out->retryable, error)) return false;
        } else if (key == "priority") {
            int64_t p;
            if (v.get_int64().get(p) != simdjson::SUCCESS || p < 0 || p > kMaxPriority)
                return fail(error, "\"priority\" must be an integer from 0 to 10");
            out->priority = uint8_t(p);
        } else if (key == "ttl") {
            double t;
            if (v.is_null()) continue;
            if (v.get_double().get(t) != simdjson::SUCCESS || !(t > 0) || t > kMaxTtlSeconds)
                return fail(error,
                            "\"ttl\" must be a number of seconds greater than 0 (at most a year)");
            out->ttl_ms = uint64_t(std::ceil(t * 1000.0));
        } else {
            return fail(error, "unknown field \"" + std::string(key) +
                                   "\" (supported: " + kMessageFields + ")");
        }
    }
    if (!has_channel) return fail(error, "\"channel\" is required");
    if (!has_event) return fail(error, "\"event\" is required");
    if (!has_data) return fail(error, "\"data\" is required (any JSON value, null included)");

    if (!finish_target(&target, error)) return false;
    out->target = std::move(target.target);
    return true;
}

bool parse_invalidation(simdjson::dom::object obj, CacheInvalidation* out, std::string* error,
                        std::initializer_list<std::string_view> ignore) {
    *out = CacheInvalidation{};
    uint32_t seen = 0;
    for (auto field : obj) {
        std::string_view key = field.key;
        if (std::find(ignore.begin(), ignore.end(), key) != ignore.end()) continue;
        if (repeated(key, {"channels", "users"}, &seen)) continue;
        if (key == "channels") {
            if (field.value.is_null()) continue;
            if (!name_list(key, field.value, &out->channels, error)) return false;
            for (const std::string& ch : out->channels)
                if (!valid_channel_name(ch))
                    return fail(error, "\"channels\": \"" + ch +
                                           "\" is not a channel name ([A-Za-z0-9._:-]{1,128})");
        } else if (key == "users") {
            if (field.value.is_null()) continue;  // the seeds' invalidateClientCaches(ch, null)
            if (!user_list(key, field.value, &out->users, error)) return false;
        } else {
            return fail(error,
                        "unknown field \"" + std::string(key) + "\" (supported: channels, users)");
        }
    }
    if (out->channels.empty() && out->users.empty())
        return fail(error,
                    "give \"channels\", \"users\" or both (the cached events to remove: those "
                    "of the channels, or those addressed to the users)");
    return true;
}

bool parse_invalidation_text(simdjson::dom::parser& parser, std::string_view text,
                             CacheInvalidation* out, std::string* error) {
    simdjson::dom::object obj;
    return body_object(parser, text, "{\"channels\": [...], \"users\": [...]}", &obj, error) &&
           parse_invalidation(obj, out, error);
}

bool read_user_id(simdjson::dom::element v, std::string* out) {
    std::string_view s;
    int64_t i;
    uint64_t u;
    if (v.get_string().get(s) == simdjson::SUCCESS) {
        if (s.empty() || s.size() > kMaxNameBytes) return false;
        out->assign(s);
        return true;
    }
    if (v.get_int64().get(i) == simdjson::SUCCESS) {
        *out = std::to_string(i);
        return true;
    }
    if (v.get_uint64().get(u) == simdjson::SUCCESS) {
        *out = std::to_string(u);
        return true;
    }
    return false;
}

bool parse_json_object(simdjson::dom::parser& parser, std::string_view text, std::string_view what,
                       simdjson::dom::object* out, std::string* error) {
    simdjson::dom::element root;
    if (auto err = parser.parse(text.data(), text.size(), true).get(root)) {
        *error = json_error_text(what, err);
        return false;
    }
    if (root.get_object().get(*out) != simdjson::SUCCESS) {
        *error = std::string(what) + " is not a JSON object";
        return false;
    }
    return true;
}

std::string json_error_text(std::string_view what, simdjson::error_code err) {
    if (err == simdjson::NUMBER_ERROR)
        return std::string(what) +
               " is not JSON ringcast can take: a number is malformed or out of range (integers "
               "must fit in 64 bits, other numbers in a double; send larger ones as strings)";
    if (err == simdjson::DEPTH_ERROR)
        return std::string(what) + " is not JSON ringcast can take: objects and arrays nest " +
               std::to_string(simdjson::DEFAULT_MAX_DEPTH) +
               " levels deep at most, the outermost object included";
    // simdjson says "Problem while parsing a string" for either.
    if (err == simdjson::STRING_ERROR)
        return std::string(what) +
               " is not valid JSON: a string holds an invalid escape, or a lone surrogate (a "
               "\\ud800-\\udbff escape not followed by a \\udc00-\\udfff one, or the "
               "latter alone)";
    return std::string(what) + " is not valid JSON: " + simdjson::error_message(err);
}

bool parse_message_text(simdjson::dom::parser& parser, std::string_view text, Message* out,
                        std::string* error) {
    simdjson::dom::object obj;
    return body_object(parser, text, std::string("a JSON object with ") + kMessageFields, &obj,
                       error) &&
           parse_message(obj, out, error);
}

}  // namespace ringcast
