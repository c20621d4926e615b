// Where the `ringcast` tool looks for the daemon, and what it says when it may
// not get in: --socket, else $RINGCAST_SOCKET, else ./var/ringcast.sock if it
// exists (make run), else /run/ringcast/ringcast.sock (the systemd unit), with
// every path it tried named when none answers; a socket closed to this user is
// explained by its owner, group and mode, not by "start the daemon".
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_support.h"
#include "daemon_process.h"

namespace ringcast::itest {
namespace {

// A daemon whose socket is `<dir>/var/ringcast.sock`, as make run makes it in
// the directory it runs from.
class CliSocketLookup : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(_d.start({.shards = 1, .data_dir = _cwd.path() + "/var"})) << _d.error();
    }
    TempDir _cwd;
    DaemonProcess _d;
};

TEST_F(CliSocketLookup, MakeRunsSocketInTheWorkingDirectory) {
    CliRun r = run_cli({"ping"}, {.cwd = _cwd.path()});
    ASSERT_EQ(r.code, 0) << r.describe();
    EXPECT_TRUE(contains(r.out, "at ./var/ringcast.sock:")) << r.out;
}

TEST_F(CliSocketLookup, EnvironmentWinsOverMakeRunsSocketAndTheFlagOverBoth) {
    TempDir other;
    const std::string missing = other.path() + "/nothing.sock";
    CliRun by_env = run_cli({"ping"}, {.env = {"RINGCAST_SOCKET=" + missing}, .cwd = _cwd.path()});
    EXPECT_EQ(by_env.code, 3) << by_env.describe();
    EXPECT_TRUE(contains(by_env.err, missing + " (from RINGCAST_SOCKET)")) << by_env.describe();

    CliRun by_flag = run_cli({"ping", "--socket", _d.data_dir() + "/ringcast.sock"},
                             {.env = {"RINGCAST_SOCKET=" + missing}, .cwd = other.path()});
    EXPECT_EQ(by_flag.code, 0) << by_flag.describe();

    // An empty variable counts as unset.
    CliRun empty = run_cli({"ping"}, {.env = {"RINGCAST_SOCKET="}, .cwd = _cwd.path()});
    EXPECT_EQ(empty.code, 0) << empty.describe();
}

TEST(CliSocketStale, AStoppedMakeRunIsReportedNotSkipped) {
    // A socket file nobody listens on, as a killed daemon leaves it: it exists,
    // so it is the one tried, and the answer says nobody listens there.
    TempDir cwd;
    ASSERT_EQ(::mkdir((cwd.path() + "/var").c_str(), 0755), 0);
    int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strncpy(sa.sun_path, (cwd.path() + "/var/ringcast.sock").c_str(), sizeof sa.sun_path - 1);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ::close(fd);
    CliRun r = run_cli({"ping"}, {.cwd = cwd.path()});
    EXPECT_EQ(r.code, 3) << r.describe();
    EXPECT_TRUE(contains(r.err,
                         "cannot connect to ringcastd at ./var/ringcast.sock (make run's "
                         "socket, found in this directory): connection refused"))
        << r.describe();
}

TEST(CliSocketDefault, WithoutMakeRunsSocketTheSystemdOneIsTriedAndBothAreNamed) {
    struct stat st;
    if (::stat("/run/ringcast/ringcast.sock", &st) == 0)
        GTEST_SKIP() << "a ringcastd under systemd runs here: its socket would answer";
    TempDir empty;
    for (const char* cmd : {"ping", "stats"}) {
        CliRun r = run_cli({cmd}, {.cwd = empty.path()});
        EXPECT_EQ(r.code, 3) << r.describe();
        EXPECT_TRUE(contains(r.err,
                             "cannot connect to ringcastd at /run/ringcast/ringcast.sock "
                             "(the systemd unit's socket; make run's, "
                             "./var/ringcast.sock, is not here either): no such socket"))
            << r.describe();
        EXPECT_TRUE(contains(r.err, "make run")) << r.describe();
        EXPECT_TRUE(contains(r.err, "--socket PATH or RINGCAST_SOCKET=PATH")) << r.describe();
    }
}

// --- a socket this user may not open ---------------------------------------------

// `ringcast args...` as uid/gid 65534 (nobody) without supplementary groups,
// through util-linux's setpriv. Needs root.
CliRun run_cli_as_nobody(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"--reuid=65534", "--regid=65534", "--clear-groups", "--",
                                    cli_path()};
    all.insert(all.end(), args.begin(), args.end());
    CliProcess p;
    CliRun r;
    if (!p.start_program("/usr/bin/setpriv", all)) return r;
    r.code = p.wait(Deadline(15s));
    r.out = p.out();
    r.err = p.err();
    return r;
}

TEST(CliSocketPermission, TheMessageNamesTheGroupAndModeAndHowToJoin) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root, to run the tool as another user";
    if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs setpriv (util-linux)";
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1})) << d.error();
    const std::string sock = socket_of(d);

    // The directories on the way are closed to nobody (mkdtemp makes 0700).
    CliRun closed_dir = run_cli_as_nobody({"ping", "--socket", sock});
    EXPECT_EQ(closed_dir.code, 3) << closed_dir.describe();
    EXPECT_TRUE(contains(closed_dir.err,
                         "permission denied: user nobody may not enter the "
                         "directory " +
                             d.dir().path() + " (owner root"))
        << closed_dir.describe();

    // Open the way: the socket itself (root's, group root, mode 0660) refuses.
    ASSERT_EQ(::chmod(d.dir().path().c_str(), 0755), 0);
    ASSERT_EQ(::chmod(d.data_dir().c_str(), 0755), 0);
    CliRun r = run_cli_as_nobody({"ping", "--socket", sock});
    EXPECT_EQ(r.code, 3) << r.describe();
    EXPECT_TRUE(contains(r.err, "cannot connect to ringcastd at " + sock +
                                    ": permission denied: the socket exists, but user nobody may "
                                    "not open it (owner root, group root, mode 0660"))
        << r.describe();
    EXPECT_TRUE(contains(r.err,
                         "members of group root may connect; join it with `usermod -aG "
                         "root nobody`"))
        << r.describe();
    EXPECT_FALSE(contains(r.err, "Start the daemon")) << "it is running\n" << r.describe();
}

TEST(CliSocketPermission, AModeWithoutGroupAccessSaysToChangeTheMode) {
    if (geteuid() != 0) GTEST_SKIP() << "needs root, to run the tool as another user";
    if (::access("/usr/bin/setpriv", X_OK) != 0) GTEST_SKIP() << "needs setpriv (util-linux)";
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = "[server]\nunix_mode = \"0600\"\n"})) << d.error();
    ASSERT_EQ(::chmod(d.dir().path().c_str(), 0755), 0);
    ASSERT_EQ(::chmod(d.data_dir().c_str(), 0755), 0);
    CliRun r = run_cli_as_nobody({"stats", "--socket", socket_of(d)});
    EXPECT_EQ(r.code, 3) << r.describe();
    EXPECT_TRUE(contains(r.err, "mode 0600")) << r.describe();
    EXPECT_TRUE(contains(r.err,
                         "only its owner and root may connect; for a group of "
                         "publishers, set server.unix_mode = \"0660\" and "
                         "server.unix_group"))
        << r.describe();
}

}  // namespace
}  // namespace ringcast::itest
