// The two translations between HTTP/2 and the HTTP layer (src/http2): an
// input read as a request's header fields (NUL-separated name and value
// pairs, then a body) through H2Request, and as a response head in pieces
// through ResponseHead.
//
// Properties: a request translated is one HTTP/1.1 head (a request line, then
// "name: value" lines, no bare CR or LF, one blank line at the end) and its
// body framing ends it; a refused one has an error and a reason; a response
// head reads the same whatever the cut of reads, never claims more bytes than
// it was given, and its fields carry no hop-by-hop name.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "http2/request_translation.h"
#include "http2/response_head.h"

namespace ringcast::fuzz {
namespace {

void request(std::string_view in) {
    H2Request r(4096);
    // "name\0value\0" pairs up to "\0\0", then the body.
    size_t at = 0;
    while (at < in.size()) {
        const size_t n_end = in.find('\0', at);
        if (n_end == std::string_view::npos || n_end == at) {
            at = n_end == std::string_view::npos ? in.size() : n_end + 1;
            break;
        }
        const size_t v_end = in.find('\0', n_end + 1);
        const std::string_view name = in.substr(at, n_end - at);
        const std::string_view value =
            in.substr(n_end + 1, (v_end == std::string_view::npos ? in.size() : v_end) - n_end - 1);
        r.add(name, value);
        at = v_end == std::string_view::npos ? in.size() : v_end + 1;
    }
    const std::string_view body = in.substr(std::min(at, in.size()));
    const bool end_stream = body.empty();
    std::string out;
    if (!r.head(end_stream, &out)) {
        check(r.error() != H2Request::Error::none, "a refusal has an error");
        check(!r.error_text().empty(), "a refusal says why");
        return;
    }
    const size_t end = out.find("\r\n\r\n");
    check(end != std::string::npos && end + 4 == out.size(), "one head, ended once");
    check(out.find(" HTTP/1.1\r\n") != std::string::npos, "a request line");
    for (size_t i = 0; i < out.size(); ++i) {
        if (out[i] == '\r') check(i + 1 < out.size() && out[i + 1] == '\n', "no bare CR");
        if (out[i] == '\n') check(i > 0 && out[i - 1] == '\r', "no bare LF");
    }
    r.body(body, &out);
    r.end(&out);
}

ResponseHead::State head_in_pieces(std::string_view in, Chunker& cut, ResponseHead& h,
                                   size_t* used) {
    *used = 0;
    ResponseHead::State st = ResponseHead::State::need_more;
    while (*used < in.size() && st == ResponseHead::State::need_more) {
        const size_t n = cut.next(in.size() - *used);
        size_t took = 0;
        st = h.feed(in.substr(*used, n), &took);
        check(took <= n, "never more than given");
        *used += took;
    }
    return st;
}

void response(std::string_view in) {
    ResponseHead whole;
    size_t used_whole = 0;
    const ResponseHead::State a = whole.feed(in, &used_whole);
    check(used_whole <= in.size(), "never more than given");
    Chunker cut(in);
    ResponseHead pieces;
    size_t used_pieces = 0;
    const ResponseHead::State b = head_in_pieces(in, cut, pieces, &used_pieces);
    if (a == ResponseHead::State::done) {
        check(b == ResponseHead::State::done, "the same head in pieces");
        check(used_whole == used_pieces, "the same length in pieces");
        check(whole.status() == pieces.status() && whole.fields() == pieces.fields(),
              "the same fields in pieces");
        for (const auto& [name, value] : whole.fields())
            check(name != "connection" && name != "transfer-encoding" && name != "keep-alive" &&
                      name != "upgrade" && name != "proxy-connection",
                  "no hop-by-hop field");
    }
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    ringcast::fuzz::request(in);
    ringcast::fuzz::response(in);
    return 0;
}
