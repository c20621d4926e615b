#pragma once
// A real nginx in front of a test daemon, configured with exactly the server
// block the documentation gives (docs/nginx/ringcast.conf, path from
// $RINGCAST_NGINX_CONF): only its two lines marked "test:" change, to the port
// nginx listens on and the daemon's address. Around it, a minimal nginx.conf of
// the test's own: one process in the foreground (no master, no user switch),
// its pid file, error and access logs and temporary paths all in a temporary
// directory, nothing under /etc, /var or /run.
//
// nginx needs a port of its own before it starts: a free one is found by
// binding port 0, and if someone takes it before nginx binds it (nginx then
// exits with "Address already in use"), another is tried.
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "daemon_process.h"
#include "deadline.h"

namespace ringcast::itest {

// The nginx binary ($PATH, then /usr/sbin and /usr/local/sbin), or "" when
// nginx is not installed.
std::string nginx_path();

class NginxProcess {
public:
    NginxProcess() = default;
    // Stops nginx (SIGTERM, then SIGKILL); prints its error log if the current
    // test has failed.
    ~NginxProcess();
    NginxProcess(const NginxProcess&) = delete;
    NginxProcess& operator=(const NginxProcess&) = delete;

    // Starts nginx in front of 127.0.0.1:upstream_port and awaits it listening.
    // False (see error()) if nginx is missing, the documented configuration no
    // longer has the lines to substitute, or nginx did not come up.
    bool start(uint16_t upstream_port, const Deadline& d = Deadline(15s));

    uint16_t port() const { return _port; }
    const std::string& error() const { return _error; }
    // nginx's error log so far.
    std::string error_log() const;

private:
    // One attempt on `port`: true once nginx has written its pid file (it does
    // so after binding); false if it exited first or the deadline passed.
    bool start_on(uint16_t port, const Deadline& d);
    void stop();

    TempDir _dir;
    pid_t _pid = -1;
    int _pidfd = -1;
    uint16_t _port = 0;
    std::string _error;
};

}  // namespace ringcast::itest
