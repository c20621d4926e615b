// What a publish over the Unix socket does (docs/protocol.md, "Messages" and
// "The Unix socket protocol"): it reaches real SSE subscribers on every shard
// exactly once and in order, `sent` counts them, ids are one sequence over every
// channel whichever path published, batches report per message, every field is
// validated the same way as over HTTP, targeted messages reach no anonymous
// subscriber, and a message past its ttl is never delivered.
#include <chrono>
#include <cstdlib>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "http_client.h"
#include "publish_support.h"
#include "sse_client.h"
#include "sse_fleet.h"

namespace ringcast::itest {
namespace {

// Pumps `fleet` until each of `streams` has at least `n` data events.
bool await_data_events(SseFleet& fleet, const std::vector<size_t>& streams, size_t n,
                       const Deadline& d) {
    return fleet.run_until(
        [&] {
            for (size_t s : streams)
                if (fleet[s].data_events().size() < n) return false;
            return true;
        },
        d);
}

// --- fan-out over shards -------------------------------------------------------------

class PublishFanout : public ::testing::TestWithParam<unsigned> {};

TEST_P(PublishFanout, EverySubscriberOnEveryShardGetsEachEventOnceInOrder) {
    const unsigned shards = GetParam();
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = shards})) << d.error();
    SseFleet fleet(d.port());
    std::string why;
    // Both channels on every shard, and more subscribers on "fa" than on "fb".
    auto both = open_streams_on_every_shard(fleet, "/api/sse/stream?channels=fa,fb", shards, 1,
                                            Deadline(10s), &why);
    ASSERT_FALSE(both.empty()) << why;
    auto fa_only = open_streams_on_every_shard(fleet, "/api/sse/stream?channels=fa", shards, 1,
                                               Deadline(10s), &why);
    ASSERT_FALSE(fa_only.empty()) << why;
    const int64_t subscribers[2] = {int64_t(both.size() + fa_only.size()), int64_t(both.size())};

    // 200 publishes, with and without req, alternating channels, pipelined on
    // one connection: the daemon's one sequence numbers them 1..200 in the
    // order they were sent, whatever their channel.
    struct Sent {
        int channel;
        std::string data;
    };
    std::vector<Sent> expected;  // in publish order; event k has sequence k + 1
    std::string out;
    std::vector<size_t> answered;  // indexes in `expected` of the publishes with a reply
    for (int i = 0; i < 200; ++i) {
        int ch = (i / 3) % 2;
        std::string data = "{\"i\":" + std::to_string(i) + "}";
        bool with_req = i % 5 != 4;
        out += publish_line(with_req ? std::to_string(i) : "", ch ? "fb" : "fa", "ev", data) + "\n";
        expected.push_back({ch, data});
        if (with_req) answered.push_back(expected.size() - 1);
    }
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    auto lines = exchange(c, out, answered.size(), Deadline(20s), &why);
    ASSERT_EQ(lines.size(), answered.size()) << why;
    const std::string epoch = id_epoch(parse_reply(lines[0])["id"].as_string());
    for (size_t k = 0; k < lines.size(); ++k) {
        Json j = parse_reply(lines[k]);
        ASSERT_TRUE(j["ok"].as_bool()) << lines[k];
        EXPECT_EQ(j["id"].as_string(), event_id(epoch, answered[k] + 1)) << lines[k];
        EXPECT_EQ(j["sent"].as_int(), subscribers[expected[answered[k]].channel]) << lines[k];
        EXPECT_EQ(j["failed"].as_int(), 0) << lines[k];
    }

    // A last event on each channel: whatever would be extra arrives before it.
    for (int ch = 0; ch < 2; ++ch) {
        std::string data = "{\"i\":" + std::to_string(-1 - ch) + "}";
        Json j = ask(c, publish_line("\"last\"", ch ? "fb" : "fa", "ev", data));
        ASSERT_TRUE(j["ok"].as_bool()) << c.error();
        expected.push_back({ch, data});
        EXPECT_EQ(j["id"].as_string(), event_id(epoch, expected.size()));
    }
    size_t on_fa = 0;
    for (const Sent& e : expected)
        on_fa += e.channel == 0;
    ASSERT_TRUE(await_data_events(fleet, both, expected.size(), Deadline(20s))) << fleet.problems();
    ASSERT_TRUE(await_data_events(fleet, fa_only, on_fa, Deadline(20s))) << fleet.problems();

    // Each stream gets exactly the events of its channels, in publish order,
    // which is increasing sequence: the one on both channels all of them
    // interleaved as published, the one on fa only the fa ones.
    auto check = [&](size_t s, bool fb) {
        SCOPED_TRACE("stream " + connection_id(fleet, s));
        auto events = fleet[s].data_events();
        size_t k = 0;
        for (size_t n = 0; n < expected.size(); ++n) {
            if (expected[n].channel == 1 && !fb) continue;
            ASSERT_LT(k, events.size()) << "event " << n << " is missing";
            EXPECT_EQ(events[k]->data, expected[n].data) << "event " << n;
            ASSERT_EQ(events[k]->last_event_id, event_id(epoch, n + 1)) << "event " << n;
            ++k;
        }
        EXPECT_EQ(events.size(), k) << "extra events";
    };
    for (size_t s : both)
        check(s, true);
    for (size_t s : fa_only)
        check(s, false);
}

