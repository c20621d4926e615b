#pragma once
// Alerts as JSON: what admins send (create, replace, JSON merge patch), what the
// API and the streams show, and what the store keeps (the same text).
//
//   {"id": 7, "title": "Maintenance", "message"?, "details"?, "alert_type": "warning",
//    "priority": 8, "icon"?, "dismissible": true, "persistent": false,
//    "starts_at"?: "2026-12-24T22:00:00.000Z", "expires_at"?: "...",
//    "actions"?: [{"label": "Status page", "url": "https://status.example.com",
//                  "style": "link"}, {"label": "Undo", "action": "undo"}],
//    "metadata"?: <any JSON>,
//    "target": "role-based", "targetRoles": ["admin"], "excludeUsers"?: [...], "requireAuth"?,
//    "created_at", "updated_at", "created_by", "updated_by", "version": 3}
//
// The alert's own fields are named as in the product documents (snake_case); the
// targeting fields are those of a publish (docs/protocol.md). Errors name the
// field and what is expected; unknown fields are refused, so a typo never
// silently changes who sees an alert.
#include <cstdint>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "alerts/alert.h"
#include "alerts/iso8601.h"  // parse_iso8601_ms, format_iso8601_ms: the times
#include "core/json_writer.h"

namespace ringcast {

// What a create (POST) or a replace (PUT) may carry: every field an admin sets.
// The server's own fields (id, created_*, updated_*) are refused by name;
// "version" is accepted and returned in `*version` (0 if absent): the version the
// writer edited, for the conflict check. Fields left out take their defaults.
// On an error `*error` says what is wrong and `*field` names the field.
bool parse_alert_input(simdjson::dom::object obj, const AlertLimits& limits, Alert* out,
                       uint64_t* version, std::string* error, std::string* field);

// A JSON merge patch (RFC 7396) applied to `current`: members replace fields,
// null resets a field to its default (or removes it), "metadata" merges
// recursively as the RFC says. The result is validated as parse_alert_input
// validates; `*version` as there. The server's fields (id, created_*, updated_*,
// version) are copied from `current` into `*out`; a patch naming one is refused.
bool merge_patch_alert(const Alert& current, simdjson::dom::object patch, const AlertLimits& limits,
                       Alert* out, uint64_t* version, std::string* error, std::string* field);

// The alert as the API, the streams and the store show it (every field; optional
// ones only when set).
void write_alert(JsonWriter& w, const Alert& a);
// The alert as a browser it targets sees it (the streams' events, GET
// /api/alerts/active): without its targeting, which names other users, and
// without its authors.
void write_alert_for_viewer(JsonWriter& w, const Alert& a);
std::string alert_json(const Alert& a);

// Reads back what alert_json() wrote (the store's text), server fields included.
bool read_stored_alert(simdjson::dom::parser& parser, std::string_view text, Alert* out,
                       std::string* error);
// The same for an object already parsed (an alert inside a larger document).
bool read_stored_alert(simdjson::dom::object obj, Alert* out, std::string* error);

}  // namespace ringcast
