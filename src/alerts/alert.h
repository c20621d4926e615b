#pragma once
// A banner/alert (features E1–E5): what admins create and every targeted browser
// shows. The fields are the product documents' SSEAlert, plus the targeting of a
// publish (pubsub/message.h), a scheduled start, who made and last changed it,
// and a version that makes concurrent edits visible (a writer names the version
// it edited; a stale one is refused with the current alert).
//
// Text fields are plain text: clients render them as text, never as HTML.
// Times are milliseconds since the Unix epoch (UTC); 0 means "not set".
#include <cstdint>
#include <string>
#include <vector>

#include "pubsub/message.h"

namespace ringcast {

// A button or link on an alert: a URL to open, or an action name the page
// handles itself (one of the two).
struct AlertAction {
    std::string label;
    std::string url;     // http(s) or relative; never javascript: and the like
    std::string action;  // a name the application reacts to
    std::string style;   // "primary", "secondary", "danger" or "link"; empty: primary

    bool operator==(const AlertAction&) const = default;
};

struct Alert {
    uint64_t id = 0;  // assigned by the store, never reused
    std::string title;
    std::string message;
    std::string details;
    std::string alert_type = "info";  // info, warning, error, success, or a configured type
    uint8_t priority = 5;             // 0..10, higher first
    std::string icon;
    bool dismissible = true;
    bool persistent = false;    // survives a page refresh (the browser keeps it)
    int64_t starts_at_ms = 0;   // 0: shown from its creation
    int64_t expires_at_ms = 0;  // 0: until deleted
    std::vector<AlertAction> actions;
    std::string metadata;  // compact JSON text of any value; empty: none
    Target target;         // who sees it (kind, lists, exclusions, require_auth)
    int64_t created_at_ms = 0;
    int64_t updated_at_ms = 0;
    std::string created_by;  // token subject or API key name
    std::string updated_by;
    uint64_t version = 0;  // 1 when created, one more per change

    // Shown at `now_ms`: started and not yet expired.
    bool active_at(int64_t now_ms) const {
        return (starts_at_ms == 0 || starts_at_ms <= now_ms) &&
               (expires_at_ms == 0 || now_ms < expires_at_ms);
    }
    bool operator==(const Alert&) const = default;
};

// Bounds on what an alert may hold ([alerts] in the configuration).
struct AlertLimits {
    size_t max_title = 200;       // bytes
    size_t max_message = 2000;    // bytes
    size_t max_details = 10000;   // bytes
    size_t max_icon = 100;        // bytes
    size_t max_metadata = 16384;  // bytes of its compact JSON
    size_t max_actions = 5;
    size_t max_label = 100;                 // bytes, per action
    size_t max_url = 2048;                  // bytes, per action
    size_t max_active = 100;                // alerts active or scheduled at once
    std::vector<std::string> custom_types;  // alert types beyond the four built in
};

}  // namespace ringcast
