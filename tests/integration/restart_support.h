#pragma once
// Helpers for tests that restart daemons on one data directory: awaiting the
// store's commits, killing a daemon the way a crash does, and waiting until the
// dead daemon's sockets are gone so that the next one can start.
#include <signal.h>

#include <memory>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "json.h"
#include "publish_support.h"
#include "unix_client.h"

namespace ringcast::itest {

// Everything the store was handed is committed (stats.store.pending is 0 and
// at least `written` changes went to the file).
inline void await_committed(HttpClient& api, int64_t written) {
    ASSERT_TRUE(await_stats(
        api,
        [&](const Json& s) {
            return s["store"]["pending"].as_int(-1) == 0 &&
                   s["store"]["written"].as_int() >= written;
        },
        Deadline(kIoTimeout)));
}

// After a kill the kernel tears the dead daemon's io_uring down in the
// background, and its listening sockets accept for a moment longer; the next
// daemon (like systemd's restart after RestartSec) starts once they refuse.
inline bool await_socket_refused(const std::string& path) {
    Deadline d(kIoTimeout);
    while (!d.expired()) {
        UnixClient probe;
        if (!probe.connect(path, Deadline(std::chrono::milliseconds(100)))) return true;
        std::this_thread::yield();
    }
    return false;
}

// kill -9, as a crash: awaits the exit and the sockets' end, then forgets the
// daemon.
inline void crash(std::unique_ptr<DaemonProcess>& d) {
    ASSERT_TRUE(d->signal(SIGKILL));
    ASSERT_EQ(d->wait_exit(Deadline(kIoTimeout)), 128 + SIGKILL);
    ASSERT_TRUE(await_socket_refused(socket_path(*d)));
    d.reset();
}

}  // namespace ringcast::itest
