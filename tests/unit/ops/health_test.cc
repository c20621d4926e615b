// The readiness verdict (ops/health.h): ready when every check passes; each
// failure makes it unready and says which part and why.
#include "ops/health.h"

#include <gtest/gtest.h>
#include <simdjson.h>

namespace ringcast {
namespace {

ReadinessFacts healthy() {
    ReadinessFacts f;
    f.timeout_ms = 2000;
    f.answered_us = {120, 340};
    f.since_turn_ms = {0, 1};
    f.now_wall_ms = 1'000'000;
    return f;
}

simdjson::dom::element parse(simdjson::dom::parser& p, const std::string& json) {
    simdjson::dom::element e;
    EXPECT_EQ(p.parse(json).get(e), simdjson::SUCCESS) << json;
    return e;
}

TEST(Readiness, HealthyIsReady) {
    Readiness r = assess_readiness(healthy());
    EXPECT_TRUE(r.ready);
    simdjson::dom::parser p;
    auto j = parse(p, r.json);
    EXPECT_EQ(std::string_view(j["status"]), "ready");
    EXPECT_TRUE(bool(j["checks"]["shards"]["ok"]));
    EXPECT_EQ(int64_t(j["checks"]["shards"]["probeUs"]), 340);
    EXPECT_TRUE(bool(j["checks"]["store"]["ok"]));
    EXPECT_FALSE(bool(j["checks"]["store"]["enabled"]));
    EXPECT_TRUE(bool(j["checks"]["draining"]["ok"]));
}

TEST(Readiness, SilentShardIsNamed) {
    ReadinessFacts f = healthy();
    f.answered_us[1] = -1;
    f.since_turn_ms[1] = 7200;
    Readiness r = assess_readiness(f);
    EXPECT_FALSE(r.ready);
    simdjson::dom::parser p;
    auto j = parse(p, r.json);
    EXPECT_EQ(std::string_view(j["status"]), "unready");
    EXPECT_FALSE(bool(j["checks"]["shards"]["ok"]));
    EXPECT_EQ(std::string_view(j["checks"]["shards"]["reason"]),
              "shard 1 did not answer within 2.0 s (its loop last turned 7.2 s ago)");
    EXPECT_TRUE(bool(j["checks"]["store"]["ok"]));
}

TEST(Readiness, FailingStore) {
    ReadinessFacts f = healthy();
    f.store_enabled = true;
    f.store_failing_since_ms = f.now_wall_ms - 3500;
    f.store_pending = 42;
    Readiness r = assess_readiness(f);
    EXPECT_FALSE(r.ready);
    simdjson::dom::parser p;
    auto j = parse(p, r.json);
    EXPECT_FALSE(bool(j["checks"]["store"]["ok"]));
    EXPECT_EQ(std::string_view(j["checks"]["store"]["reason"]),
              "store commits have failed for 3.5 s (42 records wait; the log says why)");
    EXPECT_TRUE(bool(j["checks"]["shards"]["ok"]));
}

TEST(Readiness, WorkingStore) {
    ReadinessFacts f = healthy();
    f.store_enabled = true;
    f.store_pending = 3;
    Readiness r = assess_readiness(f);
    EXPECT_TRUE(r.ready);
    simdjson::dom::parser p;
    auto j = parse(p, r.json);
    EXPECT_TRUE(bool(j["checks"]["store"]["enabled"]));
    EXPECT_EQ(int64_t(j["checks"]["store"]["pending"]), 3);
}

TEST(Readiness, Draining) {
    ReadinessFacts f = healthy();
    f.draining = true;
    Readiness r = assess_readiness(f);
    EXPECT_FALSE(r.ready);
    simdjson::dom::parser p;
    auto j = parse(p, r.json);
    EXPECT_FALSE(bool(j["checks"]["draining"]["ok"]));
    EXPECT_NE(std::string_view(j["checks"]["draining"]["reason"]).find("shutting down"),
              std::string_view::npos);
}

TEST(Readiness, RedisOffIsNoCheck) {
    Readiness r = assess_readiness(healthy());
    simdjson::dom::parser p;
    auto j = parse(p, r.json);
    EXPECT_TRUE(bool(j["checks"]["redis"]["ok"]));
    EXPECT_FALSE(bool(j["checks"]["redis"]["enabled"]));
}

TEST(Readiness, AShardCutOffFromRedisIsNamed) {
    ReadinessFacts f = healthy();
    f.redis_enabled = true;
    f.redis = {{true, true, 0, ""},
               {true, false, 2500, "connect to redis://10.0.0.1:6379: Connection refused"}};
    Readiness r = assess_readiness(f);
    EXPECT_FALSE(r.ready);
    simdjson::dom::parser p;
    auto j = parse(p, r.json);
    EXPECT_EQ(std::string_view(j["status"]), "unready");
    EXPECT_FALSE(bool(j["checks"]["redis"]["ok"]));
    EXPECT_EQ(int64_t(j["checks"]["redis"]["linksUp"]), 1);
    EXPECT_EQ(std::string_view(j["checks"]["redis"]["reason"]),
              "redis: shard 1 has had no link to Redis for 2.5 s (connect to "
              "redis://10.0.0.1:6379: Connection refused)");
    EXPECT_TRUE(bool(j["checks"]["shards"]["ok"]));

    f.redis[1] = {true, true, 0, ""};
    r = assess_readiness(f);
    EXPECT_TRUE(r.ready) << r.json;
}

TEST(Readiness, AShardThatDidNotAnswerIsJudgedByTheShardsCheckAlone) {
    ReadinessFacts f = healthy();
    f.answered_us[1] = -1;
    f.redis_enabled = true;
    f.redis = {{true, true, 0, ""}, {false, false, 0, ""}};
    Readiness r = assess_readiness(f);
    simdjson::dom::parser p;
    auto j = parse(p, r.json);
    EXPECT_TRUE(bool(j["checks"]["redis"]["ok"]));
    EXPECT_FALSE(bool(j["checks"]["shards"]["ok"]));
}

}  // namespace
}  // namespace ringcast
