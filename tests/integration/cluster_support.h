#pragma once
// What the cluster tests share (cluster_bus_test.cc, cluster_failure_test.cc):
// a real redis-server per test, nodes started on it and awaited until they are
// in the cluster's order, publishing over HTTP and the socket, and reading what
// streams and stats say.
#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../common/redis_server.h"
#include "daemon_process.h"
#include "http_client.h"
#include "json.h"
#include "publish_support.h"
#include "sse_client.h"
#include "unix_client.h"

namespace ringcast::itest {

inline const Headers& api_key_header() {
    static const Headers h = {{"X-API-Key", std::string(kTestApiKey)}};
    return h;
}

// A node's [cluster] section: quick reconnects and checks, for tests.
inline std::string node_config(const std::string& url, const std::string& extra = "") {
    return "[cluster]\nredis = \"" + url +
           "\"\nredis_reconnect_base = \"10ms\"\nredis_reconnect_max = \"200ms\"\n"
           "redis_ping_interval = \"200ms\"\nredis_command_timeout = \"500ms\"\n" +
           extra;
}

// The data events of a stream as "id data" strings, in arrival order.
inline std::vector<std::string> seen(const SseClient& s) {
    std::vector<std::string> out;
    for (const SseEvent& e : s.data_events())
        out.push_back(e.last_event_id + " " + e.data);
    return out;
}

// The ids of a stream's data events, in arrival order.
inline std::vector<std::string> ids_of(const SseClient& s) {
    std::vector<std::string> out;
    for (const SseEvent& e : s.data_events())
        out.push_back(e.last_event_id);
    return out;
}

// GET /api/stats "cluster" of a node.
inline Json cluster_stats(uint16_t port) {
    HttpClient c(port);
    if (!c.connect()) return Json();
    auto j = fetch_stats(c, Deadline(kIoTimeout), api_key_header());
    return j ? (*j)["cluster"] : Json();
}

// Polls a node's stats until it is in the cluster's order (or the deadline).
inline bool await_live(uint16_t port, const Deadline& d) {
    while (!cluster_stats(port)["live"].as_bool()) {
        if (d.expired()) return false;
        usleep(10'000);
    }
    return true;
}

// A publish over HTTP: the reply's JSON (null Json if none).
inline Json publish_json(uint16_t port, const std::string& channel, const std::string& data) {
    HttpClient c(port);
    if (!c.connect()) return Json();
    const std::string body = R"({"channel":")" + channel + R"(","event":"e","data":)" + data + "}";
    auto r =
        c.request("POST", "/api/publish", body,
                  {{"X-API-Key", std::string(kTestApiKey)}, {"Content-Type", "application/json"}});
    if (!r) return Json();
    auto j = r->json();
    Json out = j ? *j : Json();
    if (r->status != 200) ADD_FAILURE() << r->describe();
    return out;
}

// A publish over the socket on `u` (event "e", `fields` added to the message):
// the reply's JSON (null Json, and a failure, if none).
inline Json socket_publish(UnixClient& u, const std::string& channel, const std::string& data,
                           const std::string& fields = "") {
    auto line = u.request(R"({"op":"publish","req":1,"channel":")" + channel + R"(","event":"e",)" +
                          fields + R"("data":)" + data + "}");
    if (!line) {
        ADD_FAILURE() << u.error();
        return Json();
    }
    return parse_reply(*line);
}

// Sends one command to Redis over its Unix socket and returns the first line
// of the reply ("" on failure): the test's own hand on the server.
inline std::string redis_command(const std::string& socket, const std::vector<std::string>& args) {
    UnixClient c;
    if (!c.connect(socket)) return "";
    std::string cmd = "*" + std::to_string(args.size()) + "\r\n";
    for (const std::string& a : args)
        cmd += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
    if (!c.send(cmd)) return "";
    auto line = c.read_line();
    if (!line) return "";
    if (line->ends_with('\r')) line->pop_back();
    return *line;
}

// A real redis-server for each test, and nodes on it.
class ClusterTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (test::redis_server_path().empty())
            GTEST_SKIP() << "redis-server is not installed (Debian: apt-get install redis-server)";
        ASSERT_TRUE(_redis.start()) << _redis.error();
    }
    // Starts a node on `url` (default: the test's Redis) and waits until it is
    // in the cluster's order.
    DaemonProcess& node(const std::string& extra = "", std::string url = "") {
        auto d = std::make_unique<DaemonProcess>();
        EXPECT_TRUE(d->start({.config = node_config(url.empty() ? _redis.unix_url() : url, extra)}))
            << d->error();
        EXPECT_TRUE(await_live(d->port(), Deadline(10s))) << d->log();
        _nodes.push_back(std::move(d));
        return *_nodes.back();
    }
    test::RedisServer _redis;
    std::vector<std::unique_ptr<DaemonProcess>> _nodes;
};

}  // namespace ringcast::itest
