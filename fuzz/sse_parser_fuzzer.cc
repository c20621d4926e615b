// The client-side SSE parser (include/ringcast/sse_parser.h) on whatever a
// server, or something pretending to be one, sends: the CLI's `tail`, the load
// generator and the C++ client read streams with it.
//
// Properties: the events, the last event id, the retry time and the count of
// comments are the same in any cut of reads (a CR ending one read and an LF
// starting the next are one line end); every dispatched event has data and a
// type, and the id it reports is the stream's at that moment. Then the same
// bytes, taken as an event's name, id and data, go through the server's framing
// (src/pubsub/sse_format) and must read back as exactly that event.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "pubsub/sse_format.h"
#include "ringcast/sse_parser.h"

namespace ringcast::fuzz {
namespace {

struct Read {
    std::string events;
    std::string last_event_id;
    std::optional<uint64_t> retry;
    uint64_t comments = 0;

    bool operator==(const Read&) const = default;
};

Read read(std::string_view stream, Chunker* chunker) {
    Read out;
    SseParser parser;
    auto on_event = [&](const SseEvent& e) {
        check(!e.type.empty(), "an event without a type");
        check(e.last_event_id == parser.last_event_id(), "an event's id is not the stream's");
        out.events += e.type + "|" + e.last_event_id + "|" + std::to_string(e.data.size()) + ":" +
                      e.data + "\n";
    };
    size_t pos = 0;
    while (pos < stream.size()) {
        size_t len = chunker ? chunker->next(stream.size() - pos) : stream.size() - pos;
        parser.feed(stream.substr(pos, len), on_event);
        pos += len;
    }
    out.last_event_id = parser.last_event_id();
    out.retry = parser.retry_ms();
    out.comments = parser.comments();
    return out;
}

// The payload as the client sees it: every line end (\r\n, \r, \n) a \n.
std::string normalized(std::string_view data) {
    std::string out;
    for (size_t i = 0; i < data.size(); ++i) {
        if (data[i] == '\r') {
            out += '\n';
            if (i + 1 < data.size() && data[i + 1] == '\n') ++i;
        } else {
            out += data[i];
        }
    }
    return out;
}

// The server's framing of an event made of the input's pieces.
void round_trip(std::string_view input) {
    // "<event>\0<id>\0<data>": the name and id as far as they are valid.
    size_t a = input.find('\0');
    size_t b = a == std::string_view::npos ? a : input.find('\0', a + 1);
    std::string_view event = input.substr(0, std::min(a, kMaxEventName));
    std::string_view id = a == std::string_view::npos ? "" : input.substr(a + 1, b - a - 1);
    std::string_view data = b == std::string_view::npos ? input : input.substr(b + 1);
    if (!valid_event_name(event)) event = "update";
    if (!id.empty() && !valid_event_id(id)) id = "7";

    const std::string frame = sse_event(id, event, data);
    check(frame.size() == sse_size(id, event, data), "sse_size() is not the frame's size");
    SseParser parser;
    std::vector<SseEvent> got;
    parser.feed(frame, [&](const SseEvent& e) { got.push_back(e); });
    check(got.size() == 1, "a framed event does not read as exactly one event");
    check(got[0].type == event, "a framed event's name changed");
    check(got[0].data == normalized(data), "a framed event's data changed");
    check(got[0].last_event_id == id, "a framed event's id changed");
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast::fuzz;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    Read whole = read(input, nullptr);
    Chunker chunker(input);
    Read cut = read(input, &chunker);
    if (!(whole == cut)) {
        std::fprintf(stderr, "at once:\n%s\nin reads:\n%s\n", whole.events.c_str(),
                     cut.events.c_str());
        fail("the same stream reads differently in different reads");
    }
    round_trip(input);
    return 0;
}
