#pragma once
// What every socket command shares: the global options, connecting with an
// explanation of what went wrong, and turning a failed Result into a message
// and an exit code (exit_codes.h).
#include <ringcast/client.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ringcast::cli {

struct GlobalOptions {
    // --socket; "" = where ringcast's clients look (ringcast/socket_location.h):
    // $RINGCAST_SOCKET, ./var/ringcast.sock if it exists, /run/ringcast/ringcast.sock.
    std::string socket;
    bool json = false;
};

// A command line that parses but makes no sense (conflicting flags, bad --data):
// main() prints it like CLI11's own errors and exits with kExitUsage.
class UsageError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The longest the tool waits for the daemon at any step.
inline constexpr std::chrono::seconds kRequestTimeout{10};

// Connects `c` (made anew, with kRequestTimeout) to g.socket, or where the
// socket is looked for without one. On failure prints why, which path (and what
// else was tried), and, unless the socket is there but closed to this user, how
// to start the daemon or name another socket; returns false (exit with
// kExitUnreachable).
bool open_session(client::Client& c, const GlobalOptions& g);

// For a Result that is not ok: prints the daemon's error (and, with --json, the
// error object on stdout) or the connection failure; returns the exit code.
int report_failure(const client::Result& r, const GlobalOptions& g);

// Writes one line to stdout and flushes it (scripts read output as it comes).
void print_line(std::string_view text);

}  // namespace ringcast::cli
