// Alerts on the streams (docs/alerts.md, "On the streams"), through the real
// daemon with streams on both shards: the list on connect, alert and
// alerts-update on a change to exactly the streams whose list it changes,
// every targeting kind against identities on both shards, a dismissal leaving every stream of its
// user, starts and expiries without anyone acting, refreshes, and admins told of every change on
// admin-actions.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "alerts_support.h"

namespace ringcast::itest {
namespace {

using Ids = std::vector<int64_t>;

class AlertsLive : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(_d.start({.config = alerts_config()})) << _d.error();
        _api = std::make_unique<HttpClient>(_d.port());
    }
    int64_t create(const std::string& body) {
        HttpResponse r = alert_api(*_api, "POST", "/api/alerts", body);
        EXPECT_EQ(r.status, 201) << r.describe();
        return json_of(r)["id"].as_int();
    }
    // A refresh every stream gets after whatever the change before it sent:
    // the point up to which a stream that should get nothing got nothing.
    void refresh(const std::string& reason) {
        HttpResponse r =
            alert_api(*_api, "POST", "/api/alerts/refresh", R"({"reason":")" + reason + "\"}");
        EXPECT_EQ(r.status, 200) << r.describe();
    }
    // The events of `s` from *from up to its next alerts-refresh, by type.
    std::vector<std::string> until_refresh(SseClient& s, size_t* from) {
        size_t start = *from;
        EXPECT_TRUE(next_event(s, "alerts-refresh", from)) << s.raw_body();
        std::vector<std::string> types;
        for (size_t i = start; i + 1 < *from; ++i)
            types.push_back(s.events()[i].event.type);
        return types;
    }
    DaemonProcess _d;
    std::unique_ptr<HttpClient> _api;
};

TEST_F(AlertsLive, EveryStreamOnEitherShardGetsTheChangeAndNewStreamsTheList) {
    auto streams = open_on_both_shards(_d.port(), alerts_stream(), 2);
    std::vector<size_t> at(streams.size(), 1);
    for (size_t i = 0; i < streams.size(); ++i) {
        auto first = next_event(*streams[i], "alerts", &at[i]);
        ASSERT_TRUE(first);
        EXPECT_EQ(first->data, "[]");
    }
    const int64_t low = create(R"({"title":"low","priority":2})");
    const int64_t high = create(R"({"title":"high","priority":9})");
    for (size_t i = 0; i < streams.size(); ++i) {
        auto one = next_event(*streams[i], "alert", &at[i]);
        ASSERT_TRUE(one) << streams[i]->raw_body();
        EXPECT_EQ(json_of_text(one->data)["id"].as_int(), low);
        auto list = next_event(*streams[i], "alerts-update", &at[i]);
        ASSERT_TRUE(list);
        EXPECT_EQ(ids_of(list->data), (Ids{low}));
        list = next_event(*streams[i], "alerts-update", &at[i]);
        ASSERT_TRUE(list);
        EXPECT_EQ(ids_of(list->data), (Ids{high, low})) << "higher priority first";
    }
    auto late = open_stream(_d.port(), alerts_stream());
    size_t from = 1;
    auto list = next_event(*late, "alerts", &from);
    ASSERT_TRUE(list);
    EXPECT_EQ(ids_of(list->data), (Ids{high, low}));
    EXPECT_EQ(late->events()[1].event.type, "alerts") << "right after connected";

    ASSERT_EQ(alert_api(*_api, "DELETE", "/api/alerts/" + std::to_string(high)).status, 200);
    auto after = next_event(*late, "alerts-update", &from);
    ASSERT_TRUE(after);
    EXPECT_EQ(ids_of(after->data), (Ids{low}));
}

