// Who may publish on the Unix socket, and the socket file itself
// (docs/protocol.md, "The Unix socket protocol"): the file's mode decides who can
// open it; peer credentials checked against publish.allow_uids / allow_gids
// refuse the others with `forbidden`; a stale file is replaced, a live one
// is never stolen, the file goes away on a clean shutdown, and --unix ""
// disables it.
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_client.h"
#include "kernel_features.h"
#include "publish_support.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

constexpr uid_t kNobody = 65534;

// In a forked child running as uid and gid 65534: connects to `path`, sends two
// pings and reports through a pipe "connect errno N", or the first reply line,
// "|", and the second reply line or "eof". The child only makes system calls.
std::string ping_as_nobody(const std::string& path, const Deadline& d) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return "pipe failed";
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.c_str(), std::min(path.size(), sizeof sa.sun_path - 1));
    pid_t pid = fork();
    if (pid == 0) {
        ::close(fds[0]);
        char out[8192];
        size_t len = 0;
        auto put = [&](const char* s, size_t n) {
            n = std::min(n, sizeof out - len);
            std::memcpy(out + len, s, n);
            len += n;
        };
        auto finish = [&] {
            (void)!::write(fds[1], out, len);
            _exit(0);
        };
        if (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 || setuid(kNobody) != 0) {
            put("setuid failed", 13);
            finish();
        }
        int s = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (::connect(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
            int n = std::snprintf(out, sizeof out, "connect errno %d", errno);
            len = size_t(n);
            finish();
        }
        const char ping[] = "{\"op\":\"ping\",\"req\":\"nobody\"}\n";
        char buf[4096];
        size_t got = 0;
        for (int round = 0; round < 2; ++round) {
            ::send(s, ping, sizeof ping - 1, MSG_NOSIGNAL);
            for (;;) {
                char* nl = static_cast<char*>(std::memchr(buf, '\n', got));
                if (nl) {
                    put(buf, size_t(nl - buf));
                    got -= size_t(nl + 1 - buf);
                    std::memmove(buf, nl + 1, got);
                    break;
                }
                pollfd p{s, POLLIN, 0};
                ssize_t n = ::poll(&p, 1, 5000) == 1 ? ::read(s, buf + got, sizeof buf - got) : -2;
                if (n == -2) {
                    put("timeout", 7);
                    finish();
                }
                if (n <= 0) {
                    put("eof", 3);
                    finish();
                }
                got += size_t(n);
            }
            if (round == 0) put("|", 1);
        }
        finish();
    }
    ::close(fds[1]);
    if (pid < 0) {
        ::close(fds[0]);
        return "fork failed";
    }
    std::string result;
    for (;;) {
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, d.poll_ms()) != 1) {
            ::kill(pid, SIGKILL);
            result += "(child timed out)";
            break;
        }
        char buf[4096];
        ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;
        result.append(buf, size_t(n));
    }
    ::close(fds[0]);
    ::waitpid(pid, nullptr, 0);
    return result;
}

// A directory anyone may enter, for sockets the unprivileged child must reach.
struct OpenDir {
    TempDir dir;
    OpenDir() { ::chmod(dir.path().c_str(), 0755); }
    std::string socket() const { return dir.path() + "/pub.sock"; }
};

mode_t file_mode(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return 0;
    return S_ISSOCK(st.st_mode) ? (st.st_mode & 07777) : mode_t(-1);
}

// --- peer credentials ----------------------------------------------------------------

struct AccessCase {
    const char* name;
    const char* config;  // [server] unix_mode and [publish] lists
    bool root_served;
    const char* nobody;  // "served", "forbidden" or "EACCES"
};

