// The alerts API through the real daemon and its real SQLite file
// (docs/alerts.md): create, read, list, replace, merge patch and delete with
// versions and conflicts; validation naming the field; who may manage alerts;
// the limit on active alerts; every acknowledged change kept across kill -9;
// a scheduled start and expiry on time after a restart; and expiries that
// passed while the daemon was down announced once after it.
#include <signal.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "alerts_support.h"
#include "restart_support.h"

namespace ringcast::itest {
namespace {

class AlertsApi : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(_d.start({.config = alerts_config("max_active = 3\n")})) << _d.error();
    }
    Json create(const std::string& body) {
        HttpResponse r = alert_api(_api, "POST", "/api/alerts", body);
        EXPECT_EQ(r.status, 201) << r.describe();
        return json_of(r);
    }
    DaemonProcess _d;
    HttpClient _api{0};
    void connect() { _api = HttpClient(_d.port()); }
};

TEST_F(AlertsApi, CreateReadListChangeAndDeleteWithVersions) {
    connect();
    HttpResponse made =
        alert_api(_api, "POST", "/api/alerts",
                  R"({"title":"Maintenance","alert_type":"warning","priority":8,)"
                  R"("actions":[{"label":"Status","url":"https://status.example.com"}],)"
                  R"("metadata":{"customType":"maintenance","n":1}})");
    ASSERT_EQ(made.status, 201) << made.describe();
    Json a = json_of(made);
    const int64_t id = a["id"].as_int();
    EXPECT_GT(id, 0);
    EXPECT_EQ(made.header("location"), "/api/alerts/" + std::to_string(id));
    EXPECT_EQ(made.header("etag"), "\"1\"");
    EXPECT_EQ(a["version"].as_int(), 1);
    EXPECT_EQ(a["created_by"].as_string(), "api-key");
    EXPECT_EQ(a["target"].as_string(), "all");
    EXPECT_TRUE(a["dismissible"].as_bool()) << "the default";

    HttpResponse got = alert_api(_api, "GET", "/api/alerts/" + std::to_string(id));
    EXPECT_EQ(got.status, 200);
    EXPECT_EQ(got.header("etag"), "\"1\"");
    EXPECT_EQ(json_of(got)["title"].as_string(), "Maintenance");

    // A merge patch: one field changed, metadata merged member by member.
    HttpResponse patched =
        alert_api(_api, "PATCH", "/api/alerts/" + std::to_string(id),
                  R"({"title":"Maintenance moved","metadata":{"n":2},"version":1})");
    ASSERT_EQ(patched.status, 200) << patched.describe();
    Json p = json_of(patched);
    EXPECT_EQ(p["version"].as_int(), 2);
    EXPECT_EQ(p["title"].as_string(), "Maintenance moved");
    EXPECT_EQ(p["priority"].as_int(), 8) << "untouched fields stay";
    EXPECT_EQ(p["metadata"]["customType"].as_string(), "maintenance");
    EXPECT_EQ(p["metadata"]["n"].as_int(), 2);

    // A second admin still at version 1: refused, with the alert as it stands.
    HttpResponse stale = alert_api(_api, "PUT", "/api/alerts/" + std::to_string(id),
                                   R"({"title":"Overwrite","version":1})");
    EXPECT_EQ(stale.status, 409) << stale.describe();
    Json s = json_of(stale);
    EXPECT_EQ(s["error"]["code"].as_string(), "version_conflict");
    EXPECT_EQ(s["current"]["version"].as_int(), 2);
    EXPECT_EQ(s["current"]["title"].as_string(), "Maintenance moved");
    // If-Match works as the version does; without either, nothing is overwritten.
    Headers h = kApiKey;
    h.push_back({"If-Match", "\"2\""});
    HttpResponse put =
        alert_api(_api, "PUT", "/api/alerts/" + std::to_string(id), R"({"title":"Replaced"})", h);
    ASSERT_EQ(put.status, 200) << put.describe();
    EXPECT_EQ(json_of(put)["version"].as_int(), 3);
    EXPECT_FALSE(json_of(put)["metadata"].is_object()) << "PUT replaces the whole alert";
    HttpResponse blind =
        alert_api(_api, "PATCH", "/api/alerts/" + std::to_string(id), R"({"title":"Blind"})");
    EXPECT_EQ(blind.status, 400);
    EXPECT_EQ(json_of(blind)["error"]["field"].as_string(), "version");

    create(R"({"title":"Second","alert_type":"info"})");
    Json list = json_of(alert_api(_api, "GET", "/api/alerts"));
    EXPECT_EQ(list["total"].as_int(), 2);
    EXPECT_EQ(list["alerts"][0]["title"].as_string(), "Second") << "newest first";
    // The PUT replaced the whole alert: its type went back to the default.
    Json infos = json_of(alert_api(_api, "GET", "/api/alerts?type=info&limit=1"));
    EXPECT_EQ(infos["total"].as_int(), 2);
    EXPECT_EQ(infos["alerts"].size(), 1u);
    EXPECT_EQ(json_of(alert_api(_api, "GET", "/api/alerts?type=warning"))["total"].as_int(), 0);
    EXPECT_EQ(alert_api(_api, "GET", "/api/alerts?limit=0").status, 400);

    HttpResponse gone = alert_api(_api, "DELETE", "/api/alerts/" + std::to_string(id));
    EXPECT_EQ(gone.status, 200) << gone.describe();
    EXPECT_TRUE(json_of(gone)["deleted"].as_bool());
    EXPECT_EQ(alert_api(_api, "GET", "/api/alerts/" + std::to_string(id)).status, 404);
    EXPECT_EQ(alert_api(_api, "DELETE", "/api/alerts/" + std::to_string(id)).status, 404);
    EXPECT_EQ(alert_api(_api, "GET", "/api/alerts/abc").status, 404);
}

