// Virtual connections (net/mux_host.h, transport_mux.cc) on a real shard ring:
// a socket connection (one end of a socketpair, registered in the direct table
// as an upgrade's streams are) carries children that have no socket. What a
// child queues reaches the socket only through its host, behind the host's
// header; the parent's queue is never skipped as expired; expired frames leave
// a child before they move, reported; a child its host leaves behind is a slow
// reader under the queue policy, and the parent is not touched; a child's close
// tells its host whether its queue was fully taken.
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/clock.h"
#include "core/mesh.h"
#include "core/reactor.h"
#include "core/user_data.h"
#include "net/load_board.h"
#include "net/transport.h"
#include "support/frames.h"

namespace ringcast {
namespace {

constexpr uint8_t kSocket = 0, kChild = 1;
constexpr std::string_view kHeader = "<header>|";  // 9 bytes, as a DATA frame header

struct Recorder : ConnectionHandler {
    std::vector<Connection*> destroyed;
    std::vector<std::pair<Connection*, DropReason>> dropped;
    std::vector<Connection*> slow;
    Connection* create_connection() override { return new Connection; }
    void destroy_connection(Connection* c) override {
        destroyed.push_back(c);
        delete c;
    }
    void on_open(Connection&) override {}
    void on_data(Connection&, const char*, size_t) override {}
    void on_drained(Connection&) override {}
    void on_peer_eof(Connection&) override {}
    void on_deadline(Connection&, uint64_t) override {}
    void on_closed(Connection&) override {}
    void on_frames_dropped(Connection& c, std::span<LocalFrame* const> f, DropReason why) override {
        for (size_t i = 0; i < f.size(); ++i)
            dropped.emplace_back(&c, why);
    }
    void on_slow_reader_closed(Connection& c, SlowReaderClose, uint64_t) override {
        slow.push_back(&c);
    }
};

// The host: moves what the transport says may move (or everything, or
// nothing: a closed window), behind kHeader.
struct Host : MuxHost {
    enum class Mode { movable, everything, nothing } mode = Mode::movable;
    Transport* transport = nullptr;
    Connection* parent = nullptr;
    std::vector<std::pair<Connection*, bool>> closed;
    void child_ready(Connection& c) override {
        if (mode == Mode::nothing) return;
        const uint64_t n =
            mode == Mode::everything ? c.queued_bytes() : transport->movable_bytes(c, UINT64_MAX);
        if (n) transport->move_output(&c, *parent, n, kHeader);
    }
    void child_closed(Connection& c, bool clean) override { closed.emplace_back(&c, clean); }
};

class TransportMuxTest : public ::testing::Test {
protected:
    void SetUp() override {
        ReactorOptions ro;
        ro.ring = RingOptions{64, 256};
        ro.recv_buffers = 8;
        ro.recv_buffer_size = 512;
        ro.direct_files = 4;
        const char* what = "";
        int r = _reactor.init(ro, &what);
        ASSERT_EQ(r, 0) << what << ": " << -r;
        TransportOptions opts;
        opts.queue = QueueLimits{1000, 4000, SlowReaderPolicy::disconnect};
        _transport = std::make_unique<Transport>(_reactor, _board, opts);
        _transport->set_protocol(kSocket, _sockets);
        _transport->set_protocol(kChild, _children);
        int sv[2];
        ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
        ASSERT_EQ(io_uring_register_files_update(_reactor.ring().raw(), 0, &sv[0], 1), 1);
        ::close(sv[0]);
        _peer = sv[1];
        fcntl(_peer, F_SETFL, O_NONBLOCK);
        _parent = _transport->adopt_registered(0, kSocket, PeerAddress{});
        ASSERT_NE(_parent, nullptr);
        Transport::set_mux_parent(*_parent);
        _host.transport = _transport.get();
        _host.parent = _parent;
    }
    void TearDown() override {
        if (_transport) _transport->destroy_all();
        if (_peer >= 0) ::close(_peer);
    }

    void turn() {
        _transport->flush();
        _reactor.ring().enter(1, 20'000'000);
        _reactor.ring().drain([&](const io_uring_cqe& cqe) {
            switch (op_of(cqe.user_data)) {
                case Op::doorbell:
                case Op::ignore:
                case Op::cancel:
                case Op::stop: return;
                default: _transport->on_completion(cqe);
            }
        });
    }
    // Turns the loop until the peer has read `n` bytes (or 5 s passed).
    std::string read_peer(size_t n) {
        std::string got;
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (got.size() < n && std::chrono::steady_clock::now() < deadline) {
            turn();
            char buf[4096];
            ssize_t r;
            while ((r = ::read(_peer, buf, sizeof buf)) > 0)
                got.append(buf, size_t(r));
        }
        return got;
    }
    Connection* child() { return _transport->open_virtual(kChild, PeerAddress{}, _host); }