TEST(PublishAccess, PeersAreServedOrRefusedByModeUidAndGid) {
    SKIP_WITHOUT_PEER_CREDENTIALS();
    const AccessCase cases[] = {
        {"default mode", "", true, "EACCES"},
        {"0666, no lists", "[server]\nunix_mode = \"0666\"\n", true, "served"},
        {"uids [0]", "[server]\nunix_mode = \"0666\"\n[publish]\nallow_uids = [0]\n", true,
         "forbidden"},
        {"uids [65534]", "[server]\nunix_mode = \"0666\"\n[publish]\nallow_uids = [65534]\n", false,
         "served"},
        {"gids [65534]", "[server]\nunix_mode = \"0666\"\n[publish]\nallow_gids = [65534]\n", false,
         "served"},
        {"gids [0]", "[server]\nunix_mode = \"0666\"\n[publish]\nallow_gids = [0]\n", true,
         "forbidden"},
        {"uids [4242], gids [0]",
         "[server]\nunix_mode = \"0666\"\n[publish]\nallow_uids = [4242]\nallow_gids = [0]\n", true,
         "forbidden"},
        {"uids [4242]", "[server]\nunix_mode = \"0666\"\n[publish]\nallow_uids = [4242]\n", false,
         "forbidden"},
    };
    ASSERT_EQ(::getuid(), 0u) << "these cases assume the tests run as root";
    for (const AccessCase& ac : cases) {
        SCOPED_TRACE(ac.name);
        OpenDir where;
        DaemonProcess d;
        ASSERT_TRUE(
            d.start({.shards = 2, .config = ac.config, .extra_args = {"--unix", where.socket()}}))
            << d.error();

        UnixClient root;
        ASSERT_TRUE(root.connect(where.socket())) << root.error();
        if (ac.root_served) {
            EXPECT_TRUE(ask(root, R"({"op":"ping","req":1})")["ok"].as_bool()) << root.error();
        } else {
            // The daemon may have refused and closed already: the send may fail.
            root.send("{\"op\":\"ping\",\"req\":1}\n");
            std::vector<std::string> lines;
            EXPECT_TRUE(root.await_close(Deadline(5s), &lines)) << "not disconnected";
            ASSERT_EQ(lines.size(), 1u) << "a refused peer's request was answered";
            Json j = parse_reply(lines[0]);
            EXPECT_EQ(j["error"]["code"].as_string(), "forbidden") << lines[0];
            EXPECT_FALSE(j.has("req"));
            EXPECT_NE(j["error"]["message"].as_string().find("uid 0"), std::string::npos)
                << lines[0];
        }

        std::string got = ping_as_nobody(where.socket(), Deadline(10s));
        const std::string nobody = ac.nobody;
        if (nobody == "EACCES") {
            EXPECT_EQ(got, "connect errno " + std::to_string(EACCES));
        } else if (nobody == "served") {
            EXPECT_EQ(got.rfind(R"({"req":"nobody","ok":true)", 0), 0u) << got;
            EXPECT_NE(got.find(R"(|{"req":"nobody","ok":true)"), std::string::npos) << got;
        } else {
            auto bar = got.find('|');
            ASSERT_NE(bar, std::string::npos) << got;
            Json j = parse_reply(got.substr(0, bar));
            EXPECT_EQ(j["error"]["code"].as_string(), "forbidden") << got;
            EXPECT_NE(j["error"]["message"].as_string().find("uid 65534"), std::string::npos)
                << got;
            EXPECT_EQ(got.substr(bar + 1), "eof") << "a refused peer stays connected";
        }
    }
}

// What a refused peer sent is never acted upon.
TEST(PublishAccess, ARefusedPeersRequestsAreNotExecuted) {
    SKIP_WITHOUT_PEER_CREDENTIALS();
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = "[publish]\nallow_uids = [4242]\n"})) << d.error();
    SseClient sub;
    ASSERT_TRUE(sub.open(d.port(), "/api/sse/stream?channels=guarded")) << sub.error();
    ASSERT_TRUE(sub.await_events(1, Deadline(5s)));
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    // The daemon may have refused and closed already: the send may fail.
    c.send(publish_line("1", "guarded", "e", "\"from a stranger\"") + "\n" +
           publish_line("", "guarded", "e", "\"fire and forget\"") + "\n");
    std::vector<std::string> lines;
    ASSERT_TRUE(c.await_close(Deadline(5s), &lines)) << c.error();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(parse_reply(lines[0])["error"]["code"].as_string(), "forbidden") << lines[0];

    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    auto fence = publish(api, "guarded", "e", "\"fence\"");
    ASSERT_TRUE(fence && fence->response.status == 200) << api.error();
    EXPECT_EQ(id_sequence(fence->id), 1u) << fence->id << ": the refused publishes were numbered";
    ASSERT_TRUE(sub.read_until([&] { return !sub.data_events().empty(); }, Deadline(5s)));
    EXPECT_EQ(sub.data_events()[0].data, "\"fence\"");
    EXPECT_EQ(sub.data_events()[0].last_event_id, fence->id);
}

// --- the socket file ---------------------------------------------------------------

TEST(PublishSocketFile, ModeIs0660ByDefaultAndUnixModeIsApplied) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1})) << d.error();
    EXPECT_EQ(file_mode(socket_path(d)), mode_t(0660)) << socket_path(d);
    DaemonProcess d2;
    ASSERT_TRUE(d2.start({.shards = 1, .config = "[server]\nunix_mode = \"0600\"\n"}))
        << d2.error();
    EXPECT_EQ(file_mode(socket_path(d2)), mode_t(0600));
    DaemonProcess d3;
    ASSERT_TRUE(d3.start({.shards = 1, .config = "[server]\nunix_mode = \"0666\"\n"}))
        << d3.error();
    EXPECT_EQ(file_mode(socket_path(d3)), mode_t(0666));
}

