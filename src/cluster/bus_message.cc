#include "cluster/bus_message.h"

#include <sys/random.h>

#include <charconv>

#include <fmt/format.h>

#include "core/json_writer.h"
#include "pubsub/event_id.h"

namespace ringcast {

namespace {

// The next space-terminated word of *in, taken off it; false if there is none.
bool word(std::string_view* in, std::string_view* out) {
    const size_t sp = in->find(' ');
    if (sp == std::string_view::npos || sp == 0) return false;
    *out = in->substr(0, sp);
    in->remove_prefix(sp + 1);
    return true;
}

bool number(std::string_view s, uint64_t* out) {
    if (s.empty() || s.size() > 20) return false;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
    return ec == std::errc() && end == s.data() + s.size();
}

bool base36(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) return false;
    return !s.empty() && s.size() <= kMaxEpochLength;
}

bool hex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return s.size() == kInstanceLength;
}

bool fail(std::string* error, const char* why) {
    if (error) *error = why;
    return false;
}

}  // namespace

std::string make_instance() {
    uint64_t r = 0;
    // getrandom of 8 bytes never blocks once the pool is initialized, and
    // never returns short for a request this small.
    if (getrandom(&r, sizeof r, 0) != sizeof r) r = uint64_t(::time(nullptr)) * 0x9E3779B97F4A7C15u;
    return fmt::format("{:016x}", r);
}

void write_bus_submission(std::string* out, std::string_view instance, uint64_t token,
                          std::string_view record) {
    fmt::format_to(std::back_inserter(*out), "{} {} ", instance, token);
    out->append(record);
}

bool parse_bus_event(std::string_view in, BusEvent* out, std::string* error) {
    std::string_view seq, token;
    if (!word(&in, &seq) || !number(seq, &out->sequence) || out->sequence == 0)
        return fail(error, "no sequence");
    if (!word(&in, &out->epoch) || !base36(out->epoch)) return fail(error, "no epoch");
    if (!word(&in, &out->instance) || !hex(out->instance)) return fail(error, "no instance");
    if (!word(&in, &token) || !number(token, &out->token)) return fail(error, "no token");
    if (in.empty()) return fail(error, "no record");
    out->record = in;
    return true;
}

std::string invalidation_record(const CacheInvalidation& what) {
    std::string record(1, kInvalidationMark);
    JsonWriter w(record);
    w.begin_object().key("channels").begin_array();
    for (const std::string& c : what.channels)
        w.value(c);
    w.end_array().key("users").begin_array();
    for (const std::string& u : what.users)
        w.value(u);
    w.end_array().end_object();
    return record;
}

std::string_view invalidation_json(std::string_view record) {
    return !record.empty() && record[0] == kInvalidationMark ? record.substr(1)
                                                             : std::string_view();
}

void write_report(std::string* out, uint64_t token, uint64_t sent, uint64_t failed) {
    fmt::format_to(std::back_inserter(*out), "{} {} {}\n", token, sent, failed);
}

bool parse_reports(std::string_view in,
                   const std::function<void(uint64_t, uint64_t, uint64_t)>& f) {
    while (!in.empty()) {
        const size_t nl = in.find('\n');
        if (nl == std::string_view::npos) return false;
        std::string_view line = in.substr(0, nl);
        in.remove_prefix(nl + 1);
        uint64_t v[3];
        for (int i = 0; i < 3; ++i) {
            const size_t sp = i < 2 ? line.find(' ') : line.size();
            if (sp == std::string_view::npos || !number(line.substr(0, sp), &v[i])) return false;
            line.remove_prefix(i < 2 ? sp + 1 : sp);
        }
        f(v[0], v[1], v[2]);
    }
    return true;
}

}  // namespace ringcast
