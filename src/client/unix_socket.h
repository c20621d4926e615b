#pragma once
// Opening the daemon's Unix socket, and saying plainly why it could not be
// opened: which path, what the errno means for ringcastd (no daemon, a stale
// socket file, the socket's permissions) and what to check.
#include <string>
#include <string_view>

namespace ringcast::client {

// A connected, non-blocking, close-on-exec AF_UNIX stream socket, or -1 with
// *err set to the errno and *why to an explanation. Waits up to `timeout_ms`
// (< 0: forever) when the daemon's accept backlog is full.
int connect_unix(std::string_view path, int timeout_ms, int* err, std::string* why);

// "cannot connect to ringcastd at PATH: <what errno means here>".
std::string explain_connect_error(std::string_view path, int err);

}  // namespace ringcast::client
