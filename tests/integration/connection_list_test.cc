// GET /api/connections and the socket's connections op: every stream on every
// shard, anonymous ones included, in the order of shard then serial, a page at
// a time (limit, after); the socket answers what HTTP answers; limits and
// cursors that are not such are 400s naming the field; the route asks for the
// admin right.
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_api_support.h"
#include "http_client.h"
#include "json.h"
#include "keeps_support.h"
#include "publish_support.h"
#include "sse_client.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

// (shard, serial) of "c<shard>-<serial>", for sorting ids as the daemon does.
std::pair<unsigned, uint64_t> order_of(const std::string& id) {
    const size_t dash = id.find('-');
    return {unsigned(std::stoul(id.substr(1, dash - 1))), std::stoull(id.substr(dash + 1))};
}

std::vector<std::string> ids_of(const Json& page) {
    std::vector<std::string> out;
    for (const Json& c : page["connections"].items())
        out.push_back(c["connectionId"].as_string());
    return out;
}

// A 2-shard daemon with anonymous streams on both shards and a signed-in
// user's streams (on both shards too, tried a bounded number of times).
class ConnectionList : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(d.start({.shards = 2})) << d.error();
        ASSERT_TRUE(u.connect(socket_path(d))) << u.error();
        anon = open_on_both_shards(d.port(), "/api/sse/stream?channels=l1,l2", 2);
        for (auto& s : anon)
            ids.push_back((*Json::parse(s->events()[0].event.data))["connectionId"].as_string());
        const std::string token = stream_token(u, R"("userId":"list-user")");
        bool on[2] = {false, false};
        for (int tries = 0; tries < 8 && !(on[0] && on[1]); ++tries) {
            Stream s = open_as(d.port(), "/api/sse/stream?channels=l3", token);
            ASSERT_FALSE(s.id.empty());
            on[order_of(s.id).first] = true;
            ids.push_back(s.id);
            named.push_back(std::move(s));
        }
        ASSERT_TRUE(on[0] && on[1]) << "the signed-in streams did not reach both shards";
        std::sort(ids.begin(), ids.end(), [](const std::string& a, const std::string& b) {
            return order_of(a) < order_of(b);
        });
    }

    DaemonProcess d;
    UnixClient u;
    std::vector<std::unique_ptr<SseClient>> anon;
    std::vector<Stream> named;
    std::vector<std::string> ids;  // every stream, in the daemon's order
};

TEST_F(ConnectionList, OnePageListsEveryStreamInOrderAsTheSocketDoes) {
    HttpClient api(d.port());
    HttpResponse r = call(api, "GET", "/api/connections");
    ASSERT_EQ(r.status, 200) << r.describe();
    Json page = body_of(r);
    EXPECT_EQ(keys_of(page), (std::vector<std::string>{"total", "connections", "next"}));
    EXPECT_EQ(page["total"].as_int(), int64_t(ids.size()));
    EXPECT_EQ(ids_of(page), ids);
    EXPECT_TRUE(page["next"].is_null());
    // Each entry is what GET /api/connections/{id} describes; anonymous ones
    // have a null userId.
    size_t anonymous = 0, signed_in = 0;
    for (const Json& c : page["connections"].items()) {
        const std::string id = c["connectionId"].as_string();
        Json one = body_of(call(api, "GET", "/api/connections/" + id));
        EXPECT_EQ(differ(c, one["connection"], id), "");
        if (c["userId"].is_null()) {
            ++anonymous;
        } else {
            EXPECT_EQ(c["userId"].as_string(), "list-user");
            ++signed_in;
        }
    }
    EXPECT_EQ(anonymous, anon.size());
    EXPECT_EQ(signed_in, named.size());
    // The socket answers the same members.
    EXPECT_EQ(same_as_socket(page, ask(u, R"({"op":"connections","req":"l"})")), "");
    EXPECT_EQ(same_as_socket(body_of(call(api, "GET", "/api/connections/?limit=1000")),
                             ask(u, R"({"op":"connections","req":"l","limit":1000,"after":null})")),
              "");
}

