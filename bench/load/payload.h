#pragma once
// The JSON `data` value of every published event, and its fast decoding on the
// receiving side: {"seq":<n>,"ts":<CLOCK_MONOTONIC ns at publish>,"pad":"xx.."}
// padded to exactly the requested size. The daemon re-serialises data with
// simdjson::minify, which keeps key order and our already-minimal spelling, so
// the receiver can read seq and ts at fixed places instead of parsing JSON.
#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast::load {

// Appends the data value of event `seq`, stamped `ts_ns`, exactly `size`
// bytes long (size >= kMinPayload).
void append_payload(std::string& out, uint64_t seq, uint64_t ts_ns, unsigned size);

// Reads seq and ts from a data value; false if it is not one of ours.
bool decode_payload(std::string_view data, uint64_t* seq, uint64_t* ts_ns);

}  // namespace ringcast::load
