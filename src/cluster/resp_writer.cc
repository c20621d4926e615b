#include "cluster/resp_writer.h"

#include <charconv>

namespace ringcast {

void RespWriter::header(char kind, size_t n) {
    char digits[24];
    auto [end, ec] = std::to_chars(digits, digits + sizeof digits, n);
    (void)ec;  // 24 digits hold any size_t
    _out.push_back(kind);
    _out.append(digits, end);
    _out.append("\r\n");
}

void RespWriter::command(std::span<const std::string_view> args) {
    size_t bytes = 16;
    for (std::string_view a : args)
        bytes += a.size() + 16;
    _out.reserve(_out.size() + bytes);
    header('*', args.size());
    for (std::string_view a : args) {
        header('$', a.size());
        _out.append(a);
        _out.append("\r\n");
    }
}

}  // namespace ringcast
