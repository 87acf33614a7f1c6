// The per-socket prediction on TCP_INFO states built by hand, each expectation computed from the
// kernel's timer rules (net/ipv4/tcp_timer.c, tcp_output.c's loss probe) with kernel defaults:
// tcp_retries2 15, rto_min 200 ms, rto_max 120 s, tail loss probes on.
#include <gtest/gtest.h>

#include "config/live_prediction.h"

namespace tcpkeep {
namespace {

EffectiveValues values(bool keepalive, std::int32_t idle_s, std::int32_t interval_s, std::int32_t count, std::int32_t user_timeout_ms = 0) {
    return EffectiveValues{keepalive, idle_s, interval_s, count, user_timeout_ms};
}

LiveTcpState idle_for(std::int64_t silent_ms, int probes = 0) {
    LiveTcpState s;
    s.rto_ms = 204;
    s.srtt_us = 0;
    s.since_last_receive_ms = silent_ms;
    s.probes = probes;
    return s;
}

LiveTcpState busy(std::int64_t rto_ms, std::int64_t srtt_ms, std::uint32_t unacked, int retransmits = 0, int backoff = 0) {
    LiveTcpState s;
    s.rto_ms = rto_ms;
    s.srtt_us = srtt_ms * 1000;
    s.unacked = unacked;
    s.retransmits = retransmits;
    s.backoff = backoff;
    return s;
}

TEST(LivePrediction, IdleCountsFromTheLastSegmentReceived) {
    // 60 s + 6 x 10 s = 120 s after the last segment; 20 s of it have passed.
    const LivePrediction p = predict_live(values(true, 60, 10, 6), KernelDefaults{}, idle_for(20'000));
    EXPECT_EQ(p.now, LivePrediction::Case::idle);
    EXPECT_EQ(p.detect_in_ms, 100'000);
    EXPECT_FALSE(p.approximate);
}

TEST(LivePrediction, ProbesAlreadySentArePartOfTheSameSchedule) {
    // Silent for 85 s: probes went out at 60, 70 and 80 s; the sixth unanswered one aborts at 120 s.
    const LivePrediction p = predict_live(values(true, 60, 10, 6), KernelDefaults{}, idle_for(85'000, 3));
    EXPECT_EQ(p.detect_in_ms, 35'000);
}

TEST(LivePrediction, IdleWithUserTimeoutAbortsAtTheFirstFiringPastIt) {
    // idle 10 s, interval 5 s, user timeout 22 s: firings at 15, 20, 25 s -> 25 s; 12 s have passed.
    const LivePrediction p = predict_live(values(true, 10, 5, 5, 22'000), KernelDefaults{}, idle_for(12'000, 1));
    EXPECT_EQ(p.detect_in_ms, 13'000);
}

TEST(LivePrediction, OverdueIsNow) {
    const LivePrediction p = predict_live(values(true, 1, 1, 3), KernelDefaults{}, idle_for(9'000, 3));
    EXPECT_EQ(p.detect_in_ms, 0);
}

TEST(LivePrediction, IdleWithoutKeepaliveIsNeverNoticed) {
    const LivePrediction p = predict_live(values(false, 7200, 75, 9), KernelDefaults{}, idle_for(1'000));
    EXPECT_EQ(p.now, LivePrediction::Case::never);
    EXPECT_EQ(p.detect_in_ms, std::nullopt);
    // Should it send now: tail loss probe at the RTO (no RTT sample), then 15 doublings of 204 ms
    // past tcp_model_timeout(15) = 924.6 s, as explain's LAN case (b).
    EXPECT_EQ(p.if_sending_ms, compute_timeline(values(false, 7200, 75, 9), KernelDefaults{}).detect_busy_ms);
}

TEST(LivePrediction, BusyUsesTheLiveRto) {
    // RTO 300 ms, srtt 100 ms, one segment out: loss probe at min(2 x 100 + 200, 300) = 300 ms,
    // first retransmission at 600 ms; then gaps 600, 1200, ... 76.8 s, 120 s x 7: the first firing
    // at least 924.6 s after the first retransmission is 993 s after it -> 993.6 s.
    const LivePrediction p = predict_live(values(true, 60, 10, 6), KernelDefaults{}, busy(300, 100, 1));
    EXPECT_EQ(p.now, LivePrediction::Case::busy);
    EXPECT_EQ(p.detect_in_ms, 993'600);
    EXPECT_EQ(p.rto_ms, 300);
    EXPECT_FALSE(p.approximate);
}

TEST(LivePrediction, BusyWithUserTimeoutEndsAtTheUserTimeoutAfterTheFirstRetransmission) {
    // Three segments out: loss probe at min(2 x 100 + 8, 300) = 208 ms, first retransmission at
    // 508 ms, abort 30 s later.
    const LivePrediction p = predict_live(values(true, 60, 10, 6, 30'000), KernelDefaults{}, busy(300, 100, 3));
    EXPECT_EQ(p.detect_in_ms, 30'508);
}

TEST(LivePrediction, AlreadyRetransmittingCountsFromTheLatestRetransmission) {
    // Backoff 2 (RTO now 1.2 s, 300 ms before it), two timeout retransmissions: the model places
    // them at 508 and 1108 ms, so 30.508 - 1.108 s remain.
    const LivePrediction p = predict_live(values(true, 60, 10, 6, 30'000), KernelDefaults{}, busy(1200, 100, 3, 2, 2));
    EXPECT_EQ(p.rto_ms, 300);
    EXPECT_EQ(p.detect_in_ms, 29'400);
    EXPECT_TRUE(p.approximate);
}

TEST(LivePrediction, WithoutTailLossProbesTheRtoComesFirst) {
    KernelDefaults k;
    k.early_retrans = 2;
    const LivePrediction p = predict_live(values(true, 60, 10, 6, 30'000), k, busy(300, 100, 3));
    EXPECT_EQ(p.detect_in_ms, 30'300);
}

TEST(LivePrediction, NotEstablishedIsNotPredicted) {
    LiveTcpState s = idle_for(0);
    s.established = false;
    const LivePrediction p = predict_live(values(true, 60, 10, 6), KernelDefaults{}, s);
    EXPECT_EQ(p.now, LivePrediction::Case::not_established);
    EXPECT_EQ(p.detect_in_ms, std::nullopt);
}

TEST(LivePrediction, SocketValuesAreTheModelsInput) {
    Settings read;
    read.mask = 0x1f;
    read.keepalive = true;
    read.idle_s = 5;
    read.interval_s = 2;
    read.count = 4;
    read.user_timeout_ms = 9000;
    const EffectiveValues v = effective_values(read);
    EXPECT_EQ((std::vector<std::int32_t>{v.keepalive, v.idle_s, v.interval_s, v.count, v.user_timeout_ms}),
              (std::vector<std::int32_t>{1, 5, 2, 4, 9000}));
}

// Values a namespace's owner may set, and TCP_INFO states outside what the kernel reports: the
// prediction does what the kernel does with them and never divides by zero or overflows.

TEST(LivePredictionEdges, RtoMinBelowOneTick) {
    // tcp_rto_min_us = 1 (0 ms when truncated): one tick, as the kernel rounds it. The loopback RTO
    // measured then is 8 ms, and the busy case is the LAN model's with rto_min 4 ms.
    KernelDefaults k;
    k.rto_min_ms = 0;
    const LivePrediction p = predict_live(values(true, 60, 10, 6), k, busy(8, 0, 1));
    EXPECT_EQ(p.rto_ms, 8);
    EXPECT_EQ(p.detect_in_ms, 371'072);
    k.rto_min_ms = 4;
    EXPECT_EQ(p.detect_in_ms, compute_timeline(values(true, 60, 10, 6), k).detect_busy_ms);
}

TEST(LivePredictionEdges, KeepaliveIntervalZeroWithUserTimeout) {
    // tcp_keepalive_intvl = 0, so getsockopt(TCP_KEEPINTVL) says 0: a probe every tick after idle,
    // abort at the first tick at or past the user timeout.
    const LivePrediction p = predict_live(values(true, 10, 0, 3, 10'100), KernelDefaults{}, idle_for(100));
    EXPECT_EQ(p.now, LivePrediction::Case::idle);
    EXPECT_EQ(p.detect_in_ms, 10'000);
    const LivePrediction no_user_timeout = predict_live(values(true, 10, 0, 3), KernelDefaults{}, idle_for(0));
    EXPECT_EQ(no_user_timeout.detect_in_ms, 10'012);
}

TEST(LivePredictionEdges, NegativeKeepaliveTimes) {
    // tcp_keepalive_time = -1 (the sysctl takes it): the kernel waits 2^32 ticks less a second.
    const LivePrediction p = predict_live(values(true, -1, 10, 0), KernelDefaults{}, idle_for(0));
    EXPECT_EQ(p.detect_in_ms, 17'179'868'184);
}

TEST(LivePredictionEdges, TcpInfoOutsideItsRange) {
    LiveTcpState s = busy(INT64_MAX, 0, 1, INT32_MIN, -1);
    s.srtt_us = INT64_MAX;
    s.since_last_receive_ms = INT64_MIN;
    LivePrediction p = predict_live(values(true, 60, 10, 6), KernelDefaults{}, s);
    EXPECT_EQ(p.rto_ms, 120'000);  // never above TCP_RTO_MAX
    EXPECT_FALSE(p.approximate);   // a negative retransmission count is none
    s.retransmits = INT32_MAX;     // a byte: 255, past every modelled retransmission
    s.backoff = INT32_MAX;
    p = predict_live(values(true, 60, 10, 6), KernelDefaults{}, s);
    EXPECT_TRUE(p.approximate);
    EXPECT_EQ(p.detect_in_ms, 0);
    EXPECT_EQ(p.rto_ms, 1);  // 4294967 ms >> 30 is 0: at least 1 ms
    s.unacked = 0;
    p = predict_live(values(true, 60, 10, 6), KernelDefaults{}, s);
    EXPECT_EQ(p.detect_in_ms, 120'000);  // silent for a negative time: for none
}

}  // namespace
}  // namespace tcpkeep
