// Connection handles: Transport::find() gives back the connection a handle
// names while it is open, and nothing once it has closed, even when the kernel
// has given its slot to a new connection. A real shard ring (direct-descriptor
// table of one slot, so that the second connection must reuse the first one's
// slot), a real listener on 127.0.0.1 and real client sockets; the test turns
// the loop itself, as Reactor::run() does.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <vector>

#include <gtest/gtest.h>

#include "core/mesh.h"
#include "core/reactor.h"
#include "core/user_data.h"
#include "net/listener.h"
#include "net/load_board.h"
#include "net/transport.h"

namespace ringcast {
namespace {

// Records what the transport tells a protocol; owns nothing else.
class Recorder : public ConnectionHandler {
public:
    Transport* transport = nullptr;
    std::vector<Connection*> opened;
    std::vector<Connection*> destroyed;
    // What find() answered for the closing connection's handle, inside on_closed().
    std::vector<Connection*> found_in_on_closed;

    Connection* create_connection() override { return new Connection; }
    void destroy_connection(Connection* c) override {
        destroyed.push_back(c);
        delete c;
    }
    void on_open(Connection& c) override { opened.push_back(&c); }
    void on_data(Connection&, const char*, size_t) override {}
    void on_drained(Connection&) override {}
    void on_peer_eof(Connection&) override {}
    void on_deadline(Connection&, uint64_t) override {}
    void on_closed(Connection& c) override {
        found_in_on_closed.push_back(transport->find(transport->handle(c)));
    }
};

struct ClientSocket {
    int fd = -1;
    explicit ClientSocket(uint16_t port) {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in sa{};
        sa.sin_family = AF_INET;
        sa.sin_port = htons(port);
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        // Completes from the listen backlog, before the ring accepts.
        if (connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
            ::close(fd);
            fd = -1;
        }
    }
    ~ClientSocket() {
        if (fd >= 0) ::close(fd);
    }
};

class TransportHandleTest : public ::testing::Test {
protected:
    static constexpr uint8_t kProtocol = 0;

    void start(unsigned table_slots) {
        ReactorOptions ro;
        ro.ring = RingOptions{64, 256};
        ro.recv_buffers = 8;
        ro.recv_buffer_size = 512;
        ro.direct_files = table_slots;
        const char* what = "";
        int r = _reactor.init(ro, &what);
        ASSERT_EQ(r, 0) << what << ": " << -r;
        _transport = std::make_unique<Transport>(_reactor, _board, TransportOptions{});
        _handler.transport = _transport.get();
        _transport->set_protocol(kProtocol, _handler);

        std::string error;
        auto addr = parse_address("127.0.0.1:0", &error);
        ASSERT_TRUE(addr) << error;
        int fd = open_listener(*addr, ListenOptions{}, &error);
        ASSERT_GE(fd, 0) << error;
        _port = uint16_t(bound_address(fd).port());
        _transport->add_listener(fd, kProtocol, false);  // the transport closes it
    }

    // One turn of the shard loop, as Reactor::run() does it, without the mesh
    // and the timer wheel (nothing here uses them).
    void turn() {
        _transport->flush();
        _reactor.ring().enter(1, 50'000'000);  // 50 ms at most
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
    template <typename Pred>
    bool turn_until(Pred done) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        while (!done()) {
            if (std::chrono::steady_clock::now() > deadline) return false;
            turn();
        }
        return true;
    }
    Connection* accept_one(size_t already_opened) {
        if (!turn_until([&] { return _handler.opened.size() > already_opened; })) return nullptr;
        return _handler.opened[already_opened];
    }
    bool close_and_wait(Connection* c) {
        size_t before = _handler.destroyed.size();
        _transport->close(*c, false);
        return turn_until([&] { return _handler.destroyed.size() > before; });
    }

    void TearDown() override {
        if (_transport) _transport->destroy_all();
    }

