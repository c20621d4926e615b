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

// make run starts the daemon with --data-dir var, so its socket is here.
inline constexpr const char* kDefaultSocket = "./var/ringcast.sock";
inline constexpr const char* kSocketEnv = "RINGCAST_SOCKET";

struct GlobalOptions {
    std::string socket = kDefaultSocket;
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

// Connects `c` (made anew, with kRequestTimeout) to g.socket. On failure prints why, which path,
// and how to start the daemon or name another socket, and returns false (exit with
// kExitUnreachable).
bool open_session(client::Client& c, const GlobalOptions& g);

// For a Result that is not ok: prints the daemon's error (and, with --json, the
// error object on stdout) or the connection failure; returns the exit code.
int report_failure(const client::Result& r, const GlobalOptions& g);

// Writes one line to stdout and flushes it (scripts read output as it comes).
void print_line(std::string_view text);

}  // namespace ringcast::cli
