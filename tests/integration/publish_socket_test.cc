// The Unix-socket publish protocol, framing and robustness (docs/protocol.md,
// "The Unix socket protocol"): one reply per request with "req", echoing it;
// replies in request order however deep the pipeline; fire-and-forget requests
// silent unless they fail, then named by line number; "\r\n" and empty lines;
// errors that keep the connection, and the overlong line that closes it.
#include <gtest/gtest.h>

#include "daemon_process.h"
#include "event_ids.h"
#include "publish_support.h"
#include "sse_client.h"
#include "sse_fleet.h"

namespace ringcast::itest {
namespace {

// --- replies echo "req" ------------------------------------------------------------

TEST(PublishFraming, EveryReqIsEchoedOnceWhateverItsJsonType) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();

    // Compact forms come back byte for byte; the rest as the same JSON value.
    const std::vector<std::string> compact = {"1",
                                              "-7",
                                              "0",
                                              "3.25",
                                              "12345678901234567890",
                                              "\"s\"",
                                              "\"\"",
                                              "null",
                                              "true",
                                              "false",
                                              "[]",
                                              "{}",
                                              R"("quote \" backslash \\ newline \n tab \t é 😀")",
                                              R"([1,"a",null,{"b":[2,false]}])",
                                              R"({"k":{"n":-1.5,"s":"x"},"a":[]})"};
    const std::vector<std::string> other = {"1e2", "-0.5E-3", R"("\u00e9\/")",
                                            R"( { "spaced" : [ 1 , 2 ] } )"};
    std::vector<std::string> reqs = compact;
    reqs.insert(reqs.end(), other.begin(), other.end());

    // Each req on an instant success, an instant error, a validation error, an
    // error answered by another shard, and a success answered by other shards.
    std::string out;
    for (const std::string& r : reqs) {
        out += "{\"op\":\"ping\",\"req\":" + r + "}\n";
        out += "{\"op\":\"nope\",\"req\":" + r + "}\n";
        out += "{\"op\":\"publish\",\"req\":" + r + ",\"channel\":\"echo\",\"event\":\"e\"}\n";
        out += "{\"op\":\"connection\",\"req\":" + r + ",\"id\":\"c1-999999\"}\n";
        out += publish_line(r, "echo", "e", "1") + "\n";
    }
    out += "{\"op\":\"ping\",\"req\":\"end\"}\n";
    std::string why;
    auto lines = exchange(c, out, reqs.size() * 5 + 1, Deadline(10s), &why);
    ASSERT_EQ(lines.size(), reqs.size() * 5 + 1) << why;

    const char* codes[] = {"", "unknown_op", "invalid_field", "not_found", ""};
    for (size_t i = 0; i < reqs.size(); ++i) {
        auto want = Json::parse(reqs[i]);
        ASSERT_TRUE(want) << reqs[i];
        for (size_t k = 0; k < 5; ++k) {
            const std::string& line = lines[i * 5 + k];
            Json j = parse_reply(line);
            ASSERT_TRUE(j.has("req")) << line;
            EXPECT_TRUE(json_equal(j["req"], *want)) << "sent req " << reqs[i] << ", got " << line;
            if (*codes[k]) {
                EXPECT_EQ(check_error_reply(line, reqs[i], codes[k]), "");
            } else {
                EXPECT_TRUE(j["ok"].as_bool()) << line;
            }
            if (i < compact.size()) {
                EXPECT_EQ(line.rfind("{\"req\":" + reqs[i] + ",\"ok\":", 0), 0u)
                    << "compact req " << reqs[i] << " not echoed byte for byte: " << line;
            }
        }
    }
    // The fence came last: no request got a second reply.
    EXPECT_EQ(parse_reply(lines.back())["req"].as_string(), "end") << lines.back();
}