INSTANTIATE_TEST_SUITE_P(Shards, PublishFanout, ::testing::Values(2u, 4u),
                         [](const auto& info) { return std::to_string(info.param) + "shards"; });

// --- ids ---------------------------------------------------------------------------

// One sequence over every channel and both publish paths: publishes sent one
// after another over HTTP and the socket, to two channels (and to one nobody
// hears), are numbered 1, 2, 3... in the order they were acknowledged, all in
// one epoch; a stream on both channels gets its events in that order, with those
// ids.
TEST(PublishIds, HttpAndSocketPublishesShareOneSequenceAcrossChannels) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseClient sub;
    ASSERT_TRUE(sub.open(d.port(), "/api/sse/stream?channels=mix,mix2")) << sub.error();
    ASSERT_TRUE(sub.await_events(1, Deadline(5s)));
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();

    std::string epoch;
    uint64_t next = 1;
    std::vector<std::pair<std::string, std::string>> want;  // id, data in publish order
    for (int i = 0; i < 40; ++i) {
        // mix, mix, mix2, ...; every 7th to a channel nobody reads (numbered too).
        std::string channel = i % 7 == 6 ? "unheard" : i % 3 == 2 ? "mix2" : "mix";
        std::string data = "\"" + std::to_string(i) + "\"";
        std::string id;
        if (i % 2) {
            auto r = publish(api, channel, "m", data);
            ASSERT_TRUE(r && r->response.status == 200) << api.error();
            id = r->id;
        } else {
            Json j = ask(c, publish_line(std::to_string(i), channel, "m", data));
            ASSERT_TRUE(j["ok"].as_bool()) << c.error();
            id = j["id"].as_string();
        }
        if (i == 0) epoch = id_epoch(id);
        EXPECT_EQ(id, event_id(epoch, next++))
            << "publish " << i << " (" << channel << ", " << (i % 2 ? "HTTP" : "socket") << ")";
        if (channel != "unheard") want.emplace_back(id, data);
    }
    ASSERT_EQ(want.size(), 35u);
    ASSERT_TRUE(
        sub.read_until([&] { return sub.data_events().size() >= want.size(); }, Deadline(10s)));
    // A fence, so that anything extra would have arrived.
    auto fence = publish(api, "mix", "fence", "0");
    ASSERT_TRUE(fence && fence->response.status == 200) << api.error();
    EXPECT_EQ(fence->id, event_id(epoch, next));
    want.emplace_back(fence->id, "0");
    ASSERT_TRUE(
        sub.read_until([&] { return sub.data_events().size() >= want.size(); }, Deadline(10s)));
    auto events = sub.data_events();
    ASSERT_EQ(events.size(), want.size());
    uint64_t last = 0;
    for (size_t i = 0; i < want.size(); ++i) {
        EXPECT_EQ(events[i].last_event_id, want[i].first) << i;
        EXPECT_EQ(events[i].data, want[i].second) << i;
        uint64_t seq = id_sequence(events[i].last_event_id);
        EXPECT_GT(seq, last) << "out of sequence order at " << i;
        last = seq;
    }
}

