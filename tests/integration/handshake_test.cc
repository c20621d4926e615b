// The SSE handshake byte for byte, heartbeats, default channels, and what a
// published event looks like on the wire.
#include <chrono>
#include <regex>
#include <set>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_client.h"
#include "sse_client.h"

namespace ringcast::itest {
namespace {

int64_t wall_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::vector<std::string> strings_of(const Json& array) {
    std::vector<std::string> out;
    for (const Json& j : array.items())
        out.push_back(j.is_string() ? j.as_string() : "<not a string>");
    return out;
}

std::set<std::string> keys_of(const Json& object) {
    std::set<std::string> out;
    for (const auto& [k, v] : object.members())
        out.insert(k);
    return out;
}

TEST(Handshake, StatusHeadersRetryAndConnectedEventExactly) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();

    int64_t before = wall_ms();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=a,b")) << s.error();
    ASSERT_TRUE(s.await_events(1, Deadline(5s)))
        << "no connected event; body so far: " << s.raw_body();
    int64_t after = wall_ms();

    const HttpResponse& h = s.head();
    EXPECT_EQ(h.version, "HTTP/1.1");
    EXPECT_EQ(h.status, 200);
    EXPECT_EQ(h.reason, "OK");
    EXPECT_EQ(h.header("content-type").value_or("<none>"), "text/event-stream");
    EXPECT_EQ(h.header("cache-control").value_or("<none>"), "no-cache");
    EXPECT_EQ(h.header("connection").value_or("<none>"), "keep-alive");
    EXPECT_EQ(h.header("x-accel-buffering").value_or("<none>"), "no");
    // The body is open-ended: neither a length nor chunked framing.
    EXPECT_FALSE(h.header("content-length")) << h.describe();
    EXPECT_FALSE(h.header("transfer-encoding")) << h.describe();

    // retry first, then exactly one connected event, and nothing else yet.
    const std::string& raw = s.raw_body();
    const std::string prefix = "retry: 1000\n\nevent: connected\ndata: ";
    ASSERT_TRUE(raw.starts_with(prefix)) << raw;
    ASSERT_TRUE(raw.ends_with("}\n\n")) << raw;
    EXPECT_EQ(raw.find('\n', prefix.size()), raw.size() - 2)
        << "the connected data is one line: " << raw;
    EXPECT_EQ(s.parser().retry_ms(), std::optional<uint64_t>(1000));

    ASSERT_EQ(s.events().size(), 1u);
    const SseEvent& e = s.events()[0].event;
    EXPECT_EQ(e.type, "connected");
    EXPECT_EQ(e.last_event_id, "") << "the connected event carries no id";
    auto j = Json::parse(e.data);
    ASSERT_TRUE(j && j->is_object()) << e.data;
    EXPECT_EQ(keys_of(*j), (std::set<std::string>{"connectionId", "userId", "channels", "timestamp",
                                                  "cacheEnabled"}))
        << e.data;
    EXPECT_TRUE((*j)["userId"].is_null()) << "an anonymous stream: " << e.data;
    EXPECT_TRUE((*j)["cacheEnabled"].as_bool()) << "the cache is on by default: " << e.data;
    EXPECT_TRUE(std::regex_match((*j)["connectionId"].as_string(), std::regex("c[0-9]+-[0-9]+")))
        << e.data;
    EXPECT_EQ(strings_of((*j)["channels"]), (std::vector<std::string>{"a", "b"}));
    int64_t ts = (*j)["timestamp"].as_int();
    EXPECT_GE(ts, before - 1000) << e.data;  // the daemon's wall clock, in ms
    EXPECT_LE(ts, after + 1000) << e.data;

    // A second stream gets a different connection id.
    SseClient s2;
    ASSERT_TRUE(s2.open(d.port(), "/api/sse/stream?channels=a")) << s2.error();
    ASSERT_TRUE(s2.await_events(1, Deadline(5s)));
    auto j2 = Json::parse(s2.events()[0].event.data);
    ASSERT_TRUE(j2);
    EXPECT_NE((*j2)["connectionId"].as_string(), (*j)["connectionId"].as_string());
}

TEST(Handshake, AliasPathDeduplicatesChannelsAndDeliversOnce) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse?channels=a,b,a")) << s.error();
    ASSERT_EQ(s.status(), 200) << s.head().describe();
    ASSERT_TRUE(s.await_events(1, Deadline(5s)));
    auto j = Json::parse(s.events()[0].event.data);
    ASSERT_TRUE(j);
    EXPECT_EQ(strings_of((*j)["channels"]), (std::vector<std::string>{"a", "b"}));

    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    auto r = publish(api, "a", "ping", "1");
    ASSERT_TRUE(r) << api.error();
    EXPECT_EQ(r->response.status, 200) << r->response.describe();
    EXPECT_EQ(r->sent, 1) << "one stream subscribed to a (named twice)";
    auto r2 = publish(api, "b", "ping", "2");
    ASSERT_TRUE(r2) << api.error();
    ASSERT_TRUE(s.await_events(3, Deadline(5s)));
    // The fence on b arrived after anything a second copy on a would have.
    auto evs = s.data_events();
    ASSERT_EQ(evs.size(), 2u);
    EXPECT_EQ(evs[0].data, "1");
    EXPECT_EQ(evs[1].data, "2");
}

