#pragma once
// What `ringcast` exits with, so that scripts can tell failures apart. Listed in
// `ringcast --help` (kExitCodesHelp) and docs/clients.md.

namespace ringcast::cli {

enum ExitCode : int {
    kExitOk = 0,
    kExitDaemonError = 1,  // the daemon answered with an error (not_found, invalid_field, ...)
    kExitUsage = 2,        // bad command line: unknown flag, conflicting flags, invalid --data
    kExitUnreachable = 3,  // cannot reach the daemon, or the connection to it was lost
    kExitTimedOut = 4,     // tail: --timeout passed before --count events arrived
};

inline constexpr const char* kExitCodesHelp =
    "Exit codes:\n"
    "  0  ok\n"
    "  1  the daemon answered with an error (its code and message are printed)\n"
    "  2  usage error (unknown or conflicting flags, invalid --data JSON)\n"
    "  3  cannot reach the daemon (no socket, refused, permission denied), or the\n"
    "     connection was lost\n"
    "  4  tail: --timeout passed before --count events arrived\n";

}  // namespace ringcast::cli