// Numbers stay exact: an integer beyond 64 bits (valid JSON, but one that a
// double would round) is refused with a message saying how to send it, on the
// line's number since its req cannot be read; the connection stays usable.
TEST(PublishFraming, IntegersBeyondSixtyFourBitsAreRefusedWithAHint) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();

    std::string why;
    auto lines =
        exchange(c,
                 "{\"op\":\"ping\",\"req\":123456789012345678901234}\n" +
                     publish_line("2", "big", "e", R"({"n":123456789012345678901234})") + "\n" +
                     publish_line("3", "big", "e", R"({"n":"123456789012345678901234"})") +
                     "\n{\"op\":\"ping\",\"req\":18446744073709551615}\n",
                 4, Deadline(5s), &why);
    ASSERT_EQ(lines.size(), 4u) << why;
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(check_error_reply(lines[i], "", "invalid_json", i + 1), "");
        EXPECT_NE(parse_reply(lines[i])["error"]["message"].as_string().find("64 bits"),
                  std::string::npos)
            << lines[i];
    }
    EXPECT_TRUE(parse_reply(lines[2])["ok"].as_bool()) << "as a string it goes: " << lines[2];
    EXPECT_EQ(lines[3].rfind(R"({"req":18446744073709551615,"ok":true,)", 0), 0u)
        << "the largest unsigned 64-bit req is echoed exactly: " << lines[3];
}

// --- fire-and-forget ---------------------------------------------------------------

TEST(PublishFraming, FireAndForgetIsSilentUnlessItFailsThenNamesItsLine) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseClient sub;
    ASSERT_TRUE(sub.open(d.port(), "/api/sse/stream?channels=ff")) << sub.error();
    ASSERT_TRUE(sub.await_events(1, Deadline(5s))) << "no connected event";
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();

    // Line numbers count every line, empty ones and "\r\n" ones included.
    const std::string session =
        "{\"op\":\"ping\"}\n"                                                             // 1
        "\n"                                                                              // 2
        "{\"op\":\"publish\",\"channel\":\"ff\",\"event\":\"e\",\"data\":\"first\"}\r\n"  // 3
        "\r\n"                                                                            // 4
        "{\"op\":\"nope\"}\n"                                                             // 5
        "not json\n"                                                                      // 6
        "{\"op\":\"publish\",\"channel\":\"ff\"}\r\n"                                     // 7
        "[1]\n"                                                                           // 8
        "{\"op\":\"stats\"}\n"                                                            // 9
        "{\"op\":\"user\",\"userId\":\"u\"}\n"                                            // 10
        "{\"op\":\"ping\",\"req\":\"crlf\"}\r\n"                                          // 11
        "{\"op\":\"publish\",\"channel\":\"ff\",\"event\":\"e\",\"data\":\"second\"}\n"   // 12
        "{\"op\":\"publish\",\"messages\":[{\"channel\":\"ff\",\"event\":\"e\",\"data\":"
        "\"third\"},{\"channel\":\"ff\",\"event\":\"e\"},7]}\n"  // 13
        "{\"op\":\"disconnect\",\"userId\":\"ghost\"}\n"         // 14
        "{\"op\":\"ping\",\"req\":\"end\"}\n";                   // 15
    std::string why;
    auto lines = exchange(c, session, 8, Deadline(10s), &why);
    ASSERT_EQ(lines.size(), 8u) << why;
    EXPECT_EQ(check_error_reply(lines[0], "", "unknown_op", 5), "");
    EXPECT_EQ(check_error_reply(lines[1], "", "invalid_json", 6), "");
    EXPECT_EQ(check_error_reply(lines[2], "", "invalid_field", 7), "");
    EXPECT_EQ(parse_reply(lines[2])["error"]["message"].as_string(), "\"event\" is required");
    EXPECT_EQ(check_error_reply(lines[3], "", "invalid_request", 8), "");
    EXPECT_EQ(lines[4].rfind(R"({"req":"crlf","ok":true,)", 0), 0u) << lines[4];
    EXPECT_EQ(check_error_reply(lines[5], "", "invalid_field", 13), "");
    EXPECT_NE(parse_reply(lines[5])["error"]["message"].as_string().find("messages[1]"),
              std::string::npos)
        << "the error names the failing message: " << lines[5];
    EXPECT_EQ(check_error_reply(lines[6], "", "invalid_field", 13), "")
        << "every bad message of a batch is reported";
    EXPECT_NE(parse_reply(lines[6])["error"]["message"].as_string().find("messages[2]"),
              std::string::npos)
        << lines[6];
    EXPECT_EQ(lines[7].rfind(R"({"req":"end","ok":true,)", 0), 0u)
        << "a fire-and-forget request was answered: " << lines[7];

    // The fire-and-forget publishes went out, in order; the batch's valid message too.
    ASSERT_TRUE(sub.read_until([&] { return sub.data_events().size() >= 3; }, Deadline(5s)))
        << sub.data_events().size() << " events";
    auto events = sub.data_events();
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].data, "\"first\"");
    EXPECT_EQ(events[1].data, "\"second\"");
    EXPECT_EQ(events[2].data, "\"third\"");
}

