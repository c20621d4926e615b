#pragma once
// ISO 8601 times as alerts carry them (alerts/alert_json.h): read from what
// admins send, written as the API and the store show them.
#include <cstdint>
#include <string>
#include <string_view>

namespace ringcast {

// "YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)", such as
// "2026-12-07T10:00:00Z" or "2026-12-07T11:00:00.5+01:00": a fraction of 1 to 9
// digits (below a millisecond dropped), "t" and "z" accepted in lower case.
// Refused: a time without Z or an offset (a local time names no instant), any
// field out of range (Feb 29 only in leap years, no second 60), and anything
// before 1970-01-01T00:00:00Z or after 9999-12-31T23:59:59.999Z (in UTC, the
// offset applied). `*ms`: milliseconds since the Unix epoch.
bool parse_iso8601_ms(std::string_view text, int64_t* ms);
// Always UTC with milliseconds: "2026-12-07T10:00:00.000Z".
std::string format_iso8601_ms(int64_t ms);

}  // namespace ringcast