    Mesh _mesh{1, 16};
    Reactor _reactor{0, _mesh};
    LoadBoard _board{1};
    Recorder _handler;
    std::unique_ptr<Transport> _transport;
    uint16_t _port = 0;
};

TEST_F(TransportHandleTest, FindsTheOpenConnectionItsHandleNames) {
    start(4);
    ClientSocket a(_port), b(_port);
    ASSERT_GE(a.fd, 0);
    ASSERT_GE(b.fd, 0);
    Connection* first = accept_one(0);
    ASSERT_NE(first, nullptr);
    Connection* second = accept_one(1);
    ASSERT_NE(second, nullptr);

    ConnectionHandle h1 = _transport->handle(*first);
    ConnectionHandle h2 = _transport->handle(*second);
    EXPECT_NE(h1, h2);
    EXPECT_EQ(h1.serial, first->serial());
    EXPECT_EQ(_transport->find(h1), first);
    EXPECT_EQ(_transport->find(h2), second);
    // A handle is a value: copied, it still finds the connection.
    ConnectionHandle copy = h1;
    EXPECT_EQ(_transport->find(copy), first);
}

TEST_F(TransportHandleTest, FindsNothingForHandlesThatNameNoConnection) {
    start(4);
    EXPECT_EQ(_transport->find(ConnectionHandle{}), nullptr);
    ClientSocket a(_port);
    Connection* c = accept_one(0);
    ASSERT_NE(c, nullptr);
    ConnectionHandle h = _transport->handle(*c);
    EXPECT_EQ(_transport->find(ConnectionHandle{h.slot, h.serial + 1}), nullptr);
    EXPECT_EQ(_transport->find(ConnectionHandle{h.slot + 1000, h.serial}), nullptr);
    EXPECT_EQ(_transport->find(ConnectionHandle{UINT32_MAX, h.serial}), nullptr);
}

TEST_F(TransportHandleTest, AClosedConnectionIsNotFoundFromOnClosedOn) {
    start(4);
    ClientSocket a(_port);
    Connection* c = accept_one(0);
    ASSERT_NE(c, nullptr);
    ConnectionHandle h = _transport->handle(*c);

    _transport->close(*c, false);
    // The close takes effect at the end of the turn: until then the protocol
    // still holds the connection, and so does its handle.
    EXPECT_EQ(_transport->find(h), c);
    EXPECT_FALSE(c->is_open());

    ASSERT_TRUE(turn_until([&] { return !_handler.found_in_on_closed.empty(); }));
    EXPECT_EQ(_handler.found_in_on_closed.front(), nullptr);
    EXPECT_EQ(_transport->find(h), nullptr);
    ASSERT_TRUE(turn_until([&] { return !_handler.destroyed.empty(); }));
    EXPECT_EQ(_transport->find(h), nullptr);
}

TEST_F(TransportHandleTest, AnOldHandleDoesNotFindTheNewConnectionInItsSlot) {
    start(1);  // one slot: the second connection can only have the first one's
    ClientSocket a(_port);
    Connection* first = accept_one(0);
    ASSERT_NE(first, nullptr);
    ConnectionHandle old_handle = _transport->handle(*first);
    ASSERT_TRUE(close_and_wait(first));

    ClientSocket b(_port);
    Connection* second = accept_one(1);
    ASSERT_NE(second, nullptr);
    ConnectionHandle new_handle = _transport->handle(*second);
    ASSERT_EQ(new_handle.slot, old_handle.slot);
    EXPECT_NE(new_handle.serial, old_handle.serial);

    EXPECT_EQ(_transport->find(old_handle), nullptr);
    EXPECT_EQ(_transport->find(new_handle), second);

    // And once that one closes too, neither handle finds anything.
    ASSERT_TRUE(close_and_wait(second));
    EXPECT_EQ(_transport->find(old_handle), nullptr);
    EXPECT_EQ(_transport->find(new_handle), nullptr);
}

}  // namespace
}  // namespace ringcast
