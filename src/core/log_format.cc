#include "core/log_format.h"

#include <cstdio>
#include <ctime>

#include <spdlog/details/log_msg.h>
#include <spdlog/pattern_formatter.h>

#include "core/json_writer.h"

namespace ringcast {

namespace {

thread_local std::span<const LogField> t_fields;
thread_local int t_shard = -1;

// Length of the UTF-8 sequence at s[i], or 0 when it is not one (RFC 3629:
// no overlong forms, no surrogates, nothing past U+10FFFF).
size_t utf8_length(std::string_view s, size_t i) {
    const auto byte = [&](size_t k) { return (unsigned char)s[k]; };
    const unsigned char c = byte(i);
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xBF;  // range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
    for (size_t k = 2; k < n; ++k)
        if ((byte(i + k) & 0xC0) != 0x80) return 0;
    return n;
}

bool is_plain_word(std::string_view s) {
    if (s.empty()) return false;
    for (unsigned char c : s)
        if (c <= 0x20 || c == '"' || c == '=' || c == '\\' || c >= 0x7F) return false;
    return true;
}

// 2026-12-07T14:45:01.123Z: UTC, so lines from machines in different zones sort.
void append_utc_time(std::string& out, spdlog::log_clock::time_point t) {
    const auto since = t.time_since_epoch();
    const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(since).count();
    const time_t secs = time_t(ms / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    const int n =
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                      tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(ms % 1000));
    out.append(buf, size_t(n));
}

class JsonFormatter final : public spdlog::formatter {
public:
    void format(const spdlog::details::log_msg& m, spdlog::memory_buf_t& dest) override {
        std::string line;
        line.reserve(128 + m.payload.size());
        line += "{\"ts\":\"";
        append_utc_time(line, m.time);
        line += "\",\"level\":\"";
        line += log_level_text(m.level);
        line += "\",\"msg\":\"";
        append_json_string(line, std::string_view(m.payload.data(), m.payload.size()));
        line += '"';
        if (t_shard >= 0) {
            line += ",\"shard\":";
            line += std::to_string(t_shard);
        }
        for (const LogField& f : t_fields) {
            if (f.value.empty()) continue;  // a field the event does not have (no user)
            line += ",\"";
            append_json_string(line, f.key);
            line += "\":";
            if (f.number) {
                line += f.value;
            } else {
                line += '"';
                append_json_string(line, f.value);
                line += '"';
            }
        }
        line += "}\n";
        dest.append(line.data(), line.data() + line.size());
    }
    std::unique_ptr<spdlog::formatter> clone() const override {
        return std::make_unique<JsonFormatter>();
    }
};

// %* in the text pattern: the event's fields as " key=value".
class TextFieldsFlag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg&, const std::tm&,
                spdlog::memory_buf_t& dest) override {
        if (t_fields.empty()) return;
        std::string out;
        if (t_shard >= 0) out += " shard=" + std::to_string(t_shard);
        for (const LogField& f : t_fields) {
            if (f.value.empty()) continue;
            out += ' ';
            out += f.key;
            out += '=';
            if (f.number) {
                out += f.value;
            } else {
                append_text_value(out, f.value);
            }
        }
        dest.append(out.data(), out.data() + out.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<TextFieldsFlag>();
    }
};

}  // namespace

void append_json_string(std::string& out, std::string_view s) {
    // JsonWriter's escaping, after invalid UTF-8 (log lines quote what clients
    // sent) has become U+FFFD, so that a log line is always valid JSON, and DEL
    // \u007f, so that a terminal showing the journal never gets it raw.
    size_t run = 0;  // the bytes from here on are passed to escape_into as they are
    for (size_t i = 0; i < s.size();) {
        const unsigned char c = (unsigned char)s[i];
        size_t n = c < 0x80 ? 1 : utf8_length(s, i);
        if (n && c != 0x7F) {
            i += n;
            continue;
        }
        JsonWriter::escape_into(out, s.substr(run, i - run));
        out += c == 0x7F ? "\\u007f" : "\\ufffd";
        run = ++i;
    }
    JsonWriter::escape_into(out, s.substr(run));
}

void append_text_value(std::string& out, std::string_view s) {
    if (is_plain_word(s)) {
        out += s;
        return;
    }
    out += '"';
    append_json_string(out, s);
    out += '"';
}

CurrentLogFields::CurrentLogFields(std::span<const LogField> fields) : _saved(t_fields) {
    t_fields = fields;
}

CurrentLogFields::~CurrentLogFields() {
    t_fields = _saved;
}

void set_log_format_shard(int shard) {
    t_shard = shard;
}

std::string_view log_level_text(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace: return "trace";
        case spdlog::level::debug: return "debug";
        case spdlog::level::info: return "info";
        case spdlog::level::warn: return "warn";
        case spdlog::level::err: return "error";
        case spdlog::level::critical: return "critical";
        default: return "off";
    }
}

std::unique_ptr<spdlog::formatter> make_json_formatter() {
    return std::make_unique<JsonFormatter>();
}

std::unique_ptr<spdlog::formatter> make_text_formatter() {
    auto f = std::make_unique<spdlog::pattern_formatter>();
    f->add_flag<TextFieldsFlag>('*');
    // journald adds its own timestamps; keep ours for plain terminals and files.
    f->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v%*");
    return f;
}

}  // namespace ringcast