TEST_F(AlertsApi, EveryInvalidFieldIsNamed) {
    connect();
    struct Case {
        const char* body;
        const char* field;
    } cases[] = {
        {R"({"message":"no title"})", "title"},
        {R"({"title":"   "})", "title"},
        {R"({"title":"x","priority":11})", "priority"},
        {R"({"title":"x","alert_type":"purple"})", "alert_type"},
        {R"({"title":"x","expires_at":"tomorrow"})", "expires_at"},
        {R"({"title":"x","starts_at":"2030-01-02T00:00:00Z","expires_at":"2030-01-01T00:00:00Z"})",
         "expires_at"},
        {R"j({"title":"x","actions":[{"label":"go","url":"javascript:alert(1)"}]})j",
         "actions[0].url"},
        {R"j({"title":"x","actions":[{"label":"go","url":" JavaScript:alert(1)"}]})j",
         "actions[0].url"},
        {R"({"title":"x","actions":[{"label":"ok","url":"/a"},{"label":"go"}]})", "actions[1]"},
        {R"({"title":"x","id":5})", "id"},
        {R"({"title":"x","colour":"red"})", "colour"},
        {R"({"title":"x","target":"role-based"})", "targetRoles"},
    };
    for (const Case& c : cases) {
        HttpResponse r = alert_api(_api, "POST", "/api/alerts", c.body);
        EXPECT_EQ(r.status, 400) << c.body << ": " << r.describe();
        Json j = json_of(r);
        EXPECT_EQ(j["error"]["code"].as_string(), "invalid_field") << c.body;
        EXPECT_EQ(j["error"]["field"].as_string().rfind(c.field, 0), 0u)
            << c.body << ": field " << j["error"]["field"].as_string();
    }
    EXPECT_EQ(alert_api(_api, "POST", "/api/alerts", "not json").status, 400);
    EXPECT_EQ(json_of(alert_api(_api, "GET", "/api/alerts"))["total"].as_int(), 0)
        << "nothing refused was stored";
}

TEST_F(AlertsApi, OnlyKeysAdminsAndAdminRolesManageAlerts) {
    connect();
    const std::string body = R"({"title":"x"})";
    HttpResponse none = alert_api(_api, "POST", "/api/alerts", body, {});
    EXPECT_EQ(none.status, 401) << none.describe();
    HttpResponse user =
        alert_api(_api, "POST", "/api/alerts", body, bearer(token_of("7", {"customer"})));
    EXPECT_EQ(user.status, 403) << user.describe();
    EXPECT_EQ(json_of(user)["error"]["reason"].as_string(), "missing_admin_role");
    HttpResponse ops = alert_api(_api, "POST", "/api/alerts", body, bearer(token_of("8", {"ops"})));
    EXPECT_EQ(ops.status, 201) << ops.describe();
    EXPECT_EQ(json_of(ops)["created_by"].as_string(), "8");
    HttpResponse admin =
        alert_api(_api, "POST", "/api/alerts", body, bearer(token_of("9", {"admin"})));
    EXPECT_EQ(admin.status, 201) << admin.describe();
    // Reading the list is managing too; a user reads its own with /active.
    EXPECT_EQ(alert_api(_api, "GET", "/api/alerts", {}, bearer(token_of("7"))).status, 403);
    HttpResponse own = alert_api(_api, "GET", "/api/alerts/active", {}, bearer(token_of("7")));
    EXPECT_EQ(own.status, 200) << own.describe();
    EXPECT_EQ(json_of(own)["alerts"].size(), 2u);
}

