// The shipped systemd unit (systemd/ringcastd.service.in, as configured by the
// build) must start the daemon: its ExecStart flags must be ones ringcastd
// accepts with the configuration file that `meson install` puts in place, and it
// must speak the notify protocol its Type= promises. systemd itself is not
// needed: the harness plays its part (NOTIFY_SOCKET, SIGTERM).
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

std::string env_or_empty(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

std::string read_file(const std::string& path) {
    std::ifstream f(path);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

// "Key=value" lines of the unit (the first of each key).
std::string unit_value(const std::string& unit, const std::string& key) {
    std::istringstream in(unit);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + "=", 0) == 0) return line.substr(key.size() + 1);
    return {};
}

std::vector<std::string> split_words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> words;
    for (std::string w; in >> w;)
        words.push_back(w);
    return words;
}

TEST(SystemdUnit, DeclaresNotifyLimitsAndHardening) {
    const std::string path = env_or_empty("RINGCAST_UNIT");
    ASSERT_FALSE(path.empty()) << "RINGCAST_UNIT is not set (see tests/integration/meson.build)";
    const std::string unit = read_file(path);
    ASSERT_FALSE(unit.empty()) << "cannot read " << path;
    EXPECT_EQ(unit_value(unit, "Type"), "notify");
    EXPECT_EQ(unit_value(unit, "KillSignal"), "SIGTERM");
    EXPECT_GE(std::atoll(unit_value(unit, "LimitNOFILE").c_str()), 65536);
    for (const char* key : {"NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp",
                            "RestrictAddressFamilies", "SystemCallFilter", "StateDirectory"})
        EXPECT_FALSE(unit_value(unit, key).empty()) << key << "= is missing";
    // Without these the seccomp filter would block the engine itself.
    std::string filter = unit_value(unit, "SystemCallFilter");
    for (const char* call : {"io_uring_setup", "io_uring_enter", "io_uring_register"})
        EXPECT_NE(filter.find(call), std::string::npos) << call << " is not allowed";
}

// The words of ExecStart= (or ExecStartPre=) with the paths that only exist on
// an installed system mapped to this build: the config is the file `meson
// install` copies, the data directory `data_dir`, the socket in `socket_dir`.
std::vector<std::string> mapped_args(const std::string& unit, const std::string& key,
                                     const std::string& data_dir, const std::string& socket_dir) {
    const std::string installed_config = env_or_empty("RINGCAST_DEFAULT_CONFIG");
    std::vector<std::string> words = split_words(unit_value(unit, key));
    std::vector<std::string> args;
    for (size_t i = 1; i < words.size(); ++i) {
        const bool valued = i + 1 < words.size();
        if (valued && words[i] == "--config")
            args.insert(args.end(), {"--config", installed_config});
        else if (valued && words[i] == "--unix")
            args.insert(args.end(), {"--unix", socket_dir + "/ringcast.sock"});
        else if (valued && words[i] == "--data-dir")
            args.insert(args.end(), {"--data-dir", data_dir});
        else {
            args.push_back(words[i]);
            continue;
        }
        ++i;  // the value, replaced
    }
    return args;
}

TEST(SystemdUnit, WatchdogReloadUserAndNoCapabilities) {
    const std::string unit = read_file(env_or_empty("RINGCAST_UNIT"));
    ASSERT_FALSE(unit.empty());
    EXPECT_FALSE(unit_value(unit, "WatchdogSec").empty());
    EXPECT_EQ(unit_value(unit, "ExecReload"), "/bin/kill -HUP $MAINPID");
    EXPECT_EQ(unit_value(unit, "Restart"), "on-failure");
    EXPECT_EQ(unit_value(unit, "User"), "ringcast");
    EXPECT_NE(unit.find("\nCapabilityBoundingSet=\n"), std::string::npos)
        << "the bounding set must be empty";
    EXPECT_EQ(unit_value(unit, "DynamicUser"), "") << "the user comes from sysusers.d";
}

// ExecStartPre= checks the configuration ExecStart= will run with: the same
// flags, plus --check-config, and they pass with the installed file.
TEST(SystemdUnit, ExecStartPreChecksWhatExecStartRuns) {
    const std::string unit = read_file(env_or_empty("RINGCAST_UNIT"));
    ASSERT_FALSE(unit.empty());
    std::vector<std::string> pre = split_words(unit_value(unit, "ExecStartPre"));
    std::vector<std::string> start = split_words(unit_value(unit, "ExecStart"));
    ASSERT_GE(pre.size(), 2u);
    EXPECT_EQ(pre[0], start[0]);
    EXPECT_EQ(pre[1], "--check-config");
    pre.erase(pre.begin() + 1);
    EXPECT_EQ(pre, start) << "ExecStartPre= must check the flags ExecStart= runs with";

    TempDir dir;
    CommandResult r = run_ringcastd(
        mapped_args(unit, "ExecStartPre", dir.path() + "/data", dir.path()), Deadline(15s));
    ASSERT_TRUE(r.exit_code);
    EXPECT_EQ(*r.exit_code, 0) << r.out << r.err;
    EXPECT_NE(r.out.find(": OK"), std::string::npos) << r.out;
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/ringcast.sock")) << "the check bound";
}

