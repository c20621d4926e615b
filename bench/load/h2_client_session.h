#pragma once
// The client side of one HTTP/2 connection for ringcast-load's subscribers
// (--h2): nghttp2's client session in memory. As with TLS (tls_stream.h), the
// socket stays the pool's (epoll, recvmsg with its arrival timestamps): the
// session turns the bytes read into each stream's response and DATA, and gives
// the bytes to send (preface, SETTINGS, the requests' HEADERS, WINDOW_UPDATEs,
// acknowledgements). A stream is known by a tag, the pool's stream index.
//
// Flow control must never make a stream a slow reader in the daemon's eyes:
// every stream and the connection get a large window (SETTINGS_INITIAL_WINDOW_SIZE
// and a connection WINDOW_UPDATE), DATA counts as consumed when it is handed
// over, and nghttp2 gives the window back (WINDOW_UPDATE, sent with the next
// output) once half of it was used.
#include <cstdint>
#include <string>
#include <string_view>

#include "stream_request.h"

struct nghttp2_session;

namespace ringcast::load {

class H2ClientSession {
public:
    class Handler {
    public:
        // The server's SETTINGS: how many streams it lets this connection open.
        virtual void on_h2_settings(uint32_t session_id, uint32_t max_streams) = 0;
        // The response's HEADERS (the fields ringcast-load looks at).
        virtual void on_h2_response(uint32_t tag, int status, std::string_view content_type,
                                    std::string_view server) = 0;
        // Bytes of the stream's body, in order; valid during the call only.
        virtual void on_h2_data(uint32_t tag, const char* data, size_t len) = 0;
        // The stream ended: error_code 0 after END_STREAM, else RST_STREAM's.
        virtual void on_h2_closed(uint32_t tag, uint32_t error_code) = 0;

    protected:
        ~Handler() = default;
    };

    static constexpr uint32_t kDefaultWindow = 1u << 30;

    // `window`: what each stream, and the connection, may receive unacknowledged.
    H2ClientSession(Handler& handler, uint32_t session_id, uint32_t window = kDefaultWindow);
    ~H2ClientSession();
    H2ClientSession(const H2ClientSession&) = delete;
    H2ClientSession& operator=(const H2ClientSession&) = delete;

    // Submits GET request.path; returns the stream id, or -1 (error()).
    int32_t submit_get(const StreamRequest& request, std::string_view scheme, uint32_t tag);
    // Ends a stream from this side (RST_STREAM CANCEL); its close still comes.
    void cancel(int32_t stream_id);
    // Bytes read from the server. The handler is called from inside; it must not
    // destroy the session. False on an error nghttp2 cannot answer (error()).
    bool feed(const char* data, size_t len);
    // Appends what is waiting to be sent to *out; false on error (error()).
    bool take_output(std::string* out);
    // After take_output: the session reads and writes no more (error() says
    // why): a protocol error it answered with GOAWAY, a server that does not
    // speak HTTP/2, or the server's GOAWAY with no stream left.
    bool finished();
    // The server sent GOAWAY (its error code in goaway_error()).
    bool goaway() const { return _goaway; }
    uint32_t goaway_error() const { return _goaway_error; }
    const std::string& error() const { return _error; }

    // "PROTOCOL_ERROR", "REFUSED_STREAM", ... for messages.
    static std::string error_name(uint32_t error_code);

private:
    friend struct H2ClientCallbacks;

    Handler& _handler;
    uint32_t _id;
    nghttp2_session* _session = nullptr;
    // The response fields of the stream whose HEADERS are being read.
    int _status = 0;
    std::string _content_type, _server;
    bool _got_frame = false;   // a frame was read: the server speaks HTTP/2
    std::string _first_bytes;  // until then, what it sent (for the message)
    bool _goaway = false;
    uint32_t _goaway_error = 0;
    std::string _error;
};

}  // namespace ringcast::load
