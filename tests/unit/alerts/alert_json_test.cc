// Alerts in JSON: what admins send (create, replace, merge patch), each way of
// getting it wrong with the field the error names, and the stored text read back.
#include "alerts/alert_json.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

struct Outcome {
    bool ok = false;
    Alert alert;
    uint64_t version = 0;
    std::string error;
    std::string field;
};

simdjson::dom::object object_of(simdjson::dom::parser& parser, std::string_view text) {
    simdjson::dom::object obj;
    EXPECT_EQ(parser.parse(text.data(), text.size(), true).get_object().get(obj), simdjson::SUCCESS)
        << text;
    return obj;
}

Outcome parse(std::string_view body, const AlertLimits& limits = {}) {
    simdjson::dom::parser parser;
    Outcome o;
    o.ok = parse_alert_input(object_of(parser, body), limits, &o.alert, &o.version, &o.error,
                             &o.field);
    return o;
}

Outcome patch(const Alert& current, std::string_view body, const AlertLimits& limits = {}) {
    simdjson::dom::parser parser;
    Outcome o;
    o.ok = merge_patch_alert(current, object_of(parser, body), limits, &o.alert, &o.version,
                             &o.error, &o.field);
    return o;
}

// A create body: a title plus `extra` members.
std::string with(std::string_view extra) {
    return std::string(R"({"title":"T")") + (extra.empty() ? "" : ",") + std::string(extra) + "}";
}

TEST(AlertJson, DefaultsOfEveryOptionalField) {
    Outcome o = parse(R"({"title":"Maintenance"})");
    ASSERT_TRUE(o.ok) << o.error;
    Alert expected;
    expected.title = "Maintenance";
    EXPECT_EQ(o.alert, expected);
    EXPECT_EQ(o.alert.alert_type, "info");
    EXPECT_EQ(o.alert.priority, 5);
    EXPECT_TRUE(o.alert.dismissible);
    EXPECT_FALSE(o.alert.persistent);
    EXPECT_EQ(o.alert.target.kind, Target::Kind::all);
    EXPECT_EQ(o.version, 0u);
    // null is the default too, for every field but the title.
    Outcome n = parse(with(
        R"("message":null,"details":null,"alert_type":null,"priority":null,"icon":null,
           "dismissible":null,"persistent":null,"starts_at":null,"expires_at":null,
           "actions":null,"metadata":null,"target":null,"excludeUsers":null,"version":null)"));
    ASSERT_TRUE(n.ok) << n.error;
    expected.title = "T";
    EXPECT_EQ(n.alert, expected);
}

TEST(AlertJson, EveryFieldAnAdminSets) {
    Outcome o = parse(R"({"title":"Maintenance","message":"Tonight","details":"All services",
        "alert_type":"warning","priority":8,"icon":"wrench","dismissible":false,"persistent":true,
        "starts_at":"2026-12-24T22:00:00Z","expires_at":"2026-12-25T02:00:00.250+01:00",
        "actions":[{"label":"Status","url":"https://status.example.com","style":"link"},
                   {"label":"Undo","action":"undo"}],
        "metadata":{"customType":"maint", "customData": [1, 2]},
        "target":"role-based","targetRoles":["admin"],"excludeUsers":[7],"requireAuth":true,
        "version":3})");
    ASSERT_TRUE(o.ok) << o.error;
    const Alert& a = o.alert;
    EXPECT_EQ(a.message, "Tonight");
    EXPECT_EQ(a.details, "All services");
    EXPECT_EQ(a.alert_type, "warning");
    EXPECT_EQ(a.priority, 8);
    EXPECT_EQ(a.icon, "wrench");
    EXPECT_FALSE(a.dismissible);
    EXPECT_TRUE(a.persistent);
    EXPECT_EQ(a.starts_at_ms, 1798149600000);
    EXPECT_EQ(a.expires_at_ms, 1798160400250);
    ASSERT_EQ(a.actions.size(), 2u);
    EXPECT_EQ(a.actions[0], (AlertAction{"Status", "https://status.example.com", "", "link"}));
    EXPECT_EQ(a.actions[1], (AlertAction{"Undo", "", "undo", ""}));
    EXPECT_EQ(a.metadata, R"({"customType":"maint","customData":[1,2]})");
    EXPECT_EQ(a.target.kind, Target::Kind::roles);
    EXPECT_EQ(a.target.roles, std::vector<std::string>{"admin"});
    EXPECT_EQ(a.target.exclude, std::vector<std::string>{"7"});
    EXPECT_TRUE(a.target.require_auth);
    EXPECT_EQ(o.version, 3u);
    EXPECT_EQ(a.version, 0u) << "the version edited is the caller's, not the alert's";
}

