#include "payload.h"

#include <charconv>
#include <cstring>

namespace ringcast::load {

namespace {

constexpr std::string_view kSeq = "{\"seq\":";
constexpr std::string_view kTs = ",\"ts\":";
constexpr std::string_view kPad = ",\"pad\":\"";

// Reads the number following `key` (searched from the start of s).
bool number_after(std::string_view s, std::string_view key, size_t* at, uint64_t* out) {
    size_t k = s.compare(*at, key.size(), key) == 0 ? *at : s.find(key);
    if (k == std::string_view::npos) return false;
    const char* p = s.data() + k + key.size();
    auto [end, ec] = std::from_chars(p, s.data() + s.size(), *out);
    if (ec != std::errc() || end == p) return false;
    *at = size_t(end - s.data());
    return true;
}

}  // namespace

void append_payload(std::string& out, uint64_t seq, uint64_t ts_ns, unsigned size) {
    size_t start = out.size();
    char digits[24];
    out += kSeq;
    out.append(digits, size_t(std::to_chars(digits, digits + sizeof digits, seq).ptr - digits));
    out += kTs;
    out.append(digits, size_t(std::to_chars(digits, digits + sizeof digits, ts_ns).ptr - digits));
    out += kPad;
    size_t used = out.size() - start + 2;  // the closing quote and brace
    if (size > used) out.append(size - used, 'x');
    out += "\"}";
}

bool decode_payload(std::string_view data, uint64_t* seq, uint64_t* ts_ns) {
    size_t at = 0;
    return number_after(data, kSeq, &at, seq) && number_after(data, kTs, &at, ts_ns);
}

}  // namespace ringcast::load
