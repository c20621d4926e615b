#include "ops/metrics_text.h"

#include <fmt/format.h>

namespace ringcast {

namespace {

void append_escaped(std::string& out, std::string_view s, bool quotes) {
    for (char c : s) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '"':
                if (quotes) {
                    out += "\\\"";
                    break;
                }
                [[fallthrough]];
            default: out += c;
        }
    }
}

// Shortest text that reads back as the same double; never "nan"/"inf" here.
std::string number(double v) {
    return fmt::format("{}", v);
}

}  // namespace

void MetricsText::family(std::string_view name, std::string_view type, std::string_view help) {
    _out += "# HELP ";
    _out += name;
    _out += ' ';
    append_escaped(_out, help, false);
    _out += "\n# TYPE ";
    _out += name;
    _out += ' ';
    _out += type;
    _out += '\n';
}

void MetricsText::series(std::string_view name, std::string_view suffix,
                         std::initializer_list<MetricLabel> labels, std::string_view le) {
    _out += name;
    _out += suffix;
    if (labels.size() == 0 && le.empty()) {
        _out += ' ';
        return;
    }
    _out += '{';
    bool first = true;
    for (const MetricLabel& l : labels) {
        if (!first) _out += ',';
        first = false;
        _out += l.name;
        _out += "=\"";
        append_escaped(_out, l.value, true);
        _out += '"';
    }
    if (!le.empty()) {
        if (!first) _out += ',';
        _out += "le=\"";
        _out += le;
        _out += '"';
    }
    _out += "} ";
}

void MetricsText::sample(std::string_view name, std::initializer_list<MetricLabel> labels,
                         uint64_t value) {
    series(name, {}, labels);
    fmt::format_to(std::back_inserter(_out), "{}\n", value);
}

void MetricsText::sample(std::string_view name, std::initializer_list<MetricLabel> labels,
                         double value) {
    series(name, {}, labels);
    _out += number(value);
    _out += '\n';
}

void MetricsText::histogram(std::string_view name, std::initializer_list<MetricLabel> labels,
                            const LatencyHistogram& h) {
    uint64_t cumulative = 0;
    for (size_t i = 0; i < LatencyHistogram::kBoundsUs.size(); ++i) {
        cumulative += h.bucket(i);
        series(name, "_bucket", labels, number(double(LatencyHistogram::kBoundsUs[i]) / 1e6));
        fmt::format_to(std::back_inserter(_out), "{}\n", cumulative);
    }
    cumulative += h.bucket(LatencyHistogram::kBuckets - 1);
    series(name, "_bucket", labels, "+Inf");
    fmt::format_to(std::back_inserter(_out), "{}\n", cumulative);
    series(name, "_sum", labels);
    _out += number(double(h.sum_us()) / 1e6);
    _out += '\n';
    series(name, "_count", labels);
    fmt::format_to(std::back_inserter(_out), "{}\n", cumulative);
}

}  // namespace ringcast
