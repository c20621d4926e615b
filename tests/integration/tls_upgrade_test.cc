// An upgrade (`ringcastd --takeover`) of a daemon serving HTTPS: the HTTPS
// listener is handed over like the others, plain streams are carried on their
// connections, and TLS streams, whose OpenSSL state cannot leave the old
// process, end with a retry and reconnect to the new daemon.
#include <gtest/gtest.h>

#include "keeps_support.h"
#include "sse_client.h"
#include "tls_support.h"

namespace ringcast::itest {
namespace {

TEST(HttpsUpgrade, TlsStreamsRetryPlainOnesAreCarriedTheListenerStays) {
    TempDir dir;
    TestPkiFiles pki(dir);
    DaemonOptions o;
    o.data_dir = dir.path() + "/data";
    o.config = pki.tls_config("[upgrade]\nretry_spread = \"1s\"\n");
    DaemonProcess old_daemon;
    ASSERT_TRUE(old_daemon.start(o)) << old_daemon.error();
    const uint16_t https = https_port_of(old_daemon.log());
    ASSERT_NE(https, 0);

    auto plain = open_stream(old_daemon.port(), stream_target("up"));
    TlsClient tls(pki.ca_file);
    ASSERT_TRUE(tls.connect(https, Deadline(kIoTimeout)));
    ASSERT_TRUE(tls.send("GET /api/sse/stream?channels=up HTTP/1.1\r\nHost: x\r\n\r\n",
                         Deadline(kIoTimeout)));
    ASSERT_TRUE(tls.read_until(
        [](const std::string& r) { return r.find("event: connected") != std::string::npos; },
        Deadline(kIoTimeout)));

    DaemonOptions next = o;
    next.extra_args = {"--takeover"};
    DaemonProcess new_daemon;
    ASSERT_TRUE(new_daemon.start(next, Deadline(30s))) << new_daemon.error();
    EXPECT_EQ(old_daemon.wait_exit(Deadline(15s)), 0) << old_daemon.log();
    EXPECT_EQ(https_port_of(new_daemon.log()), https) << "the HTTPS listener was handed over";

    // The TLS stream was ended with a retry hint, then closed.
    EXPECT_FALSE(tls.read_until([](const std::string&) { return false; }, Deadline(kIoTimeout)));
    EXPECT_NE(tls.received().find("retry: "), std::string::npos) << tls.received();

    // The plain stream is still open, now served by the new daemon.
    HttpClient c(new_daemon.port());
    ASSERT_TRUE(c.connect());
    std::optional<PublishReply> r = publish(c, "up", "tick", "{\"n\":1}");
    ASSERT_TRUE(r);
    EXPECT_TRUE(plain->await_events(2, Deadline(kIoTimeout)))
        << plain->raw_body();  // connected, tick

    // A new TLS connection on the same port reaches the new daemon.
    TlsClient again(pki.ca_file);
    ASSERT_TRUE(again.connect(https, Deadline(kIoTimeout)));
    ASSERT_TRUE(again.send("GET /healthz/live HTTP/1.1\r\nHost: x\r\n\r\n", Deadline(kIoTimeout)));
    std::optional<HttpResponse> live = again.response(Deadline(kIoTimeout));
    ASSERT_TRUE(live);
    EXPECT_EQ(live->status, 200);
}

}  // namespace
}  // namespace ringcast::itest
