// The alerts ops of the Unix socket (docs/protocol.md, "Alerts"): every op
// through the real daemon and its alerts.db, refusals naming their field, a
// version conflict with the current alert, the limit on active alerts, alerts
// disabled, and a socket-made change reaching a stream on the alerts channel.
#include <gtest/gtest.h>

#include "daemon_process.h"
#include "publish_support.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

// Whether `reply` is the refusal `code` of request `req`, naming `field` (if given).
std::string check_alert_error(const Json& reply, int64_t req, std::string_view code,
                              std::string_view field = {}) {
    if (!reply.is_object()) return "no reply";
    if (reply["req"].as_int() != req) return "another req";
    if (reply["ok"].as_bool()) return "ok, not refused";
    if (reply["error"]["code"].as_string() != code)
        return "code " + reply["error"]["code"].as_string() + ": " +
               reply["error"]["message"].as_string();
    if (reply["error"]["message"].as_string().empty()) return "no message";
    if (!field.empty() && reply["error"]["field"].as_string() != field)
        return "field \"" + reply["error"]["field"].as_string() + "\"";
    return {};
}

// `tmpl` with "{}" replaced by `id` and "{{" / "}}" by braces (fmt's syntax,
// which the tests do not link).
std::string with_id(std::string_view tmpl, int64_t id) {
    std::string out;
    for (size_t i = 0; i < tmpl.size(); ++i) {
        if (tmpl.substr(i, 2) == "{}") {
            out += std::to_string(id);
            ++i;
        } else if (tmpl.substr(i, 2) == "{{" || tmpl.substr(i, 2) == "}}") {
            out += tmpl[i];
            ++i;
        } else {
            out += tmpl[i];
        }
    }
    return out;
}

const char* kCreate =
    R"({"op":"alerts.create","req":1,"alert":{"title":"Maintenance","message":"at 22:00",)"
    R"("alert_type":"warning","priority":8,"actions":[{"label":"Status","url":"/status"}]}})";

TEST(AlertsSocket, EveryOpThroughTheRealStore) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();

    Json created = ask(c, kCreate);
    ASSERT_TRUE(created["ok"].as_bool()) << c.error();
    const Json& a = created["alert"];
    const int64_t id = a["id"].as_int();
    EXPECT_GT(id, 0);
    EXPECT_EQ(a["title"].as_string(), "Maintenance");
    EXPECT_EQ(a["alert_type"].as_string(), "warning");
    EXPECT_EQ(a["priority"].as_int(), 8);
    EXPECT_EQ(a["version"].as_int(), 1);
    EXPECT_EQ(a["created_by"].as_string(), "socket");
    EXPECT_EQ(a["updated_by"].as_string(), "socket");

    Json got = ask(c, with_id(R"({{"op":"alerts.get","req":2,"id":{}}})", id));
    ASSERT_TRUE(got["ok"].as_bool());
    EXPECT_TRUE(json_equal(got["alert"], a)) << "get answers the alert as created";

    Json list = ask(c, R"({"op":"alerts.list","req":3,"active":true,"type":"warning"})");
    ASSERT_TRUE(list["ok"].as_bool());
    EXPECT_EQ(list["total"].as_int(), 1);
    EXPECT_EQ(list["limit"].as_int(), 50);
    EXPECT_EQ(list["offset"].as_int(), 0);
    ASSERT_EQ(list["alerts"].size(), 1u);
    EXPECT_EQ(list["alerts"][0]["id"].as_int(), id);
    EXPECT_EQ(ask(c, R"({"op":"alerts.list","req":4,"type":"info"})")["total"].as_int(), 0);
    EXPECT_EQ(ask(c, R"({"op":"alerts.list","req":5,"active":false})")["total"].as_int(), 0);

    // update: PUT semantics, fields left out take their defaults.
    Json updated = ask(c, with_id(R"({{"op":"alerts.update","req":6,"id":{},"version":1,)"
                                  R"("alert":{{"title":"Maintenance moved"}}}})",
                                  id));
    ASSERT_TRUE(updated["ok"].as_bool()) << updated["error"]["message"].as_string();
    EXPECT_EQ(updated["alert"]["version"].as_int(), 2);
    EXPECT_EQ(updated["alert"]["title"].as_string(), "Maintenance moved");
    EXPECT_EQ(updated["alert"]["alert_type"].as_string(), "info");
    EXPECT_FALSE(updated["alert"].has("message"));

    // A writer that edited version 1 is refused with the alert as it stands.
    Json stale = ask(c, with_id(R"({{"op":"alerts.patch","req":7,"id":{},"version":1,)"
                                R"("patch":{{"priority":2}}}})",
                                id));
    EXPECT_EQ(check_alert_error(stale, 7, "version_conflict"), "");
    EXPECT_TRUE(json_equal(stale["current"], updated["alert"]));

    Json patched = ask(c, with_id(R"({{"op":"alerts.patch","req":8,"id":{},"version":2,)"
                                  R"("patch":{{"priority":2,"metadata":{{"k":1}}}}}})",
                                  id));
    ASSERT_TRUE(patched["ok"].as_bool()) << patched["error"]["message"].as_string();
    EXPECT_EQ(patched["alert"]["version"].as_int(), 3);
    EXPECT_EQ(patched["alert"]["priority"].as_int(), 2);
    EXPECT_EQ(patched["alert"]["title"].as_string(), "Maintenance moved");
    EXPECT_EQ(patched["alert"]["metadata"]["k"].as_int(), 1);

    EXPECT_EQ(check_alert_error(ask(c, with_id(R"({{"op":"alerts.delete","req":9,"id":{},)"
                                               R"("version":2}})",
                                               id)),
                                9, "version_conflict"),
              "");
    Json deleted = ask(c, with_id(R"({{"op":"alerts.delete","req":10,"id":{}}})", id));
    ASSERT_TRUE(deleted["ok"].as_bool());
    EXPECT_EQ(deleted["id"].as_int(), id);
    EXPECT_TRUE(deleted["deleted"].as_bool());
    EXPECT_EQ(check_alert_error(ask(c, with_id(R"({{"op":"alerts.get","req":11,"id":{}}})", id)),
                                11, "not_found"),
              "");
    EXPECT_EQ(check_alert_error(ask(c, with_id(R"({{"op":"alerts.delete","req":12,"id":{}}})", id)),
                                12, "not_found"),
              "");
    EXPECT_EQ(ask(c, R"({"op":"alerts.list","req":13})")["total"].as_int(), 0);
}

