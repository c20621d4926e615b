#include "prometheus_text.h"

#include <cmath>
#include <cstdlib>
#include <set>
#include <sstream>

namespace ringcast::itest {

namespace {

bool name_char(char c, bool first, bool colon) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
    if (colon && c == ':') return true;
    return !first && c >= '0' && c <= '9';
}

bool valid_name(const std::string& s, bool colon) {
    if (s.empty()) return false;
    for (size_t i = 0; i < s.size(); ++i)
        if (!name_char(s[i], i == 0, colon)) return false;
    return true;
}

bool parse_value(const std::string& s, double* out) {
    if (s == "+Inf") return *out = INFINITY, true;
    if (s == "-Inf") return *out = -INFINITY, true;
    if (s == "NaN") return *out = NAN, true;
    char* end = nullptr;
    *out = std::strtod(s.c_str(), &end);
    return !s.empty() && end == s.c_str() + s.size();
}

// name{a="x",b="y"} value  ->  sample; "" or what is wrong.
std::string parse_sample(const std::string& line, PromSample* s) {
    size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ')
        ++i;
    s->name = line.substr(0, i);
    if (!valid_name(s->name, true)) return "invalid metric name";
    if (i < line.size() && line[i] == '{') {
        ++i;
        while (i < line.size() && line[i] != '}') {
            size_t eq = line.find('=', i);
            if (eq == std::string::npos) return "label without '='";
            std::string label = line.substr(i, eq - i);
            if (!valid_name(label, false)) return "invalid label name '" + label + "'";
            if (eq + 1 >= line.size() || line[eq + 1] != '"') return "label value not quoted";
            std::string value;
            size_t j = eq + 2;
            for (;; ++j) {
                if (j >= line.size()) return "unterminated label value";
                if (line[j] == '"') break;
                if (line[j] == '\\') {
                    ++j;
                    if (j >= line.size()) return "dangling backslash";
                    if (line[j] == 'n')
                        value += '\n';
                    else if (line[j] == '\\' || line[j] == '"')
                        value += line[j];
                    else
                        return "invalid escape in label value";
                } else {
                    value += line[j];
                }
            }
            if (!s->labels.emplace(label, value).second) return "label '" + label + "' twice";
            i = j + 1;
            if (i < line.size() && line[i] == ',')
                ++i;
            else if (i >= line.size() || line[i] != '}')
                return "expected ',' or '}'";
        }
        if (i >= line.size()) return "unterminated label set";
        ++i;
    }
    if (i >= line.size() || line[i] != ' ') return "expected one space before the value";
    std::string rest = line.substr(i + 1);
    if (rest.find(' ') != std::string::npos) return "timestamps are not expected";
    if (!parse_value(rest, &s->value)) return "invalid value '" + rest + "'";
    return "";
}

std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
        std::string sfx = suffix;
        if (name.size() > sfx.size() &&
            name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0) {
            std::string base = name.substr(0, name.size() - sfx.size());
            auto it = types.find(base);
            if (it != types.end() && (it->second == "histogram" || it->second == "summary"))
                return base;
        }
    }
    return name;
}

std::string series_key(const PromSample& s) {
    std::string k = s.name + "{";
    for (const auto& [n, v] : s.labels)
        k += n + "=" + v + ",";
    return k + "}";
}

