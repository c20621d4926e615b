#include "server/launch_hints.h"

#include <cstdlib>

#include <fmt/format.h>

namespace ringcast {

LaunchHints LaunchHints::from_environment() {
    const char* v = std::getenv(kMakeRunEnv);
    return LaunchHints(v && *v && std::string_view(v) != "0");
}

std::string LaunchHints::other_http(std::string_view example) const {
    if (_make_run) return fmt::format("make run HTTP={}", example);
    return fmt::format("--http {} (or server.http)", example);
}

std::string LaunchHints::other_data_dir() const {
    if (_make_run) return "make run DATA=<a directory this user may write>";
    return "--data-dir DIR (or server.data_dir)";
}

// Under make run the socket lives in the data directory, which also holds the
// store: a second daemon needs its own directory (its address, free, stays).
std::string LaunchHints::other_socket(std::string_view http) const {
    if (_make_run)
        return fmt::format("give this one its own data directory: make run DATA=var2 HTTP={}",
                           http);
    return "choose another path with --unix PATH (or server.unix)";
}

}  // namespace ringcast