struct Bad {
    std::string body;
    std::string field;
    std::string error;  // the start of the message
};

TEST(AlertJson, EachValidationErrorNamesItsField) {
    AlertLimits limits;
    limits.custom_types = {"maintenance"};
    const std::string long_title(201, 't');
    const std::vector<Bad> cases = {
        {R"({"message":"no title"})", "title", "\"title\" is required"},
        {R"({"title":""})", "title", "\"title\" must not be empty or blank"},
        {R"({"title":" \t "})", "title", "\"title\" must not be empty or blank"},
        {R"({"title":5})", "title", "\"title\" must be a string"},
        {R"({"title":")" + long_title + "\"}", "title",
         "\"title\" must be at most 200 bytes (it has 201)"},
        {with(R"("message":")" + std::string(2001, 'm') + "\""), "message",
         "\"message\" must be at most 2000 bytes"},
        {with(R"("details":")" + std::string(10001, 'd') + "\""), "details",
         "\"details\" must be at most 10000 bytes"},
        {with(R"("icon":")" + std::string(101, 'i') + "\""), "icon",
         "\"icon\" must be at most 100 bytes"},
        {with(R"("alert_type":"critical")"), "alert_type",
         R"("alert_type" must be one of "info", "warning", "error", "success", "maintenance")"},
        {with(R"("alert_type":"")"), "alert_type", "\"alert_type\" must be one of"},
        {with(R"("priority":11)"), "priority", "\"priority\" must be an integer from 0 to 10"},
        {with(R"("priority":-1)"), "priority", "\"priority\" must be an integer from 0 to 10"},
        {with(R"("priority":2.5)"), "priority", "\"priority\" must be an integer from 0 to 10"},
        {with(R"("priority":"5")"), "priority", "\"priority\" must be an integer from 0 to 10"},
        {with(R"("dismissible":"yes")"), "dismissible", "\"dismissible\" must be true or false"},
        {with(R"("persistent":1)"), "persistent", "\"persistent\" must be true or false"},
        {with(R"("starts_at":"2026-12-24 22:00")"), "starts_at",
         "\"starts_at\" must be an ISO 8601 time"},
        {with(R"("expires_at":1798149600000)"), "expires_at",
         "\"expires_at\" must be an ISO 8601 time"},
        {with(R"("starts_at":"1970-01-01T00:00:00Z")"), "starts_at",
         "\"starts_at\" must be after 1970-01-01T00:00:00Z"},
        {with(R"("starts_at":"2026-12-24T22:00:00Z","expires_at":"2026-12-24T23:00:00+01:00")"),
         "expires_at", "\"expires_at\" must be after \"starts_at\""},
        {with(R"("actions":{"label":"x"})"), "actions", "\"actions\" must be an array"},
        {with(R"("actions":[{"label":"a","action":"a"},{"label":"b","action":"b"},)"
              R"({"label":"c","action":"c"},{"label":"d","action":"d"},)"
              R"({"label":"e","action":"e"},{"label":"f","action":"f"}])"),
         "actions", "\"actions\" may hold at most 5 actions (it has 6)"},
        {with(R"("actions":["Open"])"), "actions[0]", "\"actions[0]\" must be an object"},
        {with(R"("actions":[{"label":"a","action":"a"},{"url":"/x"}])"), "actions[1].label",
         "\"actions[1].label\" is required"},
        {with(R"("actions":[{"label":"","url":"/x"}])"), "actions[0].label",
         "\"actions[0].label\" must not be empty"},
        {with(R"("actions":[{"label":")" + std::string(101, 'l') + R"(","url":"/x"}])"),
         "actions[0].label", "\"actions[0].label\" must be at most 100 bytes"},
        {with(R"("actions":[{"label":"a"}])"), "actions[0]",
         "\"actions[0]\" needs a \"url\" to open or an \"action\" name"},
        {with(R"("actions":[{"label":"a","url":"/x","action":"go"}])"), "actions[0]",
         "\"actions[0]\" must have either \"url\" or \"action\", not both"},
        {with(R"("actions":[{"label":"a","action":""}])"), "actions[0].action",
         "\"actions[0].action\" must not be empty"},
        {with(R"("actions":[{"label":"a","url":"/x","style":"bold"}])"), "actions[0].style",
         R"("actions[0].style" must be one of "primary", "secondary", "danger", "link")"},
        {with(R"("actions":[{"label":"a","url":"/x","onclick":"go"}])"), "actions[0].onclick",
         "unknown field \"actions[0].onclick\" (supported: label, url, action, style)"},
        {with(R"("actions":[{"label":"a","url":"/)" + std::string(2048, 'u') + "\"}]"),
         "actions[0].url", "\"actions[0].url\" must be at most 2048 bytes"},
        {with(R"("metadata":")" + std::string(16383, 'm') + "\""), "metadata",
         "\"metadata\" must be at most 16384 bytes of compact JSON (it has 16385)"},
        {with(R"("target":"everyone")"), "target", "\"target\" must be one of"},
        {with(R"("target":"user-specific")"), "targetUsers",
         "target \"user-specific\" needs a non-empty \"targetUsers\""},
        {with(R"("target":"all","targetRoles":["admin"])"), "targetRoles",
         R"("targetRoles" is only used with target "role-based" (target is "all"))"},
        {with(R"("targetUsers":[1],"targetRoles":["a"])"), "target",
         "give \"target\" when more than one of"},
        {with(R"("excludeUsers":[""])"), "excludeUsers", "\"excludeUsers\" holds something"},
        {with(R"("requireAuth":"yes")"), "requireAuth", "\"requireAuth\" must be true or false"},
        {with(R"("version":-1)"), "version", "\"version\" must be a non-negative integer"},
        {with(R"("version":"3")"), "version", "\"version\" must be a non-negative integer"},
        {with(R"("colour":"red")"), "colour",
         "unknown field \"colour\" (supported: title, message, details, alert_type, priority, "
         "icon, dismissible, persistent, starts_at, expires_at, actions, metadata, target, "
         "targetUsers, targetRoles, targetPermissions, excludeUsers, requireAuth, version)"},
    };
    for (const Bad& c : cases) {
        Outcome o = parse(c.body, limits);
        EXPECT_FALSE(o.ok) << c.body;
        EXPECT_EQ(o.field, c.field) << c.body << ": " << o.error;
        EXPECT_EQ(o.error.rfind(c.error, 0), 0u) << c.body << "\n  got: " << o.error;
    }
}

