#pragma once
// What travels between nodes through Redis (docs/scaling.md, "The cluster's
// order"): the text around an event's record, and the delivery reports.
//
// A numbered event, as the publish script writes it to the history stream and
// publishes it on the bus channel (one string, the same in both places):
//
//   "<sequence> <epoch> <instance> <token> <record>"
//
// sequence: the cluster's (decimal); epoch: the cluster's numbering
// (pubsub/event_id.h); instance: the node process that published it (16 hex
// digits, new at every start); token: that process's number for the publish
// (decimal), so that it finds its ticket again; record: the event as
// pubsub/event_record.h encodes it (binary, to the end).
//
// Instead of an event record, a cache invalidation: kInvalidationMark and
// its JSON ({"channels":[...],"users":[...]}, pubsub/message_json.h). An event
// record starts with its version (1), never with the mark.
//
// (invalidation_record and invalidation_json below.)
//
// Reports, published to the origin's reports channel, one line per event this
// node delivered, several per message:  "<token> <sent> <failed>\n".
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "pubsub/message.h"

namespace ringcast {

// A process's instance name: 16 lowercase hex digits.
constexpr size_t kInstanceLength = 16;
constexpr char kInvalidationMark = 'I';
std::string make_instance();

// What the origin hands to the publish script: "<instance> <token> <record>".
void write_bus_submission(std::string* out, std::string_view instance, uint64_t token,
                          std::string_view record);

struct BusEvent {
    uint64_t sequence = 0;
    std::string_view epoch;
    std::string_view instance;
    uint64_t token = 0;
    std::string_view record;
};
// False with *error for anything that is not a well-formed bus event (the
// record itself is checked by decode_event).
bool parse_bus_event(std::string_view text, BusEvent* out, std::string* error);

// The record of a cache invalidation: kInvalidationMark and its JSON.
std::string invalidation_record(const CacheInvalidation& what);
// The JSON of an invalidation record; "" for an event's record.
std::string_view invalidation_json(std::string_view record);

void write_report(std::string* out, uint64_t token, uint64_t sent, uint64_t failed);
// Calls f(token, sent, failed) for every line; false (after the good lines)
// at the first line that is not one.
bool parse_reports(std::string_view text,
                   const std::function<void(uint64_t, uint64_t, uint64_t)>& f);

}  // namespace ringcast
