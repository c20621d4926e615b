#pragma once
// Hundreds of SSE streams read by one thread with epoll. Clients connect
// without blocking, send their GET, parse the response head, then feed the body
// to their own SseParser; every event is recorded per client. Tests drive it
// with pump() between their own actions and run_until() to await a condition.
#include <ringcast/sse_parser.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "chunked_body.h"
#include "deadline.h"
#include "http_client.h"
#include "json.h"

namespace ringcast::itest {

struct FleetClient {
    enum class State { connecting, streaming, closed };

    std::string target;
    int fd = -1;
    State state = State::connecting;
    std::string out;   // request bytes not yet sent
    std::string head;  // response head bytes until the blank line
    bool head_done = false;
    int status = 0;
    SseParser parser;
    std::optional<ChunkedDecoder> chunked;  // when the body is chunked (through a proxy)
    std::vector<SseEvent> events;           // every event, `connected` and heartbeats included
    std::optional<Json> connected;          // data of the `connected` event
    size_t body_bytes = 0;
    bool reading = true;  // false: stopped reading on purpose
    bool closed_by_us = false;
    bool ended = false;  // the server closed (EOF or reset)
    std::string error;   // connect failure, malformed head...

    // Events other than `connected` and `heartbeat`.
    std::vector<const SseEvent*> data_events() const;
};

class SseFleet {
public:
    explicit SseFleet(uint16_t port);
    ~SseFleet();
    SseFleet(const SseFleet&) = delete;
    SseFleet& operator=(const SseFleet&) = delete;

    // Starts a client on GET `target`; returns its index. `rcvbuf` > 0 shrinks
    // its receive buffer. `source`, an IPv4 loopback address ("127.0.0.5"),
    // is bound before connecting, so the daemon sees the client coming from it.
    // `headers` go with the GET (a forwarding header, say).
    size_t add(std::string target, int rcvbuf = 0, const std::string& source = {},
               const Headers& headers = {});

    // Handles whatever becomes ready within timeout_ms (0: only what is ready).
    void pump(int timeout_ms);
    // Pumps until pred() holds or the deadline passes; returns pred().
    bool run_until(const std::function<bool()>& pred, const Deadline& d);

    // Every client got its `connected` event (clients we closed excepted).
    bool all_connected() const;
    // Closes a client from our side, plainly (FIN) or abortively (RST).
    void close(size_t i, bool abortive);
    // Stops reading a client: the daemon's writes to it will back up.
    void stop_reading(size_t i);
    // Reads a stopped client again.
    void resume_reading(size_t i);

    size_t size() const { return _clients.size(); }
    const FleetClient& operator[](size_t i) const { return *_clients[i]; }
    // A short description of clients that are not streaming (for messages).
    std::string problems() const;

private:
    void on_ready(size_t i, uint32_t events);
    void read_client(FleetClient& c);
    void fail(FleetClient& c, std::string why);
    void finish(FleetClient& c);

    uint16_t _port;
    int _epoll = -1;
    std::vector<std::unique_ptr<FleetClient>> _clients;
    std::vector<char> _buf;
};

}  // namespace ringcast::itest