TEST(AlertsSocket, RefusalsNameTheField) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    struct Case {
        std::string line;
        const char* code;
        const char* field;
    };
    const std::vector<Case> cases = {
        {R"({"op":"alerts.create","req":1,"alert":{"title":""}})", "invalid_field", "title"},
        {R"({"op":"alerts.create","req":1,"alert":{"title":"x","priority":11}})", "invalid_field",
         "priority"},
        {R"({"op":"alerts.create","req":1,"alert":{"title":"x","actions":[{"label":"a",)"
         R"("url":"javascript:go"}]}})",
         "invalid_field", "actions[0].url"},
        {R"({"op":"alerts.create","req":1,"alert":{"title":"x","id":4}})", "invalid_field", "id"},
        {R"({"op":"alerts.create","req":1,"alert":"x"})", "invalid_field", "alert"},
        {R"({"op":"alerts.create","req":1,"title":"x"})", "invalid_field", "title"},
        {R"({"op":"alerts.get","req":1})", "invalid_field", "id"},
        {R"({"op":"alerts.get","req":1,"id":"7"})", "invalid_field", "id"},
        {R"({"op":"alerts.get","req":1,"id":0})", "invalid_field", "id"},
        {R"({"op":"alerts.delete","req":1,"id":1,"version":-1})", "invalid_field", "version"},
        {R"({"op":"alerts.patch","req":1,"id":1,"patch":[]})", "invalid_field", "patch"},
        {R"({"op":"alerts.list","req":1,"limit":0})", "invalid_field", "limit"},
        {R"({"op":"alerts.list","req":1,"limit":501})", "invalid_field", "limit"},
        {R"({"op":"alerts.list","req":1,"active":"yes"})", "invalid_field", "active"},
        {R"({"op":"alerts.refresh","req":1,"reason":5})", "invalid_field", "reason"},
        {R"({"op":"alerts.preview","req":1,"alert":{"title":"x","target":"nobody"}})",
         "invalid_field", "target"},
        {R"({"op":"alerts.get","req":1,"id":99})", "not_found", ""},
        {R"({"op":"alerts.dismiss","req":1,"id":1})", "unknown_op", ""},
    };
    for (const Case& k : cases) {
        auto reply = c.request(k.line);
        ASSERT_TRUE(reply) << c.error();
        EXPECT_EQ(check_alert_error(parse_reply(*reply), 1, k.code, k.field), "") << k.line << "\n"
                                                                                  << *reply;
    }

    Json created = ask(c, R"({"op":"alerts.create","req":2,"alert":{"title":"x"}})");
    ASSERT_TRUE(created["ok"].as_bool());
    // PUT semantics take the version the writer edited: none is refused.
    EXPECT_EQ(check_alert_error(ask(c, R"({"op":"alerts.update","req":3,"id":1,)"
                                       R"("alert":{"title":"y"}})"),
                                3, "invalid_field", "version"),
              "");

    // Without "req": a change is made silently, a refusal still reported by line.
    UnixClient quiet;
    ASSERT_TRUE(quiet.connect(socket_path(d))) << quiet.error();
    ASSERT_TRUE(quiet.send(R"({"op":"alerts.patch","id":1,"version":1,"patch":{"icon":"i"}})"
                           "\n"
                           R"({"op":"alerts.create","alert":{"title":""}})"
                           "\n"));
    auto line = quiet.read_line();
    ASSERT_TRUE(line) << quiet.error();
    EXPECT_EQ(check_error_reply(*line, "", "invalid_field", 2), "") << *line;
    EXPECT_EQ(ask(quiet, R"({"op":"alerts.get","req":4,"id":1})")["alert"]["icon"].as_string(),
              "i");
}

