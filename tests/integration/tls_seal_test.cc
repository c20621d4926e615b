// Records sealed by ringcastd (tls.seal, tls/record_sealer.h): where the kernel
// does not encrypt (no tls module here, or tls.ktls = "off"), a TLS 1.3
// connection's records are made by ringcastd itself once the handshake is
// done, and OpenSSL only decrypts what the client sends. Real clients must read
// them for every suite, events larger than a record must arrive whole, a close
// must end with a close_notify they accept, and a client asking for a KeyUpdate
// (which only OpenSSL's write path would send) is disconnected alone.
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "prometheus_text.h"
#include "tls_support.h"

namespace ringcast::itest {
namespace {

const Headers kKey = {{"X-API-Key", std::string(kTestApiKey)}};

// GET /metrics (plain HTTP) until `pred` holds on the scrape (shards publish
// their numbers every [metrics] interval); the last scrape either way.
template <typename Pred>
PromScrape await_scrape(uint16_t port, Pred pred) {
    PromScrape p;
    const Deadline d(kIoTimeout);
    do {
        HttpClient c(port);
        if (c.connect())
            if (auto r = c.request("GET", "/metrics", {}, kKey); r && r->status == 200)
                p = parse_prometheus_text(r->body);
        if (pred(p)) break;
        ::poll(nullptr, 0, 20);
    } while (!d.expired());
    return p;
}

TEST(HttpsSeal, Tls13StreamsOfEverySuiteAreSealedHereTls12OnesByOpenSsl) {
    TlsDaemon t;
    ASSERT_TRUE(t.start("ktls = \"off\"\n")) << t.daemon.error();
    EXPECT_TRUE(t.daemon.log().find("TLS encryption: sealer") != std::string::npos)
        << t.daemon.log();
    std::vector<std::unique_ptr<TlsClient>> streams;
    for (const char* suite :
         {"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}) {
        streams.push_back(std::make_unique<TlsClient>(t.pki.ca_file));
        streams.back()->set_ciphersuites(suite);
        open_news_stream(*streams.back(), t.port);
        EXPECT_STREQ(SSL_CIPHER_get_name(SSL_get_current_cipher(streams.back()->ssl())), suite);
    }
    streams.push_back(std::make_unique<TlsClient>(t.pki.ca_file, TLS1_2_VERSION));
    open_news_stream(*streams.back(), t.port);
    TlsClient publisher(t.pki.ca_file);
    ASSERT_TRUE(publisher.connect(t.port, Deadline(kIoTimeout)));
    constexpr int kEvents = 200;
    publish_over_tls(publisher, 1, kEvents);
    for (auto& s : streams)
        expect_news_once_in_order(*s, kEvents);
    // Every connection still open: the TLS 1.3 ones (the publisher among
    // them) on the sealer, the TLS 1.2 one on SSL_write.
    std::optional<Json> tls = tls_stats(t.daemon.port());
    ASSERT_TRUE(tls);
    EXPECT_EQ(tls->find("path")->as_string(), "sealer");
    EXPECT_EQ(tls->find("connections")->as_int(), 5);
    EXPECT_EQ(tls->find("sealed")->as_int(), 4);
    EXPECT_EQ(tls->find("errors")->as_int(), 0);
    const PromScrape m = await_scrape(t.daemon.port(), [](const PromScrape& p) {
        return p.value("ringcast_tls_connections", {{"encrypts", "sealer"}}) == 4;
    });
    EXPECT_EQ(m.value("ringcast_tls_connections", {{"encrypts", "sealer"}}), 4);
    EXPECT_EQ(m.value("ringcast_tls_connections", {{"encrypts", "userspace"}}), 1);
    EXPECT_EQ(m.value("ringcast_tls_connections", {{"encrypts", "kernel"}}), 0);
    EXPECT_EQ(m.value("ringcast_tls_info", {{"path", "sealer"}, {"kernel_tls", "false"}}) +
                  m.value("ringcast_tls_info", {{"path", "sealer"}, {"kernel_tls", "true"}}),
              0)  // one of them is 1, the other absent (-1)
        << "ringcast_tls_info{path=\"sealer\"} missing";
}

TEST(HttpsSeal, EventsLargerThanARecordArriveWhole) {
    TlsDaemon t;
    ASSERT_TRUE(t.start("ktls = \"off\"\n")) << t.daemon.error();
    TlsClient stream(t.pki.ca_file);
    open_news_stream(stream, t.port);
    TlsClient publisher(t.pki.ca_file);
    ASSERT_TRUE(publisher.connect(t.port, Deadline(kIoTimeout)));
    // 40 KB of data each: three records per event at least.
    std::vector<std::string> pads;
    for (int n = 1; n <= 5; ++n) {
        pads.push_back(std::string(40000, char('a' + n)));
        const std::string body = publish_body(
            "news", "big", "{\"n\":" + std::to_string(n) + ",\"pad\":\"" + pads.back() + "\"}");
        ASSERT_TRUE(publisher.send(
            build_request("POST", "/api/publish", body, {{"Content-Type", "application/json"}}),
            Deadline(kIoTimeout)));
        std::optional<HttpResponse> r = publisher.response(Deadline(kIoTimeout));
        ASSERT_TRUE(r && r->status == 200);
    }
    auto line = [&](int n) {
        return "data: {\"n\":" + std::to_string(n) + ",\"pad\":\"" + pads[size_t(n - 1)] + "\"}\n";
    };
    ASSERT_TRUE(stream.read_until(
        [&](const std::string& r) { return r.find(line(5)) != std::string::npos; },
        Deadline(kIoTimeout)));
    for (int n = 1; n <= 5; ++n)
        EXPECT_NE(stream.received().find(line(n)), std::string::npos) << "event " << n;
    std::optional<Json> tls = tls_stats(t.daemon.port());
    ASSERT_TRUE(tls);
    EXPECT_EQ(tls->find("sealed")->as_int(), 2);
}

TEST(HttpsSeal, AClosedConnectionEndsWithASealedCloseNotify) {
    TlsDaemon t;
    ASSERT_TRUE(t.start("ktls = \"off\"\n")) << t.daemon.error();
    TlsClient c(t.pki.ca_file);
    ASSERT_TRUE(c.connect(t.port, Deadline(kIoTimeout)));
    ASSERT_TRUE(c.send("GET /healthz/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                       Deadline(kIoTimeout)));
    // Read to the end: the answer, then the daemon's close.
    EXPECT_FALSE(c.read_until([](const std::string&) { return false; }, Deadline(kIoTimeout)));
    EXPECT_NE(c.received().find("HTTP/1.1 200"), std::string::npos) << c.received();
    // The close was a close_notify the client decrypted, not a bare EOF.
    EXPECT_TRUE(SSL_get_shutdown(c.ssl()) & SSL_RECEIVED_SHUTDOWN);
}

TEST(HttpsSeal, AClientAskingForAKeyUpdateIsDisconnectedAlone) {
    TlsDaemon t;
    ASSERT_TRUE(t.start("ktls = \"off\"\n")) << t.daemon.error();
    TlsClient asks(t.pki.ca_file), other(t.pki.ca_file);
    open_news_stream(asks, t.port);
    open_news_stream(other, t.port);
    ASSERT_EQ(SSL_key_update(asks.ssl(), SSL_KEY_UPDATE_REQUESTED), 1);
    ASSERT_EQ(SSL_do_handshake(asks.ssl()), 1);  // sends the KeyUpdate
    EXPECT_FALSE(asks.read_until([](const std::string&) { return false; }, Deadline(kIoTimeout)));
    EXPECT_TRUE(
        t.daemon.await_log("which the sealer (tls.seal) does not send", Deadline(kIoTimeout)))
        << t.daemon.log();
    TlsClient publisher(t.pki.ca_file);
    ASSERT_TRUE(publisher.connect(t.port, Deadline(kIoTimeout)));
    publish_over_tls(publisher, 1, 20);
    expect_news_once_in_order(other, 20);
    std::optional<Json> tls = tls_stats(t.daemon.port());
    ASSERT_TRUE(tls);
    EXPECT_EQ(tls->find("errors")->as_int(), 1);
    EXPECT_EQ(tls->find("sealed")->as_int(), 2);  // other and the publisher
}

TEST(HttpsSeal, OpensslKeepsSslWrite) {
    TlsDaemon t;
    ASSERT_TRUE(t.start("ktls = \"off\"\nseal = \"openssl\"\n")) << t.daemon.error();
    EXPECT_TRUE(t.daemon.log().find("TLS encryption: userspace") != std::string::npos)
        << t.daemon.log();
    TlsClient stream(t.pki.ca_file);
    open_news_stream(stream, t.port);
    TlsClient publisher(t.pki.ca_file);
    ASSERT_TRUE(publisher.connect(t.port, Deadline(kIoTimeout)));
    publish_over_tls(publisher, 1, 50);
    expect_news_once_in_order(stream, 50);
    std::optional<Json> tls = tls_stats(t.daemon.port());
    ASSERT_TRUE(tls);
    EXPECT_EQ(tls->find("path")->as_string(), "userspace");
    EXPECT_EQ(tls->find("connections")->as_int(), 2);
    EXPECT_EQ(tls->find("sealed")->as_int(), 0);
}

}  // namespace
}  // namespace ringcast::itest
