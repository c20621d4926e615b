// Channel rules hold on every endpoint (before them, any endpoint that listed a
// channel opened it to anyone): a stream on any path that names a channel its
// [[channel]] rule closes is refused with 403 naming the channel; a stream the
// rule admits gets what is published there over HTTP and over the socket, and
// nobody else does.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "json.h"
#include "jwt_mint.h"
#include "keeps_support.h"
#include "publish_support.h"
#include "sse_client.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

std::string token_of(const std::string& user, std::vector<std::string> roles = {},
                     std::vector<std::string> permissions = {}) {
    TokenClaims c;
    c.sub = user;
    c.roles = std::move(roles);
    c.permissions = std::move(permissions);
    return mint_hs256(kKeepsSecret, c.json());
}

// The daemon's answer to a stream request: its status and, for a refusal,
// the error's reason and message.
struct Answer {
    int status = 0;
    std::string reason, message;
    std::unique_ptr<SseClient> stream;  // when 200, with `connected` read
};

Answer ask_stream(uint16_t port, const std::string& path, const std::string& channels,
                  const std::string& token = {}) {
    Answer a;
    std::string target = path + (channels.empty() ? "" : "?channels=" + channels);
    if (!token.empty()) target += (channels.empty() ? "?token=" : "&token=") + token;
    a.stream = std::make_unique<SseClient>();
    if (!a.stream->open(port, target, Deadline(kIoTimeout))) {
        ADD_FAILURE() << target << ": " << a.stream->error();
        return a;
    }
    a.status = a.stream->status();
    if (a.status == 200) {
        EXPECT_TRUE(a.stream->await_events(1, Deadline(kIoTimeout))) << a.stream->raw_body();
        return a;
    }
    auto j = a.stream->head().json();
    if (j) {
        a.reason = (*j)["error"]["reason"].as_string();
        a.message = (*j)["error"]["message"].as_string();
    }
    a.stream.reset();
    return a;
}

// The channels of a stream's `connected` event.
std::vector<std::string> channels_of(const SseClient& s) {
    std::vector<std::string> out;
    auto j = Json::parse(s.events()[0].event.data);
    if (j)
        for (const Json& c : (*j)["channels"].items())
            out.push_back(c.as_string());
    return out;
}

class ChannelRulesTest : public ::testing::Test {
protected:
    // The built-in endpoints and rules, HS256 tokens, and `extra`.
    void start(const std::string& extra = {}) {
        const std::string config = std::string("[auth]\nalgorithm = \"HS256\"\nsecret = \"") +
                                   kKeepsSecret + "\"\n" + extra;
        ASSERT_TRUE(_d.start({.config = config})) << _d.error();
        _api = std::make_unique<HttpClient>(_d.port());
        ASSERT_TRUE(_api->connect()) << _api->error();
        ASSERT_TRUE(_sock.connect(socket_path(_d))) << _sock.error();
    }
    // One event over HTTP and one over the socket on `channel`; each reply's
    // `sent` must be `reached`, and every stream of `admitted` must get both.
    void publish_both_ways(const std::string& channel, size_t reached,
                           const std::vector<SseClient*>& admitted) {
        Json http = post_json(*_api, "/api/publish",
                              R"({"channel":")" + channel + R"(","event":"e","data":"http"})");
        EXPECT_EQ(http["sent"].as_int(), int64_t(reached)) << channel << " over HTTP";
        Json sock = ask(_sock, publish_line("1", channel, "e", "\"socket\""));
        EXPECT_EQ(sock["sent"].as_int(), int64_t(reached)) << channel << " over the socket";
        for (SseClient* s : admitted) {
            ASSERT_TRUE(s->read_until(
                [&] {
                    std::vector<std::string> d = data_of(*s);
                    return std::count(d.begin(), d.end(), "\"socket\"") == 1 &&
                           std::count(d.begin(), d.end(), "\"http\"") == 1;
                },
                Deadline(kIoTimeout)))
                << channel << ": " << s->raw_body();
        }
    }
    uint16_t port() const { return _d.port(); }

    DaemonProcess _d;
    std::unique_ptr<HttpClient> _api;
    UnixClient _sock;
};

