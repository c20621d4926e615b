// read_stats: the product documents' figures typed from a stats document.
#include <ringcast/stats_view.h>

#include <gtest/gtest.h>

namespace ringcast::client {
namespace {

TEST(StatsView, ReadsTheFiguresOfAStatsDocument) {
    StatsView v;
    std::string error;
    ASSERT_TRUE(read_stats(
        R"({"totalConnections":5,"sockets":7,"uniqueUsers":3,"connectionsByUser":{"bob":1,"alice":2},
            "otherUsers":{"users":4,"connections":6},"activeChannels":2,"eventsPublished":90,
            "messagesPerMinute":12,"busiestChannels":[{"channel":"a","messagesPerMinute":10,
            "connections":3},{"channel":"b","messagesPerMinute":2,"connections":0}],
            "otherChannels":{"channels":1,"messagesPerMinute":0},"deliveries":80,
            "deliveryFailures":1,"droppedSlowReaders":1,"droppedStalledWriters":2,
            "slowReaderDisconnects":3,"eventsDropped":4,"eventsExpiredInQueue":5,"cacheSize":6,
            "uptime":12.5,"memoryUsage":{"rss":1000,"peakRss":2000,"heapCommitted":500,
            "heapPeakCommitted":600}})",
        &v, &error))
        << error;
    EXPECT_EQ(v.total_connections, 5u);
    EXPECT_EQ(v.sockets, 7u);
    EXPECT_EQ(v.unique_users, 3u);
    ASSERT_EQ(v.connections_by_user.size(), 2u);
    EXPECT_EQ(v.connections_by_user[0].user, "alice") << "busiest first";
    EXPECT_EQ(v.connections_by_user[0].connections, 2u);
    EXPECT_EQ(v.other_users, 4u);
    EXPECT_EQ(v.other_user_connections, 6u);
    EXPECT_EQ(v.active_channels, 2u);
    EXPECT_EQ(v.events_published, 90u);
    EXPECT_EQ(v.messages_per_minute, 12u);
    ASSERT_EQ(v.busiest_channels.size(), 2u);
    EXPECT_EQ(v.busiest_channels[0].channel, "a");
    EXPECT_EQ(v.busiest_channels[0].messages_per_minute, 10u);
    EXPECT_EQ(v.busiest_channels[0].connections, 3u);
    EXPECT_EQ(v.other_channels, 1u);
    EXPECT_EQ(v.deliveries, 80u);
    EXPECT_EQ(v.delivery_failures, 1u);
    EXPECT_EQ(v.slow_disconnects, 6u);
    EXPECT_EQ(v.events_dropped, 4u);
    EXPECT_EQ(v.events_expired_in_queue, 5u);
    EXPECT_EQ(v.cache_size, 6u);
    EXPECT_DOUBLE_EQ(v.uptime_s, 12.5);
    EXPECT_EQ(v.rss, 1000u);
    EXPECT_EQ(v.peak_rss, 2000u);
    EXPECT_TRUE(v.has_heap);
    EXPECT_EQ(v.heap_committed, 500u);
    EXPECT_EQ(v.heap_peak_committed, 600u);
}

TEST(StatsView, AnOlderDocumentReadsZeroesAndANonObjectIsRefused) {
    StatsView v;
    std::string error;
    ASSERT_TRUE(read_stats(R"({"totalConnections":1,"memoryUsage":{"rss":10}})", &v, &error));
    EXPECT_EQ(v.total_connections, 1u);
    EXPECT_EQ(v.messages_per_minute, 0u);
    EXPECT_FALSE(v.has_heap);
    EXPECT_TRUE(v.busiest_channels.empty());
    EXPECT_FALSE(read_stats("[1,2]", &v, &error));
    EXPECT_FALSE(error.empty());
    EXPECT_FALSE(read_stats("{not json", &v, &error));
}

}  // namespace
}  // namespace ringcast::client
