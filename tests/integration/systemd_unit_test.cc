// The shipped systemd unit (systemd/ringcastd.service.in, as configured by the
// build) must start the daemon: its ExecStart flags must be ones ringcastd
// accepts with the configuration file that `meson install` puts in place, and it
// must speak the notify protocol its Type= promises. systemd itself is not
// needed: the harness plays its part (NOTIFY_SOCKET, SIGTERM).
#include <cstdlib>
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