TEST(AlertJson, LimitsComeFromTheConfiguration) {
    AlertLimits limits;
    limits.max_title = 3;
    limits.max_actions = 0;
    EXPECT_TRUE(parse(R"({"title":"abc"})", limits).ok);
    EXPECT_EQ(parse(R"({"title":"abcd"})", limits).field, "title");
    EXPECT_EQ(parse(R"({"title":"a","actions":[{"label":"x","url":"/"}]})", limits).field,
              "actions");
    EXPECT_EQ(parse(R"({"title":"a","actions":[]})", limits).error, "")
        << "an empty list is no actions";
    EXPECT_EQ(parse(R"({"title":"a","alert_type":"maintenance"})").field, "alert_type");
    limits.custom_types = {"maintenance"};
    EXPECT_TRUE(parse(R"({"title":"a","alert_type":"maintenance"})", limits).ok);
    // Limits are bytes, not characters: "é" is two.
    limits.max_title = 4;
    EXPECT_TRUE(parse(R"({"title":"éé"})", limits).ok);
    EXPECT_EQ(parse(R"({"title":"ééa"})", limits).field, "title");
}

TEST(AlertJson, ServerFieldsAreRefusedByName) {
    for (const char* key : {"id", "created_at", "updated_at", "created_by", "updated_by"}) {
        Outcome o = parse(with(std::string("\"") + key + "\":null"));
        EXPECT_FALSE(o.ok) << key;
        EXPECT_EQ(o.field, key);
        EXPECT_EQ(o.error.rfind(std::string("\"") + key + "\" is set by the server", 0), 0u)
            << o.error;
        Outcome p = patch(Alert{.title = "T"}, std::string("{\"") + key + "\":1}");
        EXPECT_FALSE(p.ok) << key;
        EXPECT_EQ(p.field, key);
        EXPECT_EQ(p.error.rfind(std::string("\"") + key + "\" is set by the server", 0), 0u)
            << p.error;
    }
}

