#pragma once
// One SSE stream read synchronously: opens GET <target>, reads the response
// head, then feeds the body to ringcast::SseParser and records every event with
// its arrival time. A chunked body (what a proxy such as nginx sends) is
// decoded first. For hundreds of streams at once use SseFleet.
#include <ringcast/sse_parser.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chunked_body.h"
#include "deadline.h"
#include "http_client.h"
#include "tcp.h"

namespace ringcast::itest {

struct ReceivedEvent {
    SseEvent event;
    Clock::time_point at;
};

class SseClient {
public:
    // Connects, sends the request and reads the response head (and, for an
    // answer other than 200, its Content-Length body). False if no response
    // head arrived; head() then is empty and error() says why.
    bool open(uint16_t port, std::string_view target, const Deadline& d = Deadline(kIoTimeout),
              const Headers& headers = {}, int rcvbuf = 0);

    const HttpResponse& head() const { return _head; }
    int status() const { return _head.status; }

    // Reads until `pred()` holds, the stream ends, or the deadline; returns pred().
    bool read_until(const std::function<bool()>& pred, const Deadline& d);
    // Reads until at least `n` events (of any type) have arrived.
    bool await_events(size_t n, const Deadline& d) {
        return read_until([&] { return _events.size() >= n; }, d);
    }
    // Reads until the server closes the stream; true on EOF or reset.
    bool read_to_eof(const Deadline& d);
    // Whatever is readable right now, without waiting.
    void read_available();

    const std::vector<ReceivedEvent>& events() const { return _events; }
    // Events other than `connected`, `heartbeat` and `alerts` (the alert list a
    // stream on the alerts channel gets on connect).
    std::vector<SseEvent> data_events() const;
    // Every body byte received so far, exactly as sent (less the chunked
    // framing, if any).
    const std::string& raw_body() const { return _raw; }
    const SseParser& parser() const { return _parser; }
    bool ended() const { return _ended; }
    IoStatus end_status() const { return _end_status; }
    TcpConnection& conn() { return _conn; }
    const std::string& error() const { return _error; }

private:
    // Reads once (waiting up to the deadline); false once nothing more can come.
    bool read_once(const Deadline& d);
    void feed(std::string_view bytes);

    TcpConnection _conn;
    HttpResponse _head;
    SseParser _parser;
    std::optional<ChunkedDecoder> _chunked;  // when the body is chunked
    std::vector<ReceivedEvent> _events;
    std::string _raw;
    std::string _error;
    bool _ended = false;
    IoStatus _end_status = IoStatus::ok;
};

}  // namespace ringcast::itest
