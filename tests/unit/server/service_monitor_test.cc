// The STATUS= line systemd shows (server/service_monitor.h), and the pulse
// interval that keeps several beats between two watchdog pings.
#include "server/service_monitor.h"

#include <gtest/gtest.h>

namespace ringcast {
namespace {

TEST(ServiceMonitor, StatusTextSaysStreamsAndRatesOverTheInterval) {
    PulseFigures before{.beats = 1, .streams = 0, .published = 100, .deliveries = 1000};
    PulseFigures now{.beats = 6, .streams = 12034, .published = 305, .deliveries = 26500};
    EXPECT_EQ(ServiceMonitor::status_text(now, before, 5000),
              "12034 streams, 41 events/s, 5.1k deliveries/s");
    EXPECT_EQ(ServiceMonitor::status_text(before, before, 5000),
              "0 streams, 0 events/s, 0 deliveries/s");
    PulseFigures slow{.beats = 2, .streams = 3, .published = 101, .deliveries = 3500001};
    EXPECT_EQ(ServiceMonitor::status_text(slow, before, 1000),
              "3 streams, 1 events/s, 3.5M deliveries/s");
    PulseFigures trickle{.beats = 2, .streams = 1, .published = 101, .deliveries = 1001};
    EXPECT_EQ(ServiceMonitor::status_text(trickle, before, 5000),
              "1 streams, 0.2 events/s, 0.2 deliveries/s");
}

TEST(ServiceMonitor, ShardsBeatSeveralTimesPerWatchdogPing) {
    EXPECT_EQ(ServiceMonitor::pulse_interval_ms(0), 1000u);           // no watchdog
    EXPECT_EQ(ServiceMonitor::pulse_interval_ms(20'000'000), 1000u);  // WatchdogSec=20s
    EXPECT_EQ(ServiceMonitor::pulse_interval_ms(4'000'000), 500u);    // 2 s pings, 4 beats
    EXPECT_EQ(ServiceMonitor::pulse_interval_ms(100'000), 50u);       // never below 50 ms
}

}  // namespace
}  // namespace ringcast
