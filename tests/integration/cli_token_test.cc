// ringcast token: the daemon signs a stream token for a user, the tool prints it
// alone (or as JSON), and a stream presenting it carries that user, its roles
// and permissions: the gated endpoints and channels admit it.
#include <string>

#include <gtest/gtest.h>

#include "cli_support.h"
#include "daemon_process.h"
#include "json.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

TEST(CliToken, PrintsATokenThatOpensTheGatedStreams) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();  // no [auth]: stream tokens alone
    CliRun r = run_cli({"--socket", socket_of(d), "token", "--user", "42", "--role", "admin",
                        "--permission", "dashboard.view,reports.read", "--ttl", "15m"});
    ASSERT_EQ(r.code, 0) << r.describe();
    ASSERT_FALSE(r.out.empty());
    const std::string token = r.out.substr(0, r.out.find('\n'));
    EXPECT_EQ(r.out, token + "\n") << "the token alone, for $(ringcast token ...)";

    SseClient admin;
    ASSERT_TRUE(admin.open(d.port(), "/api/admin/sse/stream", Deadline(kIoTimeout),
                           {{"Cookie", "ringcast_token=" + token}}));
    ASSERT_EQ(admin.status(), 200) << admin.head().describe();
    ASSERT_TRUE(admin.await_events(1, Deadline(kIoTimeout)));
    auto j = Json::parse(admin.events()[0].event.data);
    ASSERT_TRUE(j);
    EXPECT_EQ((*j)["userId"].as_string(), "42");

    SseClient dashboard;
    ASSERT_TRUE(dashboard.open(d.port(), "/api/dashboard/sse?token=" + token));
    EXPECT_EQ(dashboard.status(), 200) << dashboard.head().describe();

    CliRun json = run_cli({"--socket", socket_of(d), "--json", "token", "--user", "7"});
    ASSERT_EQ(json.code, 0) << json.describe();
    auto reply = Json::parse(json.out);
    ASSERT_TRUE(reply) << json.out;
    EXPECT_TRUE((*reply)["ok"].as_bool());
    EXPECT_FALSE((*reply)["token"].as_string().empty());
    EXPECT_GT((*reply)["expiresAt"].as_int(), 0);
}

TEST(CliToken, UsageAndDaemonRefusals) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[auth]\ntoken_max_ttl = \"1h\"\n"})) << d.error();
    CliRun no_user = run_cli({"--socket", socket_of(d), "token"});
    EXPECT_EQ(no_user.code, 2) << no_user.describe();
    EXPECT_NE(no_user.err.find("--user"), std::string::npos) << no_user.err;
    CliRun bad_ttl = run_cli({"--socket", socket_of(d), "token", "--user", "1", "--ttl", "soon"});
    EXPECT_EQ(bad_ttl.code, 2) << bad_ttl.describe();
    EXPECT_NE(bad_ttl.err.find("--ttl soon"), std::string::npos) << bad_ttl.err;
    CliRun too_long = run_cli({"--socket", socket_of(d), "token", "--user", "1", "--ttl", "2h"});
    EXPECT_EQ(too_long.code, 1) << too_long.describe();
    EXPECT_NE(too_long.err.find("auth.token_max_ttl"), std::string::npos) << too_long.err;

    DaemonProcess off;
    ASSERT_TRUE(off.start({.config = "[auth]\ntoken_key_file = \"\"\n"})) << off.error();
    CliRun r = run_cli({"--socket", socket_of(off), "token", "--user", "1"});
    EXPECT_EQ(r.code, 1) << r.describe();
    EXPECT_NE(r.err.find("not_configured"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace ringcast::itest