TEST(Handshake, DefaultChannelsWhenNoneAreGiven) {
    DaemonProcess d;
    ASSERT_TRUE(d.start()) << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream")) << s.error();
    ASSERT_EQ(s.status(), 200) << s.head().describe();
    ASSERT_TRUE(s.await_events(1, Deadline(5s)));
    auto j = Json::parse(s.events()[0].event.data);
    ASSERT_TRUE(j);
    EXPECT_EQ(strings_of((*j)["channels"]),
              (std::vector<std::string>{"alerts", "notifications", "toasts", "system"}));

    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    auto r = publish(api, "toasts", "toast", R"({"text":"hi"})");
    ASSERT_TRUE(r) << api.error();
    EXPECT_EQ(r->sent, 1);
    // Right after `connected`, the stream's alerts (it is on the alerts channel).
    ASSERT_TRUE(s.await_events(3, Deadline(5s)));
    EXPECT_EQ(s.events()[1].event.type, "alerts");
    EXPECT_EQ(s.events()[1].event.data, "[]");
    EXPECT_EQ(s.events()[2].event.type, "toast");
    EXPECT_EQ(s.events()[2].event.data, R"({"text":"hi"})");
}

TEST(Handshake, ConfiguredDefaultChannelsAndRetry) {
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.config = "[sse]\ndefault_channels = [\"ops\", \"deploys\"]\nretry = \"2500ms\"\n"}))
        << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream")) << s.error();
    ASSERT_TRUE(s.await_events(1, Deadline(5s)));
    EXPECT_TRUE(s.raw_body().starts_with("retry: 2500\n\n")) << s.raw_body();
    auto j = Json::parse(s.events()[0].event.data);
    ASSERT_TRUE(j);
    EXPECT_EQ(strings_of((*j)["channels"]), (std::vector<std::string>{"ops", "deploys"}));
}

TEST(Heartbeat, NamedEventsAtTheConfiguredInterval) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.config = "[sse]\nheartbeat_interval = \"200ms\"\n"})) << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=quiet")) << s.error();
    auto beats = [&] {
        std::vector<ReceivedEvent> out;
        for (const auto& e : s.events())
            if (e.event.type == "heartbeat") out.push_back(e);
        return out;
    };
    ASSERT_TRUE(s.read_until([&] { return beats().size() >= 4; }, Deadline(5s)))
        << "heartbeats seen: " << beats().size() << "; body: " << s.raw_body();

    auto hb = beats();
    ASSERT_GE(s.events().size(), 1u);
    auto prev_at = s.events()[0].at;  // the connected event
    int64_t prev_ts = 0;
    for (const auto& b : hb) {
        auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(b.at - prev_at).count();
        EXPECT_GE(gap, 120) << "heartbeats come every 200 ms, not faster";
        EXPECT_LE(gap, 1000) << "heartbeats come every 200 ms";
        prev_at = b.at;
        EXPECT_EQ(b.event.last_event_id, "");
        auto j = Json::parse(b.event.data);
        ASSERT_TRUE(j && j->is_object()) << b.event.data;
        EXPECT_EQ(keys_of(*j), (std::set<std::string>{"timestamp", "status"})) << b.event.data;
        EXPECT_EQ((*j)["status"].as_string(), "alive");
        int64_t ts = (*j)["timestamp"].as_int();
        EXPECT_GT(ts, prev_ts) << b.event.data;
        prev_ts = ts;
    }
}

TEST(Heartbeat, CommentFormatIsInvisibleToEventListeners) {
    DaemonProcess d;
    ASSERT_TRUE(d.start(
        {.config = "[sse]\nheartbeat_interval = \"150ms\"\nheartbeat_format = \"comment\"\n"}))
        << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=quiet")) << s.error();
    ASSERT_TRUE(s.read_until([&] { return s.parser().comments() >= 3; }, Deadline(5s)))
        << s.raw_body();
    ASSERT_EQ(s.events().size(), 1u) << "only the connected event; heartbeats are comments";
    EXPECT_NE(s.raw_body().find("\n\n: heartbeat\n\n"), std::string::npos) << s.raw_body();
}

