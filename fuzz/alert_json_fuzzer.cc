// Alerts as JSON (src/alerts/alert_json, iso8601): the body of POST and PUT
// /api/alerts, a merge patch over a fixed alert (PATCH), the store's text read
// back, and ISO 8601 times.
//
// Properties: an alert that is taken has a title within its limit, a priority
// of 0..10, a known type, actions whose URLs are http(s) or relative and a
// start before its expiry; what alert_json() writes of it reads back (as the
// store reads it) as the same alert, and writes again as the same text. A merge
// patch that is taken keeps the alert's server fields. A time that parses
// formats and parses again to the same millisecond.
#include <cstdint>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "alerts/alert_json.h"
#include "fuzz_support.h"

namespace ringcast::fuzz {
namespace {

const AlertLimits kLimits = [] {
    AlertLimits l;
    l.custom_types = {"maintenance"};
    return l;
}();

bool url_ok(std::string_view url) {
    auto lower_starts = [&](std::string_view prefix) {
        if (url.size() < prefix.size()) return false;
        for (size_t i = 0; i < prefix.size(); ++i)
            if (char(std::tolower(static_cast<unsigned char>(url[i]))) != prefix[i]) return false;
        return true;
    };
    if (lower_starts("http://") || lower_starts("https://")) return true;
    if (url.starts_with("//")) return false;
    return url.starts_with('/') || url.starts_with("./") || url.starts_with("../") ||
           url.starts_with('?') || url.starts_with('#');
}

void check_alert(const Alert& a) {
    check(!a.title.empty() && a.title.size() <= kLimits.max_title, "a title out of bounds");
    check(a.priority <= 10, "a priority over 10");
    check(a.alert_type == "info" || a.alert_type == "warning" || a.alert_type == "error" ||
              a.alert_type == "success" || a.alert_type == "maintenance",
          "an unknown alert type was taken");
    check(a.actions.size() <= kLimits.max_actions, "too many actions");
    for (const AlertAction& act : a.actions) {
        check(!act.label.empty(), "an action without a label");
        check(act.url.empty() != act.action.empty(), "an action with both or neither url/action");
        check(act.url.empty() || url_ok(act.url),
              "an action URL that is neither http(s) nor relative");
    }
    check(a.starts_at_ms == 0 || a.expires_at_ms == 0 || a.starts_at_ms < a.expires_at_ms,
          "an alert that expires before it starts");
    check(a.metadata.size() <= kLimits.max_metadata, "metadata over its limit");

    // The store's round trip.
    const std::string text = alert_json(a);
    static simdjson::dom::parser parser;
    Alert back;
    std::string error;
    check(read_stored_alert(parser, text, &back, &error), "alert_json() does not read back");
    check(back == a, "the alert read back is not the alert written");
    check(alert_json(back) == text, "the alert read back writes other text");
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast;
    using namespace ringcast::fuzz;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    static simdjson::dom::parser parser;

    simdjson::dom::element doc;
    simdjson::dom::object obj;
    if (parser.parse(text).get(doc) == simdjson::SUCCESS && doc.get(obj) == simdjson::SUCCESS) {
        Alert a;
        uint64_t version = 0;
        std::string error, field;
        if (parse_alert_input(obj, kLimits, &a, &version, &error, &field)) {
            a.id = 7;
            a.version = 3;
            a.created_at_ms = a.updated_at_ms = 1'800'000'000'000;
            a.created_by = a.updated_by = "fuzz";
            check_alert(a);
        } else {
            check(!error.empty(), "an alert was refused without a reason");
        }

        Alert current;
        current.id = 9;
        current.title = "current";
        current.version = 4;
        current.created_at_ms = current.updated_at_ms = 1'700'000'000'000;
        current.created_by = current.updated_by = "admin";
        current.metadata = R"({"a":{"b":1},"c":[1,2]})";
        Alert patched;
        error.clear();
        if (merge_patch_alert(current, obj, kLimits, &patched, &version, &error, &field)) {
            check(patched.id == current.id && patched.version == current.version &&
                      patched.created_by == current.created_by,
                  "a merge patch changed the server's fields");
            check_alert(patched);
        } else {
            check(!error.empty(), "a merge patch was refused without a reason");
        }
    }

    // The store's reader takes any text without crashing; what it takes writes
    // and reads back the same.
    Alert stored;
    std::string error;
    if (read_stored_alert(parser, text, &stored, &error)) {
        const std::string again = alert_json(stored);
        Alert back;
        check(read_stored_alert(parser, again, &back, &error) && back == stored,
              "a stored alert does not survive a second round trip");
    }

    int64_t ms = 0;
    if (size <= 64 && parse_iso8601_ms(text, &ms)) {
        int64_t again = -1;
        check(parse_iso8601_ms(format_iso8601_ms(ms), &again) && again == ms,
              "a time does not survive formatting");
    }
    return 0;
}