TEST_F(AlertsApi, TheActiveLimitCountsOnlyAlertsNotExpired) {
    connect();
    for (int i = 0; i < 3; ++i)
        create(R"({"title":"live )" + std::to_string(i) + R"("})");
    HttpResponse r = alert_api(_api, "POST", "/api/alerts", R"({"title":"one too many"})");
    EXPECT_EQ(r.status, 409) << r.describe();
    EXPECT_EQ(json_of(r)["error"]["code"].as_string(), "too_many_alerts");
    // Already expired: it does not count, and is kept (for the list).
    HttpResponse past = alert_api(_api, "POST", "/api/alerts",
                                  R"({"title":"past","expires_at":"2020-01-01T00:00:00Z"})");
    EXPECT_EQ(past.status, 201) << past.describe();
    EXPECT_EQ(json_of(alert_api(_api, "GET", "/api/alerts?active=false"))["total"].as_int(), 1);
}

TEST(AlertsDurability, EveryAcknowledgedChangeSurvivesKill9) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = alerts_config()})) << d.error();
    HttpClient api(d.port());
    std::vector<int64_t> ids;
    for (int i = 0; i < 5; ++i) {
        HttpResponse r =
            alert_api(api, "POST", "/api/alerts",
                      R"({"title":"alert )" + std::to_string(i) + R"(","priority":3})");
        ASSERT_EQ(r.status, 201) << r.describe();
        ids.push_back(json_of(r)["id"].as_int());
    }
    ASSERT_EQ(alert_api(api, "PATCH", "/api/alerts/" + std::to_string(ids[1]),
                        R"({"title":"changed","version":1})")
                  .status,
              200);
    ASSERT_EQ(alert_api(api, "DELETE", "/api/alerts/" + std::to_string(ids[2])).status, 200);
    const std::string before = alert_api(api, "GET", "/api/alerts").body;
    ASSERT_TRUE(d.signal(SIGKILL));
    ASSERT_EQ(d.wait_exit(Deadline(kIoTimeout)), 128 + SIGKILL);
    ASSERT_TRUE(await_socket_refused(socket_path(d)));  // the next daemon may start

    DaemonProcess again;
    ASSERT_TRUE(again.start({.config = alerts_config(), .data_dir = d.data_dir()}))
        << again.error();
    HttpClient api2(again.port());
    const std::string after = alert_api(api2, "GET", "/api/alerts").body;
    EXPECT_EQ(json_of(alert_api(api2, "GET", "/api/alerts"))["total"].as_int(), 4);
    EXPECT_EQ(after, before);
    // Ids go on from where they were, never reused.
    Json next = json_of(alert_api(api2, "POST", "/api/alerts", R"({"title":"after"})"));
    EXPECT_GT(next["id"].as_int(), ids.back());
}

// A scheduled alert made before a restart starts and expires on time after it,
// with nobody acting: the restarted daemon's timers come from alerts.db.
TEST(AlertsDurability, AScheduledAlertStartsAndExpiresOnTimeAfterARestart) {
    DaemonProcess first, second;
    ASSERT_TRUE(first.start({.config = alerts_config()})) << first.error();
    HttpClient api(first.port());
    const int64_t now = unix_now_ms();
    const int64_t starts = now + 3000, expires = now + 4500;
    HttpResponse r = alert_api(api, "POST", "/api/alerts",
                               R"({"title":"window","starts_at":")" + iso(starts) +
                                   R"(","expires_at":")" + iso(expires) + R"("})");
    ASSERT_EQ(r.status, 201) << r.describe();
    const int64_t id = json_of(r)["id"].as_int();
    ASSERT_EQ(first.stop(), 0);

    ASSERT_TRUE(second.start({.config = alerts_config(), .data_dir = first.data_dir()}))
        << second.error();
    auto s = open_stream(second.port(), alerts_stream());
    size_t at = 1;
    auto listed = next_event(*s, "alerts", &at);
    ASSERT_TRUE(listed) << s->raw_body();
    ASSERT_LT(unix_now_ms(), starts) << "the restart took too long for this test";
    EXPECT_EQ(ids_of(listed->data), std::vector<int64_t>{}) << "shown before its start";
    auto start = next_event(*s, "alerts-update", &at, Deadline(std::chrono::seconds(10)));
    ASSERT_TRUE(start) << s->raw_body();
    const int64_t started_at = unix_now_ms();
    EXPECT_EQ(ids_of(start->data), std::vector<int64_t>{id});
    EXPECT_GE(started_at, starts);
    EXPECT_LT(started_at, starts + 1000) << "shown more than 1 s after its start";
    auto end = next_event(*s, "alerts-update", &at, Deadline(std::chrono::seconds(10)));
    ASSERT_TRUE(end) << s->raw_body();
    const int64_t ended_at = unix_now_ms();
    EXPECT_EQ(ids_of(end->data), std::vector<int64_t>{});
    EXPECT_GE(ended_at, expires);
    EXPECT_LT(ended_at, expires + 1000) << "still shown 1 s after it expired";
}

