// ringcast-load's HTTP/2 client session (bench/load/h2_client_session.h)
// against nghttp2's server session, in memory: the requests carry what an SSE
// subscriber sends, every stream's DATA arrives whole and in order, and the
// window is given back as it is used, so a server that respects flow control
// never stops sending to a reader that keeps up.
#include "h2_client_session.h"

#include <nghttp2/nghttp2.h>

#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace ringcast::load {
namespace {

// What the client side saw, per tag.
struct Seen : H2ClientSession::Handler {
    uint32_t max_streams = 0;
    std::map<uint32_t, int> status;
    std::map<uint32_t, std::string> content_type, body;
    std::map<uint32_t, uint32_t> closed;  // tag -> error code

    void on_h2_settings(uint32_t, uint32_t max) override { max_streams = max; }
    void on_h2_response(uint32_t tag, int st, std::string_view type, std::string_view) override {
        status[tag] = st;
        content_type[tag] = std::string(type);
    }
    void on_h2_data(uint32_t tag, const char* data, size_t len) override {
        body[tag].append(data, len);
    }
    void on_h2_closed(uint32_t tag, uint32_t code) override { closed[tag] = code; }
};

// Byte k of a stream's body.
char body_byte(int32_t stream_id, size_t k) {
    return char('a' + (size_t(stream_id) + k) % 26);
}

// An nghttp2 server answering every request with 200, text/event-stream and
// `body_size` bytes; it records each request's fields.
class Server {
public:
    Server(size_t body_size, uint32_t max_streams) : _body_size(body_size) {
        nghttp2_session_callbacks* cbs = nullptr;
        nghttp2_session_callbacks_new(&cbs);
        nghttp2_session_callbacks_set_on_header_callback(cbs, header);
        nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, frame_recv);
        nghttp2_session_server_new(&_session, cbs, this);
        nghttp2_session_callbacks_del(cbs);
        nghttp2_settings_entry s{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, max_streams};
        nghttp2_submit_settings(_session, NGHTTP2_FLAG_NONE, &s, 1);
    }
    ~Server() { nghttp2_session_del(_session); }

    nghttp2_session* session() { return _session; }
    std::map<int32_t, std::map<std::string, std::string>> requests;

    bool recv(const std::string& bytes) {
        return nghttp2_session_mem_recv(_session, reinterpret_cast<const uint8_t*>(bytes.data()),
                                        bytes.size()) == ssize_t(bytes.size());
    }
    std::string send() {
        std::string out;
        const uint8_t* data = nullptr;
        for (ssize_t n; (n = nghttp2_session_mem_send(_session, &data)) > 0;)
            out.append(reinterpret_cast<const char*>(data), size_t(n));
        return out;
    }

private:
    static int header(nghttp2_session*, const nghttp2_frame* f, const uint8_t* name, size_t nlen,
                      const uint8_t* value, size_t vlen, uint8_t, void* u) {
        static_cast<Server*>(u)->requests[f->hd.stream_id][std::string((const char*)name, nlen)] =
            std::string((const char*)value, vlen);
        return 0;
    }
    static int frame_recv(nghttp2_session* s, const nghttp2_frame* f, void* u) {
        if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST) return 0;
        static const nghttp2_nv head[] = {
            {(uint8_t*)":status", (uint8_t*)"200", 7, 3, NGHTTP2_NV_FLAG_NONE},
            {(uint8_t*)"content-type", (uint8_t*)"text/event-stream", 12, 17,
             NGHTTP2_NV_FLAG_NONE}};
        nghttp2_data_provider body{};
        body.read_callback = read_body;
        nghttp2_submit_response(s, f->hd.stream_id, head, 2, &body);
        static_cast<Server*>(u)->_sent[f->hd.stream_id] = 0;
        return 0;
    }
    static ssize_t read_body(nghttp2_session*, int32_t id, uint8_t* buf, size_t length,
                             uint32_t* flags, nghttp2_data_source*, void* u) {
        Server& self = *static_cast<Server*>(u);
        size_t& sent = self._sent[id];
        size_t n = std::min(length, self._body_size - sent);
        for (size_t k = 0; k < n; ++k)
            buf[k] = uint8_t(body_byte(id, sent + k));
        sent += n;
        if (sent == self._body_size) *flags |= NGHTTP2_DATA_FLAG_EOF;
        return ssize_t(n);
    }

    nghttp2_session* _session = nullptr;
    size_t _body_size;
    std::map<int32_t, size_t> _sent;
};

// Moves bytes both ways until neither side has any (bounded).
void exchange(H2ClientSession& client, Server& server) {
    for (int round = 0; round < 10000; ++round) {
        std::string up;
        ASSERT_TRUE(client.take_output(&up)) << client.error();
        ASSERT_TRUE(server.recv(up));
        std::string down = server.send();
        if (up.empty() && down.empty()) return;
        ASSERT_TRUE(client.feed(down.data(), down.size())) << client.error();
    }
    FAIL() << "the sessions never went quiet";
}