TEST(AlertJson, ARepeatedKeyCountsOnceWithItsFirstValue) {
    Outcome o = parse(R"({"title":"first","title":"","priority":1,"priority":"x"})");
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.alert.title, "first");
    EXPECT_EQ(o.alert.priority, 1);
}

struct UrlCase {
    const char* url;
    bool ok;
};

TEST(AlertJson, ActionUrlsAreHttpOrRelativeOnly) {
    const UrlCase cases[] = {
        {"https://status.example.com", true},
        {"http://example.com/a?b=c#d", true},
        {"HTTPS://EXAMPLE.COM", true},
        {"hTtP://example.com", true},
        {"/settings", true},
        {"/", true},
        {"./next", true},
        {"../up", true},
        {"?tab=2", true},
        {"#details", true},
        {"/caf\u00e9", true},
        {"javascript:alert(1)", false},
        {"JavaScript:alert(1)", false},
        {"JAVASCRIPT:alert(1)", false},
        {" javascript:alert(1)", false},
        {"\\tjavascript:alert(1)", false},
        {"\\u0001javascript:alert(1)", false},
        {"java\\tscript:alert(1)", false},
        {"java\\nscript:alert(1)", false},
        {"\\u00a0javascript:alert(1)", false},
        {"data:text/html,<script>alert(1)</script>", false},
        {"vbscript:msgbox(1)", false},
        {"file:///etc/passwd", false},
        {"mailto:ops@example.com", false},
        {"ftp://example.com", false},
        {"https:example.com", false},
        {"http://", false},
        {"https:///evil.example", false},
        {"//evil.example", false},
        {"/\\\\evil.example", false},
        {"/\\t/evil.example", false},
        {"/ spaces", false},
        {"page.html", false},
        {".", false},
        {"", false},
        {"https://example.com/\\u007f", false},
    };
    for (const UrlCase& c : cases) {
        Outcome o =
            parse(with(std::string(R"("actions":[{"label":"Go","url":")") + c.url + "\"}]"));
        EXPECT_EQ(o.ok, c.ok) << c.url << ": " << o.error;
        if (!c.ok) {
            EXPECT_EQ(o.field, "actions[0].url") << c.url;
            EXPECT_EQ(o.error.rfind("\"actions[0].url\" ", 0), 0u) << o.error;
        }
    }
    EXPECT_EQ(parse(with(R"j("actions":[{"label":"Go","url":"javascript:alert(1)"}])j")).error,
              "\"actions[0].url\" must be an http:// or https:// URL, or a relative one starting "
              "with \"/\", \"./\", \"../\", \"?\" or \"#\"");
}

TEST(AlertJson, TargetingIsThatOfAPublish) {
    Outcome u = parse(with(R"("targetUsers":[7,"7","ann"])"));
    ASSERT_TRUE(u.ok) << u.error;
    EXPECT_EQ(u.alert.target.kind, Target::Kind::users) << "a single list says the kind";
    EXPECT_EQ(u.alert.target.users, (std::vector<std::string>{"7", "ann"}));
    Outcome p = parse(with(R"("target":"permission-based","targetPermissions":["ops.read"])"));
    ASSERT_TRUE(p.ok) << p.error;
    EXPECT_EQ(p.alert.target.permissions, std::vector<std::string>{"ops.read"});
    for (const char* kind : {"authenticated", "subscribers", "all"})
        EXPECT_TRUE(parse(with(std::string(R"("target":")") + kind + "\"")).ok) << kind;
}

Alert stored_alert() {
    Alert a;
    a.id = 42;
    a.title = "Maintenance \"tonight\"";
    a.message = "Line one\nline two";
    a.details = "<b>not html</b>";
    a.alert_type = "custom";
    a.priority = 10;
    a.icon = "wrench";
    a.dismissible = false;
    a.persistent = true;
    a.starts_at_ms = 1798149600000;
    a.expires_at_ms = 1798160400250;
    a.actions = {{"Status", "https://status.example.com", "", "link"}, {"Undo", "", "undo", ""}};
    a.metadata = R"({"customType":"maint","customData":{"n":[1,2.5,null]}})";
    a.target.kind = Target::Kind::users;
    a.target.users = {"7", "ann"};
    a.target.exclude = {"bob"};
    a.target.require_auth = true;
    a.created_at_ms = 1798000000000;
    a.updated_at_ms = 1798000000123;
    a.created_by = "api-key:ops";
    a.updated_by = "user:ann";
    a.version = 3;
    return a;
}

