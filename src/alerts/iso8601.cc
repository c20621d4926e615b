#include "alerts/iso8601.h"

#include <chrono>
#include <cstdio>

namespace ringcast {

// The calendar is std::chrono's (C++20): year_month_day checks the day of the
// month, leap years included, and sys_days counts days since the epoch.
bool parse_iso8601_ms(std::string_view s, int64_t* ms) {
    using namespace std::chrono;
    auto number = [&](size_t pos, size_t n, int* out) {
        if (pos + n > s.size()) return false;
        *out = 0;
        for (size_t i = pos; i < pos + n; ++i) {
            if (s[i] < '0' || s[i] > '9') return false;
            *out = *out * 10 + (s[i] - '0');
        }
        return true;
    };
    int y, mo, d, h, mi, sec;
    if (!number(0, 4, &y) || s.size() < 20 || s[4] != '-' || !number(5, 2, &mo) || s[7] != '-' ||
        !number(8, 2, &d) || (s[10] != 'T' && s[10] != 't') || !number(11, 2, &h) || s[13] != ':' ||
        !number(14, 2, &mi) || s[16] != ':' || !number(17, 2, &sec))
        return false;
    size_t pos = 19;
    int frac_ms = 0;
    if (s[pos] == '.') {
        // 1 to 9 digits (down to nanoseconds); what is below a millisecond is dropped.
        const size_t start = ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (pos - start < 3) frac_ms = frac_ms * 10 + (s[pos] - '0');
            ++pos;
        }
        const size_t n = pos - start;
        if (n == 0 || n > 9) return false;
        for (size_t i = n; i < 3; ++i)
            frac_ms *= 10;
    }
    int offset_min = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int oh, om;
        if (!number(pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !number(pos + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        offset_min = (s[pos] == '-' ? -1 : 1) * (oh * 60 + om);
        pos += 6;
    } else {
        return false;  // a local time without an offset names no instant
    }
    if (pos != s.size()) return false;
    if (y < 1970 || h > 23 || mi > 59 || sec > 59) return false;
    const year_month_day date{year{y}, month{unsigned(mo)}, day{unsigned(d)}};
    if (!date.ok()) return false;
    const sys_time<milliseconds> t = sys_days{date} + hours{h} + minutes{mi} + seconds{sec} +
                                     milliseconds{frac_ms} - minutes{offset_min};
    // Within what format_iso8601_ms writes back: 1970 to 9999, in UTC too.
    constexpr sys_time<milliseconds> last = sys_days{year{9999} / December / 31} + days{1};
    if (t < sys_days{year{1970} / January / 1} || t >= last) return false;
    *ms = t.time_since_epoch().count();
    return true;
}

std::string format_iso8601_ms(int64_t ms) {
    using namespace std::chrono;
    const sys_time<milliseconds> t{milliseconds{ms}};
    const sys_days day = floor<days>(t);
    const year_month_day date{day};
    const hh_mm_ss<milliseconds> time{t - day};
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", int(date.year()),
                  unsigned(date.month()), unsigned(date.day()), int(time.hours().count()),
                  int(time.minutes().count()), int(time.seconds().count()),
                  int(time.subseconds().count()));
    return buf;
}

}  // namespace ringcast