// --- batches -----------------------------------------------------------------------

TEST(PublishBatch, PerMessageResultsAndTotalsAndInvalidOnesDoNotStopTheRest) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseFleet fleet(d.port());
    std::string why;
    auto streams = open_streams_on_every_shard(fleet, "/api/sse/stream?channels=ba", 2, 1,
                                               Deadline(10s), &why);
    ASSERT_FALSE(streams.empty()) << why;
    const int64_t n = int64_t(streams.size());
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();

    Json r = ask(c, R"({"op":"publish","req":"b","messages":[)"
                    R"({"channel":"ba","event":"x","data":1},)"
                    R"({"channel":"ba","event":"x"},)"
                    R"({"channel":"bb","event":"y","data":2},)"
                    R"("not an object",)"
                    R"({"channel":"ba","event":"x","data":3,"id":77},)"
                    R"({"channel":"ba","event":"x","data":4,"colour":"red"},)"
                    R"({"channel":"ba","event":"x","data":5,"priority":2}]})");
    ASSERT_TRUE(r["ok"].as_bool()) << c.error();
    EXPECT_EQ(r["req"].as_string(), "b");
    EXPECT_EQ(r["sent"].as_int(), 3 * n);
    EXPECT_EQ(r["failed"].as_int(), 0);
    const Json& res = r["results"];
    ASSERT_EQ(res.size(), 7u);
    const std::string epoch = id_epoch(res[0]["id"].as_string());
    auto ok = [&](size_t i, const std::string& id, int64_t sent) {
        EXPECT_TRUE(res[i]["ok"].as_bool()) << "result " << i;
        EXPECT_EQ(res[i]["id"].as_string(), id) << "result " << i;
        EXPECT_EQ(res[i]["sent"].as_int(), sent) << "result " << i;
        EXPECT_EQ(res[i]["failed"].as_int(), 0) << "result " << i;
    };
    auto bad = [&](size_t i, const char* says) {
        EXPECT_FALSE(res[i]["ok"].as_bool()) << "result " << i;
        EXPECT_EQ(res[i]["error"]["code"].as_string(), "invalid_field") << "result " << i;
        EXPECT_NE(res[i]["error"]["message"].as_string().find(says), std::string::npos)
            << "result " << i << ": " << res[i]["error"]["message"].as_string();
    };
    // One sequence over every channel: the refused messages take no number; the
    // one to bb (nobody reads it) and the one with its own id do.
    ok(0, event_id(epoch, 1), n);
    bad(1, "\"data\" is required");
    ok(2, event_id(epoch, 2), 0);
    bad(3, "object");
    ok(4, "77", n);
    bad(5, "unknown field \"colour\"");
    ok(6, event_id(epoch, 4), n);

    ASSERT_TRUE(await_data_events(fleet, streams, 3, Deadline(10s))) << fleet.problems();
    for (size_t s : streams) {
        auto events = fleet[s].data_events();
        ASSERT_EQ(events.size(), 3u);
        EXPECT_EQ(events[0]->data, "1");
        EXPECT_EQ(events[0]->last_event_id, event_id(epoch, 1));
        EXPECT_EQ(events[1]->data, "3");
        EXPECT_EQ(events[1]->last_event_id, "77");
        EXPECT_EQ(events[2]->data, "5");
        EXPECT_EQ(events[2]->last_event_id, event_id(epoch, 4));
    }

    // Refused whole: messages not an array, message fields beside "messages".
    EXPECT_EQ(check_error_reply(*c.request(R"({"op":"publish","req":1,"messages":"x"})"), "1",
                                "invalid_field"),
              "");
    EXPECT_EQ(
        check_error_reply(*c.request(R"({"op":"publish","req":2,"channel":"ba","messages":[]})"),
                          "2", "invalid_field"),
        "");
    Json empty = ask(c, R"({"op":"publish","req":3,"messages":[]})");
    EXPECT_TRUE(empty["ok"].as_bool());
    EXPECT_EQ(empty["sent"].as_int(), 0);
    EXPECT_EQ(empty["results"].size(), 0u);
}