TEST(AlertJson, StoredTextRoundTrips) {
    simdjson::dom::parser parser;
    for (const Alert& a : {stored_alert(), Alert{.title = "Minimal"}}) {
        const std::string text = alert_json(a);
        Alert back;
        std::string error;
        ASSERT_TRUE(read_stored_alert(parser, text, &back, &error)) << error << "\n" << text;
        EXPECT_EQ(back, a) << text;
        EXPECT_EQ(alert_json(back), text);
    }
}

TEST(AlertJson, WritesOptionalFieldsOnlyWhenSet) {
    EXPECT_EQ(alert_json(Alert{.id = 1, .title = "Hi"}),
              R"({"id":1,"title":"Hi","alert_type":"info","priority":5,"dismissible":true,)"
              R"("persistent":false,"target":"all","created_at":"1970-01-01T00:00:00.000Z",)"
              R"("updated_at":"1970-01-01T00:00:00.000Z","created_by":"","updated_by":"",)"
              R"("version":0})");
    const std::string full = alert_json(stored_alert());
    for (const char* key : {"message", "details", "icon", "starts_at", "expires_at", "actions",
                            "metadata", "targetUsers", "excludeUsers", "requireAuth"})
        EXPECT_NE(full.find(std::string("\"") + key + "\":"), std::string::npos) << key;
    EXPECT_NE(full.find(R"("starts_at":"2026-12-24T22:00:00.000Z")"), std::string::npos);
}

TEST(AlertJson, StoredAlertsLoadWhateverTheLimitsNowAre) {
    // Accepted under an older configuration (a custom type, a long title): it
    // must still load after the configuration changed.
    Alert a = stored_alert();
    a.title = std::string(500, 't');
    simdjson::dom::parser parser;
    Alert back;
    std::string error;
    ASSERT_TRUE(read_stored_alert(parser, alert_json(a), &back, &error)) << error;
    EXPECT_EQ(back, a);
    EXPECT_FALSE(read_stored_alert(parser, "[1]", &back, &error));
    EXPECT_EQ(error, "stored alert is not a JSON object");
    EXPECT_FALSE(read_stored_alert(parser, R"({"id":1})", &back, &error));
    EXPECT_EQ(error, "stored alert: \"title\" is required");
}

// stored_alert()'s type is a configured one.
AlertLimits with_custom_type() {
    AlertLimits limits;
    limits.custom_types = {"custom"};
    return limits;
}

TEST(AlertJson, MergePatchReplacesAndDeletes) {
    const Alert current = stored_alert();
    Outcome o = patch(current, R"({"title":"New","message":null,"priority":2,"version":3})",
                      with_custom_type());
    ASSERT_TRUE(o.ok) << o.error;
    Alert expected = current;
    expected.title = "New";
    expected.message.clear();
    expected.priority = 2;
    EXPECT_EQ(o.alert, expected) << "the rest, server fields included, as they were";
    EXPECT_EQ(o.version, 3u);

    Outcome d = patch(current, R"({"starts_at":null,"expires_at":null,"actions":null,
                                   "metadata":null,"dismissible":null,"alert_type":null})",
                      with_custom_type());
    ASSERT_TRUE(d.ok) << d.error;
    EXPECT_EQ(d.alert.starts_at_ms, 0);
    EXPECT_EQ(d.alert.expires_at_ms, 0);
    EXPECT_TRUE(d.alert.actions.empty());
    EXPECT_EQ(d.alert.metadata, "");
    EXPECT_TRUE(d.alert.dismissible) << "null is the default";
    EXPECT_EQ(d.alert.alert_type, "info");
    EXPECT_EQ(d.version, 0u) << "no version in the patch";

    Outcome a =
        patch(current, R"({"actions":[{"label":"Only","action":"only"}]})", with_custom_type());
    ASSERT_TRUE(a.ok) << a.error;
    EXPECT_EQ(a.alert.actions, (std::vector<AlertAction>{{"Only", "", "only", ""}}))
        << "an array is replaced whole";
}

