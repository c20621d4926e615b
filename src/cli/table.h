#pragma once
// Aligned text tables for people: columns as wide as their widest cell, numbers
// right-aligned (a column whose every cell is a number), two spaces between
// columns. Also the small formatters the tables use.
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast::cli {

class Table {
public:
    // An empty header prints no header line (a key/value list).
    explicit Table(std::vector<std::string> header = {}) : _header(std::move(header)) {}

    void add(std::vector<std::string> row) { _rows.push_back(std::move(row)); }
    // Column `c` holds names, not quantities (user ids such as "42" are JSON
    // strings): left-aligned whatever its cells look like.
    void set_text(size_t c) { _text.push_back(c); }
    bool empty() const { return _rows.empty(); }
    // Each line starts with `indent`; no trailing spaces.
    std::string render(std::string_view indent = "  ") const;
    void print(std::FILE* out = stdout, std::string_view indent = "  ") const;

private:
    std::vector<std::string> _header;
    std::vector<std::vector<std::string>> _rows;
    std::vector<size_t> _text;
};

// "-12", "3.5", "1e9": a JSON number as text.
bool is_number(std::string_view s);
// Local time with milliseconds: "2026-05-02 10:15:47.321".
std::string format_time_ms(int64_t ms_since_epoch);
// 1536 -> "1.5 KiB".
std::string format_bytes(uint64_t bytes);

}  // namespace ringcast::cli