TEST(Publish, DataIsMinifiedJsonAndExplicitIdsAreKept) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseClient s;
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=orders")) << s.error();
    ASSERT_TRUE(s.await_events(1, Deadline(5s)));

    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    auto r1 = publish(api, "orders", "created", R"({ "n" : [1, 2, {"x": null}], "s": "a b\nc" })");
    ASSERT_TRUE(r1) << api.error();
    EXPECT_EQ(r1->response.status, 200) << r1->response.describe();
    // "<epoch>-<sequence>": the first event of this daemon.
    EXPECT_EQ(id_sequence(r1->id), 1u) << r1->id;
    const std::string epoch = id_epoch(r1->id);
    EXPECT_EQ(r1->sent, 1);
    EXPECT_EQ(r1->failed, 0);
    auto r2 = publish(api, "orders", "shipped", R"("plain string")", std::string("order-42"));
    ASSERT_TRUE(r2) << api.error();
    EXPECT_EQ(r2->response.status, 200) << r2->response.describe();
    EXPECT_EQ(r2->id, "order-42");
    auto r3 = publish(api, "orders", "note", "null");
    ASSERT_TRUE(r3) << api.error();
    EXPECT_EQ(r3->response.status, 200) << r3->response.describe();
    // The event with its own id took number 2 all the same: this one is 3.
    EXPECT_EQ(r3->id, event_id(epoch, 3));

    ASSERT_TRUE(s.await_events(4, Deadline(5s))) << s.raw_body();
    auto evs = s.data_events();
    ASSERT_EQ(evs.size(), 3u);
    EXPECT_EQ(evs[0].type, "created");
    EXPECT_EQ(evs[0].data, R"({"n":[1,2,{"x":null}],"s":"a b\nc"})");
    EXPECT_EQ(evs[0].last_event_id, r1->id);
    EXPECT_EQ(evs[1].type, "shipped");
    EXPECT_EQ(evs[1].data, R"("plain string")");
    EXPECT_EQ(evs[1].last_event_id, "order-42");
    EXPECT_EQ(evs[2].data, "null");
    EXPECT_EQ(evs[2].last_event_id, r3->id);
    EXPECT_TRUE(s.raw_body().find("id: " + r1->id + "\nevent: created\ndata: {") !=
                std::string::npos)
        << s.raw_body();
}

TEST(Publish, JsonValuesSurviveTheRoundTrip) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseClient s;
    // %3A is ':' - the channel list is percent-decoded.
    ASSERT_TRUE(s.open(d.port(), "/api/sse/stream?channels=chat%3Aroom")) << s.error();
    ASSERT_EQ(s.status(), 200) << s.head().describe();
    ASSERT_TRUE(s.await_events(1, Deadline(5s)));
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    const std::string data =
        R"({"s":"h\u00e9llo \u2603 \ud83d\ude00","q":"a\"b\\c","nl":"line1\nline2\r\n","big":12345678901234567890,)"
        R"("neg":-42,"f":0.5,"t":true,"n":null,"nested":{"a":[[],{},""]}})";
    auto r = publish(api, "chat:room", "json", data);
    ASSERT_TRUE(r) << api.error();
    ASSERT_EQ(r->response.status, 200) << r->response.describe();
    EXPECT_EQ(r->sent, 1);
    ASSERT_TRUE(s.await_events(2, Deadline(5s))) << s.raw_body();
    const SseEvent& e = s.events()[1].event;
    EXPECT_EQ(e.data.find('\n'), std::string::npos) << "data is sent as one line: " << e.data;
    auto j = Json::parse(e.data);
    ASSERT_TRUE(j) << e.data;
    EXPECT_EQ((*j)["s"].as_string(), "h\xc3\xa9llo \xe2\x98\x83 \xf0\x9f\x98\x80") << e.data;
    EXPECT_EQ((*j)["q"].as_string(), "a\"b\\c") << e.data;
    EXPECT_EQ((*j)["nl"].as_string(), "line1\nline2\r\n") << e.data;
    EXPECT_EQ((*j)["big"].as_string(), "12345678901234567890") << e.data;
    EXPECT_EQ((*j)["neg"].as_int(), -42);
    EXPECT_EQ((*j)["f"].as_double(), 0.5);
    EXPECT_TRUE((*j)["t"].is_bool() && (*j)["t"].as_bool());
    EXPECT_TRUE((*j).has("n") && (*j)["n"].is_null());
    EXPECT_EQ((*j)["nested"]["a"].size(), 3u);
}

}  // namespace
}  // namespace ringcast::itest
