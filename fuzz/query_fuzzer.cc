// Percent-decoding and the query string (src/http/query): ?channels=,
// ?lastEventId=, ?token= of a stream, and the ids in /api/users/{id} and
// /api/connections/{id}. An input is a query string; its first `&`-separated
// key is also looked up as a parameter name.
//
// Properties: decoding never makes text longer; any bytes, percent-encoded,
// decode back to themselves (in a path segment and in a query, where '+' is a
// space); a parameter found is the decoding of the first pair with its name;
// split_list keeps every non-empty item and no comma.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "http/query.h"

namespace ringcast::fuzz {
namespace {

// RFC 3986 unreserved characters stay; every other byte becomes %XX.
std::string percent_encode(std::string_view s) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            out += char(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast;
    using namespace ringcast::fuzz;
    std::string_view input(reinterpret_cast<const char*>(data), size);

    for (bool plus_is_space : {true, false}) {
        std::optional<std::string> decoded = percent_decode(input, plus_is_space);
        check(!decoded || decoded->size() <= input.size(), "decoding made text longer");
        std::optional<std::string> back = percent_decode(percent_encode(input), plus_is_space);
        check(back && *back == input, "percent-encoded bytes do not decode to themselves");
    }

    // The first key, looked up as a parameter (an empty query has none).
    if (input.empty()) return 0;
    const std::string_view name = input.substr(0, input.find_first_of("=&"));
    bool malformed = false;
    std::optional<std::string> value = query_param(input, name, &malformed);
    const std::string_view first = input.substr(0, input.find('&'));
    const size_t eq = first.find('=');
    const std::optional<std::string> expected =
        percent_decode(eq == std::string_view::npos ? std::string_view() : first.substr(eq + 1));
    check(malformed == !expected, "a malformed escape was not reported, or reported wrongly");
    check(value == expected, "a parameter is not the decoding of its first pair");

    for (const std::string& item : split_list(input)) {
        check(!item.empty(), "split_list kept an empty item");
        check(item.find(',') == std::string::npos, "split_list kept a comma");
    }
    return 0;
}
