// What the logs say of a stream's life (core/log_event.h): "stream opened" and
// "stream closed" at debug, with the connection, client, endpoint, user and
// channels, and on close how long it lasted and why it ended; the same lines go
// to the access log when [log] access is on, whatever the level.
#include "core/log_event.h"
#include "http/http_server.h"
#include "http/sse_streams.h"

namespace ringcast {

namespace {

std::string_view end_text(HttpConnection::End end) {
    switch (end) {
        case HttpConnection::End::client: return "client_closed";
        case HttpConnection::End::lifetime: return "lifetime";
        case HttpConnection::End::token_expired: return "token_expired";
        case HttpConnection::End::slow_reader: return "slow_reader";
        case HttpConnection::End::shutdown: return "shutdown";
        case HttpConnection::End::other: break;
    }
    return "other";
}

}  // namespace

void SseStreams::log_stream_opened(const HttpConnection& c) const {
    const bool debug = log_enabled(spdlog::level::debug);
    if (!debug && !access_log_enabled()) return;
    const LogFields fields = {{"conn", _http.connection_id(c)},
                              {"ip", _http.client_of(c).text()},
                              {"path", c._endpoint->path},
                              {"user", c._member.who->user},
                              {"channels", c._member.nsubs}};
    if (debug) log_event(spdlog::level::debug, "stream opened", fields);
    log_access("stream opened", fields);
}

void SseStreams::log_stream_closed(const HttpConnection& c) const {
    const bool debug = log_enabled(spdlog::level::debug);
    if (!debug && !access_log_enabled()) return;
    const LogFields fields = {
        {"conn", _http.connection_id(c)}, {"ip", _http.client_of(c).text()},
        {"path", c._endpoint->path},      {"user", c._member.who->user},
        {"channels", c._member.nsubs},    {"duration_ms", _reactor.now_ms() - c._stream_started_ms},
        {"reason", end_text(c._end)}};
    if (debug) log_event(spdlog::level::debug, "stream closed", fields);
    log_access("stream closed", fields);
}

}  // namespace ringcast