TEST(AlertsSocket, MaxActiveIsTooManyAlerts) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = "[alerts]\nmax_active = 1\n"})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    ASSERT_TRUE(ask(c, kCreate)["ok"].as_bool());
    EXPECT_EQ(check_alert_error(ask(c, kCreate), 1, "too_many_alerts"), "");
}

TEST(AlertsSocket, DisabledAlertsAreNotConfigured) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = "[alerts]\nenabled = false\n"})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    for (const char* line : {kCreate, R"({"op":"alerts.list","req":1})"}) {
        Json reply = ask(c, line);
        EXPECT_EQ(check_alert_error(reply, 1, "not_configured"), "") << line;
        EXPECT_NE(reply["error"]["message"].as_string().find("alerts.enabled = false"),
                  std::string::npos);
    }
}

TEST(AlertsSocket, ASocketMadeAlertReachesTheStreams) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=alerts")) << s.error();
    auto has = [&](std::string_view type, std::string_view text) {
        for (const ReceivedEvent& e : s.events())
            if (e.event.type == type && e.event.data.find(text) != std::string::npos) return true;
        return false;
    };
    ASSERT_TRUE(s.read_until([&] { return has("alerts", "[]"); }, Deadline(5s)));
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();

    Json preview = ask(c, R"({"op":"alerts.preview","req":1,"alert":{"title":"x"}})");
    ASSERT_TRUE(preview["ok"].as_bool()) << preview["error"]["message"].as_string();
    EXPECT_EQ(preview["streams"].as_int(), 1) << "the one stream, on whichever shard";
    EXPECT_EQ(preview["users"].as_int(), 0) << "it is anonymous";
    EXPECT_EQ(ask(c, R"({"op":"alerts.preview","req":2,"alert":{"title":"x",)"
                     R"("target":"authenticated"}})")["streams"]
                  .as_int(),
              0);

    ASSERT_TRUE(ask(c, kCreate)["ok"].as_bool());
    ASSERT_TRUE(s.read_until([&] { return has("alert", "\"Maintenance\""); }, Deadline(5s)));
    ASSERT_TRUE(
        s.read_until([&] { return has("alerts-update", "\"Maintenance\""); }, Deadline(5s)));

    Json refreshed = ask(c, R"({"op":"alerts.refresh","req":3,"reason":"socket-test"})");
    ASSERT_TRUE(refreshed["ok"].as_bool());
    EXPECT_TRUE(refreshed["refreshed"].as_bool());
    ASSERT_TRUE(
        s.read_until([&] { return has("alerts-refresh", "\"socket-test\""); }, Deadline(5s)));
}

}  // namespace
}  // namespace ringcast::itest
