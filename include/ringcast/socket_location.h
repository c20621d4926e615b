#pragma once
// Where ringcastd's publishing socket is when the caller does not say: the rule
// every ringcast client follows (the `ringcast` tool, the C++ client, the Node
// client), so that one program works both beside `make run` and on a machine
// where the systemd unit runs the daemon:
//
//   1. the path the caller names (the tool's --socket);
//   2. else $RINGCAST_SOCKET, when set and not empty;
//   3. else ./var/ringcast.sock, if it exists (`make run` puts it there);
//   4. else /run/ringcast/ringcast.sock (the systemd unit puts it there).
//
// Client::connect() without a path applies it; a failure then names the path,
// how it was chosen and what else was tried. Depends on the standard library
// alone.
#include <string>
#include <string_view>

namespace ringcast::client {

inline constexpr const char* kSocketEnv = "RINGCAST_SOCKET";
inline constexpr const char* kMakeRunSocket = "./var/ringcast.sock";
inline constexpr const char* kSystemdSocket = "/run/ringcast/ringcast.sock";

// How a socket path was chosen.
enum class SocketSource {
    given,        // named by the caller
    environment,  // $RINGCAST_SOCKET
    make_run,     // ./var/ringcast.sock, which exists
    systemd,      // /run/ringcast/ringcast.sock, ./var/ringcast.sock being absent
};

struct SocketLocation {
    std::string path;
    SocketSource source = SocketSource::given;
};

// `given` if it is not empty, else the rule above (reads the environment and
// looks for ./var/ringcast.sock in the working directory).
SocketLocation locate_socket(std::string_view given = {});

// The path, and how it was chosen when the caller did not name it:
// "/run/ringcast/ringcast.sock (the systemd unit's socket; make run's,
// ./var/ringcast.sock, is not here either)".
std::string describe(const SocketLocation& where);

}  // namespace ringcast::client
