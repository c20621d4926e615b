// API keys from a file (publish.api_key_file, --api-key-file; docs/configuration.md):
// read at startup, one per line, blank lines and # comments ignored, added to
// publish.api_keys; each opens the HTTP API like a configured key. A file the
// daemon cannot use stops it (exit 2) with a message naming the file, and so
// does --check-config. `make run` starts the daemon this way with the key it
// generates in var/api-key.
#include <string>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "json.h"

namespace ringcast::itest {
namespace {

// The status of a publish and of a stats request sent with `headers`.
std::pair<int, int> api_statuses(uint16_t port, const Headers& headers) {
    HttpClient c(port);
    if (!c.connect()) return {-1, -1};
    auto pub = c.request("POST", "/api/publish", publish_body("news", "update", "1"), headers);
    auto stats = c.request("GET", "/api/stats", {}, headers);
    return {pub ? pub->status : -1, stats ? stats->status : -1};
}

TEST(ApiKeyFile, EveryKeyOfTheFileOpensTheApiBesideTheConfiguredOnes) {
    TempDir keys;
    const std::string file =
        keys.write("api-key", "# one per backend\nkey-one\n\n   key-two  \n# key-three\n");
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .extra_args = {"--api-key-file", file}})) << d.error();
    for (const std::string key : {"key-one", "key-two"}) {
        EXPECT_EQ(api_statuses(d.port(), {{"X-API-Key", key}}), std::make_pair(200, 200)) << key;
        EXPECT_EQ(api_statuses(d.port(), {{"Authorization", "Bearer " + key}}),
                  std::make_pair(200, 200))
            << key;
    }
    // publish.api_keys still counts (the test daemon's key is configured there).
    EXPECT_EQ(api_statuses(d.port(), {{"X-API-Key", std::string(kTestApiKey)}}),
              std::make_pair(200, 200));
    // A commented-out key is no key.
    HttpClient c(d.port());
    ASSERT_TRUE(c.connect()) << c.error();
    auto r = c.request("GET", "/api/stats", {}, {{"X-API-Key", "key-three"}});
    ASSERT_TRUE(r) << c.error();
    EXPECT_EQ(r->status, 401);
    auto body = Json::parse(r->body);
    ASSERT_TRUE(body) << r->body;
    EXPECT_EQ((*body)["error"]["code"].as_string(), "invalid_api_key");
}

TEST(ApiKeyFile, TheConfigurationKeyAndTheFlagThatOverridesIt) {
    TempDir keys;
    const std::string from_config = keys.write("config-keys", "config-key\n");
    const std::string from_flag = keys.write("flag-keys", "flag-key\n");
    const std::string config = "[publish]\napi_key_file = \"" + from_config + "\"\n";

    DaemonProcess by_config;
    ASSERT_TRUE(by_config.start({.shards = 1, .config = config})) << by_config.error();
    EXPECT_EQ(api_statuses(by_config.port(), {{"X-API-Key", "config-key"}}),
              std::make_pair(200, 200));

    DaemonProcess by_flag;
    ASSERT_TRUE(
        by_flag.start({.shards = 1, .config = config, .extra_args = {"--api-key-file", from_flag}}))
        << by_flag.error();
    EXPECT_EQ(api_statuses(by_flag.port(), {{"X-API-Key", "flag-key"}}), std::make_pair(200, 200));
    EXPECT_EQ(api_statuses(by_flag.port(), {{"X-API-Key", "config-key"}}),
              std::make_pair(401, 401));
}

TEST(ApiKeyFile, AFileTheDaemonCannotUseStopsItWithItsName) {
    TempDir dir;
    const std::string missing = dir.path() + "/no-such-key-file";
    const std::string empty = dir.write("empty", "# nothing yet\n\n");
    const std::string spaced = dir.write("spaced", "ok-key\ntwo words\n");
    struct Case {
        std::string file;
        std::string says;
    };
    for (const Case& k : {Case{missing, "publish.api_key_file: cannot read " + missing +
                                            ": No such file or directory"},
                          Case{empty, "publish.api_key_file " + empty + " holds no key"},
                          Case{spaced, "publish.api_key_file " + spaced +
                                           ":2: a key must be visible ASCII without spaces"}}) {
        CommandResult start = run_ringcastd(
            {"--http", "127.0.0.1:0", "--data-dir", dir.path() + "/data", "--api-key-file", k.file},
            Deadline(10s));
        ASSERT_TRUE(start.exit_code) << k.file << ": the daemon started";
        EXPECT_EQ(*start.exit_code, 2) << start.err;
        EXPECT_NE(start.err.find("ringcastd: " + k.says), std::string::npos) << start.err;
        EXPECT_EQ(start.err.find("two words"), std::string::npos) << "never a key:\n" << start.err;

        // --check-config reads it too: a check that passes means the daemon starts.
        const std::string conf =
            dir.write("conf.toml", "[publish]\napi_key_file = \"" + k.file + "\"\n");
        CommandResult check = run_ringcastd({"--check-config", conf});
        ASSERT_TRUE(check.exit_code);
        EXPECT_EQ(*check.exit_code, 2) << check.out << check.err;
        EXPECT_NE(check.err.find(conf + ":2: " + k.says), std::string::npos) << check.err;
    }
}

}  // namespace
}  // namespace ringcast::itest