    Mesh _mesh{1, 16};
    Reactor _reactor{0, _mesh};
    LoadBoard _board{1};
    std::unique_ptr<Transport> _transport;
    Recorder _sockets, _children;
    Host _host;
    Connection* _parent = nullptr;
    int _peer = -1;
};

TEST_F(TransportMuxTest, WhatAChildQueuesReachesTheSocketBehindItsHostsHeader) {
    test::Frames frames(_reactor.frames());
    Connection* a = child();
    Connection* b = child();
    EXPECT_EQ(_transport->virtual_count(), 2u);
    EXPECT_EQ(_transport->connection_count(), 1u) << "sockets only";
    EXPECT_EQ(_transport->find(Transport::handle(*a)), a);
    // One event shared by both children, as a fan-out queues it.
    LocalFrame* event = frames.make("data: one\n\n", 0);
    ASSERT_TRUE(_transport->enqueue(*a, event));
    ASSERT_TRUE(_transport->enqueue(*b, event));
    _reactor.frames().drop_if_unused(event);
    EXPECT_EQ(read_peer(2 * (9 + 11)),
              std::string(kHeader) + "data: one\n\n" + std::string(kHeader) + "data: one\n\n");
    EXPECT_EQ(a->queued_bytes(), 0u);
    EXPECT_EQ(frames.refs(0), 1u) << "written, and released by the parent's queue";
}

TEST_F(TransportMuxTest, TheParentsQueueIsNeverSkippedAsExpired) {
    test::Frames frames(_reactor.frames());
    Connection* a = child();
    _host.mode = Host::Mode::everything;  // moves an expired frame as it is
    const int64_t past = wall_ms() - 1000;
    ASSERT_TRUE(_transport->enqueue(*a, frames.make_with("data: late\n\n", 5, past, 0)));
    ASSERT_TRUE(_transport->enqueue(*a, frames.make_with("data: next\n\n", 5, 0, 0)));
    EXPECT_EQ(read_peer(9 + 24), std::string(kHeader) + "data: late\n\ndata: next\n\n")
        << "framed bytes are written whole";
    EXPECT_TRUE(_children.dropped.empty());
}

TEST_F(TransportMuxTest, ExpiredFramesLeaveTheChildBeforeTheyMove) {
    test::Frames frames(_reactor.frames());
    Connection* a = child();
    const int64_t past = wall_ms() - 1000;
    ASSERT_TRUE(_transport->enqueue(*a, frames.make_with("data: late\n\n", 5, past, 0)));
    ASSERT_TRUE(_transport->enqueue(*a, frames.make_with("data: next\n\n", 5, 0, 0)));
    EXPECT_EQ(read_peer(9 + 12), std::string(kHeader) + "data: next\n\n");
    ASSERT_EQ(_children.dropped.size(), 1u);
    EXPECT_EQ(_children.dropped[0].first, a);
    EXPECT_EQ(_children.dropped[0].second, DropReason::expired);
}

TEST_F(TransportMuxTest, AChildItsHostLeavesBehindIsASlowReader) {
    test::Frames frames(_reactor.frames());
    Connection* a = child();
    Connection* b = child();
    _host.mode = Host::Mode::nothing;  // a closed window
    const std::string event(400, 'e');
    ASSERT_TRUE(_transport->enqueue(*a, frames.make_with(event, 5, 0, 0)));
    turn();  // the host takes nothing: a is behind now
    ASSERT_TRUE(_transport->enqueue(*a, frames.make_with(event, 5, 0, 0)));
    LocalFrame* over = frames.make_with(event, 5, 0, 0);
    EXPECT_FALSE(_transport->enqueue(*a, over))
        << "past queue_limit (1000) while behind: disconnected";
    _reactor.frames().drop_if_unused(over);  // as a fan-out does with a frame nobody took
    ASSERT_EQ(_children.slow.size(), 1u);
    EXPECT_EQ(_children.slow[0], a);
    turn();
    ASSERT_EQ(_host.closed.size(), 1u);
    EXPECT_EQ(_host.closed[0].first, a);
    EXPECT_FALSE(_host.closed[0].second) << "its queue was lost: not clean";
    EXPECT_EQ(_transport->find(Transport::handle(*b)), b);
    EXPECT_TRUE(_parent->is_open()) << "the connection is not touched";
    // The other child goes on once its host moves again.
    _host.mode = Host::Mode::movable;
    ASSERT_TRUE(_transport->enqueue(*b, frames.make_with("data: b\n\n", 5, 0, 0)));
    EXPECT_EQ(read_peer(9 + 9), std::string(kHeader) + "data: b\n\n");
}

TEST_F(TransportMuxTest, AClosedChildTellsItsHostWhetherItsQueueWasTaken) {
    test::Frames frames(_reactor.frames());
    Connection* drained = child();
    Connection* cut = child();
    ASSERT_TRUE(_transport->enqueue(*drained, frames.make_with("data: 1\n\n", 5, 0, 0)));
    _transport->close(*drained, true);  // written first, then closed
    _host.mode = Host::Mode::movable;
    EXPECT_EQ(read_peer(9 + 9), std::string(kHeader) + "data: 1\n\n");
    _host.mode = Host::Mode::nothing;
    ASSERT_TRUE(_transport->enqueue(*cut, frames.make_with("data: 2\n\n", 5, 0, 0)));
    turn();
    _transport->close(*cut, false);
    const ConnectionHandle h = Transport::handle(*cut);
    turn();
    ASSERT_EQ(_host.closed.size(), 2u);
    EXPECT_EQ(_host.closed[0].first, drained);
    EXPECT_TRUE(_host.closed[0].second);
    EXPECT_EQ(_host.closed[1].first, cut);
    EXPECT_FALSE(_host.closed[1].second);
    EXPECT_EQ(_transport->find(h), nullptr);
    EXPECT_EQ(_transport->virtual_count(), 0u);
    EXPECT_EQ(_children.destroyed.size(), 2u);
}

}  // namespace
}  // namespace ringcast
