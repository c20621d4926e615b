// The command line: help, bad flags and values, configuration checking, and
// the systemd readiness message.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"

namespace ringcast::itest {
namespace {

TEST(Cli, HelpListsTheMainFlags) {
    CommandResult r = run_ringcastd({"--help"});
    ASSERT_TRUE(r.exit_code) << "ringcastd --help did not exit";
    EXPECT_EQ(*r.exit_code, 0) << r.err;
    for (const char* flag : {"--http", "--shards", "--config", "--data-dir", "--log-level",
                             "--accept", "--check-config", "--print-default-config"})
        EXPECT_NE(r.out.find(flag), std::string::npos) << flag << " missing from --help:\n"
                                                       << r.out;
}

TEST(Cli, VersionPrintsTheVersion) {
    CommandResult r = run_ringcastd({"--version"});
    ASSERT_TRUE(r.exit_code);
    EXPECT_EQ(*r.exit_code, 0) << r.err;
    EXPECT_TRUE(r.out.starts_with("ringcastd ")) << r.out;
}

TEST(Cli, UnknownFlagIsAUsageError) {
    CommandResult r = run_ringcastd({"--frobnicate"});
    ASSERT_TRUE(r.exit_code) << "ringcastd with an unknown flag did not exit";
    EXPECT_EQ(*r.exit_code, 2);
    EXPECT_NE((r.out + r.err).find("--frobnicate"), std::string::npos)
        << "the message names the flag:\n"
        << r.out << r.err;
}

TEST(Cli, BadValuesAreUsageErrorsWithAClearMessage) {
    TempDir dir;
    struct Case {
        std::vector<std::string> args;
        std::string mentions;
    };
    const std::vector<Case> cases = {
        {{"--shards", "0"}, "--shards"},
        {{"--shards", "many"}, "--shards"},
        {{"--http", "nonsense"}, "nonsense"},
        {{"--http", "127.0.0.1:99999"}, "127.0.0.1:99999"},
        {{"--log-level", "chatty"}, "--log-level"},
        {{"--accept", "random"}, "--accept"},
        {{"--config", dir.path() + "/missing.toml"}, "missing.toml"},
    };
    for (const Case& k : cases) {
        std::vector<std::string> args = k.args;
        // Everything else valid, so that only the bad value can be blamed.
        if (k.args[0] != "--http") args.insert(args.end(), {"--http", "127.0.0.1:0"});
        args.insert(args.end(), {"--data-dir", dir.path() + "/data"});
        CommandResult r = run_ringcastd(args, Deadline(10s));
        std::string cmd;
        for (const auto& a : k.args)
            cmd += a + " ";
        ASSERT_TRUE(r.exit_code) << cmd << ": ringcastd started instead of refusing";
        EXPECT_EQ(*r.exit_code, 2) << cmd << "\n" << r.out << r.err;
        EXPECT_NE((r.out + r.err).find(k.mentions), std::string::npos)
            << cmd << ": the message should mention " << k.mentions << ":\n"
            << r.out << r.err;
    }
}

TEST(Cli, CheckConfigAcceptsAGoodFileAndNamesAnUnknownKey) {
    TempDir dir;
    std::string good =
        dir.write("good.toml",
                  "[server]\nmax_connections = 100\n[sse]\nheartbeat_interval = \"15s\"\n"
                  "default_channels = [\"a\", \"b\"]\n[delivery]\nmax_queue = \"1MiB\"\n");
    CommandResult ok = run_ringcastd({"--check-config", good});
    ASSERT_TRUE(ok.exit_code);
    EXPECT_EQ(*ok.exit_code, 0) << ok.out << ok.err;
    EXPECT_NE(ok.out.find("OK"), std::string::npos) << ok.out;

    std::string bad = dir.write(
        "bad.toml", "[sse]\nheartbeat_interval = \"15s\"\nheartbeat_intervall = \"1s\"\n");
    CommandResult no = run_ringcastd({"--check-config", bad});
    ASSERT_TRUE(no.exit_code);
    EXPECT_EQ(*no.exit_code, 2) << no.out << no.err;
    EXPECT_NE(no.err.find("sse.heartbeat_intervall"), std::string::npos)
        << "the error names the key:\n"
        << no.err;
    EXPECT_NE(no.err.find("bad.toml"), std::string::npos) << "the error names the file:\n"
                                                          << no.err;

    std::string wrong_type = dir.write("type.toml", "[http]\nmax_body = \"lots\"\n");
    CommandResult t = run_ringcastd({"--check-config", wrong_type});
    ASSERT_TRUE(t.exit_code);
    EXPECT_EQ(*t.exit_code, 2) << t.out << t.err;
    EXPECT_NE(t.err.find("http.max_body"), std::string::npos) << t.err;

    // The same file given to the daemon itself is refused before it starts.
    CommandResult start = run_ringcastd(
        {"--config", bad, "--http", "127.0.0.1:0", "--data-dir", dir.path() + "/d"}, Deadline(10s));
    ASSERT_TRUE(start.exit_code) << "ringcastd started with an unknown key in its config";
    EXPECT_EQ(*start.exit_code, 2);
    EXPECT_NE(start.err.find("sse.heartbeat_intervall"), std::string::npos) << start.err;
}

// --check-config without a file checks what the daemon would run with: the
// built-in settings, --config and the other flags (as the unit's ExecStartPre=
// does), addresses included, and binds nothing.
TEST(Cli, CheckConfigChecksTheFlagsTooAndBindsNothing) {
    TempDir dir;
    CommandResult builtin = run_ringcastd({"--check-config"});
    ASSERT_TRUE(builtin.exit_code);
    EXPECT_EQ(*builtin.exit_code, 0) << builtin.out << builtin.err;
    EXPECT_EQ(builtin.out, "the built-in configuration: OK\n");

    // A port in use and a socket path: a check does not bind them.
    int busy = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof sa;
    ASSERT_EQ(::bind(busy, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ASSERT_EQ(::listen(busy, 1), 0);
    ASSERT_EQ(::getsockname(busy, reinterpret_cast<sockaddr*>(&sa), &len), 0);
    const std::string addr = "127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
    std::string good = dir.write("good.toml", "[server]\nmax_connections = 100\n");
    CommandResult ok = run_ringcastd({"--check-config", "--config", good, "--http", addr, "--unix",
                                      dir.path() + "/p.sock", "--data-dir", dir.path() + "/data"});
    ::close(busy);
    ASSERT_TRUE(ok.exit_code);
    EXPECT_EQ(*ok.exit_code, 0) << ok.out << ok.err;
    EXPECT_EQ(ok.out, good + ": OK\n");
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/p.sock"));
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/data"));

    // Every problem at once: the file's, and the flags' addresses.
    std::string bad = dir.write("bad.toml", "[server]\nmax_connectionz = 1\n");
    const std::string long_path = dir.path() + "/" + std::string(120, 's') + ".sock";
    CommandResult no = run_ringcastd(
        {"--check-config", "--config", bad, "--http", "nonsense", "--unix", long_path});
    ASSERT_TRUE(no.exit_code);
    EXPECT_EQ(*no.exit_code, 2) << no.out << no.err;
    for (const char* m :
         {"server.max_connectionz", "server.http \"nonsense\"", "server.unix", "at most 107"})
        EXPECT_NE(no.err.find(m), std::string::npos) << "should mention " << m << ":\n" << no.err;
    EXPECT_EQ(no.out.find("OK"), std::string::npos) << no.out;

    // One file, named once.
    CommandResult two = run_ringcastd({"--check-config", good, "--config", bad});
    ASSERT_TRUE(two.exit_code);
    EXPECT_EQ(*two.exit_code, 2) << two.out << two.err;
    EXPECT_NE(two.err.find("name one file"), std::string::npos) << two.err;
}

TEST(Cli, CheckConfigExplainsBadValuesAndSyntax) {
    TempDir dir;
    struct Case {
        std::string toml;
        std::vector<std::string> mentions;
    };
    const std::vector<Case> cases = {
        {"[sse]\nheartbeat_interval = \"10ms\"\n", {"sse.heartbeat_interval"}},
        {"[server]\nshards = -1\n", {"server.shards"}},
        {"[server]\naccept = \"roundrobin\"\n", {"server.accept", "handoff"}},
        {"[engine]\nrecv_buffers = 100\n", {"engine.recv_buffers", "power of two"}},
        {"[bogus]\nkey = 1\n", {"bogus"}},
        {"[server]\nhttp = \"127.0.0.1:8080\"\nshards = \n", {"conf.toml:3"}},
    };
    for (const Case& k : cases) {
        CommandResult r = run_ringcastd({"--check-config", dir.write("conf.toml", k.toml)});
        ASSERT_TRUE(r.exit_code);
        EXPECT_EQ(*r.exit_code, 2) << k.toml << r.out << r.err;
        for (const std::string& m : k.mentions)
            EXPECT_NE(r.err.find(m), std::string::npos) << "the error for\n"
                                                        << k.toml << "should mention " << m << ":\n"
                                                        << r.err;
    }
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    for (size_t at = 0; at < text.size();) {
        size_t end = std::min(text.find('\n', at), text.size());
        out.push_back(text.substr(at, end - at));
        at = end + 1;
    }
    return out;
}

// Every problem, in the order of the file: a rule broken on line 2 comes before
// a bad key on line 4 (rules are checked once every value is read, and were
// reported only after the values' problems were fixed), and a value above a
// syntax error before the syntax error. The daemon reports the same.
TEST(Cli, ConfigProblemsComeInTheOrderOfTheFile) {
    TempDir dir;
    const std::string file =
        dir.write("conf.toml", "[delivery]\nqueue_limit = \"8MiB\"\n[server]\nbogus = 1\n");
    CommandResult check = run_ringcastd({"--check-config", file});
    ASSERT_TRUE(check.exit_code);
    EXPECT_EQ(*check.exit_code, 2) << check.err;
    std::vector<std::string> lines = lines_of(check.err);
    ASSERT_EQ(lines.size(), 2u) << check.err;
    EXPECT_TRUE(lines[0].starts_with(file + ":2: delivery.queue_limit (8388608 bytes) is larger "
                                            "than delivery.max_queue"))
        << check.err;
    EXPECT_EQ(lines[1], file + ":4: unknown key 'server.bogus'");

    CommandResult start =
        run_ringcastd({"--config", file, "--http", "127.0.0.1:0", "--data-dir", dir.path() + "/d"},
                      Deadline(10s));
    ASSERT_TRUE(start.exit_code) << "ringcastd started with a bad config";
    EXPECT_EQ(*start.exit_code, 2);
    lines = lines_of(start.err);
    ASSERT_EQ(lines.size(), 2u) << start.err;
    EXPECT_TRUE(lines[0].starts_with("ringcastd: " + file + ":2: delivery.queue_limit"))
        << start.err;
    EXPECT_EQ(lines[1], "ringcastd: " + file + ":4: unknown key 'server.bogus'");

    const std::string syntax =
        dir.write("syntax.toml", "[server]\nhttp = 8080\n[sse]\nretry = = 1\n");
    CommandResult s = run_ringcastd({"--check-config", syntax});
    ASSERT_TRUE(s.exit_code);
    EXPECT_EQ(*s.exit_code, 2) << s.err;
    lines = lines_of(s.err);
    ASSERT_EQ(lines.size(), 2u) << s.err;
    EXPECT_EQ(lines[0], syntax + ":2: 'server.http' expected a string");
    EXPECT_TRUE(lines[1].starts_with(syntax + ":4:")) << s.err;
}

TEST(Cli, EnvironmentProblemsExitThree) {
    TempDir dir;
    // The data directory cannot be created under a regular file.
    std::string file = dir.write("not-a-dir", "x");
    CommandResult r =
        run_ringcastd({"--http", "127.0.0.1:0", "--data-dir", file + "/data"}, Deadline(10s));
    ASSERT_TRUE(r.exit_code) << "ringcastd started without a usable data directory";
    EXPECT_EQ(*r.exit_code, 3) << r.out << r.err;
    EXPECT_NE(r.err.find(file), std::string::npos) << "the message names the directory:\n" << r.err;

    // The address is taken by another daemon.
    DaemonProcess first;
    ASSERT_TRUE(first.start({.shards = 1})) << first.error();
    std::string addr = "127.0.0.1:" + std::to_string(first.port());
    CommandResult second =
        run_ringcastd({"--http", addr, "--data-dir", dir.path() + "/d2"}, Deadline(10s));
    ASSERT_TRUE(second.exit_code) << "a second daemon started on a port in use";
    EXPECT_EQ(*second.exit_code, 3) << second.out << second.err;
    EXPECT_NE(second.err.find(addr), std::string::npos) << "the message names the address:\n"
                                                        << second.err;
    // The first one is unaffected.
    HttpClient c(first.port());
    ASSERT_TRUE(c.connect()) << c.error();
    EXPECT_TRUE(fetch_stats(c));
}

// Under make run (the Makefile sets RINGCAST_MAKE_RUN=1) a startup error's hint
// names the make variables the user can set, elsewhere the daemon's flags.
TEST(Cli, StartupHintsNameMakeVariablesUnderMakeRun) {
    DaemonProcess first;
    ASSERT_TRUE(first.start({.shards = 1})) << first.error();
    const std::string addr = "127.0.0.1:" + std::to_string(first.port());
    const std::string next = "127.0.0.1:" + std::to_string(first.port() % 65535 + 1);
    TempDir dir;
    const std::vector<std::string> same_port = {"--http", addr, "--data-dir", dir.path() + "/d"};

    CommandResult plain = run_ringcastd(same_port, Deadline(10s));
    ASSERT_TRUE(plain.exit_code);
    EXPECT_EQ(*plain.exit_code, 3) << plain.err;
    EXPECT_NE(plain.err.find("pick another address, for example --http " + next), std::string::npos)
        << plain.err;
    EXPECT_EQ(plain.err.find("make run"), std::string::npos) << plain.err;

    CommandResult make = run_ringcastd(same_port, Deadline(10s), {"RINGCAST_MAKE_RUN=1"});
    ASSERT_TRUE(make.exit_code);
    EXPECT_EQ(*make.exit_code, 3) << make.err;
    EXPECT_NE(make.err.find("pick another address, for example make run HTTP=" + next),
              std::string::npos)
        << make.err;
    EXPECT_EQ(make.err.find("--http"), std::string::npos) << make.err;

    // A second make run on another port but the same data directory meets the
    // first one's publishing socket: it needs its own DATA.
    const std::vector<std::string> same_data = {"--http", "127.0.0.1:0", "--data-dir",
                                                first.data_dir()};
    CommandResult socket = run_ringcastd(same_data, Deadline(10s), {"RINGCAST_MAKE_RUN=1"});
    ASSERT_TRUE(socket.exit_code);
    EXPECT_EQ(*socket.exit_code, 3) << socket.err;
    EXPECT_NE(socket.err.find("accepts connections on " + first.data_dir() +
                              "/ringcast.sock: stop it, or give this one its own data directory: "
                              "make run DATA=var2 HTTP=127.0.0.1:0"),
              std::string::npos)
        << socket.err;
    CommandResult socket_plain = run_ringcastd(same_data, Deadline(10s));
    ASSERT_TRUE(socket_plain.exit_code);
    EXPECT_NE(socket_plain.err.find("stop it, or choose another path with --unix PATH"),
              std::string::npos)
        << socket_plain.err;

    // A data directory that cannot be made.
    const std::string file = dir.write("not-a-dir", "x");
    CommandResult data = run_ringcastd({"--http", "127.0.0.1:0", "--data-dir", file + "/data"},
                                       Deadline(10s), {"RINGCAST_MAKE_RUN=1"});
    ASSERT_TRUE(data.exit_code);
    EXPECT_EQ(*data.exit_code, 3) << data.err;
    EXPECT_NE(data.err.find("choose another with make run DATA="), std::string::npos) << data.err;
}

TEST(Cli, PrintedDefaultConfigPassesTheCheck) {
    CommandResult print = run_ringcastd({"--print-default-config"});
    ASSERT_TRUE(print.exit_code);
    ASSERT_EQ(*print.exit_code, 0) << print.err;
    for (const char* key : {"[server]", "[http]", "[sse]", "[delivery]", "max_connections",
                            "request_timeout", "heartbeat_interval", "default_channels"})
        EXPECT_NE(print.out.find(key), std::string::npos) << key;
    TempDir dir;
    CommandResult check = run_ringcastd({"--check-config", dir.write("defaults.toml", print.out)});
    ASSERT_TRUE(check.exit_code);
    EXPECT_EQ(*check.exit_code, 0) << check.err;
}

TEST(Cli, ReadinessNotificationNamesTheAddressAndPid) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1})) << d.error();
    EXPECT_EQ(d.main_pid(), d.pid());
    EXPECT_EQ(d.status_line(), "listening on 127.0.0.1:" + std::to_string(d.port()));
    // The announced address really serves.
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    auto stats = fetch_stats(c);
    ASSERT_TRUE(stats) << c.error();
    EXPECT_EQ((*stats)["shards"].size(), 1u);
    EXPECT_EQ(d.stop(), std::optional<int>(0));
}

}  // namespace
}  // namespace ringcast::itest