// --- validation --------------------------------------------------------------------

TEST(PublishValidation, EveryFieldIsCheckedWithAMessageNamingItOnBothPaths) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    const std::string base = R"("channel":"c","event":"e","data":1,)";
    struct Case {
        std::string fields;
        std::string says;
    };
    const std::vector<Case> cases = {
        {R"("event":"e","data":1)", "\"channel\" is required"},
        {R"("channel":"a b","event":"e","data":1)", "\"channel\""},
        {"\"channel\":\"" + std::string(129, 'a') + "\",\"event\":\"e\",\"data\":1", "\"channel\""},
        {R"("channel":5,"event":"e","data":1)", "\"channel\""},
        {R"("channel":"c","data":1)", "\"event\" is required"},
        {R"("channel":"c","event":"a\nb","data":1)", "\"event\""},
        {R"("channel":"c","event":"","data":1)", "\"event\""},
        {"\"channel\":\"c\",\"event\":\"" + std::string(129, 'e') + "\",\"data\":1", "\"event\""},
        {R"("channel":"c","event":"e")", "\"data\" is required"},
        {base + R"("id":"")", "\"id\""},
        {base + R"("id":"a\nb")", "\"id\""},
        {base + "\"id\":\"" + std::string(129, 'i') + "\"", "\"id\""},
        {base + R"("id":1.5)", "\"id\""},
        {base + R"("id":true)", "\"id\""},
        {base + R"("timestamp":"now")", "\"timestamp\""},
        {base + R"("timestamp":-1)", "\"timestamp\""},
        {base + R"("target":"everyone")", "\"target\""},
        {base + R"("target":5)", "\"target\""},
        {base + R"("target":"user-specific")", "\"targetUsers\""},
        {base + R"("target":"role-based")", "\"targetRoles\""},
        {base + R"("target":"permission-based")", "\"targetPermissions\""},
        {base + R"("target":"all","targetUsers":["u1"])", "\"targetUsers\""},
        {base + R"("target":"user-specific","targetUsers":["u"],"targetRoles":["r"])",
         "\"targetRoles\""},
        {base + R"("targetUsers":"u1")", "\"targetUsers\""},
        {base + R"("targetUsers":[""])", "\"targetUsers\""},
        {base + R"("targetUsers":[true])", "\"targetUsers\""},
        {base + R"("targetRoles":[1])", "\"targetRoles\""},
        {base + R"("targetPermissions":[""])", "\"targetPermissions\""},
        {base + R"("targetUsers":["u"],"targetRoles":["r"])", "\"target\""},
        {base + R"("excludeUsers":[{}])", "\"excludeUsers\""},
        {base + R"("excludeUsers":"u")", "\"excludeUsers\""},
        {base + R"("requireAuth":"yes")", "\"requireAuth\""},
        {base + R"("persistent":1)", "\"persistent\""},
        {base + R"("retryable":null)", "\"retryable\""},
        {base + R"("priority":11)", "\"priority\""},
        {base + R"("priority":-1)", "\"priority\""},
        {base + R"("priority":5.5)", "\"priority\""},
        {base + R"("priority":"5")", "\"priority\""},
        {base + R"("ttl":0)", "\"ttl\""},
        {base + R"("ttl":-5)", "\"ttl\""},
        {base + R"("ttl":"10")", "\"ttl\""},
        {base + R"("ttl":100000000)", "\"ttl\""},
        {base + R"("chanel":"x")", "unknown field \"chanel\""},
    };
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    HttpClient api(d.port());
    ASSERT_TRUE(api.connect()) << api.error();
    for (size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].fields);
        auto r = c.request("{\"op\":\"publish\",\"req\":" + std::to_string(i) + "," +
                           cases[i].fields + "}");
        ASSERT_TRUE(r) << c.error();
        EXPECT_EQ(check_error_reply(*r, std::to_string(i), "invalid_field"), "");
        std::string message = parse_reply(*r)["error"]["message"].as_string();
        EXPECT_NE(message.find(cases[i].says), std::string::npos) << message;

        auto h = api.request("POST", "/api/publish", "{" + cases[i].fields + "}");
        ASSERT_TRUE(h) << api.error();
        EXPECT_EQ(check_json_error(*h, 400, "bad_request"), "");
        auto hj = h->json();
        EXPECT_EQ(hj ? (*hj)["error"]["message"].as_string() : "", message)
            << "HTTP and the socket validate alike";
    }

    // Edge values that are valid.
    struct Valid {
        std::string fields;
        std::string id;  // expected id; empty: numbered
    };
    // None of the invalid publishes above took a number; each valid one below
    // (those with their own id too) takes the next: valid[i] is event i + 1.
    const std::vector<Valid> valid = {
        {base + R"("priority":0)", ""},
        {base + R"("priority":10)", ""},
        {base + R"("ttl":0.001)", ""},
        {base + R"("ttl":null)", ""},
        {base + R"("id":42)", "42"},
        {base + R"("id":"custom")", "custom"},
        {base + R"("id":18446744073709551615)", "18446744073709551615"},
        {base + R"("timestamp":1795410947321)", ""},
        {base + R"("target":"all","excludeUsers":[7,"u"])", ""},
        {base + R"("targetUsers":[123,"u"])", ""},
        {base + R"("requireAuth":false,"persistent":true,"retryable":true)", ""},
        {R"("channel":"c","event":"e","data":null)", ""},
    };
    std::string epoch;
    for (size_t i = 0; i < valid.size(); ++i) {
        SCOPED_TRACE(valid[i].fields);
        Json j = ask(
            c, "{\"op\":\"publish\",\"req\":" + std::to_string(i) + "," + valid[i].fields + "}");
        EXPECT_TRUE(j["ok"].as_bool()) << c.error();
        if (!valid[i].id.empty()) {
            EXPECT_EQ(j["id"].as_string(), valid[i].id);
        } else {
            if (epoch.empty()) epoch = id_epoch(j["id"].as_string());
            EXPECT_EQ(j["id"].as_string(), event_id(epoch, i + 1));
        }
    }
}

