#include "pubsub/event_id.h"

#include <charconv>
#include <cstring>

namespace ringcast {

std::string make_epoch(uint64_t unix_ms) {
    char buf[kMaxEpochLength];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, unix_ms, 36);
    return std::string(buf, size_t(end - buf));
}

size_t write_event_id(char* out, std::string_view epoch, uint64_t sequence) {
    std::memcpy(out, epoch.data(), epoch.size());
    out[epoch.size()] = '-';
    char* digits = out + epoch.size() + 1;
    auto [end, ec] = std::to_chars(digits, digits + 20, sequence);
    return size_t(end - out);
}

std::string format_event_id(std::string_view epoch, uint64_t sequence) {
    char buf[kMaxEventIdLength];
    return std::string(buf, write_event_id(buf, epoch, sequence));
}

std::optional<uint64_t> parse_event_id(std::string_view id, std::string_view epoch) {
    if (id.size() <= epoch.size() + 1 || id.substr(0, epoch.size()) != epoch ||
        id[epoch.size()] != '-')
        return std::nullopt;
    std::string_view digits = id.substr(epoch.size() + 1);
    if (digits.size() > 1 && digits[0] == '0') return std::nullopt;  // one spelling per id
    uint64_t seq = 0;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), seq);
    if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
    return seq;
}

}  // namespace ringcast
