// ringcast behind a real nginx, configured with the documented server block
// (docs/nginx/ringcast.conf) and ringcast with the documented trusted_proxies
// (docs/operations.md, "Behind a reverse proxy"): a stream through nginx gets
// its events as they are published (a buffering proxy would hold them), and
// per-IP limits and connection info see each browser's address, not nginx's.
// Clients connect to nginx from loopback addresses 127.0.0.2 and 127.0.0.3;
// nginx connects to ringcastd from 127.0.0.1.
//
// nginx is a test dependency (Debian nginx-light, in the Makefile's DEBS): when
// it is missing these tests fail and say how to install it.
#include <string>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "nginx_process.h"
#include "publish_support.h"
#include "sse_client.h"
#include "sse_fleet.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

// What docs/operations.md tells an operator to set for nginx on the same host.
const std::string kTrustNginx = "[http]\ntrusted_proxies = [\"127.0.0.1\", \"::1\"]\n";

TEST(NginxProxy, EventsArriveThroughNginxAsTheyArePublished) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = kTrustNginx})) << d.error();
    NginxProcess nginx;
    ASSERT_TRUE(nginx.start(d.port())) << nginx.error();

    SseClient s;
    ASSERT_TRUE(s.open(nginx.port(), "/api/sse/stream?channels=news")) << s.error();
    ASSERT_EQ(s.status(), 200) << s.head().describe();
    EXPECT_EQ(s.head().header("content-type").value_or(""), "text/event-stream");
    // The handshake is a few hundred bytes: a proxy that buffers holds it (and
    // everything after it) until kilobytes have gathered. The first heartbeat
    // is 30 s away, so every byte awaited here is one nginx passed on at once.
    ASSERT_TRUE(s.await_events(1, Deadline(10s)))
        << "no `connected` through nginx: " << s.raw_body();
    EXPECT_EQ(s.events()[0].event.type, "connected");

    // Published directly to ringcastd after the stream is open...
    HttpClient direct(d.port());
    ASSERT_TRUE(direct.connect()) << direct.error();
    auto first = publish(direct, "news", "update", R"({"n":1})");
    ASSERT_TRUE(first && first->response.status == 200) << direct.error();
    auto has = [&](const std::string& id) {
        for (const SseEvent& e : s.data_events())
            if (e.last_event_id == id) return true;
        return false;
    };
    EXPECT_TRUE(s.read_until([&] { return has(first->id); }, Deadline(10s)))
        << "event " << first->id << " did not come through nginx: " << s.raw_body();

    // ...and through nginx, over its kept-alive upstream connections.
    HttpClient via(nginx.port());
    ASSERT_TRUE(via.connect()) << via.error();
    for (int n = 2; n <= 3; ++n) {
        auto p = publish(via, "news", "update", "{\"n\":" + std::to_string(n) + "}");
        ASSERT_TRUE(p && p->response.status == 200) << via.error();
        EXPECT_TRUE(s.read_until([&] { return has(p->id); }, Deadline(10s)))
            << "event " << p->id << " did not come through nginx: " << s.raw_body();
    }
    ASSERT_EQ(s.data_events().size(), 3u) << s.raw_body();
    EXPECT_EQ(s.data_events()[2].data, R"({"n":3})");
    EXPECT_FALSE(s.ended()) << "the stream stays open";
}

TEST(NginxProxy, PerIpLimitsAndConnectionInfoSeeTheBrowser) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = kTrustNginx + "[[endpoint]]\n"
                                                 "path = \"/api/sse/stream\"\n"
                                                 "max_connections_per_ip = 1\n"}))
        << d.error();
    NginxProcess nginx;
    ASSERT_TRUE(nginx.start(d.port())) << nginx.error();
    SseFleet fleet(nginx.port());
    const std::string target = "/api/sse/stream?channels=a";

    size_t first = open_from(fleet, target, "127.0.0.2");
    ASSERT_TRUE(fleet[first].connected) << fleet.problems();
    size_t second = open_from(fleet, target, "127.0.0.2");
    ASSERT_TRUE(fleet[second].head_done) << fleet.problems();
    EXPECT_EQ(fleet[second].status, 429) << "127.0.0.2 has its one stream: " << fleet[second].head;
    size_t other = open_from(fleet, target, "127.0.0.3");
    ASSERT_TRUE(fleet[other].connected) << "127.0.0.3 is another browser: " << fleet.problems();

    Json a = connection_info(d, fleet, first);
    EXPECT_EQ(a["ip"].as_string(), "127.0.0.2");
    EXPECT_EQ(a["via"].as_string(), "127.0.0.1") << "nginx";
    EXPECT_EQ(connection_info(d, fleet, other)["ip"].as_string(), "127.0.0.3");

    // The refusal, as the browser gets it through nginx, names the browser.
    HttpClient refused(nginx.port(), "127.0.0.2");
    ASSERT_TRUE(refused.connect()) << refused.error();
    auto r = refused.request("GET", target);
    ASSERT_TRUE(r) << refused.error();
    EXPECT_EQ(check_json_error(*r, 429, "rate_limited"), "") << r->describe();
    EXPECT_NE(r->body.find("127.0.0.2 already has 1 streams open"), std::string::npos) << r->body;
}

// The publish limit by address (http_require_auth = false) counts each browser
// although nginx carries their requests over shared kept-alive connections.
TEST(NginxProxy, ThePublishLimitCountsEachBrowser) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = kTrustNginx + "[publish]\n"
                                                 "http_require_auth = false\n"
                                                 "rate_limit = { max = 2, window = \"1h\" }\n"}))
        << d.error();
    NginxProcess nginx;
    ASSERT_TRUE(nginx.start(d.port())) << nginx.error();
    auto publish_from = [&](const std::string& source) {
        HttpClient c(nginx.port(), source);
        if (!c.connect()) return -1;
        auto p = publish(c, "news", "update", R"({"n":1})");
        return p ? p->response.status : -1;
    };
    EXPECT_EQ(publish_from("127.0.0.2"), 200);
    EXPECT_EQ(publish_from("127.0.0.3"), 200);
    EXPECT_EQ(publish_from("127.0.0.2"), 200);
    EXPECT_EQ(publish_from("127.0.0.2"), 429) << "127.0.0.2 used its 2";
    EXPECT_EQ(publish_from("127.0.0.3"), 200) << "127.0.0.3 has one left";
    EXPECT_EQ(publish_from("127.0.0.3"), 429);
}

}  // namespace
}  // namespace ringcast::itest