TEST(AlertJson, MergePatchIsValidatedLikeACreate) {
    const Alert current = stored_alert();
    Outcome t = patch(current, R"({"title":null})", with_custom_type());
    EXPECT_FALSE(t.ok);
    EXPECT_EQ(t.field, "title");
    EXPECT_EQ(t.error, "\"title\" is required");
    Outcome e = patch(current, R"({"expires_at":"2026-12-24T21:00:00Z"})", with_custom_type());
    EXPECT_EQ(e.field, "expires_at");
    EXPECT_EQ(e.error, "\"expires_at\" must be after \"starts_at\"");
    EXPECT_TRUE(patch(current, R"({"priority":1})", with_custom_type()).ok);
    EXPECT_EQ(patch(current, R"({"priority":1})", AlertLimits{}).field, "alert_type")
        << "the current alert's type is no longer configured";
    EXPECT_EQ(
        patch(current, R"({"actions":[{"label":"x","url":"javascript:x"}]})", with_custom_type())
            .field,
        "actions[0].url");
    EXPECT_EQ(patch(current, R"({"colour":"red"})", with_custom_type()).field, "colour");
}

TEST(AlertJson, MergePatchMergesMetadataRecursively) {
    Alert current{.title = "T", .metadata = R"({"a":1,"b":{"c":2,"d":3},"e":[1]})"};
    Outcome o =
        patch(current, R"({"metadata":{"b":{"c":null,"x":{"y":null,"z":1}},"e":[2],"f":0}})");
    ASSERT_TRUE(o.ok) << o.error;
    EXPECT_EQ(o.alert.metadata, R"({"a":1,"b":{"d":3,"x":{"z":1}},"e":[2],"f":0})");
    Outcome r = patch(current, R"({"metadata":"plain"})");
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.alert.metadata, R"("plain")") << "a non-object replaces the value";
    Outcome a = patch(Alert{.title = "T", .metadata = "[1,2]"}, R"({"metadata":{"k":null,"v":1}})");
    ASSERT_TRUE(a.ok) << a.error;
    EXPECT_EQ(a.alert.metadata, R"({"v":1})") << "an object patch over a non-object starts from {}";
    Outcome n = patch(Alert{.title = "T"}, R"({"metadata":{"new":true}})");
    ASSERT_TRUE(n.ok) << n.error;
    EXPECT_EQ(n.alert.metadata, R"({"new":true})");
}

TEST(AlertJson, MergePatchChangesTheTargetKind) {
    Alert current{.title = "T"};
    current.target.kind = Target::Kind::roles;
    current.target.roles = {"admin"};
    current.target.exclude = {"7"};
    Outcome u =
        patch(current, R"({"target":"user-specific","targetUsers":["ann"],"targetRoles":null})");
    ASSERT_TRUE(u.ok) << u.error;
    EXPECT_EQ(u.alert.target.kind, Target::Kind::users);
    EXPECT_EQ(u.alert.target.users, std::vector<std::string>{"ann"});
    EXPECT_TRUE(u.alert.target.roles.empty());
    EXPECT_EQ(u.alert.target.exclude, std::vector<std::string>{"7"}) << "kept";
    // The RFC's rules and the publish's: a list the new kind does not use must
    // be removed in the same patch.
    Outcome all = patch(current, R"({"target":"all"})");
    EXPECT_FALSE(all.ok);
    EXPECT_EQ(all.field, "targetRoles");
    Outcome ok = patch(current, R"({"target":null,"targetRoles":null,"excludeUsers":null})");
    ASSERT_TRUE(ok.ok) << ok.error;
    EXPECT_EQ(ok.alert.target, Target{});
}

struct IsoCase {
    const char* text;
    int64_t ms;  // -1: refused
};

