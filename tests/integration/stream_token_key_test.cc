// Stream tokens turned off (auth.token_key_file = "") and the key file: made at
// the first start with mode 0600, kept across restarts (a token issued before
// one still opens a stream after it), invalidating every token when deleted, a
// file of one's own used where it is, an unusable one stopping the start (and
// --check-config) with a message naming it, and --check-config making none.
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "jwt_mint.h"
#include "publish_support.h"
#include "sse_client.h"
#include "stream_token_support.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

// --- turned off ----------------------------------------------------------------------------

TEST(StreamTokens, AnEmptyKeyFileTurnsThemOff) {
    // A token from a daemon that has them, to present to one that does not.
    DaemonProcess on;
    ASSERT_TRUE(on.start({.shards = 1})) << on.error();
    UnixClient uo;
    ASSERT_TRUE(uo.connect(socket_path(on))) << uo.error();
    const std::string foreign = token_for(uo, R"("userId":"u","roles":["admin"])");

    for (const bool with_app_auth : {false, true}) {
        SCOPED_TRACE(with_app_auth ? "with HS256 configured" : "without [auth]");
        DaemonProcess d;
        const std::string off = "token_key_file = \"\"\n";
        ASSERT_TRUE(
            d.start({.shards = 2, .config = with_app_auth ? hs256_config(off) : "[auth]\n" + off}))
            << d.error();
        EXPECT_FALSE(std::filesystem::exists(key_path(d))) << "no key file is made";
        UnixClient u;
        ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
        auto line = u.request(R"({"op":"token","req":3,"userId":"u"})");
        ASSERT_TRUE(line) << u.error();
        EXPECT_EQ(check_error_reply(*line, "3", "not_configured"), "");
        EXPECT_NE(line->find("token_key_file"), std::string::npos) << *line;
        HttpResponse h = post_tokens(d.port(), R"({"userId":"u"})");
        EXPECT_EQ(check_json_error(h, 501, "not_configured"), "");
        EXPECT_NE(h.body.find("token_key_file"), std::string::npos) << h.body;
        // Credentials are checked first.
        EXPECT_EQ(post_tokens(d.port(), R"({"userId":"u"})", {}).status, 401);

        // A stream token is nothing here.
        EXPECT_EQ(stream_refusal(d.port(), "/api/sse/stream", bearer(foreign), 401, "invalid_token",
                                 with_app_auth ? "bad_signature" : "not_configured"),
                  "");
        EXPECT_EQ(
            stream_refusal(d.port(), "/api/admin/sse/stream", bearer(foreign), 401, "invalid_token",
                           with_app_auth ? "bad_signature" : "not_configured"),
            "");
        if (with_app_auth) {
            auto app = get(d.port(), "/api/sse/stream", bearer(app_token("app")));
            EXPECT_EQ(admitted(*app, "app"), "");
        } else {
            auto anon = get(d.port(), "/api/sse/stream");
            EXPECT_EQ(admitted(*anon, std::nullopt), "");
            EXPECT_EQ(stream_refusal(d.port(), "/api/admin/sse/stream", {}, 401, "unauthorized",
                                     "missing_token"),
                      "");
        }
    }
}

// --- the key file ----------------------------------------------------------------------------

TEST(StreamTokenKey, MadeAtTheFirstStartWithMode0600AndKeptAcrossRestarts) {
    TempDir data;
    const std::string dir = data.path() + "/data";
    const std::string path = dir + "/stream-token.key";
    std::string token, key;
    {
        DaemonProcess d;
        ASSERT_TRUE(d.start({.shards = 2, .data_dir = dir})) << d.error();
        struct stat st {};
        ASSERT_EQ(::stat(path.c_str(), &st), 0) << path << " was not made";
        EXPECT_EQ(st.st_mode & 07777, 0600u);
        EXPECT_TRUE(S_ISREG(st.st_mode));
        key = read_file(path);
        EXPECT_GE(key.size(), 32u);
        EXPECT_EQ(d.log().find(key.substr(0, 16)), std::string::npos) << "the log shows the key";
        UnixClient u;
        ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
        token = token_for(u, R"("userId":"survivor","roles":["moderator"])");
        auto s = get(d.port(), "/api/admin/sse/stream", bearer(token));
        EXPECT_EQ(admitted(*s, "survivor"), "");
        ASSERT_EQ(d.stop(), 0);
    }
    {
        DaemonProcess d;
        ASSERT_TRUE(d.start({.shards = 2, .data_dir = dir})) << d.error();
        EXPECT_EQ(read_file(path), key) << "a restart keeps the key";
        struct stat st {};
        ASSERT_EQ(::stat(path.c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 07777, 0600u);
        auto s = get(d.port(), "/api/admin/sse/stream", bearer(token));
        EXPECT_EQ(admitted(*s, "survivor", {"admin-actions"}), "")
            << "a token issued before the restart opens a stream after it";
        ASSERT_EQ(d.stop(), 0);
    }
    // Deleting the key invalidates every token issued with it.
    ASSERT_EQ(::unlink(path.c_str()), 0);
    {
        DaemonProcess d;
        ASSERT_TRUE(d.start({.shards = 2, .data_dir = dir})) << d.error();
        const std::string fresh = read_file(path);
        EXPECT_GE(fresh.size(), 32u);
        EXPECT_NE(fresh, key) << "a new random key";
        EXPECT_EQ(stream_refusal(d.port(), "/api/admin/sse/stream", bearer(token), 401,
                                 "invalid_token", "bad_signature"),
                  "");
        EXPECT_EQ(stream_refusal(d.port(), "/api/sse/stream", bearer(token), 401, "invalid_token",
                                 "bad_signature"),
                  "");
        UnixClient u;
        ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
        auto s = get(d.port(), "/api/sse/stream", bearer(token_for(u, R"("userId":"survivor")")));
        EXPECT_EQ(admitted(*s, "survivor"), "") << "new tokens work";
    }
}

TEST(StreamTokenKey, AKeyFileOfYourOwnIsUsedWhereverItIs) {
    TempDir dir;
    const std::string own = dir.write("my.key", std::string(40, 'k') + "\n");
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = "[auth]\ntoken_key_file = \"" + own + "\"\n"}))
        << d.error();
    EXPECT_FALSE(std::filesystem::exists(key_path(d))) << "no key is made in the data directory";
    EXPECT_EQ(read_file(own), std::string(40, 'k') + "\n") << "the file is left as it was";
    UnixClient u;
    ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
    const std::string token = token_for(u, R"("userId":"mine")");
    // It is signed with that key (HS256 over the file's text, less its line end).
    const std::string input = token.substr(0, token.rfind('.'));
    EXPECT_EQ(token.substr(token.rfind('.') + 1), b64url(hmac_sha256(std::string(40, 'k'), input)));
    auto s = get(d.port(), "/api/sse/stream", bearer(token));
    EXPECT_EQ(admitted(*s, "mine"), "");
}