// A fire-and-forget query that fails on another shard is still a failure.
TEST(PublishFraming, FireAndForgetConnectionQueryReportsNotFoundWithItsLine) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    // Line 1 fails at once (no such id form); line 2 on the shard it names.
    std::string why;
    auto lines = exchange(c,
                          "{\"op\":\"connection\",\"id\":\"nonsense\"}\n"
                          "{\"op\":\"connection\",\"id\":\"c1-999999\"}\n"
                          "{\"op\":\"ping\",\"req\":\"end\"}\n",
                          3, Deadline(2s), &why);
    ASSERT_GE(lines.size(), 2u) << why;
    EXPECT_EQ(check_error_reply(lines[0], "", "not_found", 1), "");
    EXPECT_EQ(check_error_reply(lines[1], "", "not_found", 2), "")
        << "spec: a request without req still reports its failure";
}

// --- deep pipelining ---------------------------------------------------------------

struct Expected {
    enum Kind { ping, publish, batch, stats, connection, user, disconnect, error } kind;
    std::string req;  // compact JSON; empty for a line-numbered error
    uint64_t line = 0;
    std::string code;            // error
    std::vector<uint64_t> seqs;  // publish, batch: the sequence of each event
    std::string conn;            // connection
};

TEST(PublishFraming, FiveThousandPipelinedRequestsAreAnsweredInRequestOrder) {
    constexpr int kRequests = 5000;
    constexpr int kChannels = 6;
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    SseFleet fleet(d.port());
    std::string why;
    auto streams = open_streams_on_every_shard(
        fleet, "/api/sse/stream?channels=pl0,pl1,pl2,pl3,pl4,pl5", 2, 2, Deadline(10s), &why);
    ASSERT_FALSE(streams.empty()) << why;
    const int64_t subs = int64_t(streams.size());

    std::string out;
    uint64_t line = 0;
    std::vector<Expected> want;
    // The events in publish order. One connection's requests are handled in
    // order, and the daemon numbers every event of every channel with one
    // sequence, so event k has sequence k + 1 (the refused publishes take none).
    std::vector<std::string> published_data;
    auto add = [&](const std::string& s, bool crlf) {
        out += s;
        out += crlf ? "\r\n" : "\n";
        ++line;
    };
    auto published = [&](int ch, int i) {
        std::string data = "{\"c\":" + std::to_string(ch) + ",\"i\":" + std::to_string(i) + "}";
        published_data.push_back(data);
        return std::make_pair(uint64_t(published_data.size()), data);
    };
    for (int i = 0; i < kRequests; ++i) {
        const std::string n = std::to_string(i);
        const std::string req = i % 4 == 0   ? n
                                : i % 4 == 1 ? "\"r" + n + "\""
                                : i % 4 == 2 ? "{\"i\":" + n + "}"
                                             : "[" + n + ",\"x\"]";
        const int ch = i % kChannels;
        const std::string channel = "pl" + std::to_string(ch);
        const bool crlf = i % 7 == 0;
        switch (i % 12) {
            case 0: {
                auto [seq, data] = published(ch, i);
                add(publish_line(req, channel, "pl", data), crlf);
                want.push_back({Expected::publish, req, 0, "", {seq}, ""});
                break;
            }
            case 1:
                add("{\"op\":\"ping\",\"req\":" + req + "}", crlf);
                want.push_back({Expected::ping, req});
                break;
            case 2: add(publish_line("", channel, "pl", published(ch, i).second), crlf); break;
            case 3:
                if ((i / 12) % 4 == 0) {
                    add("{\"op\":\"stats\",\"req\":" + req + "}", crlf);
                    want.push_back({Expected::stats, req});
                } else {
                    add("{\"op\":\"user\",\"req\":" + req + ",\"userId\":\"u" + n + "\"}", crlf);
                    want.push_back({Expected::user, req});
                }
                break;
            case 4:
                add("{\"op\":\"nope\",\"req\":" + req + "}", crlf);
                want.push_back({Expected::error, req, 0, "unknown_op"});
                break;
            case 5: {
                std::string id = connection_id(fleet, streams[size_t(i / 12) % streams.size()]);
                add("{\"op\":\"connection\",\"req\":" + req + ",\"id\":\"" + id + "\"}", crlf);
                want.push_back({Expected::connection, req, 0, "", {}, id});
                break;
            }
            case 6:
                add("{\"op\":\"ping\",\"req\":" + req + ",", crlf);  // cut short
                want.push_back({Expected::error, "", line, "invalid_json"});
                break;
            case 7:
                add("{\"op\":\"publish\",\"req\":" + req + ",\"channel\":\"" + channel +
                        "\",\"event\":\"pl\"}",
                    crlf);
                want.push_back({Expected::error, req, 0, "invalid_field"});
                break;
            case 8:
                add("", crlf);  // an empty line: no request, but a line
                add("{\"op\":\"ping\",\"req\":" + req + "}", false);
                want.push_back({Expected::ping, req});
                break;
            case 9: {
                int ch2 = (ch + 1) % kChannels;
                auto [seq1, data1] = published(ch, i);
                auto [seq2, data2] = published(ch2, i);
                add("{\"op\":\"publish\",\"req\":" + req + ",\"messages\":[{\"channel\":\"" +
                        channel + "\",\"event\":\"pl\",\"data\":" + data1 + "},{\"channel\":\"pl" +
                        std::to_string(ch2) + "\",\"event\":\"pl\",\"data\":" + data2 + "}]}",
                    crlf);
                want.push_back({Expected::batch, req, 0, "", {seq1, seq2}, ""});
                break;
            }
            case 10:
                add("{\"op\":\"connection\",\"req\":" + req + ",\"id\":\"c1-999999\"}", crlf);
                want.push_back({Expected::error, req, 0, "not_found"});
                break;
            case 11:
                add("{\"op\":\"disconnect\",\"req\":" + req + ",\"userId\":\"ghost\"}", crlf);
                want.push_back({Expected::disconnect, req});
                break;
        }
    }

    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    auto lines = exchange(c, out, want.size(), Deadline(30s), &why);
    ASSERT_EQ(lines.size(), want.size()) << why;
    ASSERT_EQ(want[0].kind, Expected::publish);
    const std::string epoch = id_epoch(parse_reply(lines[0])["id"].as_string());
    int bad = 0;
    for (size_t k = 0; k < want.size() && bad < 10; ++k) {
        const Expected& e = want[k];
        const std::string& l = lines[k];
        if (e.kind == Expected::error) {
            std::string problem = check_error_reply(l, e.req, e.code, e.line);
            EXPECT_EQ(problem, "") << "reply " << k;
            bad += !problem.empty();
            continue;
        }
        Json j = parse_reply(l);
        bool ok = j["ok"].as_bool() && json_equal(j["req"], *Json::parse(e.req));
        switch (e.kind) {
            case Expected::publish:
                ok = ok && j["id"].as_string() == event_id(epoch, e.seqs[0]) &&
                     j["sent"].as_int() == subs && j["failed"].as_int() == 0;
                break;
            case Expected::batch:
                ok = ok && j["sent"].as_int() == 2 * subs && j["results"].size() == 2 &&
                     j["results"][size_t(0)]["id"].as_string() == event_id(epoch, e.seqs[0]) &&
                     j["results"][size_t(1)]["id"].as_string() == event_id(epoch, e.seqs[1]);
                break;
            case Expected::stats: ok = ok && j["stats"]["totalConnections"].as_int() == subs; break;
            case Expected::connection:
                ok = ok && j["connection"]["connectionId"].as_string() == e.conn;
                break;
            case Expected::user:
                ok = ok && j["connected"].is_bool() && !j["connected"].as_bool();
                break;
            case Expected::disconnect: ok = ok && j["disconnected"].as_int() == 0; break;
            default: break;
        }
        EXPECT_TRUE(ok) << "reply " << k << " (req " << e.req << "): " << l;
        bad += !ok;
    }

    // Every publish reached every stream (each reads every channel) once, in
    // publish order, which is increasing sequence: event k as <epoch>-<k + 1>.
    const size_t total = published_data.size();
    ASSERT_TRUE(fleet.run_until(
        [&] {
            for (size_t s : streams)
                if (fleet[s].data_events().size() < total) return false;
            return true;
        },
        Deadline(20s)))
        << fleet.problems();
    for (size_t s : streams) {
        auto events = fleet[s].data_events();
        ASSERT_EQ(events.size(), total) << "stream " << s;
        for (size_t k = 0; k < total; ++k) {
            ASSERT_EQ(events[k]->last_event_id, event_id(epoch, k + 1))
                << "stream " << s << ", event " << k << ": " << events[k]->data;
            ASSERT_EQ(events[k]->data, published_data[k]) << "stream " << s << ", event " << k;
        }
    }
}