TEST(Iso8601, ValidAndInvalidTimes) {
    const IsoCase cases[] = {
        {"1970-01-01T00:00:00Z", 0},
        {"1970-01-01T00:00:00.001Z", 1},
        {"2026-12-07T10:00:00Z", 1796637600000},
        {"2026-12-07t10:00:00z", 1796637600000},
        {"2026-12-07T10:00:00.5Z", 1796637600500},
        {"2026-12-07T10:00:00.12Z", 1796637600120},
        {"2026-12-07T10:00:00.123456789Z", 1796637600123},
        {"2026-12-07T12:30:00+02:30", 1796637600000},
        {"2026-12-07T05:00:00-05:00", 1796637600000},
        {"2026-12-07T10:00:00+00:00", 1796637600000},
        {"2026-12-07T10:00:00-00:00", 1796637600000},
        {"2026-12-07T00:00:00+23:59", 1796515260000},
        {"2024-02-29T00:00:00Z", 1709164800000},
        {"2000-02-29T00:00:00Z", 951782400000},
        {"9999-12-31T23:59:59.999Z", 253402300799999},
        {"2026-12-31T23:59:59Z", 1798761599000},
        {"2025-02-29T00:00:00Z", -1},
        {"1900-02-29T00:00:00Z", -1},
        {"2100-02-29T00:00:00Z", -1},
        {"2026-04-31T00:00:00Z", -1},
        {"2026-13-01T00:00:00Z", -1},
        {"2026-00-01T00:00:00Z", -1},
        {"2026-01-00T00:00:00Z", -1},
        {"2026-01-01T24:00:00Z", -1},
        {"2026-01-01T23:60:00Z", -1},
        {"2026-01-01T23:59:60Z", -1},
        {"2026-01-01T00:00:00", -1},
        {"2026-01-01T00:00:00.5", -1},
        {"2026-01-01 00:00:00Z", -1},
        {"2026-01-01", -1},
        {"2026-1-01T00:00:00Z", -1},
        {"20260101T000000Z", -1},
        {"2026-01-01T00:00Z", -1},
        {"2026-01-01T00:00:00.Z", -1},
        {"2026-01-01T00:00:00.1234567890Z", -1},
        {"2026-01-01T00:00:00+01", -1},
        {"2026-01-01T00:00:00+0100", -1},
        {"2026-01-01T00:00:00+24:00", -1},
        {"2026-01-01T00:00:00+01:60", -1},
        {"2026-01-01T00:00:00ZZ", -1},
        {"2026-01-01T00:00:00Z ", -1},
        {" 2026-01-01T00:00:00Z", -1},
        {"+2026-01-01T00:00:00Z", -1},
        {"1969-12-31T23:59:59Z", -1},
        {"1970-01-01T00:30:00+01:00", -1},
        {"9999-12-31T23:30:00-01:00", -1},
        {"10000-01-01T00:00:00Z", -1},
        {"", -1},
    };
    for (const IsoCase& c : cases) {
        int64_t ms = -1;
        const bool ok = parse_iso8601_ms(c.text, &ms);
        EXPECT_EQ(ok, c.ms >= 0) << c.text;
        if (ok && c.ms >= 0) {
            EXPECT_EQ(ms, c.ms) << c.text;
        }
    }
}

TEST(Iso8601, FormatsUtcWithMilliseconds) {
    EXPECT_EQ(format_iso8601_ms(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(format_iso8601_ms(1796637600123), "2026-12-07T10:00:00.123Z");
    EXPECT_EQ(format_iso8601_ms(1709164800000), "2024-02-29T00:00:00.000Z");
    EXPECT_EQ(format_iso8601_ms(253402300799999), "9999-12-31T23:59:59.999Z");
    for (int64_t ms : {int64_t(1), int64_t(951782400000), int64_t(1798761599999)}) {
        int64_t back = -1;
        ASSERT_TRUE(parse_iso8601_ms(format_iso8601_ms(ms), &back)) << ms;
        EXPECT_EQ(back, ms);
    }
}

}  // namespace
}  // namespace ringcast

namespace ringcast {
namespace {

TEST(AlertJson, AViewerSeesNeitherTheTargetingNorTheAuthors) {
    Outcome o = parse(with(R"("target":"user-specific","targetUsers":["7","8"],)"
                           R"("excludeUsers":["9"],"requireAuth":true)"));
    ASSERT_TRUE(o.ok) << o.error;
    Alert a = o.alert;
    a.id = 3;
    a.version = 2;
    a.created_by = "alice";
    a.updated_by = "bob";
    std::string viewer;
    JsonWriter w(viewer);
    write_alert_for_viewer(w, a);
    for (const char* hidden : {"target", "\"7\"", "\"8\"", "\"9\"", "requireAuth", "alice", "bob"})
        EXPECT_EQ(viewer.find(hidden), std::string::npos) << hidden << " in " << viewer;
    for (const char* shown : {"\"id\":3", "\"title\":\"T\"", "\"version\":2", "created_at"})
        EXPECT_NE(viewer.find(shown), std::string::npos) << shown << " not in " << viewer;
    const std::string full = alert_json(a);
    EXPECT_NE(full.find("excludeUsers"), std::string::npos) << "the API shows everything";
}

}  // namespace
}  // namespace ringcast
