// Every connection knows its peer's IP address (src/net/peer_address.h), on
// every shard, however it was accepted. Streams are opened from several loopback
// source addresses (bound before connecting); the `connection` op of the Unix
// socket must report, for each, the address it came from: whether the accepting
// shard kept it or handed it to another shard with the address in the MSG_RING
// tag (accept = handoff), or each shard accepted its own (accept = reuseport).
// The Unix-socket client itself is accepted (and, with handoff, moved) without
// an address, and must keep working.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "daemon_process.h"
#include "publish_support.h"
#include "sse_fleet.h"
#include "unix_client.h"

namespace ringcast::itest {
namespace {

// Every byte of the address differs in some source, so that a byte-order slip
// on the way between shards cannot go unnoticed.
const std::vector<std::string> kSources = {"127.0.0.2", "127.0.0.5",    "127.0.0.9",
                                           "127.1.2.3", "127.10.20.30", "127.254.253.252"};
constexpr unsigned kPerSource = 4;

void expect_every_stream_reports_its_source(const std::string& accept) {
    DaemonProcess d;
    ASSERT_TRUE(d.start({.shards = 2, .extra_args = {"--accept", accept}})) << d.error();
    SseFleet fleet(d.port());
    std::vector<std::string> source_of;
    for (unsigned k = 0; k < kPerSource; ++k)
        for (const std::string& src : kSources) {
            fleet.add("/api/sse/stream?channels=peer", 0, src);
            source_of.push_back(src);
        }
    ASSERT_TRUE(fleet.run_until([&] { return fleet.all_connected(); }, Deadline(10s)))
        << fleet.problems();

    UnixClient c;
    ASSERT_TRUE(c.connect(socket_path(d))) << c.error();
    std::vector<unsigned> per_shard(2, 0);
    for (size_t i = 0; i < fleet.size(); ++i) {
        const std::string id = connection_id(fleet, i);
        SCOPED_TRACE(id + " from " + source_of[i]);
        Json r = ask(c, "{\"op\":\"connection\",\"req\":1,\"id\":\"" + id + "\"}");
        ASSERT_TRUE(r["ok"].as_bool()) << c.error();
        EXPECT_EQ(r["connection"]["ip"].as_string(), source_of[i]);
        int shard = shard_of(id);
        ASSERT_TRUE(shard == 0 || shard == 1);
        ++per_shard[unsigned(shard)];
    }
    // 24 streams over 2 shards: with handoff they alternate; with reuseport the
    // kernel hashes 24 different 4-tuples, which practically never all land on
    // one shard.
    EXPECT_GT(per_shard[0], 0u) << "no stream on shard 0";
    EXPECT_GT(per_shard[1], 0u) << "no stream on shard 1";
    // The publish socket (no address) still answers after all this.
    EXPECT_TRUE(ask(c, R"({"op":"stats","req":2})")["ok"].as_bool()) << c.error();
}

TEST(PeerAddress, HandoffCarriesEachStreamsAddressToItsShard) {
    expect_every_stream_reports_its_source("handoff");
}

TEST(PeerAddress, ReuseportShardsSeeEachStreamsAddress) {
    expect_every_stream_reports_its_source("reuseport");
}

}  // namespace
}  // namespace ringcast::itest