// The built-in rules: admin-actions for the roles admin and moderator,
// live-updates for the permission dashboard.view — on the general endpoints
// as on their own.
TEST_F(ChannelRulesTest, TheBuiltInRulesCloseTheGatedChannelsOnEveryEndpoint) {
    start();
    const std::string mod = token_of("m1", {"moderator"});
    const std::string viewer = token_of("v1", {}, {"dashboard.view"});
    const std::string plain = token_of("p1", {"editor"});
    std::vector<Answer> admin_ok, live_ok;
    for (const char* path : {"/api/sse/stream", "/api/sse"}) {
        SCOPED_TRACE(path);
        for (const std::string& token : {std::string(), plain, viewer}) {
            Answer a = ask_stream(port(), path, "alerts,admin-actions", token);
            EXPECT_EQ(a.status, 403);
            EXPECT_EQ(a.reason, "channel_forbidden");
            EXPECT_NE(a.message.find("\"admin-actions\""), std::string::npos) << a.message;
        }
        for (const std::string& token : {std::string(), plain, mod}) {
            Answer a = ask_stream(port(), path, "live-updates", token);
            EXPECT_EQ(a.status, 403);
            EXPECT_EQ(a.reason, "channel_forbidden");
            EXPECT_NE(a.message.find("dashboard.view"), std::string::npos) << a.message;
        }
        Answer anon = ask_stream(port(), path, "");  // the defaults are open
        ASSERT_EQ(anon.status, 200);
        EXPECT_EQ(channels_of(*anon.stream),
                  (std::vector<std::string>{"alerts", "notifications", "toasts", "system"}));
        admin_ok.push_back(ask_stream(port(), path, "admin-actions", mod));
        live_ok.push_back(ask_stream(port(), path, "live-updates", viewer));
    }
    admin_ok.push_back(ask_stream(port(), "/api/admin/sse/stream", "", mod));
    live_ok.push_back(ask_stream(port(), "/api/dashboard/sse", "", viewer));
    EXPECT_EQ(ask_stream(port(), "/api/admin/sse/stream", "", plain).reason, "missing_role");
    std::vector<SseClient*> admins, lives;
    for (Answer& a : admin_ok) {
        ASSERT_EQ(a.status, 200) << a.message;
        admins.push_back(a.stream.get());
    }
    for (Answer& a : live_ok) {
        ASSERT_EQ(a.status, 200) << a.message;
        lives.push_back(a.stream.get());
    }
    publish_both_ways("admin-actions", admins.size(), admins);
    publish_both_ways("live-updates", lives.size(), lives);
}

// Each rule kind, exact and by pattern, with sse.open_channels = false, on the
// general endpoint and on an endpoint of its own.
TEST_F(ChannelRulesTest, EachRuleKindOnEachEndpointWithClosedChannels) {
    start(R"(
[[endpoint]]
path = "/api/sse/stream"
[[endpoint]]
path = "/api/team/sse"
[sse]
open_channels = false
[[channel]]
name = "alerts"
[[channel]]
name = "members"
require_auth = true
[[channel]]
name = "staff-*"
allowed_roles = ["staff"]
[[channel]]
name = "reports"
allowed_permissions = ["reports.read"]
)");
    const std::string user = token_of("u1");
    const std::string staff = token_of("s1", {"staff"});
    const std::string reader = token_of("r1", {}, {"reports.read"});
    struct Case {
        std::string channel;
        std::string admitted_token;               // "" = anonymous is admitted
        std::vector<std::string> refused_tokens;  // "" = anonymous
    };
    const std::vector<Case> cases = {
        {"alerts", "", {}},
        {"members", user, {""}},
        {"staff-room", staff, {"", user, reader}},
        {"reports", reader, {"", user, staff}},
        {"news", "", {}},  // no rule: closed to everyone
    };
    for (const char* path : {"/api/sse/stream", "/api/team/sse"}) {
        SCOPED_TRACE(path);
        std::vector<Answer> held;
        for (const Case& c : cases) {
            SCOPED_TRACE(c.channel);
            if (c.channel == "news") {
                for (const std::string& t : {std::string(), staff}) {
                    Answer a = ask_stream(port(), path, "news", t);
                    EXPECT_EQ(a.status, 403);
                    EXPECT_NE(a.message.find("sse.open_channels = false"), std::string::npos)
                        << a.message;
                }
                continue;
            }
            for (const std::string& t : c.refused_tokens) {
                Answer a = ask_stream(port(), path, c.channel, t);
                EXPECT_EQ(a.status, 403);
                EXPECT_EQ(a.reason, "channel_forbidden");
                EXPECT_NE(a.message.find("\"" + c.channel + "\""), std::string::npos) << a.message;
            }
            held.push_back(ask_stream(port(), path, c.channel, c.admitted_token));
            ASSERT_EQ(held.back().status, 200) << held.back().message;
        }
        // Without ?channels= only the open defaults remain (alerts).
        Answer defaults = ask_stream(port(), path, "");
        ASSERT_EQ(defaults.status, 200) << defaults.message;
        EXPECT_EQ(channels_of(*defaults.stream), std::vector<std::string>{"alerts"});
        for (size_t i = 0; i + 1 < cases.size(); ++i) {
            std::vector<SseClient*> admitted = {held[i].stream.get()};
            if (cases[i].channel == "alerts") admitted.push_back(defaults.stream.get());
            publish_both_ways(cases[i].channel, admitted.size(), admitted);
        }
        // The next endpoint's counts start from none: these streams are gone
        // once the daemon has seen them close, not when this side closes them.
        held.clear();
        defaults.stream.reset();
        ASSERT_TRUE(await_stats(
            *_api, [](const Json& st) { return st["totalConnections"].as_int() == 0; },
            Deadline(kIoTimeout)));
    }
}

}  // namespace
}  // namespace ringcast::itest
