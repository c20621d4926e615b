#pragma once
// One reply read from Redis (RESP2), owned: what the link hands to a command's
// completion and to a subscriber's handler. Built directly by the reader
// (cluster/resp_reader.h) from hiredis's parse, one allocation per value.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ringcast {

struct RespValue {
    enum class Type : uint8_t {
        status,   // +OK: text in str
        error,    // -ERR ...: text in str
        integer,  // :42
        bulk,     // $3 abc: bytes in str
        nil,      // $-1 or *-1
        array,    // *N: elements
        // Not from Redis: the command got no answer, because the link went
        // down or the answer took longer than the command timeout (its outcome
        // on the server is unknown), or because the link was down when it was
        // given. str says which.
        no_reply,
    };

    Type type = Type::nil;
    std::string str;
    int64_t integer = 0;
    std::vector<RespValue> elements;

    bool is_error() const { return type == Type::error || type == Type::no_reply; }
    bool is_array() const { return type == Type::array; }
    // str of a status, error, bulk or no_reply; "" otherwise.
    std::string_view text() const { return str; }
    // "+OK" and the like, for tests and logs: a short rendering.
    std::string describe() const;

    static RespValue failure(std::string why) {
        RespValue v;
        v.type = Type::no_reply;
        v.str = std::move(why);
        return v;
    }
};

}  // namespace ringcast
