// What a Redis server (or something on its port) sends a link: the RESP
// reader (src/cluster/resp_reader.h, hiredis's parser with our own values)
// and what a subscriber link makes of the replies.
//
// Properties: the replies, and whether the stream is refused, are the same
// in any cut of receives; every reply written back as RESP (cluster's own
// encoding of it: the writer for arrays of bulk strings, the other types by
// hand) reads back as the same value; no array holds more than the reader's
// bound.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/resp_reader.h"
#include "cluster/resp_writer.h"
#include "fuzz_support.h"

namespace ringcast::fuzz {
namespace {

struct Read {
    std::vector<RespValue> replies;
    bool refused = false;
};

void take(RespReader& r, Read& out) {
    while (auto v = r.next())
        out.replies.push_back(std::move(*v));
    if (!r.error().empty()) out.refused = true;
}

Read read_whole(std::string_view in) {
    RespReader r;
    Read out;
    if (!r.feed(in.data(), in.size()))
        out.refused = true;
    else
        take(r, out);
    return out;
}

Read read_cut(std::string_view in) {
    RespReader r;
    Read out;
    Chunker chunks(in);
    while (!in.empty() && !out.refused) {
        const size_t n = chunks.next(in.size());
        if (!r.feed(in.data(), n)) {
            out.refused = true;
            break;
        }
        in.remove_prefix(n);
        take(r, out);
    }
    return out;
}

void encode(const RespValue& v, std::string& out) {
    switch (v.type) {
        case RespValue::Type::status: out += "+" + v.str + "\r\n"; break;
        case RespValue::Type::error: out += "-" + v.str + "\r\n"; break;
        case RespValue::Type::integer: out += ":" + std::to_string(v.integer) + "\r\n"; break;
        case RespValue::Type::bulk:
            out += "$" + std::to_string(v.str.size()) + "\r\n" + v.str + "\r\n";
            break;
        case RespValue::Type::nil: out += "$-1\r\n"; break;
        case RespValue::Type::no_reply: fail("the reader made a no_reply value");
        case RespValue::Type::array: {
            bool all_bulk = true;
            for (const RespValue& e : v.elements)
                all_bulk &= e.type == RespValue::Type::bulk;
            if (all_bulk) {  // what a command looks like: the writer's encoding
                std::vector<std::string_view> args;
                for (const RespValue& e : v.elements)
                    args.push_back(e.str);
                RespWriter(out).command(args);
                break;
            }
            out += "*" + std::to_string(v.elements.size()) + "\r\n";
            for (const RespValue& e : v.elements)
                encode(e, out);
            break;
        }
    }
}

bool same(const RespValue& a, const RespValue& b) {
    if (a.type != b.type || a.str != b.str || a.integer != b.integer ||
        a.elements.size() != b.elements.size())
        return false;
    for (size_t i = 0; i < a.elements.size(); ++i)
        if (!same(a.elements[i], b.elements[i])) return false;
    return true;
}

void check_bounds(const RespValue& v) {
    check(v.elements.size() <= RespReader::kMaxElements, "an array over the reader's bound");
    for (const RespValue& e : v.elements)
        check_bounds(e);
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast;
    using namespace ringcast::fuzz;
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const Read whole = read_whole(in);
    const Read cut = read_cut(in);
    check(whole.refused == cut.refused, "refused in one cut of receives, not in another");
    check(whole.replies.size() == cut.replies.size(), "a different number of replies in cuts");
    for (size_t i = 0; i < whole.replies.size(); ++i) {
        check(same(whole.replies[i], cut.replies[i]), "a different reply in another cut");
        check_bounds(whole.replies[i]);
        std::string again;
        encode(whole.replies[i], again);
        const Read back = read_whole(again);
        check(!back.refused && back.replies.size() == 1, "a reply written back does not read");
        check(same(back.replies[0], whole.replies[i]), "a reply written back reads differently");
    }
    return 0;
}
