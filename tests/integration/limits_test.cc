// Connection limits (per user, per instance, per IP), exact across shards:
// streams from one IP on a 2-shard daemon land on both shards, yet the N+1th is
// refused with 429 and Retry-After, and accepted again once a stream closes or the
// window passes; per-user caps count a user's streams on every shard. Every
// refusal is counted in stats.
#include <cctype>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "jwt_mint.h"
#include "publish_support.h"
#include "sse_fleet.h"

namespace ringcast::itest {
namespace {

using namespace std::chrono_literals;

constexpr char kSecret[] = "limits-test-secret-0123456789abcdefXYZ";

// The value of a response header in a raw head ("" if absent).
std::string header_of(const std::string& head, std::string_view name) {
    std::string lower;
    for (char ch : head)
        lower += char(std::tolower(static_cast<unsigned char>(ch)));
    size_t at = lower.find("\r\n" + std::string(name) + ":");
    if (at == std::string::npos) return {};
    size_t start = at + 3 + name.size();
    size_t end = head.find("\r\n", start);
    std::string v = head.substr(start, end - start);
    while (!v.empty() && v.front() == ' ')
        v.erase(0, 1);
    return v;
}

std::set<int> shards_of(const SseFleet& fleet, const std::vector<size_t>& streams) {
    std::set<int> shards;
    for (size_t i : streams)
        shards.insert(shard_of((*fleet[i].connected)["connectionId"].as_string()));
    return shards;
}

TEST(Limits, ConcurrentStreamsPerIpAreExactAcrossShards) {
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.shards = 2, .config = "[[endpoint]]\npath = \"/s\"\nmax_connections_per_ip = 4\n"}))
        << d.error();
    SseFleet fleet(d.port());
    std::vector<size_t> open;
    for (int k = 0; k < 4; ++k) {
        size_t i = open_from(fleet, "/s?channels=a", "127.0.0.7");
        ASSERT_TRUE(fleet[i].connected) << "stream " << k << ": " << fleet.problems();
        open.push_back(i);
    }
    EXPECT_EQ(shards_of(fleet, open).size(), 2u) << "the test needs streams on both shards";

    size_t over = open_from(fleet, "/s?channels=a", "127.0.0.7");
    ASSERT_TRUE(fleet[over].head_done) << fleet.problems();
    EXPECT_EQ(fleet[over].status, 429) << fleet[over].head;
    EXPECT_FALSE(header_of(fleet[over].head, "retry-after").empty()) << fleet[over].head;

    size_t other = open_from(fleet, "/s?channels=a", "127.0.0.8");
    EXPECT_TRUE(fleet[other].connected) << "another address has its own count";

    // One closes: the next one from .7 gets in (the release reaches the owner
    // shard by message, so the retry is awaited, not assumed).
    fleet.close(open[0], false);
    bool reopened = false;
    Deadline until(5s);
    while (!reopened && !until.expired()) {
        size_t again = open_from(fleet, "/s?channels=a", "127.0.0.7");
        reopened = fleet[again].connected.has_value();
    }
    EXPECT_TRUE(reopened) << "a freed slot is usable again";

    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    auto stats = fetch_stats(api);
    ASSERT_TRUE(stats);
    EXPECT_GE((*stats)["refused"]["rateLimited"].as_int(), 1) << "refusals are counted";
}

TEST(Limits, NewStreamsPerIpPerWindowThenAcceptedAfterTheWindow) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2,
                         .config = "[[endpoint]]\npath = \"/w\"\n"
                                   "rate_limit = { max_connections = 3, window = \"1500ms\" }\n"}))
        << d.error();
    SseFleet fleet(d.port());
    for (int k = 0; k < 3; ++k) {
        size_t i = open_from(fleet, "/w?channels=a", "127.0.0.9");
        ASSERT_TRUE(fleet[i].connected) << k << ": " << fleet.problems();
        fleet.close(i, false);  // closing does not give the window back
    }
    size_t over = open_from(fleet, "/w?channels=a", "127.0.0.9");
    ASSERT_EQ(fleet[over].status, 429) << fleet[over].head;
    int retry_s = std::stoi(header_of(fleet[over].head, "retry-after"));
    EXPECT_GE(retry_s, 1);
    EXPECT_LE(retry_s, 2);
    // After the window (Retry-After says when: time passing is the event), accepted again.
    std::this_thread::sleep_for(std::chrono::seconds(retry_s));
    size_t later = open_from(fleet, "/w?channels=a", "127.0.0.9");
    EXPECT_TRUE(fleet[later].connected) << fleet[later].head;
}

TEST(Limits, StreamsPerUserCountEveryShardAndOnlyThatUser) {
    DaemonProcess d;
    ASSERT_TRUE(
        d.start({.shards = 2,
                 .config = std::string("[auth]\nalgorithm = \"HS256\"\nsecret = \"") + kSecret +
                           "\"\n[[endpoint]]\npath = \"/u\"\nmax_connections_per_user = 3\n"}))
        << d.error();
    const std::string alice = mint_hs256(kSecret, R"({"sub":"alice"})");
    const std::string bob = mint_hs256(kSecret, R"({"sub":"bob"})");
    SseFleet fleet(d.port());
    std::vector<size_t> tabs;
    for (int k = 0; k < 3; ++k) {
        // Different addresses: the cap is the user's, not an address's.
        size_t i =
            open_from(fleet, "/u?channels=a&token=" + alice, "127.0.0." + std::to_string(20 + k));
        ASSERT_TRUE(fleet[i].connected) << k << ": " << fleet.problems();
        tabs.push_back(i);
    }
    EXPECT_EQ(shards_of(fleet, tabs).size(), 2u);
    size_t fourth = open_from(fleet, "/u?channels=a&token=" + alice, "127.0.0.30");
    EXPECT_EQ(fleet[fourth].status, 429) << fleet[fourth].head;
    size_t anonymous = open_from(fleet, "/u?channels=a", "127.0.0.30");
    EXPECT_TRUE(fleet[anonymous].connected) << "anonymous streams have no user to count";
    size_t b = open_from(fleet, "/u?channels=a&token=" + bob, "127.0.0.30");
    EXPECT_TRUE(fleet[b].connected) << "bob has his own count";
}

}  // namespace
}  // namespace ringcast::itest
