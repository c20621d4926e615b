#pragma once
// How the person reading the daemon's messages changes a setting, so that a
// startup error's hint names what they can type: the daemon's flags on a plain
// command line, the make variables when `make run` started it. The Makefile
// says so in the environment (RINGCAST_MAKE_RUN=1); nothing else reads it.
#include <string>
#include <string_view>

namespace ringcast {

inline constexpr const char* kMakeRunEnv = "RINGCAST_MAKE_RUN";

class LaunchHints {
public:
    explicit LaunchHints(bool make_run) : _make_run(make_run) {}
    static LaunchHints from_environment();

    bool make_run() const { return _make_run; }
    // The HTTP address is taken or invalid: how to pick another
    // ("--http 127.0.0.1:8081", "make run HTTP=127.0.0.1:8081").
    std::string other_http(std::string_view example) const;
    // The data directory cannot be used: how to pick another.
    std::string other_data_dir() const;
    // The publishing socket's path is taken (a live daemon, or a file that is
    // not a socket): how to give this daemon its own. `http` is this daemon's
    // address (free: the socket comes after it), for the make command line.
    std::string other_socket(std::string_view http) const;

private:
    bool _make_run;
};

}  // namespace ringcast
