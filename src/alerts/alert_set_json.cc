#include "alerts/alert_set_json.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>

#include "alerts/alert_json.h"
#include "core/json_writer.h"
#include "pubsub/message_json.h"

namespace ringcast {

namespace {

template <typename Map>
std::vector<uint64_t> sorted_ids(const Map& m) {
    std::vector<uint64_t> ids;
    ids.reserve(m.size());
    for (const auto& [id, unused] : m)
        ids.push_back(id);
    std::sort(ids.begin(), ids.end());
    return ids;
}

// [id, value] pairs: the id a positive integer of an alert in `set`.
bool read_pair(simdjson::dom::element e, const AlertSet& set, const char* member,
               simdjson::dom::element* value, uint64_t* id, std::string* error) {
    simdjson::dom::array pair;
    if (e.get_array().get(pair) != simdjson::SUCCESS || pair.size() != 2 ||
        pair.at(0).get_uint64().get(*id) != simdjson::SUCCESS || *id == 0) {
        *error = fmt::format("\"{}\" holds [alert id, value] pairs", member);
        return false;
    }
    if (!set.find(*id)) {
        *error = fmt::format("\"{}\" names alert {}, which the set does not hold", member, *id);
        return false;
    }
    return pair.at(1).get(*value) == simdjson::SUCCESS;
}

bool read_dismissed(simdjson::dom::array list, AlertSet* out, std::string* error) {
    for (simdjson::dom::element e : list) {
        simdjson::dom::element value;
        uint64_t id = 0;
        if (!read_pair(e, *out, "dismissed", &value, &id, error)) return false;
        simdjson::dom::array users;
        if (value.get_array().get(users) != simdjson::SUCCESS) {
            *error = fmt::format("\"dismissed\" of alert {} must be a list of users", id);
            return false;
        }
        auto& who = out->dismissed[id];
        for (simdjson::dom::element u : users) {
            std::string_view user;
            if (u.get_string().get(user) != simdjson::SUCCESS || user.empty()) {
                *error = fmt::format(
                    "\"dismissed\" of alert {} holds a user that is not a "
                    "non-empty string",
                    id);
                return false;
            }
            who.emplace(user);
        }
        if (who.empty()) out->dismissed.erase(id);
    }
    return true;
}

bool read_announced(simdjson::dom::array list, AlertSet* out, std::string* error) {
    for (simdjson::dom::element e : list) {
        simdjson::dom::element value;
        uint64_t id = 0;
        if (!read_pair(e, *out, "expiryAnnounced", &value, &id, error)) return false;
        int64_t at = 0;
        if (value.get_int64().get(at) != simdjson::SUCCESS || at <= 0) {
            *error = fmt::format("\"expiryAnnounced\" of alert {} must be a time in ms", id);
            return false;
        }
        out->expiry_announced[id] = at;
    }
    return true;
}

}  // namespace

std::string alert_set_json(const AlertSet& set) {
    std::string out;
    JsonWriter w(out);
    w.begin_object().key("alerts").begin_array();
    for (const Alert& a : set.alerts)
        write_alert(w, a);
    w.end_array().key("dismissed").begin_array();
    for (uint64_t id : sorted_ids(set.dismissed)) {
        const auto& who = set.dismissed.at(id);
        std::vector<std::string_view> users(who.begin(), who.end());
        std::sort(users.begin(), users.end());
        w.begin_array().value(id).begin_array();
        for (std::string_view u : users)
            w.value(u);
        w.end_array().end_array();
    }
    w.end_array().key("expiryAnnounced").begin_array();
    for (uint64_t id : sorted_ids(set.expiry_announced))
        w.begin_array().value(id).value(set.expiry_announced.at(id)).end_array();
    w.end_array().end_object();
    return out;
}

bool read_alert_set(simdjson::dom::parser& parser, std::string_view text, AlertSet* out,
                    std::string* error) {
    *out = AlertSet{};
    simdjson::dom::object obj;
    if (!parse_json_object(parser, text, "the alert set", &obj, error)) return false;
    simdjson::dom::array alerts, dismissed, announced;
    if (obj["alerts"].get_array().get(alerts) != simdjson::SUCCESS ||
        obj["dismissed"].get_array().get(dismissed) != simdjson::SUCCESS ||
        obj["expiryAnnounced"].get_array().get(announced) != simdjson::SUCCESS) {
        *error = "the alert set needs the lists \"alerts\", \"dismissed\" and \"expiryAnnounced\"";
        return false;
    }
    for (simdjson::dom::element e : alerts) {
        simdjson::dom::object a;
        Alert alert;
        if (e.get_object().get(a) != simdjson::SUCCESS) {
            *error = "the alert set's \"alerts\" holds something that is not an object";
            return false;
        }
        if (!read_stored_alert(a, &alert, error)) return false;
        if (alert.id == 0) {
            *error = "the alert set holds an alert without an id";
            return false;
        }
        out->alerts.push_back(std::move(alert));
    }
    std::sort(out->alerts.begin(), out->alerts.end(),
              [](const Alert& a, const Alert& b) { return a.id < b.id; });
    for (size_t i = 1; i < out->alerts.size(); ++i)
        if (out->alerts[i].id == out->alerts[i - 1].id) {
            *error = fmt::format("the alert set holds alert {} twice", out->alerts[i].id);
            return false;
        }
    return read_dismissed(dismissed, out, error) && read_announced(announced, out, error);
}

}  // namespace ringcast
