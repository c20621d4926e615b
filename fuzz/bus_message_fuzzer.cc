// What one node reads from another through Redis (src/cluster/bus_message.h):
// bus events (from the subscription and from the history stream) with the
// event record inside (pubsub/event_record.h) or a cache invalidation, and
// delivery reports. Redis is
// trusted no more than the network: another node's version, a bug, or anyone
// with access to Redis may put anything there. Malformed input must be refused
// with a reason, never read past its end.
//
// Properties: an event that parses and decodes encodes back to its record, and
// gets its id from the sequence; reports that parse write back the same lines.
#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/bus_message.h"
#include "fuzz_support.h"
#include "pubsub/event.h"
#include "pubsub/event_record.h"
#include "pubsub/message_json.h"

namespace ringcast::fuzz {
namespace {

void bus_event(std::string_view text) {
    BusEvent b;
    std::string error;
    if (!parse_bus_event(text, &b, &error)) {
        check(!error.empty(), "a refused bus event has no reason");
        return;
    }
    if (std::string_view json = invalidation_json(b.record); !json.empty()) {
        static simdjson::dom::parser parser;
        CacheInvalidation what;
        if (!parse_invalidation_text(parser, json, &what, &error))
            check(!error.empty(), "a refused invalidation has no reason");
        else
            check(!what.channels.empty() || !what.users.empty(), "an invalidation of nothing");
        return;
    }
    Event* e = decode_event(b.record, &error);
    if (!e) {
        check(!error.empty(), "a refused record has no reason");
        return;
    }
    if (e->id().empty() && !e->has_explicit_id()) {
        // As the node does with a record from the bus: not numbered yet.
        check(encode_event(*e) == b.record, "a record does not encode back to itself");
        e->assign_sequence(b.sequence, b.epoch);
        check(e->sequence() == b.sequence, "the sequence is not the bus's");
        check(e->id() == std::string(b.epoch) + "-" + std::to_string(b.sequence),
              "the id is not epoch-sequence");
    }
    e->release();
}

void reports(std::string_view text) {
    std::string again;
    const bool ok = parse_reports(text, [&](uint64_t token, uint64_t sent, uint64_t failed) {
        write_report(&again, token, sent, failed);
    });
    if (ok) check(again.size() <= text.size(), "reports wrote more than they read");
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    ringcast::fuzz::bus_event(in);
    ringcast::fuzz::reports(in);
    return 0;
}