// --- targeting -----------------------------------------------------------------------

TEST(PublishTargeting, TargetedMessagesReachNoAnonymousSubscriberUntargetedReachAll) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseFleet fleet(d.port());
    std::string why;
    auto streams = open_streams_on_every_shard(fleet, "/api/sse/stream?channels=tg", 2, 1,
                                               Deadline(10s), &why);
    ASSERT_FALSE(streams.empty()) << why;
    const int64_t n = int64_t(streams.size());
    struct Case {
        std::string extra;
        bool reaches_all;
    };
    const std::vector<Case> cases = {
        {R"("target":"user-specific","targetUsers":["u1"])", false},
        {R"("targetUsers":["u1",2])", false},
        {R"("target":"role-based","targetRoles":["admin"])", false},
        {R"("target":"permission-based","targetPermissions":["p"])", false},
        {R"("target":"authenticated")", false},
        {R"("target":"subscribers")", false},
        {R"("requireAuth":true)", false},
        {R"("target":"all","requireAuth":true)", false},
        {R"("target":"all","excludeUsers":["u1",7])", true},
        {R"("target":"all")", true},
        {"", true},
    };
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    std::vector<std::string> delivered;
    for (size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].extra);
        std::string data = std::to_string(i);
        Json j = ask(c, publish_line(data, "tg", "t", data, cases[i].extra));
        ASSERT_TRUE(j["ok"].as_bool()) << c.error();
        EXPECT_EQ(j["sent"].as_int(), cases[i].reaches_all ? n : 0);
        EXPECT_EQ(j["failed"].as_int(), 0);
        if (cases[i].reaches_all) delivered.push_back(data);
    }
    Json fence = ask(c, publish_line("\"f\"", "tg", "t", "\"fence\""));
    ASSERT_TRUE(fence["ok"].as_bool());
    delivered.push_back("\"fence\"");
    ASSERT_TRUE(await_data_events(fleet, streams, delivered.size(), Deadline(10s)))
        << fleet.problems();
    for (size_t s : streams) {
        std::vector<std::string> got;
        for (const SseEvent* e : fleet[s].data_events())
            got.push_back(e->data);
        EXPECT_EQ(got, delivered) << "stream " << connection_id(fleet, s);
    }
}

