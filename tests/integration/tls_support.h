#pragma once
// HTTPS tests (tls_*_test.cc): a daemon with [tls] and a test CA made at run
// time (tests/common/test_pki.h: no key material is committed), the HTTPS port
// it announced, a TLS client on a TcpConnection (OpenSSL, non-blocking, every
// wait bounded by a Deadline), and runs of curl and `openssl s_client`.
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../common/test_pki.h"
#include "child_process.h"
#include "daemon_process.h"
#include "http_client.h"
#include "json.h"
#include "tcp.h"

namespace ringcast::itest {

// The HTTPS port the daemon announced ("listening on https://127.0.0.1:PORT").
inline uint16_t https_port_of(const std::string& log) {
    static const std::regex re(R"(listening on https://127\.0\.0\.1:(\d+))");
    std::smatch m;
    return std::regex_search(log, m, re) ? uint16_t(std::stoi(m[1])) : 0;
}

// A CA, a certificate it issued (serial 1) and its key, in files of `dir`.
struct TestPkiFiles {
    explicit TestPkiFiles(const TempDir& dir) : _dir(dir) {
        ca_file = dir.write("ca.pem", ca.ca_pem());
        install(1);
    }
    // Issues a certificate with `serial` into cert.pem and key.pem (replacing them).
    void install(long serial) {
        test::IssuedCert c = ca.issue(serial);
        cert_file = _dir.write("cert.pem", c.cert_pem);
        key_file = _dir.write("key.pem", c.key_pem);
    }
    std::string tls_config(const std::string& more = "") const {
        return "[tls]\nlisten = \"127.0.0.1:0\"\ncertificate = \"" + cert_file + "\"\nkey = \"" +
               key_file + "\"\n" + more;
    }
    test::TestCa ca;
    std::string ca_file, cert_file, key_file;

private:
    const TempDir& _dir;
};

// A daemon serving HTTPS with the test CA's certificate.
struct TlsDaemon {
    // `tls_more`: further [tls] keys; `config`: other sections.
    bool start(const std::string& tls_more = "", const std::string& config = "",
               unsigned shards = 2) {
        DaemonOptions o;
        o.shards = shards;
        o.config = pki.tls_config(tls_more) + config;
        if (!daemon.start(o)) return false;
        port = https_port_of(daemon.log());
        return port != 0;
    }
    TempDir dir;
    TestPkiFiles pki{dir};
    DaemonProcess daemon;
    uint16_t port = 0;
};

struct ToolRun {
    std::optional<int> exit_code;
    std::string out, err;
};

// Where `name` is on $PATH ("name" itself when nowhere: the spawn then fails).
inline std::string find_program(const std::string& name) {
    const char* path = std::getenv("PATH");
    std::stringstream dirs(path ? path : "/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');)
        if (access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
    return name;
}

// Runs a program (curl, openssl) found on $PATH with `args` and `input` on its stdin.
inline ToolRun run_tool(const std::string& name, const std::vector<std::string>& args,
                        const std::string& input = "", const Deadline& d = Deadline(20s)) {
    TempDir tmp;
    SpawnOptions o;
    o.in_path = tmp.write("in", input);
    o.out_path = tmp.path() + "/out";
    o.err_path = tmp.path() + "/err";
    std::string error;
    Child c = spawn_child(find_program(name), args, o, &error);
    ToolRun r;
    if (c.pid < 0) {
        r.err = error;
        return r;
    }
    r.exit_code = await_exit(c.pid, c.pidfd, d);
    auto slurp = [](const std::string& p) {
        std::ifstream f(p, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str();
    };
    r.out = slurp(o.out_path);
    r.err = slurp(o.err_path);
    return r;
}

// A TLS client over a TcpConnection: trusts the test CA, checks "localhost".
class TlsClient {
public:
    explicit TlsClient(const std::string& ca_file, int max_version = 0) {
        _ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_load_verify_locations(_ctx, ca_file.c_str(), nullptr);
        SSL_CTX_set_verify(_ctx, SSL_VERIFY_PEER, nullptr);
        if (max_version) SSL_CTX_set_max_proto_version(_ctx, max_version);
    }
    // Offers only these TLS 1.3 suites (OpenSSL syntax); before connect().
    void set_ciphersuites(const char* suites) { SSL_CTX_set_ciphersuites(_ctx, suites); }
    ~TlsClient() {
        if (_ssl) SSL_free(_ssl);
        SSL_CTX_free(_ctx);
    }
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    // `rcvbuf` > 0: a small receive buffer (a reader that falls behind).
    bool connect(uint16_t port, const Deadline& d, int rcvbuf = 0) {
        if (!_tcp.connect(port, d, rcvbuf)) return false;
        _ssl = SSL_new(_ctx);
        SSL_set_fd(_ssl, _tcp.fd());
        SSL_set_tlsext_host_name(_ssl, "localhost");
        SSL_set1_host(_ssl, "localhost");
        SSL_set_connect_state(_ssl);
        return drive(d, [&] { return SSL_do_handshake(_ssl); }) > 0;
    }
    bool send(const std::string& bytes, const Deadline& d) {
        size_t at = 0;
        while (at < bytes.size()) {
            int n = drive(
                d, [&] { return SSL_write(_ssl, bytes.data() + at, int(bytes.size() - at)); });
            if (n <= 0) return false;
            at += size_t(n);
        }
        return true;
    }
    // Reads until `pred(received())` holds; false at EOF or the deadline.
    template <typename Pred>
    bool read_until(Pred pred, const Deadline& d) {
        char buf[16384];
        while (!pred(_received)) {
            int n = drive(d, [&] { return SSL_read(_ssl, buf, sizeof buf); });
            if (n <= 0) return false;
            _received.append(buf, size_t(n));
        }
        return true;
    }
    // The next HTTP response (Content-Length framed), taken from received().
    std::optional<HttpResponse> response(const Deadline& d) {
        size_t end = 0, length = 0;
        auto complete = [&](const std::string& r) {
            size_t head = r.find("\r\n\r\n");
            if (head == std::string::npos) return false;
            static const std::regex cl(R"(content-length:\s*(\d+))", std::regex::icase);
            std::smatch m;
            std::string h = r.substr(0, head);
            length = std::regex_search(h, m, cl) ? std::stoul(m[1]) : 0;
            end = head + 4 + length;
            return r.size() >= end;
        };
        if (!read_until(complete, d)) return std::nullopt;
        HttpResponse resp;
        size_t head = _received.find("\r\n\r\n");
        if (!parse_response_head(std::string_view(_received).substr(0, head), &resp))
            return std::nullopt;
        resp.body = _received.substr(head + 4, length);
        _received.erase(0, end);
        return resp;
    }
    std::string& received() { return _received; }
    SSL* ssl() { return _ssl; }
    TcpConnection& tcp() { return _tcp; }

private:
    // Runs op until it is done, waiting on the socket as OpenSSL asks.
    template <typename Op>
    int drive(const Deadline& d, Op op) {
        for (;;) {
            ERR_clear_error();
            int r = op();
            if (r > 0) return r;
            int e = SSL_get_error(_ssl, r);
            short events = e == SSL_ERROR_WANT_READ    ? POLLIN
                           : e == SSL_ERROR_WANT_WRITE ? POLLOUT
                                                       : 0;
            if (!events) return -1;
            pollfd p{_tcp.fd(), events, 0};
            if (poll(&p, 1, d.poll_ms()) <= 0) return -1;
        }
    }

    SSL_CTX* _ctx;
    SSL* _ssl = nullptr;
    TcpConnection _tcp;
    std::string _received;
};

// The stream request of the news tests, and the line event n = 1, 2... carries.
inline const std::string kNewsStream =
    "GET /api/sse/stream?channels=news HTTP/1.1\r\nHost: x\r\n\r\n";
inline std::string news_line(int n) {
    return "data: {\"n\":" + std::to_string(n) + "}\n";
}
inline bool has_event(const std::string& text, int n) {
    return text.find(news_line(n)) != std::string::npos;
}

// A TLS stream on "news" (TLS 1.3 unless max_version), its `connected` event read.
inline void open_news_stream(TlsClient& c, uint16_t port) {
    ASSERT_TRUE(c.connect(port, Deadline(kIoTimeout)));
    ASSERT_TRUE(c.send(kNewsStream, Deadline(kIoTimeout)));
    ASSERT_TRUE(c.read_until(
        [](const std::string& r) { return r.find("event: connected") != std::string::npos; },
        Deadline(kIoTimeout)));
}

// Publishes events n = first..last to "news" on one kept-alive TLS connection.
inline void publish_over_tls(TlsClient& c, int first, int last) {
    for (int n = first; n <= last; ++n) {
        const std::string body = publish_body("news", "tick", "{\"n\":" + std::to_string(n) + "}");
        ASSERT_TRUE(c.send(
            build_request("POST", "/api/publish", body, {{"Content-Type", "application/json"}}),
            Deadline(kIoTimeout)));
        std::optional<HttpResponse> r = c.response(Deadline(kIoTimeout));
        ASSERT_TRUE(r) << "no answer to publish " << n;
        ASSERT_EQ(r->status, 200) << r->describe();
    }
}

// The stream gets events 1..last, each exactly once, in order.
inline void expect_news_once_in_order(TlsClient& s, int last) {
    ASSERT_TRUE(s.read_until([&](const std::string& r) { return has_event(r, last); },
                             Deadline(kIoTimeout)));
    size_t at = 0;
    for (int n = 1; n <= last; ++n) {
        const size_t found = s.received().find(news_line(n), at);
        ASSERT_NE(found, std::string::npos) << "event " << n << " missing or out of order";
        at = found + news_line(n).size();
        EXPECT_EQ(s.received().find(news_line(n), at), std::string::npos)
            << "event " << n << " twice";
    }
}

// The "tls" object of GET /api/stats (over plain HTTP), or nullopt.
inline std::optional<Json> tls_stats(uint16_t http_port) {
    HttpClient c(http_port);
    if (!c.connect()) return std::nullopt;
    std::optional<Json> s = fetch_stats(c);
    if (!s) return std::nullopt;
    const Json* t = s->find("tls");
    return t ? std::optional<Json>(*t) : std::nullopt;
}

}  // namespace ringcast::itest
