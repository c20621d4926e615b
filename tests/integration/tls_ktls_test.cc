// Kernel TLS for sending (tls.ktls, net/transport_ktls.cc). Where the kernel
// has the tls module, TLS 1.3 connections hand their sending side to it after
// the handshake; everywhere else they stay in user space. tls.ktls = "on" makes
// every connection try even where the start-up check found no module: on this
// kind of kernel each one then goes through the whole switch (keys exported, a
// descriptor installed, the kernel asked) up to the kernel's refusal, and must
// go on in user space with nothing lost.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tls_support.h"

namespace ringcast::itest {
namespace {

// Streams (TLS 1.3 unless a max version is given), then `events` events
// published over HTTPS: every stream gets each once, in order. The clients
// (the publisher last) stay connected in *open.
void stream_events(TlsDaemon& t, const std::vector<int>& versions, int events,
                   std::vector<std::unique_ptr<TlsClient>>* open) {
    std::vector<std::unique_ptr<TlsClient>>& streams = *open;
    for (int v : versions) {
        streams.push_back(std::make_unique<TlsClient>(t.pki.ca_file, v));
        open_news_stream(*streams.back(), t.port);
    }
    auto publisher = std::make_unique<TlsClient>(t.pki.ca_file);
    ASSERT_TRUE(publisher->connect(t.port, Deadline(kIoTimeout)));
    publish_over_tls(*publisher, 1, events);
    for (auto& s : streams)
        expect_news_once_in_order(*s, events);
    streams.push_back(std::move(publisher));
}

TEST(HttpsKtls, OnTriesEveryConnectionAndStreamsGoOnEitherWay) {
    TlsDaemon t;
    ASSERT_TRUE(t.start("ktls = \"on\"\n")) << t.daemon.error();
    EXPECT_NE(t.daemon.log().find("TLS encryption: ktls"), std::string::npos) << t.daemon.log();
    // Three TLS 1.3 streams and one TLS 1.2 stream (user space by design).
    std::vector<std::unique_ptr<TlsClient>> open;
    stream_events(t, {0, 0, 0, TLS1_2_VERSION}, 150, &open);
    std::optional<Json> tls = tls_stats(t.daemon.port());
    ASSERT_TRUE(tls);
    EXPECT_EQ(tls->find("path")->as_string(), "ktls");
    const bool kernel = tls->find("kernelTls")->as_bool();
    // The four streams and the publisher have all sent; the stats request's
    // own connection is plain HTTP.
    const int64_t on = tls->find("ktls")->as_int();
    const int64_t fallbacks = tls->find("ktlsFallbacks")->as_int();
    if (kernel) {
        EXPECT_EQ(on, 4);  // the TLS 1.3 ones, the publisher among them
        EXPECT_EQ(fallbacks, 1);
    } else {
        EXPECT_EQ(on, 0);
        EXPECT_EQ(fallbacks, 5);
        // The kernel's refusal, with its reason, after the descriptor was installed.
        EXPECT_NE(t.daemon.log().find("TCP_ULP tls:"), std::string::npos) << t.daemon.log();
        // ... and the keys it refused seal the records in user space (tls.seal).
        EXPECT_EQ(tls->find("sealed")->as_int(), 4);
    }
}

TEST(HttpsKtls, AutoUsesTheKernelWhereItHasTheTlsModule) {
    TlsDaemon t;
    ASSERT_TRUE(t.start()) << t.daemon.error();
    std::optional<Json> tls = tls_stats(t.daemon.port());
    ASSERT_TRUE(tls);
    if (!tls->find("kernelTls")->as_bool()) {
        EXPECT_EQ(tls->find("path")->as_string(), "sealer");
        EXPECT_NE(t.daemon.log().find("TLS encryption: sealer (kernel has no tls ULP"),
                  std::string::npos)
            << t.daemon.log();
        GTEST_SKIP() << "this kernel has no tls ULP (CONFIG_TLS, `modprobe tls`): the kernel "
                        "TLS path cannot run here; HttpsKtls.OnTries... covers it up to the "
                        "kernel's refusal";
    }
    EXPECT_EQ(tls->find("path")->as_string(), "ktls");
    std::vector<std::unique_ptr<TlsClient>> open;
    stream_events(t, {0, 0}, 150, &open);
    tls = tls_stats(t.daemon.port());
    ASSERT_TRUE(tls);
    EXPECT_EQ(tls->find("ktls")->as_int(), 3);
    EXPECT_EQ(tls->find("ktlsFallbacks")->as_int(), 0);
}

TEST(HttpsKtls, OffStaysInUserSpace) {
    TlsDaemon t;
    ASSERT_TRUE(t.start("ktls = \"off\"\n")) << t.daemon.error();
    std::vector<std::unique_ptr<TlsClient>> open;
    stream_events(t, {0}, 20, &open);
    std::optional<Json> tls = tls_stats(t.daemon.port());
    ASSERT_TRUE(tls);
    EXPECT_EQ(tls->find("path")->as_string(), "sealer");  // tls.seal = "auto"
    EXPECT_EQ(tls->find("ktls")->as_int(), 0);
    EXPECT_EQ(tls->find("ktlsFallbacks")->as_int(), 0);
    EXPECT_EQ(tls->find("sealed")->as_int(), 2);
}

}  // namespace
}  // namespace ringcast::itest
