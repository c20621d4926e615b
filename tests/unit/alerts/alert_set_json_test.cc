// The alert set as one JSON document (what a cluster keeps in Redis): written
// the same for the same set, read back to the same set, and every malformed
// document refused with a reason.
#include "alerts/alert_set_json.h"

#include <string>

#include <gtest/gtest.h>

#include "alerts/alert_json.h"

namespace ringcast {
namespace {

Alert alert(uint64_t id, std::string title) {
    Alert a;
    a.id = id;
    a.title = std::move(title);
    a.version = 2;
    a.created_at_ms = 1'765'000'000'000 + int64_t(id);
    a.updated_at_ms = a.created_at_ms + 5;
    a.created_by = "api-key";
    a.updated_by = "alice";
    return a;
}

AlertSet sample() {
    AlertSet s;
    s.alerts.push_back(alert(3, "three"));
    Alert seven = alert(7, "seven");
    seven.expires_at_ms = 1'765'000'100'000;
    seven.metadata = R"({"k":[1,2]})";
    seven.target.kind = Target::Kind::roles;
    seven.target.roles = {"ops"};
    seven.actions.push_back({"Status", "https://status.example.com", "", "link"});
    s.alerts.push_back(seven);
    s.dismissed[7] = {"bob", "alice"};
    s.dismissed[3] = {"carol"};
    s.expiry_announced[7] = seven.expires_at_ms;
    return s;
}

std::string read_error(std::string_view text) {
    simdjson::dom::parser parser;
    AlertSet out;
    std::string error;
    EXPECT_FALSE(read_alert_set(parser, text, &out, &error)) << text;
    EXPECT_FALSE(error.empty());
    return error;
}

TEST(AlertSetJson, ReadsBackWhatItWrote) {
    const AlertSet s = sample();
    const std::string text = alert_set_json(s);
    simdjson::dom::parser parser;
    AlertSet back;
    std::string error;
    ASSERT_TRUE(read_alert_set(parser, text, &back, &error)) << error << "\n" << text;
    EXPECT_EQ(back.alerts, s.alerts);
    EXPECT_EQ(back.dismissed, s.dismissed);
    EXPECT_EQ(back.expiry_announced, s.expiry_announced);
    EXPECT_EQ(alert_set_json(back), text);
}

TEST(AlertSetJson, TheSameSetIsTheSameText) {
    AlertSet a = sample();
    AlertSet b = sample();
    b.dismissed.clear();  // filled in another order
    b.dismissed[3] = {"carol"};
    b.dismissed[7] = {"alice"};
    b.dismissed[7].insert("bob");
    EXPECT_EQ(alert_set_json(a), alert_set_json(b));
    EXPECT_EQ(alert_set_json(AlertSet{}), R"({"alerts":[],"dismissed":[],"expiryAnnounced":[]})");
}

TEST(AlertSetJson, AlertsAreSortedByIdOnReading) {
    const std::string text = R"({"alerts":[)" + alert_json(alert(9, "nine")) + "," +
                             alert_json(alert(2, "two")) +
                             R"(],"dismissed":[],"expiryAnnounced":[]})";
    simdjson::dom::parser parser;
    AlertSet back;
    std::string error;
    ASSERT_TRUE(read_alert_set(parser, text, &back, &error)) << error;
    ASSERT_EQ(back.alerts.size(), 2u);
    EXPECT_EQ(back.alerts[0].id, 2u);
    EXPECT_NE(back.find(9), nullptr);
}

TEST(AlertSetJson, RefusesWhatIsNotASet) {
    EXPECT_NE(read_error("").find("alert set"), std::string::npos);
    EXPECT_NE(read_error("[]").find("not a JSON object"), std::string::npos);
    EXPECT_NE(read_error(R"({"alerts":[]})").find("\"dismissed\""), std::string::npos);
    EXPECT_NE(
        read_error(R"({"alerts":[1],"dismissed":[],"expiryAnnounced":[]})").find("not an object"),
        std::string::npos);
    const std::string three = alert_json(alert(3, "three"));
    EXPECT_NE(read_error(R"({"alerts":[)" + three + "," + three +
                         R"(],"dismissed":[],"expiryAnnounced":[]})")
                  .find("alert 3 twice"),
              std::string::npos);
    EXPECT_NE(read_error(R"({"alerts":[{"title":"no id"}],"dismissed":[],"expiryAnnounced":[]})")
                  .find("without an id"),
              std::string::npos);
    const std::string one = R"({"alerts":[)" + three + "],";
    EXPECT_NE(read_error(one + R"("dismissed":[[4,["a"]]],"expiryAnnounced":[]})").find("alert 4"),
              std::string::npos);
    EXPECT_NE(read_error(one + R"("dismissed":[[3,"a"]],"expiryAnnounced":[]})").find("list"),
              std::string::npos);
    EXPECT_NE(read_error(one + R"("dismissed":[[3,[""]]],"expiryAnnounced":[]})").find("user"),
              std::string::npos);
    EXPECT_NE(read_error(one + R"("dismissed":[[3]],"expiryAnnounced":[]})").find("pairs"),
              std::string::npos);
    EXPECT_NE(read_error(one + R"("dismissed":[],"expiryAnnounced":[[3,-1]]})").find("time"),
              std::string::npos);
    EXPECT_NE(read_error(one + R"("dismissed":[],"expiryAnnounced":[[0,5]]})").find("pairs"),
              std::string::npos);
}

}  // namespace
}  // namespace ringcast
