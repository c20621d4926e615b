#pragma once
// Opening the daemon's Unix socket, and saying plainly why it could not be
// opened: which path (and how it was chosen), what the errno means for
// ringcastd (no daemon, a stale socket file, the socket's permissions) and what
// to check.
#include <ringcast/socket_location.h>

#include <string>
#include <string_view>

namespace ringcast::client {

// A connected, non-blocking, close-on-exec AF_UNIX stream socket, or -1 with
// *err set to the errno and *why to an explanation. Waits up to `timeout_ms`
// (< 0: forever) when the daemon's accept backlog is full.
int connect_unix(const SocketLocation& where, int timeout_ms, int* err, std::string* why);

// "cannot connect to ringcastd at <describe(where)>: <what errno means here>".
std::string explain_connect_error(const SocketLocation& where, int err);

}  // namespace ringcast::client
