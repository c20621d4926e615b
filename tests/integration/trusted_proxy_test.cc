// Behind a reverse proxy (http.trusted_proxies, docs/operations.md): a request
// from a trusted proxy counts as coming from the client its forwarding header
// names — per-IP stream limits, the publish limit by address and connection
// info all see that client — while from any other peer the header is ignored,
// so a client cannot choose the address it is counted under. Loopback source
// addresses play the parts: 127.0.0.1 the proxy, 127.0.0.5 a client that
// connects directly. (nginx_proxy_test.cc runs a real nginx in front.)
#include <string>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "publish_support.h"
#include "sse_fleet.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

constexpr char kProxy[] = "127.0.0.1";
constexpr char kDirect[] = "127.0.0.5";

// One stream per client address on /s; the proxy at 127.0.0.1 is trusted.
const std::string kLimitedConfig =
    "[http]\n"
    "trusted_proxies = [\"127.0.0.1\"]\n"
    "[[endpoint]]\n"
    "path = \"/s\"\n"
    "max_connections_per_ip = 1\n";

// A stream on the test's endpoint from `source` with `headers` (publish_support.h).
size_t open_via(SseFleet& fleet, const std::string& source, const Headers& headers,
                const std::string& target = "/s?channels=a") {
    return open_from(fleet, target, source, headers);
}

Headers xff(const std::string& value) {
    return {{"X-Forwarded-For", value}};
}

TEST(TrustedProxy, StreamsFromAProxyCountAndShowTheClientItNames) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = kLimitedConfig})) << d.error();
    SseFleet fleet(d.port());

    size_t first = open_via(fleet, kProxy, xff("198.51.100.7"));
    ASSERT_TRUE(fleet[first].connected) << fleet.problems();
    Json info = connection_info(d, fleet, first);
    EXPECT_EQ(info["ip"].as_string(), "198.51.100.7");
    EXPECT_EQ(info["via"].as_string(), kProxy);

    // The same client through the proxy again: its one stream is open.
    size_t again = open_via(fleet, kProxy, xff("198.51.100.7"));
    ASSERT_TRUE(fleet[again].head_done) << fleet.problems();
    EXPECT_EQ(fleet[again].status, 429) << fleet[again].head;

    // Another client through the same proxy is not held back by the first.
    size_t other = open_via(fleet, kProxy, xff("198.51.100.8"));
    ASSERT_TRUE(fleet[other].connected) << fleet.problems();
    EXPECT_EQ(connection_info(d, fleet, other)["ip"].as_string(), "198.51.100.8");

    // What a client wrote itself, left of what the proxy appended, is not believed.
    size_t spoofing = open_via(fleet, kProxy, xff("198.51.100.8, 198.51.100.9"));
    ASSERT_TRUE(fleet[spoofing].connected) << fleet.problems();
    EXPECT_EQ(connection_info(d, fleet, spoofing)["ip"].as_string(), "198.51.100.9");

    // The refusal names the client, not the proxy.
    HttpClient http(d.port(), kProxy);
    ASSERT_TRUE(http.connect()) << http.error();
    auto r = http.request("GET", "/s?channels=a", {}, xff("198.51.100.7"));
    ASSERT_TRUE(r) << http.error();
    EXPECT_EQ(check_json_error(*r, 429, "rate_limited"), "") << r->describe();
    EXPECT_NE(r->body.find("198.51.100.7 already has 1 streams open"), std::string::npos)
        << r->body;
}

TEST(TrustedProxy, AClientThatIsNotAProxyCannotSpoofItsAddress) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = kLimitedConfig})) << d.error();
    SseFleet fleet(d.port());

    size_t first = open_via(fleet, kDirect, xff("198.51.100.20"));
    ASSERT_TRUE(fleet[first].connected) << fleet.problems();
    Json info = connection_info(d, fleet, first);
    EXPECT_EQ(info["ip"].as_string(), kDirect);
    EXPECT_FALSE(info.has("via")) << "no proxy in between";

    // A new address in the header every time does not buy a second stream.
    for (const char* claimed : {"198.51.100.21", "127.0.0.1", "10.0.0.1, 198.51.100.22"}) {
        size_t next = open_via(fleet, kDirect, xff(claimed));
        ASSERT_TRUE(fleet[next].head_done) << fleet.problems();
        EXPECT_EQ(fleet[next].status, 429) << claimed << ": " << fleet[next].head;
    }
    // Nor does the other header.
    size_t fwd = open_via(fleet, kDirect, {{"Forwarded", "for=198.51.100.23"}});
    ASSERT_TRUE(fleet[fwd].head_done) << fleet.problems();
    EXPECT_EQ(fleet[fwd].status, 429) << fleet[fwd].head;

    // The operator hears about a forwarding header from a peer that is not
    // trusted (a proxy missing from the list?), once.
    const std::string log = d.log();
    const std::string hint =
        "carries X-Forwarded-For, but 127.0.0.5 is not in http.trusted_proxies";
    EXPECT_NE(log.find(hint), std::string::npos) << log;
}