// --- errors and the connection -----------------------------------------------------

TEST(PublishRobustness, ErrorsAreAnsweredAndTheConnectionStaysUsable) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    struct Case {
        std::string line, req, code;
    };
    const std::vector<Case> cases = {
        {R"({"op":"ping","req":1)", "", "invalid_json"},
        {R"([1,2])", "", "invalid_request"},
        {R"("just a string")", "", "invalid_request"},
        {R"({"req":3})", "3", "invalid_request"},
        {R"({"op":5,"req":4})", "4", "invalid_request"},
        {R"({"op":"nope","req":5})", "5", "unknown_op"},
        {R"({"op":"publish","req":6,"channel":"a b","event":"e","data":1})", "6", "invalid_field"},
        {R"({"op":"publish","req":7,"messages":{}})", "7", "invalid_field"},
        {R"({"op":"publish","req":8,"messages":[],"channel":"x"})", "8", "invalid_field"},
        {R"({"op":"connection","req":9})", "9", "invalid_field"},
        {"{\"op\":\"ping\",\"req\":\"\xff\xfe\"}", "", "invalid_json"},
    };
    for (size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].line);
        std::string why;
        auto lines = exchange(
            c, cases[i].line + "\n{\"op\":\"ping\",\"req\":\"after" + std::to_string(i) + "\"}\n",
            2, Deadline(5s), &why);
        ASSERT_EQ(lines.size(), 2u) << why;
        // Line numbers: two lines per case so far.
        EXPECT_EQ(check_error_reply(lines[0], cases[i].req, cases[i].code, 2 * i + 1), "");
        EXPECT_EQ(lines[1].rfind("{\"req\":\"after" + std::to_string(i) + "\",\"ok\":true", 0), 0u)
            << lines[1];
    }
    auto unknown = c.request(R"({"op":"nope","req":0})");
    ASSERT_TRUE(unknown) << c.error();
    EXPECT_NE(parse_reply(*unknown)["error"]["message"].as_string().find(
                  "ping, publish, invalidate, stats, connection, connections, user, disconnect"),
              std::string::npos)
        << "unknown_op lists the ops: " << *unknown;
}