TEST_F(AlertsLive, TargetingDecidesWhoseListChanges) {
    auto ops = open_stream(_d.port(), alerts_stream("1", {"ops"}));
    auto customer = open_stream(_d.port(), alerts_stream("2", {"customer"}));
    auto anonymous = open_stream(_d.port(), alerts_stream());
    size_t at_ops = 1, at_customer = 1, at_anon = 1;
    const int64_t id = create(R"({"title":"for ops","target":"role-based","targetRoles":["ops"]})");
    auto got = next_event(*ops, "alerts-update", &at_ops);
    ASSERT_TRUE(got);
    EXPECT_EQ(ids_of(got->data), (Ids{id}));
    // A browser is not told whom else the alert targets, nor who wrote it.
    for (const char* hidden : {"target", "created_by", "updated_by"})
        EXPECT_EQ(got->data.find(hidden), std::string::npos) << hidden << " in " << got->data;
    refresh("sync");
    for (auto [s, at] : {std::pair{customer.get(), &at_customer}, {anonymous.get(), &at_anon}}) {
        std::vector<std::string> types = until_refresh(*s, at);
        EXPECT_EQ(std::count(types.begin(), types.end(), "alerts-update"), 0)
            << "a stream the alert does not target was told of it";
    }
    // A user's own list, as its first render reads it.
    HttpResponse own =
        alert_api(*_api, "GET", "/api/alerts/active", {}, bearer(token_of("1", {"ops"})));
    EXPECT_EQ(json_of(own)["alerts"].size(), 1u);
    HttpResponse other = alert_api(*_api, "GET", "/api/alerts/active", {}, {});
    EXPECT_EQ(json_of(other)["alerts"].size(), 0u);

    // Preview: the ops stream, and one user.
    Json p = json_of(alert_api(*_api, "POST", "/api/alerts/preview",
                               R"({"title":"x","target":"role-based","targetRoles":["ops"]})"));
    EXPECT_EQ(p["streams"].as_int(), 1);
    EXPECT_EQ(p["users"].as_int(), 1);
    p = json_of(alert_api(*_api, "POST", "/api/alerts/preview", R"({"title":"x"})"));
    EXPECT_EQ(p["streams"].as_int(), 3);
    EXPECT_EQ(p["users"].as_int(), 2);
}

// Every targeting kind against four identities, each with a stream on both
// shards: who gets the alert in an alerts-update, and who finds it in its own
// GET /api/alerts/active.
TEST_F(AlertsLive, EachTargetingKindReachesExactlyItsIdentitiesOnEveryShard) {
    struct Who {
        const char* name;
        std::string token;  // empty: anonymous
        std::vector<std::unique_ptr<SseClient>> streams;
        std::vector<size_t> at;
    };
    auto token = [](const char* user, std::vector<std::string> roles,
                    std::vector<std::string> permissions, bool subscriber) {
        TokenClaims c;
        c.sub = user;
        c.roles = std::move(roles);
        c.permissions = std::move(permissions);
        if (subscriber) c.subscriber = true;
        return mint_hs256(kKeepsSecret, c.json());
    };
    Who who[] = {
        {"anonymous", {}, {}, {}},
        {"1 (ops, reports.read, subscriber)", token("1", {"ops"}, {"reports.read"}, true), {}, {}},
        {"2 (customer)", token("2", {"customer"}, {}, false), {}, {}},
        {"3 (ops, reports.read, subscriber)", token("3", {"ops"}, {"reports.read"}, true), {}, {}},
    };
    for (Who& w : who) {
        w.streams =
            open_on_both_shards(_d.port(), "/api/sse/stream?channels=alerts" +
                                               (w.token.empty() ? "" : "&token=" + w.token));
        w.at.assign(w.streams.size(), 1);
    }
    struct Case {
        const char* targeting;  // the alert's targeting fields
        bool reaches[4];        // anonymous, 1, 2, 3
    } cases[] = {
        {R"("target":"all")", {true, true, true, true}},
        {R"("target":"all","excludeUsers":["3"])", {true, true, true, false}},
        {R"("target":"all","requireAuth":true)", {false, true, true, true}},
        {R"("target":"authenticated")", {false, true, true, true}},
        {R"("target":"user-specific","targetUsers":["2"])", {false, false, true, false}},
        {R"("target":"role-based","targetRoles":["ops"])", {false, true, false, true}},
        {R"("target":"role-based","targetRoles":["ops"],"excludeUsers":["3"])",
         {false, true, false, false}},
        {R"("target":"permission-based","targetPermissions":["reports.read"])",
         {false, true, false, true}},
        {R"("target":"subscribers")", {false, true, false, true}},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.targeting);
        const int64_t id = create(std::string(R"({"title":"t",)") + c.targeting + "}");
        refresh("checked");
        for (size_t i = 0; i < std::size(who); ++i) {
            for (size_t k = 0; k < who[i].streams.size(); ++k) {
                SseClient& s = *who[i].streams[k];
                const size_t from = who[i].at[k];
                until_refresh(s, &who[i].at[k]);
                bool got = false;
                for (size_t e = from; e < who[i].at[k]; ++e)
                    if (s.events()[e].event.type == "alerts-update")
                        for (int64_t shown : ids_of(s.events()[e].event.data))
                            got |= shown == id;
                EXPECT_EQ(got, c.reaches[i]) << who[i].name << ", stream " << k;
            }
            Json own = json_of(alert_api(*_api, "GET", "/api/alerts/active", {},
                                         who[i].token.empty() ? Headers{} : bearer(who[i].token)));
            EXPECT_EQ(own["alerts"].size(), c.reaches[i] ? 1u : 0u) << who[i].name;
        }
        ASSERT_EQ(alert_api(*_api, "DELETE", "/api/alerts/" + std::to_string(id)).status, 200);
        refresh("deleted");
        for (Who& w : who)
            for (size_t k = 0; k < w.streams.size(); ++k)
                until_refresh(*w.streams[k], &w.at[k]);
    }
}

