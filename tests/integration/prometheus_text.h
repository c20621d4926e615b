#pragma once
// A strict reader of the Prometheus text exposition format (0.0.4) for the
// tests of GET /metrics: every line is a # HELP, a # TYPE or a sample; every
// sample belongs to a family whose # TYPE came first, and a family's samples
// are together; names and label names are valid, label values correctly
// escaped, no series appears twice; counters end in _total; a histogram's
// buckets have increasing bounds, cumulative counts and a +Inf bucket equal to
// its _count. Anything else is an error naming the line.
#include <map>
#include <string>
#include <vector>

namespace ringcast::itest {

struct PromSample {
    std::string name;  // as written (with _bucket, _sum, _count)
    std::map<std::string, std::string> labels;
    double value = 0;
};

struct PromScrape {
    std::map<std::string, std::string> types;  // family -> counter, gauge, histogram...
    std::vector<PromSample> samples;
    std::string error;  // empty: the text is valid

    // The sample with exactly these labels (nullptr if none).
    const PromSample* find(const std::string& name,
                           const std::map<std::string, std::string>& labels = {}) const;
    // The value of that sample, or -1 if there is none.
    double value(const std::string& name,
                 const std::map<std::string, std::string>& labels = {}) const;
    // The sum over every sample of `name` whose labels include `labels`.
    double sum(const std::string& name,
               const std::map<std::string, std::string>& labels = {}) const;
};

PromScrape parse_prometheus_text(const std::string& text);

}  // namespace ringcast::itest
