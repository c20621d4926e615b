// The publish message JSON (src/pubsub/message_json): the body of POST
// /api/publish and POST /api/invalidate, read with parse_message_text and
// parse_invalidation_text, and what an accepted message becomes.
//
// Properties: a message that is taken has a valid channel, event name and id;
// its data is JSON again; the event built from it (Event::build, numbered as the
// log shard numbers it) reads back, through the client's SSE parser, as exactly
// one event with that name, data and id, and its target lists read back as
// given. An invalidation that is taken names valid channels, or users.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "fuzz_support.h"
#include "pubsub/channel_name.h"
#include "pubsub/event.h"
#include "pubsub/message_json.h"
#include "pubsub/sse_format.h"
#include "ringcast/sse_parser.h"

namespace ringcast::fuzz {
namespace {

std::vector<std::string> strings(const StringList& list) {
    std::vector<std::string> out;
    list.for_each([&](std::string_view s) { out.emplace_back(s); });
    return out;
}

// The event Event::build makes of `m` is the event a subscriber receives.
void check_event(const Message& m) {
    Event* e = Event::build(m, 1'700'000'000'000);
    check(e != nullptr, "a message that was taken could not be built");
    e->assign_sequence(42, "mk3l0q");
    check(e->channel() == m.channel, "the event's channel is not the message's");
    check(m.id.empty() || e->id() == m.id, "the event's id is not the message's");

    SseParser parser;
    std::vector<SseEvent> got;
    parser.feed(e->view(), [&](const SseEvent& ev) { got.push_back(ev); });
    check(got.size() == 1, "the event's bytes do not read as exactly one SSE event");
    check(got[0].type == m.event, "the SSE event's name is not the message's");
    check(got[0].data == m.data, "the SSE event's data is not the message's");
    check(got[0].last_event_id == e->id(), "the SSE event's id is not the event's");

    TargetView t = e->target();
    check(t.kind == m.target.kind && t.require_auth == m.target.require_auth,
          "the event's target kind is not the message's");
    check(strings(t.users) == m.target.users && strings(t.roles) == m.target.roles &&
              strings(t.permissions) == m.target.permissions &&
              strings(t.exclude) == m.target.exclude,
          "the event's target lists are not the message's");
    e->release();
}

void check_message(const Message& m) {
    check(valid_channel_name(m.channel), "a message was taken with an invalid channel");
    check(valid_event_name(m.event), "a message was taken with an invalid event name");
    check(m.id.empty() || valid_event_id(m.id), "a message was taken with an invalid id");
    check(m.priority <= kMaxPriority, "a message was taken with a priority over 10");
    simdjson::dom::parser reparse;
    simdjson::dom::element ignored;
    check(reparse.parse(m.data).get(ignored) == simdjson::SUCCESS,
          "a message's data is not JSON again");
    check(simdjson::minify(ignored) == m.data, "a message's data is not compact JSON");
    check_event(m);
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast;
    using namespace ringcast::fuzz;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    static simdjson::dom::parser parser;

    Message m;
    std::string error;
    if (parse_message_text(parser, text, &m, &error)) {
        check(error.empty(), "a message was taken with an error");
        check_message(m);
    } else {
        check(!error.empty(), "a message was refused without a reason");
    }

    CacheInvalidation inv;
    error.clear();
    if (parse_invalidation_text(parser, text, &inv, &error)) {
        check(!inv.channels.empty() || !inv.users.empty(), "an invalidation naming nothing");
        for (const std::string& ch : inv.channels)
            check(valid_channel_name(ch), "an invalidation was taken with an invalid channel");
        for (const std::string& u : inv.users)
            check(!u.empty(), "an invalidation was taken with an empty user");
    } else {
        check(!error.empty(), "an invalidation was refused without a reason");
    }
    return 0;
}
