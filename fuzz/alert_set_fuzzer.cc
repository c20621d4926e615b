// What a node reads from Redis as the cluster's alert set
// (src/alerts/alert_set_json.h): another node's version, a bug, or anyone with
// access to Redis may put anything there. Malformed input must be refused with
// a reason, never read past its end.
//
// Property: a set that reads writes back to text that reads to the same set
// and writes the same text again (the text is a function of the set).
#include <cstdint>
#include <string>
#include <string_view>

#include "alerts/alert_set_json.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    simdjson::dom::parser parser;
    AlertSet set;
    std::string error;
    if (!read_alert_set(parser, in, &set, &error)) {
        fuzz::check(!error.empty(), "a refused set has no reason");
        return 0;
    }
    const std::string text = alert_set_json(set);
    AlertSet again;
    fuzz::check(read_alert_set(parser, text, &again, &error), "a written set does not read");
    fuzz::check(again.alerts == set.alerts && again.dismissed == set.dismissed &&
                    again.expiry_announced == set.expiry_announced,
                "a written set reads back as another");
    fuzz::check(alert_set_json(again) == text, "the same set wrote other text");
    return 0;
}
