// `ringcast alerts` against the real daemon: create from flags (targeting,
// actions, metadata) and from --json-body, the table and --json of list and
// show, update as a merge patch of the flags given, a stale --version refused
// with exit 1 and the current alert printed, a refused field named, preview,
// refresh reaching a stream, delete, and usage errors before connecting.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "cli_support.h"
#include "daemon_process.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

using Strings = std::vector<std::string>;

TEST(CliAlerts, CreateListShowUpdateDelete) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    CliRun created = run_on(d, {"alerts",       "create",
                                "--title",      "Maintenance",
                                "--message",    "at 22:00",
                                "--type",       "warning",
                                "--priority",   "8",
                                "--role",       "customer",
                                "--exclude",    "42",
                                "--expires-at", "2030-01-01T00:00:00Z",
                                "--action",     "Status=https://status.example.com",
                                "--action",     "Remind=remind",
                                "--metadata",   R"({"customType":"maintenance"})",
                                "--json"});
    ASSERT_EQ(created.code, 0) << created.describe();
    Json a = parse_json(created.out);
    ASSERT_TRUE(a["ok"].as_bool());
    const Json& alert = a["alert"];
    EXPECT_EQ(alert["id"].as_int(), 1);
    EXPECT_EQ(alert["alert_type"].as_string(), "warning");
    EXPECT_EQ(alert["priority"].as_int(), 8);
    EXPECT_EQ(alert["target"].as_string(), "role-based");
    EXPECT_EQ(alert["targetRoles"][0].as_string(), "customer");
    EXPECT_EQ(alert["excludeUsers"][0].as_string(), "42");
    EXPECT_EQ(alert["expires_at"].as_string(), "2030-01-01T00:00:00.000Z");
    EXPECT_EQ(alert["actions"][0]["url"].as_string(), "https://status.example.com");
    EXPECT_EQ(alert["actions"][1]["action"].as_string(), "remind");
    EXPECT_EQ(alert["metadata"]["customType"].as_string(), "maintenance");
    EXPECT_EQ(alert["created_by"].as_string(), "socket");

    CliRun second = run_on(d, {"alerts", "create", "--json-body", "-"},
                           {.stdin_text = R"({"title": "Welcome", "priority": 2})"});
    ASSERT_EQ(second.code, 0) << second.describe();
    EXPECT_TRUE(contains(second.out, "created alert 2 (version 1)")) << second.out;

    CliRun list = run_on(d, {"alerts", "list"});
    ASSERT_EQ(list.code, 0) << list.describe();
    auto lines = lines_of(list.out);
    ASSERT_EQ(lines.size(), 3u) << list.out;
    EXPECT_TRUE(lines[0].starts_with("ID")) << "a header first:\n" << list.out;
    EXPECT_EQ(row_of(lines, "1"),
              (Strings{"1", "warning", "8", "active", "Maintenance", "-",
                       "2030-01-01T00:00:00.000Z", "role-based:customer", "1"}));
    EXPECT_EQ(row_of(lines, "2").size(), 9u) << "newest first: " << lines[1];
    EXPECT_TRUE(lines[1].starts_with("2 ")) << list.out;

    Json paged = parse_json(run_on(d, {"alerts", "list", "--type", "warning", "--json"}).out);
    EXPECT_EQ(paged["total"].as_int(), 1);
    EXPECT_EQ(paged["alerts"][0]["id"].as_int(), 1);

    CliRun updated = run_on(d, {"alerts", "update", "1", "--version", "1", "--priority", "9"});
    ASSERT_EQ(updated.code, 0) << updated.describe();
    EXPECT_TRUE(contains(updated.out, "updated alert 1 (now version 2)")) << updated.out;
    Json shown = parse_json(run_on(d, {"alerts", "show", "1", "--json"}).out)["alert"];
    EXPECT_EQ(shown["priority"].as_int(), 9);
    EXPECT_EQ(shown["title"].as_string(), "Maintenance") << "only the fields given change";

    CliRun show = run_on(d, {"alerts", "show", "1"});
    ASSERT_EQ(show.code, 0) << show.describe();
    EXPECT_EQ(row_of(lines_of(show.out), "title"), (Strings{"title", "Maintenance"}));
    EXPECT_EQ(row_of(lines_of(show.out), "version"), (Strings{"version", "2"}));

    CliRun deleted = run_on(d, {"alerts", "delete", "1", "--version", "2"});
    ASSERT_EQ(deleted.code, 0) << deleted.describe();
    EXPECT_TRUE(contains(deleted.out, "deleted alert 1"));
    CliRun gone = run_on(d, {"alerts", "show", "1"});
    EXPECT_EQ(gone.code, 1) << gone.describe();
    EXPECT_TRUE(contains(gone.err, "not_found")) << gone.err;
}