// ringcast.socket and ringcast-publish.socket hand ringcastd.service the
// sockets it takes by name (server/socket_activation.h), at the unit's paths;
// the user and the directories come from the sysusers.d and tmpfiles.d files.
TEST(SystemdUnit, SocketUnitsUserAndDirectoriesMatchTheService) {
    const std::string unit = read_file(env_or_empty("RINGCAST_UNIT"));
    const std::string dir = env_or_empty("RINGCAST_UNIT_DIR");
    ASSERT_FALSE(dir.empty()) << "RINGCAST_UNIT_DIR is not set (see tests/integration/meson.build)";
    const std::string http = read_file(dir + "/ringcast.socket");
    const std::string publish = read_file(dir + "/ringcast-publish.socket");
    ASSERT_FALSE(http.empty() || publish.empty());
    EXPECT_EQ(unit_value(http, "FileDescriptorName"), "http");
    EXPECT_EQ(unit_value(publish, "FileDescriptorName"), "publish");
    for (const std::string* s : {&http, &publish})
        EXPECT_EQ(unit_value(*s, "Service"), "ringcastd.service");
    EXPECT_NE(unit_value(http, "ListenStream").find(':'), std::string::npos);
    std::vector<std::string> start = split_words(unit_value(unit, "ExecStart"));
    auto at = std::find(start.begin(), start.end(), "--unix");
    ASSERT_NE(at, start.end());
    EXPECT_EQ(unit_value(publish, "ListenStream"), *(at + 1))
        << "the publishing socket is where the service would bind it";
    EXPECT_EQ(unit_value(publish, "SocketGroup"), unit_value(unit, "Group"));
    EXPECT_EQ(unit_value(unit, "RuntimeDirectoryPreserve"), "yes")
        << "stopping the service must not delete ringcast-publish.socket's file";

    const std::string user = unit_value(unit, "User");
    const std::string sysusers = read_file(dir + "/ringcastd.sysusers");
    EXPECT_NE(sysusers.find("\nu " + user + " "), std::string::npos) << sysusers;
    const std::string tmpfiles = read_file(dir + "/ringcastd.tmpfiles");
    for (const std::string& path : {"/var/lib/" + unit_value(unit, "StateDirectory"),
                                    "/run/" + unit_value(unit, "RuntimeDirectory")}) {
        std::istringstream in(tmpfiles);
        bool found = false;
        for (std::string line; std::getline(in, line);) {
            std::vector<std::string> w = split_words(line);
            if (w.size() >= 5 && w[0] == "d" && w[1] == path) {
                found = true;
                EXPECT_EQ(w[3], user) << line;
                EXPECT_EQ(w[4], user) << line;
            }
        }
        EXPECT_TRUE(found) << path << " is not in ringcastd.tmpfiles";
    }
}

TEST(SystemdUnit, ExecStartRunsTheDaemonWithTheInstalledConfiguration) {
    const std::string unit = read_file(env_or_empty("RINGCAST_UNIT"));
    const std::string installed_config = env_or_empty("RINGCAST_DEFAULT_CONFIG");
    ASSERT_FALSE(unit.empty());
    ASSERT_FALSE(installed_config.empty()) << "RINGCAST_DEFAULT_CONFIG is not set";
    std::vector<std::string> words = split_words(unit_value(unit, "ExecStart"));
    ASSERT_FALSE(words.empty());
    EXPECT_EQ(words[0].substr(words[0].rfind('/') + 1), "ringcastd");

    // Run the same flags, with the paths that only exist on an installed system
    // mapped to this build: the config is the file `meson install` copies, the
    // data directory is the harness's own, and the address a free port.
    std::vector<std::string> args;
    TempDir socket_dir;
    bool saw_config = false, saw_data_dir = false, saw_unix = false;
    for (size_t i = 1; i < words.size(); ++i) {
        if (words[i] == "--config" && i + 1 < words.size()) {
            EXPECT_NE(words[i + 1].find("ringcast/ringcast.toml"), std::string::npos)
                << words[i + 1];
            args.insert(args.end(), {"--config", installed_config});
            saw_config = true;
            ++i;
        } else if (words[i] == "--unix" && i + 1 < words.size()) {
            EXPECT_EQ(words[i + 1],
                      "/run/" + unit_value(unit, "RuntimeDirectory") + "/ringcast.sock")
                << "--unix must live in the unit's RuntimeDirectory";
            args.insert(args.end(), {"--unix", socket_dir.path() + "/ringcast.sock"});
            saw_unix = true;
            ++i;
        } else if (words[i] == "--data-dir" && i + 1 < words.size()) {
            EXPECT_EQ(words[i + 1], "/var/lib/" + unit_value(unit, "StateDirectory"))
                << "--data-dir must be the unit's StateDirectory";
            saw_data_dir = true;
            ++i;
        } else {
            args.push_back(words[i]);
        }
    }
    EXPECT_TRUE(saw_config && saw_data_dir && saw_unix) << unit_value(unit, "ExecStart");

    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .extra_args = args})) << d.error();
    EXPECT_EQ(d.main_pid(), d.pid()) << "MAINPID= must name the daemon (NotifyAccess=main)";
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    // The installed configuration configures no API key: the API answers, and
    // asks for credentials.
    auto stats = api.request("GET", "/api/stats", {}, {{"X-API-Key", "not-configured"}});
    ASSERT_TRUE(stats) << api.error();
    EXPECT_EQ(stats->status, 401) << stats->describe();
    // The publishing socket answers too.
    UnixClient backend;
    ASSERT_TRUE(backend.connect(socket_dir.path() + "/ringcast.sock")) << backend.error();
    auto pong = backend.request(R"({"op":"ping","req":1})");
    ASSERT_TRUE(pong) << backend.error();
    EXPECT_NE(pong->find("\"ok\":true"), std::string::npos) << *pong;
    auto code = d.stop();
    ASSERT_TRUE(code) << "did not stop on SIGTERM";
    EXPECT_EQ(*code, 0);
}

}  // namespace
}  // namespace ringcast::itest