// A list is serialized once per shard however many streams show it: the stats'
// alerts.lists grows by the distinct lists a change makes on each shard,
// alerts.updates by the streams that were sent one.
TEST_F(AlertsLive, EachDistinctListIsSerializedOncePerShard) {
    auto ops = open_on_both_shards(_d.port(), alerts_stream("1", {"ops"}), 3);
    auto anonymous = open_on_both_shards(_d.port(), alerts_stream(), 3);
    std::vector<SseClient*> all;
    for (auto* group : {&ops, &anonymous})
        for (auto& s : *group)
            all.push_back(s.get());
    std::vector<size_t> at(all.size(), 1);
    create(R"({"title":"ops only","target":"role-based","targetRoles":["ops"]})");
    for (size_t i = 0; i < ops.size(); ++i)
        ASSERT_TRUE(next_event(*all[i], "alerts-update", &at[i])) << all[i]->raw_body();
    auto figures = [&] { return json_of(alert_api(*_api, "GET", "/api/stats"))["alerts"]; };
    const Json before = figures();

    // For everyone: the ops streams' list becomes one list, the others' another.
    create(R"({"title":"for all"})");
    for (size_t i = 0; i < all.size(); ++i)
        ASSERT_TRUE(next_event(*all[i], "alerts-update", &at[i])) << all[i]->raw_body();
    const Json after = figures();
    EXPECT_EQ(after["updates"].as_int() - before["updates"].as_int(), int64_t(all.size()));
    EXPECT_EQ(after["lists"].as_int() - before["lists"].as_int(), 4)
        << "2 distinct lists on each of 2 shards";
}

TEST_F(AlertsLive, ADismissalLeavesEveryStreamOfItsUserOnly) {
    const int64_t id = create(R"({"title":"dismiss me"})");
    auto tab1 = open_stream(_d.port(), alerts_stream("7"));
    auto tab2 = open_stream(_d.port(), alerts_stream("7"));
    auto other = open_stream(_d.port(), alerts_stream("8"));
    size_t a1 = 2, a2 = 2, ao = 2;
    Headers h = bearer(token_of("7"));
    h.push_back({"Content-Type", "application/json"});
    HttpClient browser(_d.port());
    ASSERT_TRUE(browser.connect());
    auto r = browser.request("POST", "/api/alerts/" + std::to_string(id) + "/dismiss", "{}", h);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->describe();
    for (auto [s, at] : {std::pair{tab1.get(), &a1}, {tab2.get(), &a2}}) {
        auto list = next_event(*s, "alerts-update", at);
        ASSERT_TRUE(list) << s->raw_body();
        EXPECT_EQ(ids_of(list->data), Ids{});
    }
    refresh("sync");
    std::vector<std::string> types = until_refresh(*other, &ao);
    EXPECT_EQ(std::count(types.begin(), types.end(), "alerts-update"), 0);
    // A new tab of the same user never shows it again; without a JSON content
    // type (a cross-site form) or a token, nothing is dismissed.
    auto tab3 = open_stream(_d.port(), alerts_stream("7"));
    size_t a3 = 1;
    auto first = next_event(*tab3, "alerts", &a3);
    ASSERT_TRUE(first);
    EXPECT_EQ(ids_of(first->data), Ids{});
    auto form = browser.request("POST", "/api/alerts/" + std::to_string(id) + "/dismiss", "{}",
                                bearer(token_of("8")));
    ASSERT_TRUE(form);
    EXPECT_EQ(form->status, 400) << form->describe();
    auto anon = browser.request("POST", "/api/alerts/" + std::to_string(id) + "/dismiss", "{}",
                                {{"Content-Type", "application/json"}});
    ASSERT_TRUE(anon);
    EXPECT_EQ(anon->status, 401) << anon->describe();
}

