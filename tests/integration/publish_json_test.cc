// What a request's JSON may hold, the same on the Unix socket and in the body of
// POST /api/publish (docs/protocol.md, "Framing" and "Limits"): a key given
// twice counts once, with its first value (unlike a token's claims, where the
// last counts); objects and arrays nest 1024 levels deep, the request included;
// a lone surrogate escape ("\ud800") is refused, a pair is taken.
#include <gtest/gtest.h>

#include "daemon_process.h"
#include "http_client.h"
#include "publish_support.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

// `levels` nested arrays: [[...]].
std::string nested(size_t levels) {
    return std::string(levels, '[') + std::string(levels, ']');
}

class PublishJson : public ::testing::Test {
protected:
    void SetUp() override {
        ASSERT_TRUE(_daemon.start({.shards = 2})) << _daemon.error();
        ASSERT_TRUE(_sub.open(_daemon.port(), "/api/sse/stream?channels=first,second"))
            << _sub.error();
        ASSERT_TRUE(_sub.await_events(1, Deadline(5s))) << "no connected event";
        ASSERT_TRUE(_socket.connect(socket_path(_daemon))) << _socket.error();
        _api.emplace(_daemon.port());
        ASSERT_TRUE(_api->connect()) << _api->error();
    }

    // The next data event of the stream, as "type:data".
    std::string next_event() {
        size_t want = ++_seen;
        if (!_sub.read_until([&] { return _sub.data_events().size() >= want; }, Deadline(5s)))
            return "(none)";
        const SseEvent e = _sub.data_events()[want - 1];
        return e.type + ":" + e.data;
    }

    // POST /api/publish with `body` as it is.
    HttpResponse http_publish(const std::string& body) {
        auto r = _api->request("POST", "/api/publish", body);
        return r ? *r : HttpResponse{};
    }

    DaemonProcess _daemon;
    SseClient _sub;
    UnixClient _socket;
    std::optional<HttpClient> _api;
    size_t _seen = 0;
};

// Both channels are subscribed, so the event shows which "channel" counted;
// every other field repeats with a different value, the later one sometimes
// invalid (it is not even checked). On the socket "op" and "req" too.
TEST_F(PublishJson, ARepeatedKeyCountsOnceWithItsFirstValue) {
    const std::string fields =
        R"("channel":"first","event":"one","data":1,"channel":"second","event":"two",)"
        R"("data":2,"priority":3,"priority":"high","ttl":60,"ttl":-1)";
    Json j = ask(_socket, R"({"op":"publish","req":1,"op":"ping","req":2,)" + fields + "}");
    EXPECT_TRUE(j["ok"].as_bool()) << _socket.error();
    EXPECT_EQ(j["req"].as_int(), 1);
    EXPECT_TRUE(j.has("id")) << "the first op (publish) counted";
    EXPECT_EQ(next_event(), "one:1");

    HttpResponse r = http_publish("{" + fields + "}");
    EXPECT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(next_event(), "one:1");

    // A batch: its "messages" likewise (and repeated batch keys are no error).
    j = ask(_socket, R"({"op":"publish","req":3,"req":4,"messages":[{"channel":"first",)"
                     R"("event":"b","data":1,"data":2}],"messages":[{"channel":"second"}]})");
    EXPECT_TRUE(j["ok"].as_bool()) << _socket.error();
    EXPECT_EQ(j["req"].as_int(), 3);
    EXPECT_EQ(j["sent"].as_int(), 1);
    EXPECT_EQ(next_event(), "b:1");

    // invalidate over both paths: the first "channels" counts.
    j = ask(_socket, R"({"op":"invalidate","req":5,"channels":["first"],"channels":7})");
    EXPECT_TRUE(j["ok"].as_bool()) << _socket.error();
    r = *_api->request("POST", "/api/invalidate", R"({"users":["u"],"users":"nobody"})");
    EXPECT_EQ(r.status, 200) << r.describe();
}

// 1024 levels with the request object: served, data delivered as sent. One
// more: invalid_json on the socket (with the line: its req cannot be read),
// 400 over HTTP, both saying what the limit is.
TEST_F(PublishJson, ObjectsAndArraysNestAtMost1024LevelsDeep) {
    const std::string deep = nested(1023);
    Json j = ask(_socket, R"({"op":"publish","req":1,"channel":"first","event":"deep","data":)" +
                              deep + "}");
    EXPECT_TRUE(j["ok"].as_bool()) << _socket.error();
    EXPECT_EQ(next_event(), "deep:" + deep);
    HttpResponse r = http_publish(R"({"channel":"first","event":"deep","data":)" + deep + "}");
    EXPECT_EQ(r.status, 200) << r.describe();
    EXPECT_EQ(next_event(), "deep:" + deep);

    const std::string deeper = nested(1024);
    auto line = _socket.request(R"({"op":"publish","req":2,"channel":"first","event":"deeper",)"
                                R"("data":)" +
                                deeper + "}");
    ASSERT_TRUE(line) << _socket.error();
    EXPECT_EQ(check_error_reply(*line, "", "invalid_json", 2), "");
    EXPECT_NE(line->find("1024 levels"), std::string::npos) << *line;
    r = http_publish(R"({"channel":"first","event":"deeper","data":)" + deeper + "}");
    EXPECT_EQ(check_json_error(r, 400, "bad_request"), "");
    EXPECT_NE(r.body.find("1024 levels"), std::string::npos) << r.body;
}

// A surrogate pair is one character; either half alone is refused.
TEST_F(PublishJson, ALoneSurrogateEscapeIsRefused) {
    uint64_t line = 0;
    for (const char* lone : {R"("\ud800")", R"("\udfff")", R"("a\ud800b")", R"("\ud800\u0041")"}) {
        SCOPED_TRACE(lone);
        auto reply =
            _socket.request(R"({"op":"publish","req":1,"channel":"first","event":"s","data":)" +
                            std::string(lone) + "}");
        ++line;
        ASSERT_TRUE(reply) << _socket.error();
        EXPECT_EQ(check_error_reply(*reply, "", "invalid_json", line), "");
        EXPECT_NE(reply->find("lone surrogate"), std::string::npos) << *reply;
        HttpResponse r =
            http_publish(R"({"channel":"first","event":"s","data":)" + std::string(lone) + "}");
        EXPECT_EQ(check_json_error(r, 400, "bad_request"), "");
        EXPECT_NE(r.body.find("lone surrogate"), std::string::npos) << r.body;
    }
    Json j = ask(_socket, R"({"op":"publish","req":1,"channel":"first","event":"pair",)"
                          R"("data":"\ud83d\ude00"})");
    EXPECT_TRUE(j["ok"].as_bool()) << _socket.error();
    EXPECT_EQ(next_event(), "pair:\"\xF0\x9F\x98\x80\"") << "data is sent as UTF-8";
}

}  // namespace
}  // namespace ringcast::itest