std::string check_histograms(const PromScrape& p) {
    for (const auto& [family, type] : p.types) {
        if (type != "histogram") continue;
        // Group by the labels other than le.
        std::map<std::string, std::vector<const PromSample*>> buckets;
        std::map<std::string, double> counts;
        for (const PromSample& s : p.samples) {
            auto rest = s.labels;
            rest.erase("le");
            std::string key;
            for (const auto& [n, v] : rest)
                key += n + "=" + v + ",";
            if (s.name == family + "_bucket") {
                if (!s.labels.count("le")) return family + ": a bucket without le";
                buckets[key].push_back(&s);
            } else if (s.name == family + "_count") {
                counts[key] = s.value;
            }
        }
        if (buckets.empty()) return family + ": a histogram without buckets";
        for (const auto& [key, list] : buckets) {
            double last_le = -INFINITY, last = 0;
            for (const PromSample* b : list) {
                double le = 0;
                if (!parse_value(b->labels.at("le"), &le)) return family + ": bad le";
                if (!(le > last_le)) return family + ": le not increasing";
                if (b->value < last) return family + ": buckets not cumulative";
                last_le = le;
                last = b->value;
            }
            if (list.back()->labels.at("le") != "+Inf") return family + ": no +Inf bucket last";
            if (!counts.count(key)) return family + ": no _count";
            if (counts[key] != list.back()->value) return family + ": +Inf bucket != _count";
        }
    }
    return "";
}

}  // namespace

PromScrape parse_prometheus_text(const std::string& text) {
    PromScrape p;
    if (text.empty() || text.back() != '\n') {
        p.error = "the text does not end with a newline";
        return p;
    }
    std::istringstream in(text);
    std::string line, current;
    std::set<std::string> finished, helped, series;
    int n = 0;
    auto fail = [&](const std::string& why) {
        p.error = "line " + std::to_string(n) + ": " + why + ": " + line;
    };
    while (std::getline(in, line)) {
        ++n;
        if (line.empty()) return fail("empty line"), p;
        if (line[0] == '#') {
            std::istringstream words(line);
            std::string hash, kind, name;
            words >> hash >> kind >> name;
            if (hash != "#" || (kind != "HELP" && kind != "TYPE")) continue;  // a comment
            if (!valid_name(name, true)) return fail("invalid name"), p;
            if (name != current) {
                if (!current.empty()) finished.insert(current);
                if (finished.count(name)) return fail("family continued after another"), p;
                current = name;
            }
            if (kind == "HELP") {
                if (!helped.insert(name).second) return fail("second HELP"), p;
            } else {
                std::string type, extra;
                words >> type;
                if (words >> extra) return fail("junk after the type"), p;
                if (type != "counter" && type != "gauge" && type != "histogram" &&
                    type != "summary" && type != "untyped")
                    return fail("unknown type"), p;
                if (p.types.count(name)) return fail("second TYPE"), p;
                if (series.count(name)) return fail("TYPE after samples"), p;
                if (type == "counter" && !name.ends_with("_total"))
                    return fail("a counter's name should end in _total"), p;
                p.types[name] = type;
            }
            continue;
        }
        PromSample s;
        if (std::string why = parse_sample(line, &s); !why.empty()) return fail(why), p;
        const std::string family = family_of(s.name, p.types);
        if (!p.types.count(family)) return fail("sample before its family's TYPE"), p;
        if (family != current) return fail("sample outside its family's block"), p;
        if (!series.insert(series_key(s)).second) return fail("series repeated"), p;
        series.insert(family);
        p.samples.push_back(std::move(s));
    }
    p.error = check_histograms(p);
    return p;
}

const PromSample* PromScrape::find(const std::string& name,
                                   const std::map<std::string, std::string>& labels) const {
    for (const PromSample& s : samples)
        if (s.name == name && s.labels == labels) return &s;
    return nullptr;
}

double PromScrape::value(const std::string& name,
                         const std::map<std::string, std::string>& labels) const {
    const PromSample* s = find(name, labels);
    return s ? s->value : -1;
}

double PromScrape::sum(const std::string& name,
                       const std::map<std::string, std::string>& labels) const {
    double total = 0;
    for (const PromSample& s : samples) {
        if (s.name != name) continue;
        bool match = true;
        for (const auto& [k, v] : labels) {
            auto it = s.labels.find(k);
            if (it == s.labels.end() || it->second != v) match = false;
        }
        if (match) total += s.value;
    }
    return total;
}

}  // namespace ringcast::itest
