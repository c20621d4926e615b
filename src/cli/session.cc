#include "cli/session.h"

#include <cerrno>
#include <cstdio>

#include <fmt/format.h>

#include "cli/exit_codes.h"
#include "core/json_writer.h"

namespace ringcast::cli {

bool open_session(client::Client& c, const GlobalOptions& g) {
    c = client::Client(client::ClientOptions{.timeout = kRequestTimeout});
    if (c.connect(client::locate_socket(g.socket))) return true;
    fmt::print(stderr, "ringcast: {}\n", c.error());
    // A socket closed to this user is there, and its daemon is running: the
    // message above says who may open it.
    if (c.error_number() != EACCES && c.error_number() != EPERM)
        fmt::print(stderr,
                   "  Start the daemon with `make run` (its socket is then {}), or name its "
                   "socket with --socket PATH or {}=PATH.\n",
                   client::kMakeRunSocket, client::kSocketEnv);
    return false;
}

int report_failure(const client::Result& r, const GlobalOptions& g) {
    if (!r.answered) {
        fmt::print(stderr, "ringcast: {} ({})\n", r.message, r.code);
        return kExitUnreachable;
    }
    if (g.json) {
        std::string out;
        JsonWriter w(out);
        w.begin_object().key("ok").value(false).key("error").begin_object();
        w.key("code").value(r.code).key("message").value(r.message);
        if (!r.field.empty()) w.key("field").value(r.field);
        w.end_object();
        // Alerts: a version conflict's alert as it stands.
        if (r.op == client::Op::alerts && !r.json.empty()) w.key("current").raw(r.json);
        w.end_object();
        print_line(out);
    }
    fmt::print(stderr, "ringcast: the daemon refused the {} request: {}: {}{}\n",
               client::op_name(r.op), r.code, r.message,
               r.field.empty() ? "" : fmt::format(" (field {})", r.field));
    return kExitDaemonError;
}

void print_line(std::string_view text) {
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
}

}  // namespace ringcast::cli