// A line over publish.max_line: line_too_long (with its line number), then the
// connection closes; nothing after it is answered; the daemon serves others.
TEST(PublishRobustness, OverlongLineGetsLineTooLongAndTheConnectionCloses) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = "[publish]\nmax_line = \"1KiB\"\n"})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    std::string big = "{\"op\":\"ping\",\"req\":\"" + std::string(2000, 'x') + "\"}";
    ASSERT_TRUE(c.send("{\"op\":\"ping\",\"req\":1}\n{\"op\":\"ping\",\"req\":2}\n" + big +
                       "\n{\"op\":\"ping\",\"req\":4}\n"))
        << c.error();
    std::vector<std::string> lines;
    ASSERT_TRUE(c.await_close(Deadline(5s), &lines)) << "not closed: " << c.error();
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0].rfind(R"({"req":1,"ok":true)", 0), 0u) << lines[0];
    EXPECT_EQ(lines[1].rfind(R"({"req":2,"ok":true)", 0), 0u) << lines[1];
    EXPECT_EQ(check_error_reply(lines[2], "", "line_too_long", 3), "");

    UnixClient other;
    ASSERT_TRUE(other.connect(socket_path(d))) << other.error();
    EXPECT_TRUE(ask(other, R"({"op":"ping","req":1})")["ok"].as_bool());
}

