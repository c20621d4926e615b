#pragma once
// The Prometheus text exposition format, version 0.0.4: one family at a time, its
// `# HELP` and `# TYPE` lines, then its samples. Names and label names are the
// caller's constants; label values and help texts are escaped here (backslash,
// double quote and newline in values; backslash and newline in help).
//
//   MetricsText t;
//   t.family("ringcast_connections", "gauge", "SSE streams open, by shard.");
//   t.sample("ringcast_connections", {{"shard", "0"}}, 12);
//   t.histogram("ringcast_delivery_latency_seconds", {}, hist);   // after its family()
//   std::string body = t.take();
//
// Values are written in base units: a histogram of microseconds comes out in
// seconds, with cumulative buckets, a `+Inf` bucket equal to `_count`, and `_sum`.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "core/latency_histogram.h"

namespace ringcast {

// Content-Type of a scrape answer.
inline constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";

struct MetricLabel {
    std::string_view name;
    std::string_view value;
};

class MetricsText {
public:
    // `type`: "counter", "gauge" or "histogram".
    void family(std::string_view name, std::string_view type, std::string_view help);
    void sample(std::string_view name, std::initializer_list<MetricLabel> labels, uint64_t value);
    void sample(std::string_view name, std::initializer_list<MetricLabel> labels, double value);
    // name_bucket{...,le="..."}, name_sum, name_count.
    void histogram(std::string_view name, std::initializer_list<MetricLabel> labels,
                   const LatencyHistogram& h);

    const std::string& text() const { return _out; }
    std::string take() { return std::move(_out); }

private:
    void series(std::string_view name, std::string_view suffix,
                std::initializer_list<MetricLabel> labels, std::string_view le = {});

    std::string _out;
};

}  // namespace ringcast