TEST_F(AlertsLive, AScheduledAlertStartsAndExpiresWithNobodyActing) {
    auto s = open_stream(_d.port(), alerts_stream());
    size_t at = 1;
    ASSERT_TRUE(next_event(*s, "alerts", &at));
    const int64_t now = unix_now_ms();
    const int64_t starts = now + 1000, expires = now + 2000;
    const int64_t id = create(R"({"title":"window","starts_at":")" + iso(starts) +
                              R"(","expires_at":")" + iso(expires) + "\"}");
    auto start = next_event(*s, "alerts-update", &at, Deadline(std::chrono::seconds(5)));
    ASSERT_TRUE(start) << s->raw_body();
    EXPECT_EQ(ids_of(start->data), (Ids{id}));
    const int64_t started_at = unix_now_ms();
    EXPECT_GE(started_at, starts) << "shown before its start";
    EXPECT_LT(started_at, starts + 1000) << "shown more than 1 s after its start";
    auto end = next_event(*s, "alerts-update", &at, Deadline(std::chrono::seconds(5)));
    ASSERT_TRUE(end) << s->raw_body();
    EXPECT_EQ(ids_of(end->data), Ids{});
    const int64_t ended_at = unix_now_ms();
    EXPECT_GE(ended_at, expires) << "gone before it expired";
    EXPECT_LT(ended_at, expires + 1000) << "still shown 1 s after it expired";
}

TEST_F(AlertsLive, AdminsAreToldOfEveryChange) {
    auto admin = open_stream(
        _d.port(), "/api/sse/stream?channels=admin-actions&token=" + token_of("boss", {"admin"}));
    size_t at = 1;
    const int64_t expires = unix_now_ms() + 1500;
    const int64_t id = create(R"({"title":"watched","expires_at":")" + iso(expires) + R"("})");
    ASSERT_EQ(alert_api(*_api, "PATCH", "/api/alerts/" + std::to_string(id),
                        R"({"priority":9,"version":1})")
                  .status,
              200);
    Headers user = bearer(token_of("7"));
    ASSERT_EQ(alert_api(*_api, "POST", "/api/alerts/" + std::to_string(id) + "/dismiss", "{}", user)
                  .status,
              200);
    struct Want {
        const char* action;
        const char* by;
    };
    auto expect = [&](std::initializer_list<Want> wants) {
        for (const Want& want : wants) {
            auto e = next_event(*admin, "update", &at, Deadline(std::chrono::seconds(5)));
            ASSERT_TRUE(e) << admin->raw_body();
            Json j = json_of_text(e->data);
            EXPECT_EQ(j["type"].as_string(), "alert-updated");
            EXPECT_EQ(j["alertId"].as_int(), id);
            EXPECT_EQ(j["action"].as_string(), want.action);
            EXPECT_EQ(j["by"].as_string(), want.by);
            EXPECT_GT(j["timestamp"].as_int(), 0);
        }
    };
    // The expiry needs nobody: it comes by itself, by the daemon.
    expect({{"created", "api-key"}, {"updated", "api-key"}, {"dismissed", "7"}});
    expect({{"expired", "ringcastd"}});
    EXPECT_GE(unix_now_ms(), expires);
    ASSERT_EQ(alert_api(*_api, "DELETE", "/api/alerts/" + std::to_string(id)).status, 200);
    expect({{"deleted", "api-key"}});
}

}  // namespace
}  // namespace ringcast::itest
