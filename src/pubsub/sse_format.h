#pragma once
// The Server-Sent Events wire format, exactly as the WHATWG EventSource parser
// reads it (HTML Living Standard, "Interpreting an event stream").
//
// An event is written as:
//   id: <id>\n            (only if there is an id)
//   event: <name>\n       (only if there is a name)
//   data: <line>\n        (one per line of the payload; at least one)
//   \n
// The payload is split on \r\n, \r and \n, the three line ends the parser
// accepts, so the client sees the payload with its line ends turned into \n.
// Every data line has a space after the colon so that a payload line starting
// with a space keeps it (the parser strips exactly one). An empty payload still
// gets one "data: " line, which the parser dispatches as an empty string.
//
// Names and ids must not contain \r or \n (the caller validates; see
// valid_event_name/valid_event_id), or they would end the field early.
#include <cstddef>
#include <string>
#include <string_view>

namespace ringcast {

inline constexpr size_t kMaxEventName = 128;
inline constexpr size_t kMaxEventId = 128;

// Printable, no line breaks, 1..128 bytes (UTF-8 allowed).
bool valid_event_name(std::string_view name);
// No \r, \n or NUL (the parser ignores ids containing NUL), 1..128 bytes.
bool valid_event_id(std::string_view id);

// Exact byte count of sse_write(); lets callers allocate once.
size_t sse_size(std::string_view id, std::string_view event, std::string_view data);
// Writes the event at out (which must hold sse_size() bytes); returns bytes written.
size_t sse_write(char* out, std::string_view id, std::string_view event, std::string_view data);

// Convenience for non-hot paths (handshakes, tests).
std::string sse_event(std::string_view id, std::string_view event, std::string_view data);
// "retry: <ms>\n\n"
std::string sse_retry(unsigned ms);
// ": <text>\n\n" (text must be a single line)
std::string sse_comment(std::string_view text);

// "id: <id>\n" — the id line alone, written in front of an already serialized
// body by the shard that numbers events.
size_t sse_id_line_size(std::string_view id);
size_t sse_write_id_line(char* out, std::string_view id);

}  // namespace ringcast