TEST(CliAlerts, AStaleVersionExitsOneAndPrintsTheCurrentAlert) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1})) << d.error();
    ASSERT_EQ(run_on(d, {"alerts", "create", "--title", "one"}).code, 0);
    ASSERT_EQ(run_on(d, {"alerts", "update", "1", "--version", "1", "--title", "two"}).code, 0);

    CliRun stale = run_on(d, {"alerts", "update", "1", "--version", "1", "--title", "three"});
    EXPECT_EQ(stale.code, 1) << stale.describe();
    EXPECT_TRUE(contains(stale.err, "version_conflict")) << stale.err;
    EXPECT_TRUE(contains(stale.out, "alert 1 as it stands (version 2)")) << stale.out;
    EXPECT_EQ(row_of(lines_of(stale.out), "title"), (Strings{"title", "two"}));

    CliRun json = run_on(d, {"alerts", "delete", "1", "--version", "1", "--json"});
    EXPECT_EQ(json.code, 1) << json.describe();
    Json j = parse_json(json.out);
    EXPECT_FALSE(j["ok"].as_bool());
    EXPECT_EQ(j["error"]["code"].as_string(), "version_conflict");
    EXPECT_EQ(j["current"]["version"].as_int(), 2);
    EXPECT_EQ(j["current"]["title"].as_string(), "two");
}

TEST(CliAlerts, RefusedFieldsAndUsageErrors) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1})) << d.error();
    CliRun bad =
        run_on(d, {"alerts", "create", "--title", "x", "--action", "Go=javascript:go", "--json"});
    EXPECT_EQ(bad.code, 1) << bad.describe();
    Json j = parse_json(bad.out);
    EXPECT_EQ(j["error"]["code"].as_string(), "invalid_field");
    EXPECT_EQ(j["error"]["field"].as_string(), "actions[0].url");
    CliRun priority = run_on(d, {"alerts", "create", "--title", "x", "--priority", "11"});
    EXPECT_EQ(priority.code, 1) << priority.describe();
    EXPECT_TRUE(contains(priority.err, "(field priority)")) << priority.err;

    struct Usage {
        Strings args;
        std::string mentions;
    };
    const std::vector<Usage> usage = {
        {{"alerts", "create"}, "--json-body"},
        {{"alerts", "create", "--title", "x", "--json-body", "-"}, "not both"},
        {{"alerts", "create", "--title", "x", "--metadata", "{nope"}, "--metadata"},
        {{"alerts", "create", "--title", "x", "--action", "nolabel"}, "LABEL=URL"},
        {{"alerts", "update", "1", "--title", "x"}, "--version"},
        {{"alerts", "list", "--active", "--inactive"}, "not both"},
        {{"alerts", "frobnicate"}, "frobnicate"},
    };
    for (const Usage& u : usage) {
        CliRun r = run_on(d, u.args);
        EXPECT_EQ(r.code, 2) << r.describe();
        EXPECT_TRUE(contains(r.out + r.err, u.mentions)) << u.mentions << "\n" << r.describe();
    }
}

TEST(CliAlerts, PreviewAndRefreshReachTheStreams) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=alerts")) << s.error();
    ASSERT_TRUE(s.read_until(
        [&] {
            for (const ReceivedEvent& e : s.events())
                if (e.event.type == "alerts") return true;
            return false;
        },
        Deadline(5s)));

    CliRun preview = run_on(d, {"alerts", "preview", "--title", "x"});
    ASSERT_EQ(preview.code, 0) << preview.describe();
    EXPECT_TRUE(contains(preview.out, "reaches 1 stream(s) of 0 user(s)")) << preview.out;
    Json none = parse_json(
        run_on(d, {"alerts", "preview", "--title", "x", "--role", "admin", "--json"}).out);
    EXPECT_EQ(none["streams"].as_int(), 0);

    CliRun refresh = run_on(d, {"alerts", "refresh", "--reason", "from-cli"});
    ASSERT_EQ(refresh.code, 0) << refresh.describe();
    EXPECT_TRUE(s.read_until(
        [&] {
            for (const ReceivedEvent& e : s.events())
                if (e.event.type == "alerts-refresh" && contains(e.event.data, "\"from-cli\""))
                    return true;
            return false;
        },
        Deadline(5s)));
}

}  // namespace
}  // namespace ringcast::itest
