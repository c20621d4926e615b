// HTTPS ([tls]): the real daemon with a certificate from a test CA made at run
// time, driven by curl, `openssl s_client` and an OpenSSL client of our own.
#include <signal.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tls_support.h"

namespace ringcast::itest {
namespace {

const std::string& kStream = kNewsStream;

TEST(Https, StreamsGetEveryEventInOrderOverOneKeptAliveConnection) {
    TlsDaemon t;
    ASSERT_TRUE(t.start()) << t.daemon.error();
    // Streams on both shards (the accepting shard hands connections off).
    std::vector<std::unique_ptr<TlsClient>> streams;
    for (int i = 0; i < 4; ++i) {
        streams.push_back(std::make_unique<TlsClient>(t.pki.ca_file));
        open_news_stream(*streams.back(), t.port);
        EXPECT_EQ(std::string(SSL_get_version(streams.back()->ssl())), "TLSv1.3");
    }
    TlsClient publisher(t.pki.ca_file);
    ASSERT_TRUE(publisher.connect(t.port, Deadline(kIoTimeout)));
    constexpr int kEvents = 200;
    publish_over_tls(publisher, 1, kEvents);
    for (auto& s : streams)
        expect_news_once_in_order(*s, kEvents);
    std::optional<Json> tls = tls_stats(t.daemon.port());
    ASSERT_TRUE(tls);
    EXPECT_TRUE(tls->find("enabled")->as_bool());
    // No kernel TLS here (or not for these): ringcastd seals the records.
    if (!tls->find("kernelTls")->as_bool()) {
        EXPECT_EQ(tls->find("path")->as_string(), "sealer");
        EXPECT_EQ(tls->find("sealed")->as_int(), 5);
    }
    EXPECT_EQ(tls->find("connections")->as_int(), 5);
    EXPECT_EQ(tls->find("handshakes")->as_int(), 5);
}

// A reader that falls behind: the daemon's sends of ciphertext are cut short
// by a full socket and continue where they stopped; every event arrives once,
// in order, intact (a record cut wrong would fail to decrypt).
TEST(Https, ShortWritesOfCiphertextLoseNothing) {
    TlsDaemon t;
    ASSERT_TRUE(t.start()) << t.daemon.error();
    TlsClient slow(t.pki.ca_file);
    ASSERT_TRUE(slow.connect(t.port, Deadline(kIoTimeout), 4096));
    ASSERT_TRUE(slow.send(kStream, Deadline(kIoTimeout)));
    ASSERT_TRUE(slow.read_until(
        [](const std::string& r) { return r.find("event: connected") != std::string::npos; },
        Deadline(kIoTimeout)));
    // 300 events of 2 KiB (600 KiB: under delivery.queue_limit, nothing dropped)
    // while the stream reads nothing.
    TlsClient publisher(t.pki.ca_file);
    ASSERT_TRUE(publisher.connect(t.port, Deadline(kIoTimeout)));
    const std::string pad(2000, 'p');
    constexpr int kEvents = 300;
    for (int n = 1; n <= kEvents; ++n) {
        const std::string body = publish_body(
            "news", "tick", "{\"n\":" + std::to_string(n) + ",\"pad\":\"" + pad + "\"}");
        ASSERT_TRUE(publisher.send(
            build_request("POST", "/api/publish", body, {{"Content-Type", "application/json"}}),
            Deadline(kIoTimeout)));
        std::optional<HttpResponse> r = publisher.response(Deadline(kIoTimeout));
        ASSERT_TRUE(r && r->status == 200);
    }
    const std::string last = "data: {\"n\":" + std::to_string(kEvents) + ",";
    ASSERT_TRUE(slow.read_until(
        [&](const std::string& r) { return r.find(last) != std::string::npos; }, Deadline(20s)));
    size_t at = 0;
    for (int n = 1; n <= kEvents; ++n) {
        const std::string line =
            "data: {\"n\":" + std::to_string(n) + ",\"pad\":\"" + pad + "\"}\n";
        size_t found = slow.received().find(line, at);
        ASSERT_NE(found, std::string::npos) << "event " << n << " missing or out of order";
        at = found + line.size();
    }
}

// An SSE stream read by curl over HTTPS into a file, until --max-time or
// stop(): `more` are curl's extra options (--http2, say).
class CurlStream {
public:
    CurlStream(const TlsDaemon& t, std::vector<std::string> more) {
        const std::string port = std::to_string(t.port);
        std::vector<std::string> args = {"-sSN",
                                         "--cacert",
                                         t.pki.ca_file,
                                         "--resolve",
                                         "localhost:" + port + ":127.0.0.1",
                                         "--max-time",
                                         "20"};
        args.insert(args.end(), more.begin(), more.end());
        args.push_back("https://localhost:" + port + "/api/sse/stream?channels=news");
        _so.out_path = _out.path() + "/stream";
        _so.err_path = _out.path() + "/err";
        _child = spawn_child(find_program("curl"), args, _so, &_error);
    }
    ~CurlStream() { stop(); }
    bool started() const { return _child.pid > 0; }
    const std::string& error() const { return _error; }
    std::string text() const {
        std::ifstream f(_so.out_path);
        std::stringstream ss;
        ss << f.rdbuf();
        return ss.str();
    }
    // Whether `pred(text())` came true within the I/O timeout.
    template <typename Pred>
    bool await(Pred pred) const {
        const Deadline d(kIoTimeout);
        while (!pred(text()) && !d.expired())
            ::poll(nullptr, 0, 10);
        return pred(text());
    }
    void stop() {
        if (_child.pid <= 0) return;
        ::kill(_child.pid, SIGTERM);
        await_exit(_child.pid, _child.pidfd, Deadline(5s));
        _child.pid = 0;
    }

private:
    TempDir _out;
    SpawnOptions _so;
    Child _child;
    std::string _error;
};

bool connected(const std::string& text) {
    return text.find("event: connected") != std::string::npos;
}

TEST(Https, CurlStreamsPublishesAndAsksTheApi) {
    TlsDaemon t;
    ASSERT_TRUE(t.start()) << t.daemon.error();
    const std::string base = "https://localhost:" + std::to_string(t.port);
    const std::string resolve = "localhost:" + std::to_string(t.port) + ":127.0.0.1";
    // A stream through curl, read until the last event (curl exits at --max-time).
    CurlStream stream(t, {});
    ASSERT_TRUE(stream.started()) << stream.error();
    ASSERT_TRUE(stream.await(connected));
    // Publishes with curl, several on one connection (keep-alive: one handshake).
    // (--next starts the next request's options; curl keeps the connection.)
    std::vector<std::string> args = {"-sS"};
    for (int n = 1; n <= 3; ++n) {
        if (n > 1) args.push_back("--next");
        const std::string body =
            "{\"channel\":\"news\",\"event\":\"tick\",\"data\":{\"n\":" + std::to_string(n) + "}}";
        args.insert(args.end(), {"--cacert", t.pki.ca_file, "--resolve", resolve, "-H",
                                 "Content-Type: application/json", "-H", "X-API-Key: itest-api-key",
                                 "-w", "%{http_code} %{num_connects}\\n", "-o", "/dev/null", "-d",
                                 body, base + "/api/publish"});
    }
    ToolRun pub = run_tool("curl", args);
    ASSERT_EQ(pub.exit_code, 0) << pub.err;
    EXPECT_EQ(pub.out, "200 1\n200 0\n200 0\n") << "three publishes on one connection";
    stream.await([](const std::string& text) { return has_event(text, 3); });
    const std::string text = stream.text();
    EXPECT_TRUE(has_event(text, 1) && has_event(text, 2) && has_event(text, 3)) << text;
    EXPECT_LT(text.find("{\"n\":1}"), text.find("{\"n\":2}"));
    stream.stop();

    ToolRun stats = run_tool("curl", {"-sS", "--cacert", t.pki.ca_file, "--resolve", resolve, "-H",
                                      "X-API-Key: itest-api-key", base + "/api/stats"});
    ASSERT_EQ(stats.exit_code, 0) << stats.err;
    std::optional<Json> s = Json::parse(stats.out);
    ASSERT_TRUE(s) << stats.out;
    EXPECT_GE(s->find("tls")->find("handshakes")->as_int(), 2);
    // And /metrics says which path encrypts.
    ToolRun metrics = run_tool("curl", {"-sS", "--cacert", t.pki.ca_file, "--resolve", resolve,
                                        "-H", "X-API-Key: itest-api-key", base + "/metrics"});
    EXPECT_NE(metrics.out.find("ringcast_tls_info{path="), std::string::npos)
        << metrics.out.substr(0, 300);
}

// `openssl s_client` with these extra arguments against the daemon. With
// `request`, it asks for /healthz/live with "Connection: close" and reads
// until the daemon closes (TLS 1.3 session tickets come after the handshake:
// a client that leaves at once never sees them).
ToolRun s_client(const TlsDaemon& t, std::vector<std::string> more, bool request = false) {
    std::vector<std::string> args = {
        "s_client", "-connect",   "127.0.0.1:" + std::to_string(t.port), "-servername", "localhost",
        "-CAfile",  t.pki.ca_file};
    args.insert(args.end(), more.begin(), more.end());
    if (!request) return run_tool("openssl", args, "");
    args.insert(args.end(), {"-ign_eof", "-crlf"});
    return run_tool("openssl", args, "GET /healthz/live HTTP/1.1\nHost: x\nConnection: close\n\n");
}

// The serial number of the certificate the daemon presents now ("01").
std::string served_serial(const TlsDaemon& t) {
    const std::string out = s_client(t, {"-showcerts"}).out;
    const size_t begin = out.find("-----BEGIN CERTIFICATE-----");
    const size_t end = out.find("-----END CERTIFICATE-----");
    if (begin == std::string::npos || end == std::string::npos) return "";
    ToolRun x509 = run_tool("openssl", {"x509", "-noout", "-serial"},
                            out.substr(begin, end + 25 - begin) + "\n");
    const std::string line = x509.out.substr(0, x509.out.find('\n'));
    return line.starts_with("serial=") ? line.substr(7) : line;
}

TEST(Https, SClientSeesH2ByAlpnAndAVerifiedCertificate) {
    TlsDaemon t;
    ASSERT_TRUE(t.start()) << t.daemon.error();
    ToolRun r = s_client(t, {"-alpn", "h2,http/1.1"});
    EXPECT_NE(r.out.find("ALPN protocol: h2"), std::string::npos) << r.out;
    // A client that offers only HTTP/1.1 gets it.
    ToolRun r11 = s_client(t, {"-alpn", "http/1.1"});
    EXPECT_NE(r11.out.find("ALPN protocol: http/1.1"), std::string::npos) << r11.out;
    EXPECT_NE(r.out.find("Verify return code: 0 (ok)"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("TLSv1.3"), std::string::npos) << r.out;
    // TLS 1.2 is still accepted (min_version = "1.2"), with an intermediate cipher.
    ToolRun r12 = s_client(t, {"-tls1_2"});
    EXPECT_NE(r12.out.find("Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"), std::string::npos)
        << r12.out;
}

// With [http2] off, ALPN never offers h2: a client offering both gets HTTP/1.1.
TEST(Https, WithoutHttp2AlpnOffersHttp11Only) {
    TlsDaemon t;
    ASSERT_TRUE(t.start("", "[http2]\nenabled = false\n")) << t.daemon.error();
    ToolRun r = s_client(t, {"-alpn", "h2,http/1.1"});
    EXPECT_NE(r.out.find("ALPN protocol: http/1.1"), std::string::npos) << r.out;
}

// HTTP/2 over TLS (ALPN h2), as browsers speak it: curl --http2 gets an SSE
// stream and an API answer over HTTP/2, and the stream receives what is
// published.
TEST(Https, CurlSpeaksHttp2ByAlpnToStreamsAndTheApi) {
    TlsDaemon t;
    ASSERT_TRUE(t.start()) << t.daemon.error();
    const std::string base = "https://localhost:" + std::to_string(t.port);
    const std::string resolve = "localhost:" + std::to_string(t.port) + ":127.0.0.1";
    ToolRun stats = run_tool("curl", {"-sS", "--http2", "--cacert", t.pki.ca_file, "--resolve",
                                      resolve, "-H", "X-API-Key: itest-api-key", "-o", "/dev/null",
                                      "-w", "%{http_version} %{http_code}", base + "/api/stats"});
    ASSERT_EQ(stats.exit_code, 0) << stats.err;
    EXPECT_EQ(stats.out, "2 200");
    CurlStream stream(t, {"--http2"});
    ASSERT_TRUE(stream.started()) << stream.error();
    ASSERT_TRUE(stream.await(connected));
    TlsClient pub(t.pki.ca_file);
    ASSERT_TRUE(pub.connect(t.port, Deadline(kIoTimeout)));
    publish_over_tls(pub, 1, 3);
    EXPECT_TRUE(stream.await([](const std::string& text) {
        return has_event(text, 1) && has_event(text, 3);
    })) << stream.text();
    // The daemon counts it as an HTTP/2 stream.
    HttpClient api(t.daemon.port());
    ASSERT_TRUE(api.connect());
    std::optional<Json> s = fetch_stats(api);
    ASSERT_TRUE(s && s->find("http2")) << "no http2 in the stats";
    EXPECT_GE(s->find("http2")->find("streams")->as_int(), 1);
}

TEST(Https, Tls11IsRefusedAndCounted) {
    TlsDaemon t;
    ASSERT_TRUE(t.start()) << t.daemon.error();
    ToolRun r = s_client(t, {"-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.out + r.err, "");
    EXPECT_EQ(r.out.find("Cipher is ECDHE"), std::string::npos) << r.out;
    HttpClient c(t.daemon.port());
    ASSERT_TRUE(c.connect());
    EXPECT_TRUE(await_stats(
        c, [](const Json& s) { return s.find("tls")->find("handshakeFailures")->as_int() == 1; },
        Deadline(kIoTimeout)));
    EXPECT_NE(t.daemon.log().find("unsupported protocol"), std::string::npos);
}

TEST(Https, SessionTicketsResume) {
    TlsDaemon t;
    ASSERT_TRUE(t.start()) << t.daemon.error();
    const std::string session = t.dir.path() + "/session.pem";
    ToolRun first = s_client(t, {"-sess_out", session}, true);
    ASSERT_NE(first.out.find("New, TLSv1.3"), std::string::npos) << first.out;
    // A resumed connection gets a fresh ticket (TLS 1.3 tickets are used
    // once), which resumes the next one: a client never falls back to a full
    // handshake every other time.
    const std::string renewed = t.dir.path() + "/renewed.pem";
    ToolRun again = s_client(t, {"-sess_in", session, "-sess_out", renewed}, true);
    EXPECT_NE(again.out.find("Reused, TLSv1.3"), std::string::npos) << again.out;
    ToolRun third = s_client(t, {"-sess_in", renewed}, true);
    EXPECT_NE(third.out.find("Reused, TLSv1.3"), std::string::npos) << third.out;
    std::optional<Json> tls = tls_stats(t.daemon.port());
    ASSERT_TRUE(tls);
    EXPECT_EQ(tls->find("resumed")->as_int(), 2);
}

TEST(Https, SighupTakesANewCertificateAndOpenStreamsGoOn) {
    TlsDaemon t;
    ASSERT_TRUE(t.start()) << t.daemon.error();
    TlsClient stream(t.pki.ca_file);
    ASSERT_TRUE(stream.connect(t.port, Deadline(kIoTimeout)));
    ASSERT_TRUE(stream.send(kStream, Deadline(kIoTimeout)));
    ASSERT_TRUE(stream.read_until(
        [](const std::string& r) { return r.find("event: connected") != std::string::npos; },
        Deadline(kIoTimeout)));
    EXPECT_EQ(served_serial(t), "01");

    t.pki.install(2);
    ASSERT_TRUE(t.daemon.signal(SIGHUP));
    const Deadline reloaded(kIoTimeout);
    while (t.daemon.log().find("configuration reloaded") == std::string::npos &&
           !reloaded.expired())
        ::poll(nullptr, 0, 10);
    ASSERT_NE(t.daemon.log().find("configuration reloaded"), std::string::npos);
    EXPECT_EQ(served_serial(t), "02");

    // The stream from before the reload still gets events.
    TlsClient publisher(t.pki.ca_file);
    ASSERT_TRUE(publisher.connect(t.port, Deadline(kIoTimeout)));
    publish_over_tls(publisher, 1, 1);
    EXPECT_TRUE(stream.read_until([](const std::string& r) { return has_event(r, 1); },
                                  Deadline(kIoTimeout)));

    // A bad certificate refuses the reload; the running one stays.
    test::write_text(t.pki.cert_file, "not a certificate\n");
    ASSERT_TRUE(t.daemon.signal(SIGHUP));
    const Deadline refused(kIoTimeout);
    while (t.daemon.log().find("reload refused") == std::string::npos && !refused.expired())
        ::poll(nullptr, 0, 10);
    EXPECT_NE(t.daemon.log().find("tls.certificate " + t.pki.cert_file), std::string::npos)
        << t.daemon.log();
    EXPECT_EQ(served_serial(t), "02");
}

TEST(Https, ABadCertificateStopsTheStartSayingWhich) {
    TempDir dir;
    TestPkiFiles pki(dir);
    const std::string other = dir.write("other-key.pem", pki.ca.issue(7).key_pem);
    const std::string config =
        with_test_api_key("[tls]\nlisten = \"127.0.0.1:0\"\ncertificate = \"" + pki.cert_file +
                          "\"\nkey = \"" + other + "\"\n");
    const std::string file = dir.write("ringcast.toml", config);
    CommandResult check = run_ringcastd({"--check-config", file});
    EXPECT_EQ(check.exit_code, 2);
    EXPECT_NE(check.err.find("does not match the certificate"), std::string::npos) << check.err;

    DaemonProcess d;
    DaemonOptions o;
    o.config = "[tls]\nlisten = \"127.0.0.1:0\"\ncertificate = \"" + dir.path() +
               "/missing.pem\"\nkey = \"" + pki.key_file + "\"\n";
    EXPECT_FALSE(d.start(o));
    EXPECT_NE(d.log().find("tls.certificate " + dir.path() + "/missing.pem: No such file"),
              std::string::npos)
        << d.log();
    EXPECT_EQ(d.log().find("listening on"), std::string::npos) << "no listener opened";
}

}  // namespace
}  // namespace ringcast::itest
