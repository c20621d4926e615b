// The HTTP request parser (src/http/request_parser) on the bytes of a connection:
// pipelined requests one after the other, as HttpServer::process_input feeds
// them, under the daemon's default limits and under tight ones that every input
// can reach (a long target, many headers, a large body).
//
// Properties: feed() never claims more bytes than it was given; a request and
// an error are the same whether the bytes arrive at once or in any cut of reads
// (but a request both over a limit and malformed past it may be refused for
// either, by where the reads end); a complete request stays within the limits;
// an error carries one of the documented statuses (400, 413, 414, 431) and a
// message; a token found in a request is not empty.
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/token_source.h"
#include "fuzz_support.h"
#include "http/query.h"
#include "http/request_parser.h"

namespace ringcast::fuzz {
namespace {

// What a connection learned from its bytes, in order, as one comparable text.
struct Outcome {
    std::string requests;
    int error = 0;
    std::string error_message;
};

void describe(const HttpRequest& r, std::string* out) {
    *out += r.method_name();
    *out += ' ';
    *out += r.target;
    *out += " path=";
    *out += r.path();
    *out += " query=";
    *out += r.query();
    *out += " v" + std::to_string(r.version_major) + "." + std::to_string(r.version_minor);
    *out += r.keep_alive ? " keep" : " close";
    for (const auto& [name, value] : r.headers) {
        *out += '\n';
        *out += name;
        *out += ": ";
        *out += value;
    }
    *out += "\nbody " + std::to_string(r.body.size()) + ": ";
    *out += r.body;
    *out += "\n--\n";
}

void check_request(const HttpRequest& r, const HttpLimits& limits) {
    check(r.target.size() <= limits.max_target, "a request target over max_target was taken");
    check(r.headers.size() <= limits.max_headers, "more headers than max_headers were taken");
    size_t header_bytes = 0;
    for (const auto& [name, value] : r.headers) {
        header_bytes += name.size() + value.size();
        for (char c : name)
            check(!(c >= 'A' && c <= 'Z'), "a header name was not lower-cased");
    }
    check(header_bytes <= limits.max_header_bytes, "header bytes over max_header_bytes were taken");
    check(r.body.size() <= limits.max_body, "a body over max_body was taken");
    check(!r.path().empty() && r.path().size() <= r.target.size() + 1, "path() is not in target");
    // What the router and the endpoints do next with a target.
    bool malformed = false;
    (void)query_param(r.query(), "channels", &malformed);
    (void)percent_decode(r.path(), false);
    (void)r.header("host");
    // Where a stream's token is looked for: the Authorization header, the
    // cookie, the query.
    static const AuthOptions auth;
    std::string error;
    std::optional<FoundToken> token = find_token(r, auth, &error);
    check(!token || !token->token.empty(), "an empty token was found");
}

// Feeds `data` in the reads `chunker` cuts (all at once without one), handling
// each complete request before going on with the rest, until an error or a
// request after which the connection closes.
Outcome parse(std::string_view data, const HttpLimits& limits, Chunker* chunker) {
    Outcome o;
    RequestParser parser(limits);
    size_t pos = 0;
    while (pos < data.size()) {
        size_t len = chunker ? chunker->next(data.size() - pos) : data.size() - pos;
        const char* read = data.data() + pos;
        pos += len;
        // One read may hold the end of a request and the start of the next.
        while (len > 0) {
            size_t consumed = SIZE_MAX;
            RequestParser::Result res = parser.feed(read, len, &consumed);
            check(consumed <= len, "feed() consumed more than it was given");
            if (res == RequestParser::Result::need_more) {
                check(consumed == len, "need_more without consuming the read");
                break;
            }
            if (res == RequestParser::Result::error) {
                o.error = parser.error_status();
                o.error_message = parser.error_message();
                check(o.error == 400 || o.error == 413 || o.error == 414 || o.error == 431,
                      "an error status that is not 400, 413, 414 or 431");
                check(!o.error_message.empty(), "an error without a message");
                return o;
            }
            check(parser.headers_complete() && parser.started(), "complete before its headers");
            const HttpRequest& r = parser.request();
            check_request(r, limits);
            describe(r, &o.requests);
            if (!r.keep_alive) return o;  // the server answers and closes
            read += consumed;
            len -= consumed;
            parser.next();
        }
    }
    return o;
}

bool limit_status(int status) {
    return status == 413 || status == 414 || status == 431;
}

void same(const Outcome& a, const Outcome& b) {
    // A request over a limit and malformed past it is refused either way, but
    // for either reason: llhttp hands over a target, header or body as far as
    // a read goes (so a limit is met at the end of a read), and meets a bad
    // byte when it scans it. Before that error, everything must agree.
    const bool either_refusal =
        a.requests == b.requests &&
        ((a.error == 400 && limit_status(b.error)) || (b.error == 400 && limit_status(a.error)));
    if (either_refusal) return;
    if (a.requests != b.requests || a.error != b.error || a.error_message != b.error_message) {
        std::fprintf(stderr, "at once:\n%s\nerror %d %s\n\nin reads:\n%s\nerror %d %s\n",
                     a.requests.c_str(), a.error, a.error_message.c_str(), b.requests.c_str(),
                     b.error, b.error_message.c_str());
        fail("the same bytes parse differently in different reads");
    }
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast;
    using namespace ringcast::fuzz;
    std::string_view input(reinterpret_cast<const char*>(data), size);

    const HttpLimits defaults;
    const HttpLimits tight{
        .max_target = 64, .max_header_bytes = 256, .max_headers = 6, .max_body = 100};
    for (const HttpLimits& limits : {defaults, tight}) {
        Outcome whole = parse(input, limits, nullptr);
        Chunker chunker(input);
        same(whole, parse(input, limits, &chunker));
    }
    return 0;
}
