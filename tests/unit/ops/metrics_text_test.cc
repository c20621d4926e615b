// The Prometheus text writer (ops/metrics_text.h): the exact lines of a family,
// escaping of label values and help texts, and histograms in seconds with
// cumulative buckets, +Inf equal to _count.
#include "ops/metrics_text.h"

#include <string>

#include <gtest/gtest.h>

namespace ringcast {
namespace {

TEST(MetricsText, FamilyAndSamples) {
    MetricsText t;
    t.family("ringcast_connections", "gauge", "SSE streams open, by shard.");
    t.sample("ringcast_connections", {{"shard", "0"}}, uint64_t(12));
    t.sample("ringcast_connections", {{"shard", "1"}}, uint64_t(0));
    t.family("ringcast_uptime_seconds", "gauge", "Time since start.");
    t.sample("ringcast_uptime_seconds", {}, 1.5);
    EXPECT_EQ(t.text(),
              "# HELP ringcast_connections SSE streams open, by shard.\n"
              "# TYPE ringcast_connections gauge\n"
              "ringcast_connections{shard=\"0\"} 12\n"
              "ringcast_connections{shard=\"1\"} 0\n"
              "# HELP ringcast_uptime_seconds Time since start.\n"
              "# TYPE ringcast_uptime_seconds gauge\n"
              "ringcast_uptime_seconds 1.5\n");
}

TEST(MetricsText, EscapesLabelValuesAndHelp) {
    MetricsText t;
    t.family("ringcast_x_total", "counter", "a \\ back\nslash \"quoted\"");
    t.sample("ringcast_x_total", {{"channel", "a\"b\\c\nd"}, {"reason", "shed"}}, uint64_t(3));
    EXPECT_EQ(t.text(),
              "# HELP ringcast_x_total a \\\\ back\\nslash \"quoted\"\n"
              "# TYPE ringcast_x_total counter\n"
              "ringcast_x_total{channel=\"a\\\"b\\\\c\\nd\",reason=\"shed\"} 3\n");
}

TEST(MetricsText, HistogramIsCumulativeInSeconds) {
    LatencyHistogram h;
    h.observe_us(10);          // <= 50 µs
    h.observe_us(50);          // the bound itself is in its bucket
    h.observe_us(51);          // <= 100 µs
    h.observe_us(2'000'000);   // <= 2.5 s
    h.observe_us(60'000'000);  // beyond every bound: +Inf only
    MetricsText t;
    t.family("ringcast_lat_seconds", "histogram", "h");
    t.histogram("ringcast_lat_seconds", {{"shard", "0"}}, h);
    const std::string& s = t.text();
    EXPECT_NE(s.find("ringcast_lat_seconds_bucket{shard=\"0\",le=\"5e-05\"} 2\n"),
              std::string::npos)
        << s;
    EXPECT_NE(s.find("ringcast_lat_seconds_bucket{shard=\"0\",le=\"0.0001\"} 3\n"),
              std::string::npos)
        << s;
    EXPECT_EQ(s.find("le=\"2\""), std::string::npos) << "there is no bound at 2 s: " << s;
    EXPECT_NE(s.find("ringcast_lat_seconds_bucket{shard=\"0\",le=\"2.5\"} 4\n"), std::string::npos)
        << s;
    EXPECT_NE(s.find("ringcast_lat_seconds_bucket{shard=\"0\",le=\"10\"} 4\n"), std::string::npos)
        << s;
    EXPECT_NE(s.find("ringcast_lat_seconds_bucket{shard=\"0\",le=\"+Inf\"} 5\n"), std::string::npos)
        << s;
    EXPECT_NE(s.find("ringcast_lat_seconds_count{shard=\"0\"} 5\n"), std::string::npos) << s;
    EXPECT_NE(s.find("ringcast_lat_seconds_sum{shard=\"0\"} 62.000111\n"), std::string::npos) << s;
}

TEST(MetricsText, HistogramWithoutLabels) {
    MetricsText t;
    t.histogram("ringcast_h_seconds", {}, LatencyHistogram{});
    EXPECT_EQ(t.text().rfind("ringcast_h_seconds_bucket{le=\"5e-05\"} 0\n", 0), 0u) << t.text();
    EXPECT_NE(t.text().find("ringcast_h_seconds_sum 0\nringcast_h_seconds_count 0\n"),
              std::string::npos)
        << t.text();
}

TEST(LatencyHistogram, AddsUp) {
    LatencyHistogram a, b;
    a.observe_us(1);
    b.observe_us(1'000);
    b.observe_us(1'001);
    a.add(b);
    EXPECT_EQ(a.count(), 3u);
    EXPECT_EQ(a.sum_us(), 2'002u);
    EXPECT_EQ(a.bucket(0), 1u);
    EXPECT_EQ(a.bucket(4), 1u);  // <= 1 ms
    EXPECT_EQ(a.bucket(5), 1u);  // <= 2.5 ms
}

}  // namespace
}  // namespace ringcast
