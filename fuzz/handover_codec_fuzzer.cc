// The bodies of upgrade handover messages (src/server/handover_codec.h), as the
// new daemon reads them from the old one: the listeners, the streams' state,
// the position they resume from. The peer is another ringcastd on the handover
// socket (mode 0600), but a body is still bytes from outside this process: a
// truncated or corrupted one must be refused, never read past its end.
//
// The first byte picks the decoder; the rest is the body. Properties: a body
// that decodes encodes back to the same bytes (every field is read exactly as
// written, nothing is left over), and its re-encoding decodes to the same value.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "server/handover_codec.h"

namespace ringcast::fuzz {
namespace {

bool same(const HandedStream& a, const HandedStream& b) {
    return a.endpoint == b.endpoint && a.channels == b.channels && a.user == b.user &&
           a.authenticated == b.authenticated && a.subscriber == b.subscriber &&
           a.roles == b.roles && a.permissions == b.permissions &&
           a.connected_at_ms == b.connected_at_ms && a.ends_at_ms == b.ends_at_ms &&
           a.ends_with_token == b.ends_with_token && a.client == b.client &&
           a.limit_holds == b.limit_holds;
}

void listeners(std::string_view body) {
    HandedListeners l;
    if (!decode_listeners(body, &l)) return;
    const std::string again = encode_listeners(l);
    check(again == body, "listeners: decoded body does not encode back to itself");
    HandedListeners l2;
    check(decode_listeners(again, &l2) && l2.http == l.http && l2.has_unix == l.has_unix &&
              l2.has_metrics == l.has_metrics && l2.https == l.https,
          "listeners: re-encoding does not decode to the same");
}

void streams(std::string_view body) {
    std::vector<HandedStream> s;
    if (!decode_streams(body, &s)) return;
    const std::string again = encode_streams(s);
    check(again == body, "streams: decoded body does not encode back to itself");
    std::vector<HandedStream> s2;
    check(decode_streams(again, &s2) && s2.size() == s.size(), "streams: re-encoding refused");
    for (size_t i = 0; i < s.size(); ++i)
        check(same(s[i], s2[i]), "streams: re-encoding does not decode to the same");
}

void position(std::string_view body) {
    HandedPosition p;
    if (!decode_position(body, &p)) return;
    const std::string again = encode_position(p);
    check(again == body, "position: decoded body does not encode back to itself");
    HandedPosition p2;
    check(decode_position(again, &p2) && p2.epoch == p.epoch && p2.last_sequence == p.last_sequence,
          "position: re-encoding does not decode to the same");
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast::fuzz;
    if (size == 0) return 0;
    const std::string_view body(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 3) {
        case 0: listeners(body); break;
        case 1: streams(body); break;
        default: position(body); break;
    }
    return 0;
}
