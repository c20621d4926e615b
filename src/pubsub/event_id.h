#pragma once
// Event ids as clients see them: "<epoch>-<sequence>", e.g. "mk3l0q-1042".
//
// One shard, the log (pubsub/hub.h), numbers every event of every channel, so the
// sequence is one total order: every stream receives its events in sequence
// order, and a single Last-Event-ID says exactly what a stream with several
// channels has seen. The epoch names the numbering the sequence belongs to (the
// moment the log started it, base 36), so that an id from another numbering —
// another installation, or a lost store — is recognised as unknown instead of
// being compared with sequences it has nothing to do with. Clients treat ids as
// opaque strings.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ringcast {

// The longest epoch: base 36 of a 64-bit number.
constexpr size_t kMaxEpochLength = 13;
// "<epoch>-<sequence>" at its longest.
constexpr size_t kMaxEventIdLength = kMaxEpochLength + 1 + 20;

// The epoch for a numbering started at `unix_ms`.
std::string make_epoch(uint64_t unix_ms);

// Writes "<epoch>-<sequence>" to `out` (kMaxEventIdLength bytes of room); returns its length.
size_t write_event_id(char* out, std::string_view epoch, uint64_t sequence);
std::string format_event_id(std::string_view epoch, uint64_t sequence);

// The sequence of an id of this epoch; nullopt for anything else (another
// epoch, a publisher's own id, garbage).
std::optional<uint64_t> parse_event_id(std::string_view id, std::string_view epoch);

}  // namespace ringcast
