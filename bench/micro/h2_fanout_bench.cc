// The per-recipient cost of a fan-out to HTTP/2 streams on one shard, beside
// BM_FanoutQueue's HTTP/1.1 figure: k SSE streams on one HTTP/2 connection,
// each a virtual connection (net/mux_host.h) of a real Transport; per event,
// the event is queued to every stream (Transport::enqueue, as the hub does),
// then one flush hands each stream to its session, which has nghttp2 frame a
// DATA header and moves the event behind it into the connection's queue by
// pointer. The connection itself is virtual too, with a host that takes every
// byte at once: no kernel work is included.
#include <nghttp2/nghttp2.h>

#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "core/mesh.h"
#include "core/reactor.h"
#include "http2/h2_session.h"
#include "net/load_board.h"
#include "net/transport.h"
#include "pubsub/event.h"

namespace {

using namespace ringcast;

constexpr uint8_t kChild = 0, kParent = 1;

// The HTTP layer's part: each stream answers its request with an SSE head.
struct Streams : ConnectionHandler {
    Transport* transport = nullptr;
    std::vector<Connection*> open;
    Connection* create_connection() override { return new Connection; }
    void destroy_connection(Connection* c) override { delete c; }
    void on_open(Connection& c) override { open.push_back(&c); }
    void on_data(Connection& c, const char*, size_t) override {
        transport->send_copy(c, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n");
    }
    void on_drained(Connection&) override {}
    void on_peer_eof(Connection&) override {}
    void on_deadline(Connection&, uint64_t) override {}
    void on_closed(Connection&) override {}
};

// The connection: its session's events, and a "socket" that takes everything.
struct Socket : ConnectionHandler, MuxHost {
    Transport* transport = nullptr;
    H2Session* session = nullptr;
    uint64_t bytes = 0;
    Connection* create_connection() override { return new Connection; }
    void destroy_connection(Connection* c) override { delete c; }
    void on_open(Connection&) override {}
    void on_data(Connection&, const char*, size_t) override {}
    void on_drained(Connection&) override {
        if (session) session->on_drained();
    }
    void on_peer_eof(Connection&) override {}
    void on_deadline(Connection&, uint64_t) override {}
    void on_closed(Connection&) override {}
    void child_ready(Connection& c) override {
        bytes += c.queued_bytes();
        transport->discard_front(c, c.queued_bytes());
    }
    void child_closed(Connection&, bool) override {}
};

// k streams opened by an nghttp2 client whose windows never close.
struct H2Audience {
    explicit H2Audience(size_t k) {
        transport.set_protocol(kChild, streams);
        transport.set_protocol(kParent, socket);
        streams.transport = &transport;
        socket.transport = &transport;
        parent = transport.open_virtual(kParent, PeerAddress{}, socket);
        H2Options opts;
        opts.max_concurrent_streams = uint32_t(k) + 1;
        opts.connection_queue = UINT64_MAX;
        session = std::make_unique<H2Session>(reactor, transport, streams, kChild, *parent, opts,
                                              stats, 0);
        socket.session = session.get();

        nghttp2_session_callbacks* cbs = nullptr;
        nghttp2_session_callbacks_new(&cbs);
        nghttp2_session* client = nullptr;
        nghttp2_option* o = nullptr;
        nghttp2_option_new(&o);
        nghttp2_option_set_peer_max_concurrent_streams(o, uint32_t(k));
        nghttp2_session_client_new2(&client, cbs, nullptr, o);
        nghttp2_option_del(o);
        nghttp2_session_callbacks_del(cbs);
        const nghttp2_settings_entry s[] = {{NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, (1u << 31) - 1}};
        nghttp2_submit_settings(client, NGHTTP2_FLAG_NONE, s, 1);
        nghttp2_session_set_local_window_size(client, NGHTTP2_FLAG_NONE, 0, (1u << 31) - 1);
        nghttp2_nv nv[] = {
            {(uint8_t*)":method", (uint8_t*)"GET", 7, 3, 0},
            {(uint8_t*)":scheme", (uint8_t*)"http", 7, 4, 0},
            {(uint8_t*)":authority", (uint8_t*)"bench", 10, 5, 0},
            {(uint8_t*)":path", (uint8_t*)"/api/sse", 5, 8, 0},
        };
        for (size_t i = 0; i < k; ++i)
            nghttp2_submit_request(client, nullptr, nv, 4, nullptr, nullptr);
        std::string bytes = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
        const uint8_t* data = nullptr;
        for (ssize_t n; (n = nghttp2_session_mem_send(client, &data)) > 0;)
            bytes.append(reinterpret_cast<const char*>(data), size_t(n));
        // The client's preface carries the magic already: drop the duplicate.
        bytes.erase(0, 24);
        session->on_data(bytes.data(), bytes.size());
        nghttp2_session_del(client);
        transport.flush();
        transport.flush();
    }
    ~H2Audience() {
        socket.session = nullptr;
        session->on_closed();
        transport.destroy_all();
    }
    void fan_out(Event* e) {
        LocalFrame* lf = reactor.frames().wrap(e);
        for (Connection* c : streams.open)
            transport.enqueue(*c, lf);
        reactor.frames().drop_if_unused(lf);
        transport.flush();
    }

    Mesh mesh{1, 16};
    Reactor reactor{0, mesh};
    LoadBoard board{1};
    Transport transport{reactor, board, TransportOptions{}};
    Streams streams;
    Socket socket;
    H2Stats stats;
    Connection* parent = nullptr;
    std::unique_ptr<H2Session> session;
};

const std::string kData = "{\"seq\":1,\"pad\":\"" + std::string(230, 'x') + "\"}";

void BM_H2FanoutQueue(benchmark::State& st) {
    const size_t k = size_t(st.range(0));
    H2Audience a(k);
    if (a.stats.streams != k) {
        st.SkipWithError("the streams did not open");
        return;
    }
    uint64_t seq = 1;
    const uint64_t before = a.socket.bytes;
    for (auto _ : st) {
        Event* e = Event::build("bench", "tick", kData, {}, 0);
        e->assign_sequence(seq++, "mk3l0q");
        a.fan_out(e);
    }
    st.SetItemsProcessed(int64_t(st.iterations()) * int64_t(k));
    st.counters["ns_per_recipient"] =
        benchmark::Counter(double(st.iterations()) * double(k),
                           benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    st.counters["bytes_per_recipient"] =
        double(a.socket.bytes - before) / (double(st.iterations()) * double(k));
}
BENCHMARK(BM_H2FanoutQueue)->Arg(100)->Arg(1000);

}  // namespace
