#pragma once
// Writes Redis commands in RESP2 (an array of bulk strings, the only form
// Redis needs from a client) into a buffer the caller reuses: a link appends
// every command of a loop turn to one buffer and sends it with one write.
#include <cstddef>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

namespace ringcast {

class RespWriter {
public:
    explicit RespWriter(std::string& out) : _out(out) {}

    // *N\r\n then $len\r\narg\r\n for each argument (binary-safe).
    void command(std::span<const std::string_view> args);
    void command(std::initializer_list<std::string_view> args) {
        command(std::span<const std::string_view>(args.begin(), args.size()));
    }

private:
    void header(char kind, size_t n);

    std::string& _out;
};

}  // namespace ringcast