TEST(PublishSocketFile, StaleSocketIsReplacedOnStart) {
    DaemonProcess d;
    const std::string path = socket_path(d);
    ASSERT_EQ(::mkdir((d.dir().path() + "/data").c_str(), 0755), 0);
    // A socket file whose listener is gone, as a killed daemon leaves it.
    int s = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path, path.c_str(), path.size());
    ASSERT_EQ(::bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
    ::close(s);
    // A second name keeps the stale inode alive, so the new socket cannot reuse
    // its number.
    const std::string keep = d.dir().path() + "/stale-link";
    ASSERT_EQ(::link(path.c_str(), keep.c_str()), 0) << std::strerror(errno);
    struct stat before;
    ASSERT_EQ(::stat(path.c_str(), &before), 0);

    ASSERT_TRUE(d.start({.shards = 1})) << d.error();
    struct stat after;
    ASSERT_EQ(::stat(path.c_str(), &after), 0);
    EXPECT_NE(after.st_ino, before.st_ino) << "the stale file was not replaced";
    UnixClient c;
    ASSERT_TRUE(c.connect(path)) << c.error();
    EXPECT_TRUE(ask(c, R"({"op":"ping","req":1})")["ok"].as_bool()) << c.error();
}

TEST(PublishSocketFile, ASecondDaemonOnALiveSocketRefusesToStart) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1})) << d.error();
    const std::string path = socket_path(d);
    struct stat before;
    ASSERT_EQ(::stat(path.c_str(), &before), 0);

    TempDir other;
    auto r = run_ringcastd({"--http", "127.0.0.1:0", "--shards", "1", "--data-dir",
                            other.path() + "/data", "--unix", path});
    ASSERT_TRUE(r.exit_code) << "the second daemon kept running";
    EXPECT_EQ(*r.exit_code, 3) << r.err;
    EXPECT_NE((r.out + r.err).find(path), std::string::npos)
        << "the message names the path: " << r.err;
    struct stat after;
    ASSERT_EQ(::stat(path.c_str(), &after), 0) << "the live socket was removed";
    EXPECT_EQ(after.st_ino, before.st_ino) << "the live socket was replaced";
    UnixClient c;
    ASSERT_TRUE(c.connect(path)) << c.error();
    EXPECT_TRUE(ask(c, R"({"op":"ping","req":1})")["ok"].as_bool()) << c.error();

    // Nor does it take a path that is not a socket.
    const std::string plain = other.write("not-a-socket", "keep me\n");
    auto r2 = run_ringcastd({"--http", "127.0.0.1:0", "--shards", "1", "--data-dir",
                             other.path() + "/data", "--unix", plain});
    ASSERT_TRUE(r2.exit_code);
    EXPECT_EQ(*r2.exit_code, 3) << r2.err;
    EXPECT_NE((r2.out + r2.err).find(plain), std::string::npos) << r2.err;
    struct stat st;
    EXPECT_EQ(::stat(plain.c_str(), &st), 0);
    EXPECT_TRUE(S_ISREG(st.st_mode));
}

TEST(PublishSocketFile, RemovedOnCleanShutdown) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    EXPECT_TRUE(ask(c, R"({"op":"ping","req":1})")["ok"].as_bool());
    auto code = d.stop();
    ASSERT_TRUE(code) << "did not stop";
    EXPECT_EQ(*code, 0);
    struct stat st;
    EXPECT_NE(::lstat(socket_path(d).c_str(), &st), 0) << "socket file left behind";
}

TEST(PublishSocketFile, EmptyUnixDisablesTheSocket) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .extra_args = {"--unix", ""}})) << d.error();
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    ASSERT_TRUE(fetch_stats(api)) << api.error();
    struct stat st;
    EXPECT_NE(::lstat(socket_path(d).c_str(), &st), 0) << "a socket was created";
    EXPECT_EQ(d.log().find("publishing socket"), std::string::npos) << d.log();
    DaemonProcess d2;
    ASSERT_TRUE(d2.start({.shards = 1, .config = "[server]\nunix = \"\"\n"})) << d2.error();
    EXPECT_NE(::lstat(socket_path(d2).c_str(), &st), 0) << "server.unix = \"\" created a socket";
}

}  // namespace
}  // namespace ringcast::itest
