#pragma once
// Reading the daemon's reply lines (docs/protocol.md "The Unix socket protocol"):
// an answer to a request with "req" (ok, or an error), the failure of a
// fire-and-forget request ("line"), or an error about the connection itself
// (neither: "forbidden" when the peer is not allowed to publish).
//
// One simdjson DOM parser, reused for every line; a line parses in place when the
// caller guarantees simdjson's padding after it (the client's reply buffer does),
// so the common publish answer costs no allocation and no copy.
#include <cstdint>
#include <string_view>

#include <simdjson.h>

#include "ringcast/client_result.h"

namespace ringcast::client {

enum class ReplyKind : uint8_t { answer, line_error, connection_error, malformed };

class ReplyReader {
public:
    // Parses `line` (no "\n"). `padded`: simdjson::SIMDJSON_PADDING bytes after it
    // may be read. `op` is the operation the next answer belongs to.
    //   answer:           *req is the echoed req; `out` is filled for `op`.
    //   line_error:       *line_error is filled.
    //   connection_error: out.code and out.message are the daemon's.
    //   malformed:        out.message says what is wrong with the line.
    // `out` is reset first in every case (keeping its storage).
    ReplyKind parse(std::string_view line, bool padded, Op op, Result& out, uint64_t* req,
                    LineError* line_error);

private:
    simdjson::dom::parser _parser;
};

// Clears `r` for a new result of `op`, keeping the strings' storage.
void reset_result(Result& r, Op op);

}  // namespace ringcast::client