// The limit holds before the line ends: a client that never sends "\n" cannot
// make the daemon buffer without bound.
TEST(PublishRobustness, OverlongLineIsRefusedBeforeItsEndArrives) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = "[publish]\nmax_line = \"1KiB\"\n"})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    ASSERT_TRUE(ask(c, R"({"op":"ping","req":1})")["ok"].as_bool());
    // 1500 bytes in small pieces, each awaited by the kernel; no newline ever.
    std::string piece(100, 'y');
    ASSERT_TRUE(c.send("{\"op\":\"ping\",\"req\":\"")) << c.error();
    for (int i = 0; i < 15; ++i)
        ASSERT_TRUE(c.send(piece)) << c.error();
    std::vector<std::string> lines;
    ASSERT_TRUE(c.await_close(Deadline(5s), &lines)) << "not closed: " << c.error();
    ASSERT_EQ(lines.size(), 1u);
    EXPECT_EQ(check_error_reply(lines[0], "", "line_too_long", 2), "");
}

// "A line longer than publish.max_line": a line of exactly max_line bytes is
// served, whichever of "\n" and "\r\n" ends it.
TEST(PublishRobustness, LineOfExactlyMaxLineBytesIsServedWithEitherLineEnd) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 1, .config = "[publish]\nmax_line = \"1KiB\"\n"})) << d.error();
    auto line_of = [](size_t size) {
        std::string head = "{\"op\":\"ping\",\"req\":\"";
        return head + std::string(size - head.size() - 2, 'z') + "\"}";
    };
    ASSERT_EQ(line_of(1024).size(), 1024u);
    for (const char* end : {"\n", "\r\n"}) {
        SCOPED_TRACE(end[0] == '\r' ? "CRLF" : "LF");
        UnixClient c;
        ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
        auto r = c.request(line_of(1024) + (end[0] == '\r' ? "\r" : ""));
        ASSERT_TRUE(r) << c.error();
        EXPECT_TRUE(parse_reply(*r)["ok"].as_bool()) << r->substr(0, 200);
    }
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    auto r = c.request(line_of(1025));
    ASSERT_TRUE(r) << c.error();
    EXPECT_EQ(check_error_reply(*r, "", "line_too_long", 1), "");
}

// publish.max_pending accepts 1: one request waiting at a time, and still every
// request is read and answered.
TEST(PublishRobustness, MaxPendingOfOneStillAnswersEveryRequest) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .config = "[publish]\nmax_pending = 1\n"})) << d.error();
    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    std::string out;
    for (int i = 0; i < 6; ++i)
        out += i % 2 ? publish_line(std::to_string(i), "mp" + std::to_string(i), "e", "1") + "\n"
                     : "{\"op\":\"stats\",\"req\":" + std::to_string(i) + "}\n";
    std::string why;
    auto lines = exchange(c, out, 6, Deadline(2s), &why);
    ASSERT_EQ(lines.size(), 6u) << why << " (the daemon stopped reading for good)";
    for (int i = 0; i < 6; ++i)
        EXPECT_EQ(lines[size_t(i)].rfind("{\"req\":" + std::to_string(i) + ",\"ok\":true", 0), 0u)
            << lines[size_t(i)].substr(0, 100);
}

}  // namespace
}  // namespace ringcast::itest