TEST_F(ConnectionList, PagesFollowTheCursorAcrossShards) {
    HttpClient api(d.port());
    for (unsigned limit : {1u, 2u, 3u}) {
        SCOPED_TRACE("limit " + std::to_string(limit));
        std::vector<std::string> seen;
        std::string after;
        for (int pages = 0; pages < 20; ++pages) {
            std::string q = "/api/connections?limit=" + std::to_string(limit);
            std::string op = R"({"op":"connections","req":"p","limit":)" + std::to_string(limit);
            if (!after.empty()) {
                q += "&after=" + after;
                op += R"(,"after":")" + after + "\"";
            }
            HttpResponse r = call(api, "GET", q);
            ASSERT_EQ(r.status, 200) << r.describe();
            Json page = body_of(r);
            EXPECT_EQ(same_as_socket(page, ask(u, op + "}")), "") << q;
            EXPECT_EQ(page["total"].as_int(), int64_t(ids.size()));
            std::vector<std::string> got = ids_of(page);
            EXPECT_LE(got.size(), limit);
            seen.insert(seen.end(), got.begin(), got.end());
            if (page["next"].is_null()) break;
            EXPECT_EQ(page["next"].as_string(), got.back());
            after = page["next"].as_string();
        }
        EXPECT_EQ(seen, ids);
    }
    // A page ending exactly on the last stream says so (next: null), and a
    // cursor that follows the last stream, or names a connection gone, works.
    Json all = body_of(call(api, "GET", "/api/connections?limit=" + std::to_string(ids.size())));
    EXPECT_TRUE(all["next"].is_null());
    Json none = body_of(call(api, "GET", "/api/connections?after=" + ids.back()));
    EXPECT_EQ(none["connections"].size(), 0u);
    EXPECT_TRUE(none["next"].is_null());
    EXPECT_EQ(none["total"].as_int(), int64_t(ids.size()));
    Json from_gone = body_of(call(api, "GET", "/api/connections?after=c0-0"));
    EXPECT_EQ(ids_of(from_gone), ids);
    Json shard1 = body_of(call(api, "GET", "/api/connections?after=c0-999999999"));
    std::vector<std::string> on1;
    for (const std::string& id : ids)
        if (order_of(id).first == 1) on1.push_back(id);
    EXPECT_EQ(ids_of(shard1), on1);
}

TEST_F(ConnectionList, BadLimitsAndCursorsAre400sNamingTheField) {
    HttpClient api(d.port());
    for (const char* q : {"limit=0", "limit=1001", "limit=-1", "limit=x", "limit=", "limit=1.5",
                          "limit=99999999999999999999"}) {
        SCOPED_TRACE(q);
        HttpResponse r = call(api, "GET", std::string("/api/connections?") + q);
        EXPECT_EQ(bad_request(r, "invalid_field"), "");
        EXPECT_NE(body_of(r)["error"]["message"].as_string().find("\"limit\""), std::string::npos);
    }
    for (const char* q : {"after=", "after=x", "after=c2-1", "after=c0-", "after=c0-1x"}) {
        SCOPED_TRACE(q);
        HttpResponse r = call(api, "GET", std::string("/api/connections?") + q);
        EXPECT_EQ(bad_request(r, "invalid_field"), "");
        EXPECT_NE(body_of(r)["error"]["message"].as_string().find("\"after\""), std::string::npos);
    }
    EXPECT_EQ(bad_request(call(api, "GET", "/api/connections?limit=%zz"), "invalid_field"), "");
    // The socket refuses the same, naming the same field.
    for (const char* op : {R"({"op":"connections","req":"e","limit":0})",
                           R"({"op":"connections","req":"e","limit":1001})",
                           R"({"op":"connections","req":"e","limit":"10"})",
                           R"({"op":"connections","req":"e","limit":2.5})",
                           R"({"op":"connections","req":"e","after":"c2-1"})",
                           R"({"op":"connections","req":"e","after":7})"}) {
        SCOPED_TRACE(op);
        const std::string msg = socket_error(u, op, "invalid_field");
        EXPECT_TRUE(msg.find("\"limit\"") != std::string::npos ||
                    msg.find("\"after\"") != std::string::npos)
            << msg;
    }
    EXPECT_EQ(
        socket_error(u, R"({"op":"connections","req":"e","limit":0})", "invalid_field"),
        body_of(call(api, "GET", "/api/connections?limit=0"))["error"]["message"].as_string());
    // The limits themselves are fine, and the daemon answers on.
    EXPECT_EQ(call(api, "GET", "/api/connections?limit=1").status, 200);
    EXPECT_EQ(call(api, "GET", "/api/connections?limit=1000").status, 200);
    EXPECT_EQ(ask(u, R"({"op":"connections","req":1})")["ok"].as_bool(), true);
}

TEST_F(ConnectionList, TakesTheAdminRight) {
    HttpClient api(d.port());
    EXPECT_EQ(refusal(call_bare(api, "GET", "/api/connections", ""), 401, "unauthorized",
                      "missing_credentials"),
              "");
    EXPECT_EQ(check_json_error(call(api, "GET", "/api/connections", "", {{"X-API-Key", "wrong"}}),
                               401, "invalid_api_key"),
              "");
    HttpResponse post = call(api, "POST", "/api/connections", "{}");
    EXPECT_EQ(check_json_error(post, 405, "method_not_allowed"), "");
    EXPECT_EQ(post.header("allow"), "GET");
}

}  // namespace
}  // namespace ringcast::itest