// The "update" events of an admin stream resumed from `last_id`, up to the
// `created` announcement of `marker` (an alert created after the restart).
std::vector<Json> updates_until_created(SseClient& admin, int64_t marker) {
    std::vector<Json> seen;
    size_t at = 1;
    while (auto e = next_event(admin, "update", &at)) {
        seen.push_back(json_of_text(e->data));
        if (seen.back()["alertId"].as_int() == marker &&
            seen.back()["action"].as_string() == "created")
            return seen;
    }
    ADD_FAILURE() << "no announcement of alert " << marker << ": " << admin.raw_body();
    return seen;
}

TEST(AlertsDurability, ExpiriesWhileDownAreAnnouncedOnceAfterTheRestart) {
    const std::string admin_target =
        "/api/sse/stream?channels=admin-actions&token=" + token_of("boss", {"admin"});
    // Each daemon is kept until the end: the first one's temporary directory
    // is the data directory of all three.
    DaemonProcess daemons[3];
    DaemonProcess* d = &daemons[0];
    auto kill9 = [](DaemonProcess& dead) {
        ASSERT_TRUE(dead.signal(SIGKILL));
        ASSERT_EQ(dead.wait_exit(Deadline(kIoTimeout)), 128 + SIGKILL);
        ASSERT_TRUE(await_socket_refused(socket_path(dead)));
    };
    ASSERT_TRUE(d->start({.config = alerts_config()})) << d->error();
    const std::string data_dir = d->data_dir();
    HttpClient api(d->port());
    auto admin = open_stream(d->port(), admin_target);
    const int64_t expires = unix_now_ms() + 1500;
    HttpResponse r =
        alert_api(api, "POST", "/api/alerts",
                  R"({"title":"ends while down","expires_at":")" + iso(expires) + R"("})");
    ASSERT_EQ(r.status, 201) << r.describe();
    const int64_t id = json_of(r)["id"].as_int();
    size_t at = 1;
    auto created = next_event(*admin, "update", &at);
    ASSERT_TRUE(created) << admin->raw_body();
    const std::string resume_from = created->last_event_id;
    kill9(*d);
    // Down while it expires: nothing to await but the clock.
    std::this_thread::sleep_until(
        std::chrono::system_clock::time_point(std::chrono::milliseconds(expires + 200)));

    // The restart tells admins once, by ringcastd (read by resuming from before
    // the crash, wherever the announcement falls around the stream's connect).
    d = &daemons[1];
    ASSERT_TRUE(d->start({.config = alerts_config(), .data_dir = data_dir})) << d->error();
    HttpClient api2(d->port());
    admin = open_stream(d->port(), admin_target, {{"Last-Event-ID", resume_from}});
    Json marker = json_of(alert_api(api2, "POST", "/api/alerts", R"({"title":"marker"})"));
    std::vector<Json> seen = updates_until_created(*admin, marker["id"].as_int());
    ASSERT_EQ(seen.size(), 2u) << admin->raw_body();
    EXPECT_EQ(seen[0]["type"].as_string(), "alert-updated");
    EXPECT_EQ(seen[0]["alertId"].as_int(), id);
    EXPECT_EQ(seen[0]["action"].as_string(), "expired");
    EXPECT_EQ(seen[0]["by"].as_string(), "ringcastd");
    EXPECT_GE(seen[0]["timestamp"].as_int(), expires);
    // The streams never showed it after its expiry: it is not in the list.
    Json active =
        json_of(alert_api(api2, "GET", "/api/alerts/active", {}, bearer(token_of("7"))))["alerts"];
    ASSERT_EQ(active.size(), 1u);
    EXPECT_EQ(active[0]["id"].as_int(), marker["id"].as_int());

    // Another kill -9 and restart: no second announcement.
    const std::string after_marker = admin->events().back().event.last_event_id;
    admin.reset();
    kill9(*d);
    d = &daemons[2];
    ASSERT_TRUE(d->start({.config = alerts_config(), .data_dir = data_dir})) << d->error();
    HttpClient api3(d->port());
    admin = open_stream(d->port(), admin_target, {{"Last-Event-ID", after_marker}});
    Json marker2 = json_of(alert_api(api3, "POST", "/api/alerts", R"({"title":"marker 2"})"));
    seen = updates_until_created(*admin, marker2["id"].as_int());
    ASSERT_EQ(seen.size(), 1u) << admin->raw_body();
}

}  // namespace
}  // namespace ringcast::itest