TEST(StreamTokenKey, AnUnusableKeyFileStopsTheStartNamingIt) {
    TempDir dir;
    struct Case {
        std::string name;
        std::string key_file;  // auth.token_key_file
        std::vector<std::string> mentions;
    };
    const std::string as_dir = dir.path() + "/a-directory.key";
    ASSERT_EQ(::mkdir(as_dir.c_str(), 0700), 0);
    const std::string empty = dir.write("empty.key", "");
    const std::string short_key = dir.write("short.key", "tooshort-SECRET\n");
    const std::vector<Case> cases = {
        {"a directory", as_dir, {"auth.token_key_file", as_dir}},
        {"an empty file", empty, {"auth.token_key_file", empty}},
        {"a short key", short_key, {"auth.token_key_file", short_key, "32"}},
        {"in a missing directory",
         dir.path() + "/missing/dir/k.key",
         {"auth.token_key_file", dir.path() + "/missing/dir/k.key"}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const std::string conf =
            dir.write("c.toml", "[auth]\ntoken_key_file = \"" + c.key_file + "\"\n");
        CommandResult start = run_ringcastd(
            {"--config", conf, "--http", "127.0.0.1:0", "--data-dir", dir.path() + "/data"},
            Deadline(10s));
        ASSERT_TRUE(start.exit_code) << "ringcastd started with " << c.name;
        EXPECT_EQ(*start.exit_code, 2) << start.out << start.err;
        const std::string said = start.out + start.err;
        for (const std::string& m : c.mentions)
            EXPECT_NE(said.find(m), std::string::npos) << "should mention " << m << ":\n" << said;
        EXPECT_EQ(said.find("SECRET"), std::string::npos) << "never quote the key";

        CommandResult check = run_ringcastd({"--check-config", conf});
        ASSERT_TRUE(check.exit_code);
        EXPECT_EQ(*check.exit_code, 2) << check.out << check.err;
        for (const std::string& m : c.mentions)
            EXPECT_NE(check.err.find(m), std::string::npos)
                << "--check-config should mention " << m << ":\n"
                << check.err;
    }
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/missing"));
}

TEST(StreamTokenKey, CheckConfigDoesNotMakeTheKeyFile) {
    TempDir dir;
    const std::string data = dir.path() + "/data";
    ASSERT_EQ(::mkdir(data.c_str(), 0700), 0);
    const std::string conf = dir.write("c.toml", "[server]\ndata_dir = \"" + data + "\"\n");
    CommandResult r = run_ringcastd({"--check-config", conf});
    ASSERT_TRUE(r.exit_code);
    EXPECT_EQ(*r.exit_code, 0) << r.out << r.err;
    EXPECT_FALSE(std::filesystem::exists(data + "/stream-token.key"))
        << "--check-config made the key file";
    EXPECT_TRUE(std::filesystem::is_empty(data));

    // Not even when the data directory does not exist yet.
    const std::string later = dir.path() + "/not-yet";
    const std::string conf2 = dir.write("c2.toml", "[server]\ndata_dir = \"" + later + "\"\n");
    CommandResult r2 = run_ringcastd({"--check-config", conf2});
    ASSERT_TRUE(r2.exit_code);
    EXPECT_EQ(*r2.exit_code, 0) << r2.out << r2.err;
    EXPECT_FALSE(std::filesystem::exists(later));

    // The daemon then makes it; a check afterwards reads it and passes.
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .data_dir = data})) << d.error();
    EXPECT_TRUE(std::filesystem::exists(data + "/stream-token.key"));
    ASSERT_EQ(d.stop(), 0);
    CommandResult r3 = run_ringcastd({"--check-config", conf});
    ASSERT_TRUE(r3.exit_code);
    EXPECT_EQ(*r3.exit_code, 0) << r3.out << r3.err;
}

}  // namespace
}  // namespace ringcast::itest
