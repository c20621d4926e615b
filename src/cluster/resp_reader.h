#pragma once
// Reads RESP2 replies out of the bytes a Redis connection receives, in any
// cuts: hiredis's reader (Debian's libhiredis 0.14) used as a parser only,
// none of its networking. Its object functions are replaced by ours, so that
// each reply is built straight into a RespValue tree instead of hiredis's
// redisReply and then copied.
//
// Bounds, because the bytes come from the network: an array of more than
// kMaxElements elements, nesting deeper than hiredis's 7 levels, or more than
// kMaxBuffered bytes buffered for a reply not yet whole are protocol errors;
// the reader is then unusable (a link drops its connection and starts over).
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "cluster/resp_value.h"

struct redisReader;

namespace ringcast {

class RespReader {
public:
    static constexpr size_t kMaxElements = 1u << 20;
    // Redis's own default proto-max-bulk-len, and some room for framing.
    static constexpr size_t kMaxBuffered = (512u << 20) + 4096;

    RespReader();
    ~RespReader();
    RespReader(const RespReader&) = delete;
    RespReader& operator=(const RespReader&) = delete;

    // Appends received bytes. False (see error()) on a protocol error.
    bool feed(const char* data, size_t len);
    // The next whole reply, or nullopt if none is complete yet or on a
    // protocol error (error() is then non-empty).
    std::optional<RespValue> next();
    // "" while the stream is well-formed.
    const std::string& error() const { return _error; }

private:
    void fail(std::string why);

    redisReader* _reader = nullptr;
    std::string _error;
};

}  // namespace ringcast