// --- ttl ---------------------------------------------------------------------------

TEST(PublishTtl, MessageExpiredByItsTimestampIsNeverDelivered) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseFleet fleet(d.port());
    std::string why;
    auto streams = open_streams_on_every_shard(fleet, "/api/sse/stream?channels=ttl", 2, 1,
                                               Deadline(10s), &why);
    ASSERT_FALSE(streams.empty()) << why;
    const int64_t n = int64_t(streams.size());
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    auto expired_total = [&] {
        Json s = ask(c, R"({"op":"stats","req":"s"})");
        int64_t sum = 0;
        for (const Json& shard : s["stats"]["shards"].items())
            sum += shard["eventsExpired"].as_int();
        return sum;
    };
    const int64_t expired_before = expired_total();

    const int64_t now = wall_now_ms();
    struct Case {
        std::string extra;
        bool live;
    };
    const std::vector<Case> cases = {
        {"\"timestamp\":" + std::to_string(now - 60000) + ",\"ttl\":1", false},
        {"\"timestamp\":" + std::to_string(now - 5000) + ",\"ttl\":2.5", false},
        {"\"timestamp\":" + std::to_string(now) + ",\"ttl\":60", true},
        {"\"ttl\":60", true},
        {"\"timestamp\":" + std::to_string(now - 1000), true},
    };
    std::vector<std::string> delivered;
    for (size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].extra);
        std::string data = std::to_string(i);
        Json j = ask(c, publish_line(data, "ttl", "t", data, cases[i].extra));
        ASSERT_TRUE(j["ok"].as_bool()) << c.error();
        EXPECT_EQ(j["sent"].as_int(), cases[i].live ? n : 0);
        if (cases[i].live) delivered.push_back(data);
    }
    ASSERT_TRUE(ask(c, publish_line("\"f\"", "ttl", "t", "\"fence\""))["ok"].as_bool());
    delivered.push_back("\"fence\"");
    ASSERT_TRUE(await_data_events(fleet, streams, delivered.size(), Deadline(10s)))
        << fleet.problems();
    for (size_t s : streams) {
        std::vector<std::string> got;
        for (const SseEvent* e : fleet[s].data_events())
            got.push_back(e->data);
        EXPECT_EQ(got, delivered) << "stream " << connection_id(fleet, s);
    }
    // Each expired event was dropped on every shard it reached (at least one).
    const int64_t expired = expired_total() - expired_before;
    EXPECT_GE(expired, 2);
    EXPECT_LE(expired, 2 * 2);
}

}  // namespace
}  // namespace ringcast::itest
