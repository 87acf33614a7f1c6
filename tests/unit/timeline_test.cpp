// The detection-time model against cases computed by hand from net/ipv4/tcp_timer.c's rules.
// The connect() cases with syn_linear_timeouts were measured on this machine's kernel.
#include <gtest/gtest.h>

#include "config/kernel_defaults.h"
#include "config/timeline.h"
#include "system/read_kernel_defaults.h"
#include "tests/unit/test_support.h"

namespace tcpkeep {
namespace {

using ms_list = std::vector<std::int64_t>;

EffectiveValues keepalive(std::int32_t idle_s, std::int32_t interval_s, std::int32_t count, std::int32_t user_timeout_ms = 0) {
    return EffectiveValues{true, idle_s, interval_s, count, user_timeout_ms};
}

// ---------------------------------------------------------------------------------------------
// (a) idle connection, peer silent: first probe at idle, then every interval.

TEST(Timeline, KeepaliveOnlyAbortsAfterCountProbes) {
    const Timeline t = compute_timeline(keepalive(2, 1, 3), KernelDefaults{});
    EXPECT_EQ(t.detect_idle_ms, 5000);  // 2 + 3 x 1
    EXPECT_EQ(t.probe_ms, (ms_list{2000, 3000, 4000}));
}

TEST(Timeline, MeasuredBlackholeCase) {
    // Measured with nftables dropping the peer: idle 1 s, interval 1 s, count 3 -> ETIMEDOUT at 4.08 s.
    const Timeline t = compute_timeline(keepalive(1, 1, 3), KernelDefaults{});
    EXPECT_EQ(t.detect_idle_ms, 4000);
    EXPECT_EQ(t.probe_ms, (ms_list{1000, 2000, 3000}));
}

TEST(Timeline, UserTimeoutBetweenIdleAndCountIgnoresCount) {
    // idle 10 s, interval 5 s, count 5 (count would abort at 35 s); user_timeout 22 s:
    // firings at 15, 20, 25 s; the first one >= 22 s after a probe is 25 s.
    const Timeline t = compute_timeline(keepalive(10, 5, 5, 22'000), KernelDefaults{});
    EXPECT_EQ(t.detect_idle_ms, 25'000);
    EXPECT_EQ(t.probe_ms, (ms_list{10'000, 15'000, 20'000}));
    // Exactly on a firing: aborts at that firing.
    EXPECT_EQ(compute_timeline(keepalive(10, 5, 5, 20'000), KernelDefaults{}).detect_idle_ms, 20'000);
    // One ms past a firing: the next one.
    EXPECT_EQ(compute_timeline(keepalive(10, 5, 5, 20'001), KernelDefaults{}).detect_idle_ms, 25'000);
}

TEST(Timeline, UserTimeoutBelowIdleDetectsAtIdlePlusInterval) {
    // No abort before one probe was sent: the first check after the probe at idle.
    const Timeline t = compute_timeline(keepalive(60, 10, 6, 5'000), KernelDefaults{});
    EXPECT_EQ(t.detect_idle_ms, 70'000);
    EXPECT_EQ(t.probe_ms, (ms_list{60'000}));
    EXPECT_EQ(compute_timeline(keepalive(60, 10, 6, 60'000), KernelDefaults{}).detect_idle_ms, 70'000);  // == idle
    EXPECT_EQ(compute_timeline(keepalive(60, 10, 6, 1), KernelDefaults{}).detect_idle_ms, 70'000);
}

TEST(Timeline, UserTimeoutAboveCountKeepsProbing) {
    // idle 10 s, interval 5 s, count 2 (would be 20 s); user_timeout 41 s: firings 15..45 s.
    const Timeline t = compute_timeline(keepalive(10, 5, 2, 41'000), KernelDefaults{});
    EXPECT_EQ(t.detect_idle_ms, 45'000);
    EXPECT_EQ(t.probe_ms, (ms_list{10'000, 15'000, 20'000, 25'000, 30'000, 35'000, 40'000}));  // 7 probes, not 2
    EXPECT_EQ(keepalive_detection_ms(10'000, 5'000, 2, 40'000), 40'000);
}

TEST(Timeline, KeepaliveDetectionFunction) {
    EXPECT_EQ(keepalive_detection_ms(60'000, 10'000, 6, 0), 120'000);
    EXPECT_EQ(keepalive_detection_ms(7'200'000, 75'000, 9, 0), 7'875'000);   // kernel defaults: 2 h 11 min 15 s
    EXPECT_EQ(keepalive_detection_ms(60'000, 10'000, 6, 120'000), 120'000);  // "auto" = idle + interval x count
    EXPECT_EQ(keepalive_detection_ms(60'000, 10'000, 6, 61'000), 70'000);
    EXPECT_EQ(keepalive_detection_ms(60'000, 10'000, 6, 70'001), 80'000);
}

TEST(Timeline, KeepaliveOffNeverDetectsAnIdlePeer) {
    EffectiveValues v = keepalive(1, 1, 3, 10'000);
    v.keepalive = false;
    const Timeline t = compute_timeline(v, KernelDefaults{});
    EXPECT_FALSE(t.detect_idle_ms.has_value());
    EXPECT_TRUE(t.probe_ms.empty());
    EXPECT_FALSE(t.detect_reset_ms.has_value());
    EXPECT_EQ(t.detect_busy_ms, 10'408);  // the user timeout still bounds unacknowledged data (from 408 ms)
}

// ---------------------------------------------------------------------------------------------
// (d) RST: noticed at the first probe.

TEST(Timeline, ResetDetectedAtIdle) {
    EXPECT_EQ(compute_timeline(keepalive(45, 5, 3), KernelDefaults{}).detect_reset_ms, 45'000);
    EXPECT_EQ(compute_timeline(keepalive(45, 5, 3, 1'000), KernelDefaults{}).detect_reset_ms, 45'000);
}

// ---------------------------------------------------------------------------------------------
// (b) unacknowledged data, on a LAN: RTO = rto_min + one tick (204 ms by default). With tail loss
// probes (tcp_early_retrans >= 3) a probe goes out after one RTO and the timer restarts from it;
// the first timeout retransmission starts the clock (retrans_stamp) of both the user timeout and
// the tcp_retries2 limit; then the RTO doubles up to rto_max.

TEST(Timeline, BusyWithUserTimeoutEndsAtTheUserTimeoutAfterTheFirstRetransmission) {
    const Timeline t = compute_timeline(keepalive(60, 10, 6, 30'000), KernelDefaults{});
    // TLP at 204, first retransmission at 408 (clock starts), then 816, 1632 ... doubling;
    // the timer is clamped to fire at 408 + 30000 instead of 52224.
    EXPECT_EQ(t.detect_busy_ms, 30'408);
    EXPECT_TRUE(t.busy_bounded_by_user_timeout);
    EXPECT_EQ(t.retransmit_ms, (ms_list{204, 408, 816, 1'632, 3'264, 6'528, 13'056, 26'112}));
}

TEST(Timeline, BusyWithoutTailLossProbes) {
    KernelDefaults k;
    k.early_retrans = 2;  // no TLP: the first timeout retransmission is one RTO after sending
    const Timeline t = compute_timeline(keepalive(60, 10, 6, 3'000), k);
    EXPECT_EQ(t.detect_busy_ms, 3'204);
    EXPECT_EQ(t.retransmit_ms, (ms_list{204, 612, 1'428, 3'060}));
}

TEST(Timeline, BusyWithoutUserTimeoutUsesRetries2) {
    // The limit is tcp_model_timeout(15, rto_min 200, rto_max 120000): 9 doublings (200 -> 102400)
    // = (2^10 - 1) x 200 = 204600 ms, plus 6 x 120000 = 924600 ms, counted from the first timeout
    // retransmission at 408. Firings 408 x 2^n up to 208896, then every 120 s: the first one
    // at least 924600 ms after 408 is 928896 (808896 is only 808488 ms after it).
    const Timeline t = compute_timeline(keepalive(60, 10, 6), KernelDefaults{});
    EXPECT_EQ(t.detect_busy_ms, 928'896);
    EXPECT_FALSE(t.busy_bounded_by_user_timeout);
    EXPECT_FALSE(t.detect_busy_early_ms);  // 808896 misses by 116112 ms, more than 808488 / 8
    EXPECT_EQ(t.retransmit_ms, (ms_list{204, 408, 816, 1'632, 3'264, 6'528, 13'056, 26'112, 52'224, 104'448, 208'896, 328'896, 448'896, 568'896,
                                        688'896, 808'896}));  // the TLP + 15 retransmissions
}

TEST(Timeline, BusyRetries2Of3And4) {
    KernelDefaults k;
    k.retries2 = 3;  // limit (2^4 - 1) x 200 = 3000 ms after 408: passed at the firing at 6528 (6120 ms later)
    Timeline t = compute_timeline(keepalive(60, 10, 6), k);
    EXPECT_EQ(t.detect_busy_ms, 6'528);
    EXPECT_EQ(t.retransmit_ms, (ms_list{204, 408, 816, 1'632, 3'264}));
    EXPECT_EQ(t.detect_busy_early_ms, 3'264);  // 2856 ms after 408: 144 ms short, less than 2856 / 8
    k.retries2 = 4;  // limit 31 x 200 = 6200 ms: 6528 is only 6120 ms after 408, so one more doubling
    t = compute_timeline(keepalive(60, 10, 6), k);
    EXPECT_EQ(t.detect_busy_ms, 13'056);
    EXPECT_EQ(t.retransmit_ms, (ms_list{204, 408, 816, 1'632, 3'264, 6'528}));
    EXPECT_EQ(t.detect_busy_early_ms, 6'528);  // 80 ms short
}

TEST(Timeline, BusyRetries2OfOneAndTwoAreClearOfTheLimit) {
    KernelDefaults k;
    k.retries2 = 1;  // limit 600 ms: 816 is 408 ms after 408 (192 short, more than 408 / 8), 1632 passes
    Timeline t = compute_timeline(keepalive(60, 10, 6), k);
    EXPECT_EQ(t.detect_busy_ms, 1'632);
    EXPECT_FALSE(t.detect_busy_early_ms);
    k.retries2 = 2;  // limit 1400 ms: 1632 is 1224 ms after 408 (176 short, more than 1224 / 8), 3264 passes
    t = compute_timeline(keepalive(60, 10, 6), k);
    EXPECT_EQ(t.detect_busy_ms, 3'264);
    EXPECT_FALSE(t.detect_busy_early_ms);
    t = compute_timeline(keepalive(60, 10, 6, 3'000), k);  // a user timeout: the timer is clamped to it
    EXPECT_FALSE(t.detect_busy_early_ms);
}

TEST(Timeline, BusyFollowsRtoSysctls) {
    KernelDefaults k;
    k.retries2 = 5;
    k.rto_min_ms = 1'000;
    k.rto_max_ms = 4'000;
    // RTO 1004: TLP 1004, first retransmission 2008, then +2008, then +4000 (capped) each.
    // Limit tcp_model_timeout(5, 1000, 4000) = 7 x 1000 + 3 x 4000 = 19000 ms after 2008:
    // 20016 is 18008 ms after, 24016 is 22008 ms after.
    const Timeline t = compute_timeline(keepalive(60, 10, 6), k);
    EXPECT_EQ(t.detect_busy_ms, 24'016);
    EXPECT_EQ(t.retransmit_ms, (ms_list{1'004, 2'008, 4'016, 8'016, 12'016, 16'016, 20'016}));
    EXPECT_EQ(t.detect_busy_early_ms, 20'016);  // 992 ms short, less than 18008 / 8
}

// ---------------------------------------------------------------------------------------------
// (c) connect() to a host that never answers.

KernelDefaults syn(std::int32_t retries, std::int32_t linear) {
    KernelDefaults k;
    k.syn_retries = retries;
    k.syn_linear_timeouts = linear;
    return k;
}

TEST(Timeline, ConnectDefaultSynRetries) {
    const Timeline t = compute_timeline(keepalive(60, 10, 6), syn(6, 0));
    EXPECT_EQ(t.detect_connect_ms, 127'000);  // 1 + 2 + 4 + ... + 64 s
    EXPECT_EQ(t.syn_ms, (ms_list{1'000, 3'000, 7'000, 15'000, 31'000, 63'000}));
    EXPECT_FALSE(t.connect_bounded_by_user_timeout);
}

// Measured on this machine: syn_retries = 2 with tcp_syn_linear_timeouts 0, 2, 4.
TEST(Timeline, ConnectSynLinearTimeoutsMeasured) {
    Timeline t = compute_timeline(keepalive(60, 10, 6), syn(2, 0));
    EXPECT_EQ(t.detect_connect_ms, 7'000);
    EXPECT_EQ(t.syn_ms, (ms_list{1'000, 3'000}));
    t = compute_timeline(keepalive(60, 10, 6), syn(2, 2));
    EXPECT_EQ(t.detect_connect_ms, 9'000);
    EXPECT_EQ(t.syn_ms, (ms_list{1'000, 2'000, 3'000, 5'000}));
    t = compute_timeline(keepalive(60, 10, 6), syn(2, 4));
    EXPECT_EQ(t.detect_connect_ms, 7'000);
    EXPECT_EQ(t.syn_ms, (ms_list{1'000, 2'000, 3'000, 4'000, 5'000}));
}

TEST(Timeline, ConnectBoundedByUserTimeout) {
    const Timeline t = compute_timeline(keepalive(60, 10, 6, 3'000), syn(6, 0));
    EXPECT_EQ(t.detect_connect_ms, 3'000);
    EXPECT_EQ(t.syn_ms, (ms_list{1'000}));
    EXPECT_TRUE(t.connect_bounded_by_user_timeout);
}

TEST(Timeline, ConnectUserTimeoutLongerThanSynRetries) {
    const Timeline t = compute_timeline(keepalive(60, 10, 6, 200'000), syn(6, 0));
    EXPECT_EQ(t.detect_connect_ms, 127'000);  // syn_retries gives up first
    EXPECT_FALSE(t.connect_bounded_by_user_timeout);
}

// ---------------------------------------------------------------------------------------------
// The namespace's sysctls.

TEST(KernelDefaults, BuiltInValues) {
    const KernelDefaults k;
    EXPECT_EQ(k.keepalive_time_s, 7200);
    EXPECT_EQ(k.keepalive_intvl_s, 75);
    EXPECT_EQ(k.keepalive_probes, 9);
    EXPECT_EQ(k.retries2, 15);
    EXPECT_EQ(k.syn_retries, 6);
    EXPECT_EQ(k.syn_linear_timeouts, 0);
    EXPECT_EQ(k.rto_min_ms, 200);
    EXPECT_EQ(k.rto_max_ms, 120'000);
    EXPECT_EQ(k.early_retrans, 3);
}

TEST(KernelDefaults, ReadsSysctlFilesAndKeepsDefaultsForMissingOnes) {
    test::TempDir dir;
    dir.write("tcp_keepalive_time", "600\n");
    dir.write("tcp_keepalive_intvl", "30\n");
    dir.write("tcp_keepalive_probes", "garbage\n");  // unparsable: keep the default
    dir.write("tcp_retries2", "8\n");
    dir.write("tcp_rto_min_us", "50000\n");
    dir.write("tcp_early_retrans", "0\n");
    const KernelDefaults k = read_kernel_defaults(dir.file(""));
    EXPECT_EQ(k.keepalive_time_s, 600);
    EXPECT_EQ(k.keepalive_intvl_s, 30);
    EXPECT_EQ(k.keepalive_probes, 9);
    EXPECT_EQ(k.retries2, 8);
    EXPECT_EQ(k.syn_retries, 6);  // missing file
    EXPECT_EQ(k.rto_min_ms, 50);  // microseconds -> ms
    EXPECT_EQ(k.early_retrans, 0);
    EXPECT_EQ(k.rto_max_ms, 120'000);
}

}  // namespace
}  // namespace tcpkeep
