#include "cli/table.h"

#include <time.h>

#include <algorithm>

#include <fmt/format.h>

namespace ringcast::cli {

// The JSON grammar, -?(0|[1-9]digits)(.digits)?([eE][+-]?digits)?, so that an
// address (127.0.0.1) or a version (1.2.3) is text, left-aligned.
bool is_number(std::string_view s) {
    size_t i = 0;
    auto digits = [&] {
        const size_t from = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9')
            ++i;
        return i > from;
    };
    if (i < s.size() && s[i] == '-') ++i;
    if (i < s.size() && s[i] == '0') {
        ++i;
    } else if (!digits()) {
        return false;
    }
    if (i < s.size() && s[i] == '.' && (++i, !digits())) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        if (!digits()) return false;
    }
    return i == s.size();
}

std::string Table::render(std::string_view indent) const {
    size_t columns = _header.size();
    for (const auto& r : _rows)
        columns = std::max(columns, r.size());
    std::vector<size_t> width(columns, 0);
    std::vector<bool> numeric(columns, true);
    auto measure = [&](const std::vector<std::string>& row, bool header) {
        for (size_t c = 0; c < row.size(); ++c) {
            width[c] = std::max(width[c], row[c].size());
            if (!header && !row[c].empty() && !is_number(row[c])) numeric[c] = false;
        }
    };
    measure(_header, true);
    for (const auto& r : _rows)
        measure(r, false);
    // The first column names the row: left-aligned even when it holds numbers.
    if (columns) numeric[0] = false;
    for (size_t c : _text)
        if (c < columns) numeric[c] = false;

    std::string out;
    auto line = [&](const std::vector<std::string>& row) {
        std::string l(indent);
        for (size_t c = 0; c < columns; ++c) {
            std::string_view cell = c < row.size() ? std::string_view(row[c]) : "";
            if (c) l += "  ";
            size_t pad = width[c] - cell.size();
            if (numeric[c]) l.append(pad, ' ');
            l += cell;
            if (!numeric[c]) l.append(pad, ' ');
        }
        while (!l.empty() && l.back() == ' ')
            l.pop_back();
        out += l;
        out += '\n';
    };
    if (!_header.empty()) line(_header);
    for (const auto& r : _rows)
        line(r);
    return out;
}

void Table::print(std::FILE* out, std::string_view indent) const {
    std::string s = render(indent);
    std::fwrite(s.data(), 1, s.size(), out);
}

std::string format_time_ms(int64_t ms) {
    time_t secs = time_t(ms / 1000);
    struct tm tm;
    if (!localtime_r(&secs, &tm)) return std::to_string(ms);
    char buf[32];
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
    return fmt::format("{}.{:03}", std::string_view(buf, n), int(ms % 1000));
}

std::string format_bytes(uint64_t bytes) {
    static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = double(bytes);
    size_t u = 0;
    while (v >= 1024 && u + 1 < std::size(units)) {
        v /= 1024;
        ++u;
    }
    return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
}

}  // namespace ringcast::cli