StreamRequest sse_request(std::string path) {
    return {std::move(path),
            "127.0.0.1:8080",
            {{"accept", "text/event-stream"}, {"last-event-id", "41"}}};
}

TEST(H2ClientSession, RequestsCarryTheSubscribersFields) {
    Seen seen;
    Server server(10, 128);
    H2ClientSession client(seen, 0);
    int32_t id = client.submit_get(sse_request("/api/sse/stream?channels=bench"), "https", 7);
    ASSERT_GT(id, 0);
    exchange(client, server);
    auto& fields = server.requests[id];
    EXPECT_EQ(fields[":method"], "GET");
    EXPECT_EQ(fields[":scheme"], "https");
    EXPECT_EQ(fields[":authority"], "127.0.0.1:8080");
    EXPECT_EQ(fields[":path"], "/api/sse/stream?channels=bench");
    EXPECT_EQ(fields["accept"], "text/event-stream");
    EXPECT_EQ(fields["last-event-id"], "41");
    EXPECT_EQ(seen.max_streams, 128u);
    EXPECT_EQ(seen.status[7], 200);
    EXPECT_EQ(seen.content_type[7], "text/event-stream");
    EXPECT_EQ(seen.closed.at(7), 0u);  // END_STREAM, no error
}

// The client's window is what the server may send: large, for the stream and
// the connection alike, so the daemon never sees a reader with a closed window.
TEST(H2ClientSession, OpensALargeWindow) {
    Seen seen;
    Server server(0, 128);
    H2ClientSession client(seen, 0);
    int32_t id = client.submit_get(sse_request("/s"), "http", 0);
    std::string up;
    ASSERT_TRUE(client.take_output(&up));
    ASSERT_TRUE(server.recv(up));
    EXPECT_EQ(nghttp2_session_get_remote_window_size(server.session()),
              int32_t(H2ClientSession::kDefaultWindow));
    EXPECT_EQ(nghttp2_session_get_stream_remote_window_size(server.session(), id),
              int32_t(H2ClientSession::kDefaultWindow));
}

// Each of several streams receives 16 times its window: only WINDOW_UPDATEs
// as the DATA is read let the server send it all.
TEST(H2ClientSession, GivesTheWindowBackSoEveryStreamGetsItsWholeBody) {
    constexpr uint32_t kWindow = 65535;
    constexpr size_t kBody = 16 * kWindow;
    Seen seen;
    Server server(kBody, 128);
    H2ClientSession client(seen, 0, kWindow);
    std::map<uint32_t, int32_t> ids;
    for (uint32_t tag = 0; tag < 4; ++tag)
        ids[tag] = client.submit_get(sse_request("/s"), "http", tag);
    exchange(client, server);
    for (auto [tag, id] : ids) {
        ASSERT_EQ(seen.body[tag].size(), kBody) << "stream " << tag;
        for (size_t k = 0; k < kBody; ++k)
            ASSERT_EQ(seen.body[tag][k], body_byte(id, k)) << "stream " << tag << " byte " << k;
        EXPECT_EQ(seen.closed.at(tag), 0u);
    }
}

TEST(H2ClientSession, ReportsAResetWithItsCode) {
    Seen seen;
    Server server(0, 128);
    H2ClientSession client(seen, 0);
    int32_t id = client.submit_get(sse_request("/s"), "http", 3);
    std::string up;
    ASSERT_TRUE(client.take_output(&up));
    ASSERT_TRUE(server.recv(up));
    nghttp2_submit_rst_stream(server.session(), NGHTTP2_FLAG_NONE, id, NGHTTP2_REFUSED_STREAM);
    std::string down = server.send();
    ASSERT_TRUE(client.feed(down.data(), down.size()));
    EXPECT_EQ(seen.closed.at(3), uint32_t(NGHTTP2_REFUSED_STREAM));
    EXPECT_EQ(H2ClientSession::error_name(NGHTTP2_REFUSED_STREAM), "REFUSED_STREAM");
}

// An HTTP/1.1 server answering the h2c preface: the session ends (after its
// GOAWAY) and says what the server sent.
TEST(H2ClientSession, AServerThatDoesNotSpeakHttp2EndsTheSession) {
    Seen seen;
    H2ClientSession client(seen, 0);
    std::string out;
    ASSERT_TRUE(client.take_output(&out));
    EXPECT_FALSE(client.finished());
    std::string junk = "HTTP/1.1 400 Bad Request\r\n\r\n";
    ASSERT_TRUE(client.feed(junk.data(), junk.size()));
    out.clear();
    ASSERT_TRUE(client.take_output(&out));
    EXPECT_FALSE(out.empty());  // the GOAWAY
    ASSERT_TRUE(client.finished());
    EXPECT_NE(client.error().find("does not speak HTTP/2"), std::string::npos) << client.error();
    EXPECT_NE(client.error().find("HTTP/1.1 400"), std::string::npos) << client.error();
}

}  // namespace
}  // namespace ringcast::load