TEST(TrustedProxy, WithoutTrustedProxiesTheHeaderIsNeverRead) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[[endpoint]]\npath = \"/s\"\nmax_connections_per_ip = 1\n"}))
        << d.error();
    SseFleet fleet(d.port());
    size_t first = open_via(fleet, kProxy, xff("198.51.100.7"));
    ASSERT_TRUE(fleet[first].connected) << fleet.problems();
    EXPECT_EQ(connection_info(d, fleet, first)["ip"].as_string(), kProxy);
    size_t second = open_via(fleet, kProxy, xff("198.51.100.8"));
    ASSERT_TRUE(fleet[second].head_done) << fleet.problems();
    EXPECT_EQ(fleet[second].status, 429) << fleet[second].head;
}

TEST(TrustedProxy, ForwardedHeaderWhenConfigured) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[http]\n"
                                   "trusted_proxies = [\"127.0.0.0/24\"]\n"
                                   "forwarded_header = \"Forwarded\"\n"}))
        << d.error();
    SseFleet fleet(d.port());
    size_t six = open_via(fleet, kProxy,
                          {{"X-Forwarded-For", "198.51.100.1"},
                           {"Forwarded", "for=192.0.2.60;proto=http, for=\"[2001:db8::7]:4711\""}},
                          "/api/sse/stream?channels=a");
    ASSERT_TRUE(fleet[six].connected) << fleet.problems();
    Json info = connection_info(d, fleet, six);
    EXPECT_EQ(info["ip"].as_string(), "2001:db8::7");
    EXPECT_EQ(info["via"].as_string(), kProxy);

    // Only Forwarded is read: X-Forwarded-For alone names nobody.
    size_t only_xff = open_via(fleet, kProxy, xff("198.51.100.1"), "/api/sse/stream?channels=a");
    ASSERT_TRUE(fleet[only_xff].connected) << fleet.problems();
    EXPECT_EQ(connection_info(d, fleet, only_xff)["ip"].as_string(), kProxy);

    // "unknown" from the proxy: the proxy is the best we know.
    size_t unknown =
        open_via(fleet, "127.0.0.9", {{"Forwarded", "for=unknown"}}, "/api/sse/stream?channels=a");
    ASSERT_TRUE(fleet[unknown].connected) << fleet.problems();
    Json u = connection_info(d, fleet, unknown);
    EXPECT_EQ(u["ip"].as_string(), "127.0.0.9");
    EXPECT_FALSE(u.has("via"));
}

// A proxy's keep-alive connection carries requests of many clients: each
// request is counted under its own client. The publish limit by address applies
// with http_require_auth = false (no credentials read).
TEST(TrustedProxy, EachRequestOnAKeepAliveConnectionHasItsOwnClient) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[http]\n"
                                   "trusted_proxies = [\"127.0.0.1\"]\n"
                                   "[publish]\n"
                                   "http_require_auth = false\n"
                                   "rate_limit = { max = 1, window = \"1h\" }\n"}))
        << d.error();
    const std::string body = publish_body("news", "update", R"({"n":1})");
    auto publish_as = [&](HttpClient& c, const Headers& h) {
        auto r = c.request("POST", "/api/publish", body, h);
        return r ? r->status : -1;
    };
    HttpClient proxy(d.port(), kProxy);
    ASSERT_TRUE(proxy.connect()) << proxy.error();
    EXPECT_EQ(publish_as(proxy, xff("198.51.100.7")), 200) << proxy.error();
    EXPECT_EQ(publish_as(proxy, xff("198.51.100.7")), 429) << "the same client, over its limit";
    EXPECT_EQ(publish_as(proxy, xff("198.51.100.8")), 200) << "another client, same connection";
    EXPECT_EQ(publish_as(proxy, {}), 200) << "the proxy itself, no header";
    EXPECT_EQ(publish_as(proxy, {}), 429);
    EXPECT_EQ(publish_as(proxy, xff("198.51.100.8")), 429);
    EXPECT_EQ(publish_as(proxy, xff("198.51.100.9")), 200);

    // Directly, the header changes nothing.
    HttpClient direct(d.port(), kDirect);
    ASSERT_TRUE(direct.connect()) << direct.error();
    EXPECT_EQ(publish_as(direct, xff("198.51.100.10")), 200) << direct.error();
    EXPECT_EQ(publish_as(direct, xff("198.51.100.11")), 429);
}

}  // namespace
}  // namespace ringcast::itest
