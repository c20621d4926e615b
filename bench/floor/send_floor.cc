// ringcast-send-floor: what one small TCP send costs this machine's kernel,
// without any server around it. Opens N loopback connection pairs, then sends a
// SIZE-byte message to every server-side socket, ROUNDS times, once with plain
// send() and once with io_uring (one SEND per socket, submitted in batches).
// The receivers never read, so no reader wake-ups are involved; on loopback the
// receive processing of each segment still runs in the sender's context.
//
// It calibrates the daemon's "CPU per delivery": at one event per connection per
// write, no server can go below this floor by much. Usage:
//   ringcast-send-floor [CONNECTIONS=5000] [ROUNDS=20] [SIZE=330]
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <liburing.h>

namespace {

double cpu_seconds() {
    rusage r;
    getrusage(RUSAGE_SELF, &r);
    return double(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
           double(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
    const int n = argc > 1 ? std::atoi(argv[1]) : 5000;
    const int rounds = argc > 2 ? std::atoi(argv[2]) : 20;
    const size_t size = argc > 3 ? size_t(std::atoi(argv[3])) : 330;
    if (n <= 0 || n > 9000 || rounds <= 0 || size == 0 || size > 65536) {
        std::fprintf(stderr,
                     "usage: ringcast-send-floor [CONNECTIONS 1-9000] [ROUNDS] [SIZE 1-65536]\n");
        return 2;
    }
    int l = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t al = sizeof a;
    if (bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(l, 8192) != 0 ||
        getsockname(l, reinterpret_cast<sockaddr*>(&a), &al) != 0) {
        std::perror("listen");
        return 1;
    }
    std::vector<int> servers, clients;
    int one = 1;
    for (int i = 0; i < n; ++i) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
            std::perror("connect (raise the open-files limit or lower CONNECTIONS)");
            return 1;
        }
        int s = accept(l, nullptr, nullptr);
        setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        clients.push_back(c);
        servers.push_back(s);
    }
    std::vector<char> msg(size, 'x');
    const double total = double(n) * rounds;

    double t0 = cpu_seconds();
    for (int r = 0; r < rounds; ++r)
        for (int s : servers)
            send(s, msg.data(), msg.size(), MSG_NOSIGNAL);
    double plain = (cpu_seconds() - t0) / total * 1e6;

    io_uring ring;
    io_uring_params p{};
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE;
    p.cq_entries = 65536;
    if (io_uring_queue_init_params(4096, &ring, &p) != 0 ||
        io_uring_register_files(&ring, servers.data(), unsigned(servers.size())) != 0) {
        std::fprintf(stderr, "io_uring setup failed\n");
        return 1;
    }
    t0 = cpu_seconds();
    for (int r = 0; r < rounds; ++r) {
        for (int i = 0; i < n; ++i) {
            io_uring_sqe* sqe = io_uring_get_sqe(&ring);
            if (!sqe) {
                io_uring_submit(&ring);
                sqe = io_uring_get_sqe(&ring);
            }
            io_uring_prep_send(sqe, i, msg.data(), msg.size(), MSG_NOSIGNAL);
            sqe->flags |= IOSQE_FIXED_FILE;
        }
        unsigned seen = 0;
        while (seen < unsigned(n)) {
            io_uring_submit_and_wait(&ring, 1);
            unsigned head, k = 0;
            io_uring_cqe* cqe;
            io_uring_for_each_cqe(&ring, head, cqe)++ k;
            io_uring_cq_advance(&ring, k);
            seen += k;
        }
    }
    double uring = (cpu_seconds() - t0) / total * 1e6;
    std::printf("%d connections x %d rounds, %zu-byte sends (CPU time per send)\n", n, rounds,
                size);
    std::printf("  send():   %.2f us\n  io_uring: %.2f us\n", plain, uring);
    return 0;
}
