#pragma once
// An Event as bytes, for durable storage (src/store), and back.
//
// The record holds every field an Event carries and the exact wire bytes, id line
// included, so that a stored event goes out after a restart exactly as it went
// out before: same id, same bytes. Version 1, all integers little-endian:
//
//   u8  version (1)
//   u8  flags: 1 explicit id, 2 persistent, 4 retryable, 8 requireAuth,
//              16 target lists follow
//   u8  priority            u8  target kind (Target::Kind)
//   u64 sequence            i64 timestamp ms          i64 expires-at ms (0: never)
//   u8  channel length, the channel
//   u8  id length (0: not numbered yet)
//   u32 wire length, the wire bytes ("id: <id>\n" when there is an id, then the
//       event/data lines)
//   [4 lists: users, roles, permissions, exclude; each u32 count, then per item
//    u16 length and the bytes]
//
// The lists have their own encoding here rather than a copy of the frame's
// target blob (pubsub/target.h): the in-memory layout may change, stored records
// must stay readable. The channel hash is not stored; decoding recomputes it.
#include <string>
#include <string_view>

#include "pubsub/event.h"

namespace ringcast {

inline constexpr uint8_t kEventRecordVersion = 1;

std::string encode_event(const Event& e);
// Appends to *out (the writer reuses one buffer).
void encode_event(const Event& e, std::string* out);

// A new Event (one reference, the caller's) whose bytes, id, target, channel,
// hash, sequence, times and flags equal the encoded one's. Malformed input of
// any kind returns nullptr and says why in *error.
Event* decode_event(std::string_view record, std::string* error);

}  // namespace ringcast
