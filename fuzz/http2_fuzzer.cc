// The HTTP/2 input path (src/http2 over src/net's virtual connections): the
// bytes of a connection that sent the client preface, in any cut of reads,
// through the session (nghttp2 with the daemon's limits), the translation of
// each request to HTTP/1.1 bytes, the streams as virtual connections of a real
// Transport, and their answers read back: a reply with a length, an SSE head
// with a shared event and a close after it, or a close without an answer.
// The connection has no socket either (a virtual connection whose host takes
// every byte), so no ring is needed.
//
// Properties: no crash, leak or undefined behaviour (the sanitizers); every
// request a stream gets starts with a request line of HTTP/1.1 and holds no
// bare CR or LF smuggled from a field; when the connection closes, every
// stream it carried is closed and destroyed.
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/mesh.h"
#include "core/reactor.h"
#include "fuzz_support.h"
#include "http2/h2_session.h"
#include "net/load_board.h"
#include "net/transport.h"

namespace ringcast::fuzz {
namespace {

constexpr uint8_t kChild = 0, kParent = 1;

struct World;

// The HTTP layer's part, reduced: a stream answers once it has a request head.
class Streams : public ConnectionHandler {
public:
    explicit Streams(World& w) : _w(w) {}
    Connection* create_connection() override { return new Connection; }
    void destroy_connection(Connection* c) override { delete c; }
    void on_open(Connection&) override {}
    void on_data(Connection& c, const char* data, size_t len) override;
    void on_drained(Connection&) override {}
    void on_peer_eof(Connection&) override {}
    void on_deadline(Connection&, uint64_t) override {}
    void on_closed(Connection& c) override { _requests.erase(c.serial()); }

private:
    World& _w;
    std::map<uint64_t, std::string> _requests;
};

// The real connection: its events go to its session.
class Parent : public ConnectionHandler, public MuxHost {
public:
    explicit Parent(World& w) : _w(w) {}
    Connection* create_connection() override { return new Connection; }
    void destroy_connection(Connection* c) override { delete c; }
    void on_open(Connection&) override {}
    void on_data(Connection&, const char*, size_t) override {}
    void on_drained(Connection&) override;
    void on_peer_eof(Connection&) override {}
    void on_deadline(Connection&, uint64_t) override {}
    void on_closed(Connection&) override;
    // As a host: the "socket" takes every byte at once.
    void child_ready(Connection& c) override;
    void child_closed(Connection&, bool) override {}

private:
    World& _w;
};

struct World {
    Mesh mesh{1, 16};
    Reactor reactor{0, mesh};
    LoadBoard board{1};
    Transport transport{reactor, board, TransportOptions{}};
    Streams streams{*this};
    Parent parent{*this};
    H2Stats stats;
    std::unique_ptr<H2Session> session;
    SharedFrame* event = SharedFrame::copy_of("data: shared\n\n", 5);
    World() {
        transport.set_protocol(kChild, streams);
        transport.set_protocol(kParent, parent);
    }
};

void Streams::on_data(Connection& c, const char* data, size_t len) {
    std::string& req = _requests[c.serial()];
    const bool had_head = req.find("\r\n\r\n") != std::string::npos;
    req.append(data, std::min<size_t>(len, 1 << 16));
    const size_t end = req.find("\r\n\r\n");
    if (had_head || end == std::string::npos) return;
    const std::string_view head(req.data(), end);
    check(head.find(" HTTP/1.1\r\n") != std::string_view::npos || head.ends_with(" HTTP/1.1"),
          "a request line of HTTP/1.1");
    for (size_t i = 0; i < head.size(); ++i)
        check((head[i] != '\r' && head[i] != '\n') ||
                  (head[i] == '\r' && i + 1 < head.size() && head[i + 1] == '\n') ||
                  (head[i] == '\n' && i > 0 && head[i - 1] == '\r'),
              "no bare CR or LF in a request head");
    Transport& t = _w.transport;
    switch (c.serial() % 3) {
        case 0: t.send_copy(c, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"); break;
        case 1: {
            t.send_copy(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n");
            _w.event->retain();
            LocalFrame* lf = _w.reactor.frames().wrap(_w.event);
            t.enqueue(c, lf);
            _w.reactor.frames().drop_if_unused(lf);
            t.close(c, true);
            break;
        }
        default: t.close(c, false);
    }
}

void Parent::on_drained(Connection&) {
    if (_w.session) _w.session->on_drained();
}

void Parent::on_closed(Connection&) {
    if (!_w.session) return;
    _w.session->on_closed();
    _w.session.reset();
}

void Parent::child_ready(Connection& c) {
    _w.transport.discard_front(c, c.queued_bytes());
}

World& world() {
    static World* w = new World;  // lives for the process, like a shard
    return *w;
}

}  // namespace
}  // namespace ringcast::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace ringcast;
    using namespace ringcast::fuzz;
    World& w = world();
    Connection* parent = w.transport.open_virtual(kParent, PeerAddress{}, w.parent);
    H2Options opts;
    opts.max_concurrent_streams = 100;
    w.session = std::make_unique<H2Session>(w.reactor, w.transport, w.streams, kChild, *parent,
                                            opts, w.stats, 0);
    std::string input = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
    input.append(reinterpret_cast<const char*>(data), size);
    Chunker chunks(input);
    for (size_t at = 0; at < input.size();) {
        if (!w.session || !parent->is_open()) break;
        const size_t n = chunks.next(input.size() - at);
        w.session->on_data(input.data() + at, n);
        at += n;
        w.transport.flush();
    }
    if (w.session) w.transport.close(*parent, false);
    for (int i = 0; i < 4; ++i)
        w.transport.flush();
    check(w.transport.virtual_count() == 0, "every stream goes with its connection");
    return 0;
}
