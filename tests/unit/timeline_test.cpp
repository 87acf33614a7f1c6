// The detection-time model against cases computed by hand from net/ipv4/tcp_timer.c's rules.
// The connect() cases with syn_linear_timeouts were measured on this machine's kernel.
#include <gtest/gtest.h>

#include <cstring>

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
// Values a namespace's owner may set (or a socket may report): the model does what the kernel does
// with them and never divides by zero, overflows or loops without end.

TEST(TimelineEdges, RtoMinBelowOneTickIsOneTick) {
    // tcp_rto_min_us = 1: the kernel rounds it up to one tick (measured: tcpi_rto 8 ms on loopback).
    KernelDefaults k;
    k.rto_min_ms = 0;
    const Timeline t = compute_timeline(keepalive(60, 10, 6), k);
    // RTO 4 + 4 = 8 ms: TLP at 8, first retransmission at 16, then gaps 16, 32 ... 65536, 120000.
    // Limit tcp_model_timeout(15, 4, 120000) = (2^15 - 1) x 4 + 1 x 120000 = 251068 ms after 16:
    // 251072 is 251056 ms after (12 short, less than an eighth: maybe there), 371072 passes.
    EXPECT_EQ(t.retransmit_ms.front(), 8);
    EXPECT_EQ(t.retransmit_ms[1], 16);
    EXPECT_EQ(t.retransmit_ms.back(), 251'072);
    EXPECT_EQ(t.detect_busy_ms, 371'072);
    EXPECT_EQ(t.detect_busy_early_ms, 251'072);
    k.rto_min_ms = kernel_tick_ms;
    EXPECT_EQ(t, compute_timeline(keepalive(60, 10, 6), k));
    k.rto_min_ms = -1;
    EXPECT_EQ(t, compute_timeline(keepalive(60, 10, 6), k));
}

TEST(TimelineEdges, RtoMinAboveRtoMaxWaitsRtoMaxEachTime) {
    // tcp_rto_min_us = INT_MAX (2147 s): the kernel bounds the RTO by rto_max (120 s), so every
    // wait is 120 s; the limit is 16 waits of 120 s = 1920 s after the first retransmission (240 s).
    KernelDefaults k;
    k.rto_min_ms = max_rto_min_ms;
    const Timeline t = compute_timeline(keepalive(60, 10, 6), k);
    EXPECT_EQ(t.retransmit_ms.size(), 17u);  // the TLP and 16 retransmissions
    EXPECT_EQ(t.retransmit_ms.front(), 120'000);
    EXPECT_EQ(t.retransmit_ms.back(), 2'040'000);
    EXPECT_EQ(t.detect_busy_ms, 2'160'000);
    EXPECT_EQ(t.detect_busy_early_ms, 2'040'000);  // 120 s short of 1920 s, less than an eighth of 1800 s
    k.rto_min_ms = INT32_MAX;
    EXPECT_EQ(t, compute_timeline(keepalive(60, 10, 6), k));
}

TEST(TimelineEdges, KeepaliveIntervalZeroProbesEveryTick) {
    // tcp_keepalive_intvl = 0: after each probe the timer is re-armed for 0 jiffies, so it fires
    // at the next tick.
    Timeline t = compute_timeline(keepalive(10, 0, 3), KernelDefaults{});
    EXPECT_EQ(t.detect_idle_ms, 10'012);
    EXPECT_EQ(t.probe_ms, (ms_list{10'000, 10'004, 10'008}));
    t = compute_timeline(keepalive(10, 0, 3, 10'100), KernelDefaults{});  // user timeout: 25 ticks of probes
    EXPECT_EQ(t.detect_idle_ms, 10'100);
    EXPECT_EQ(t.probe_ms.size(), 25u);
    EXPECT_EQ(t.probe_ms.back(), 10'096);
    EXPECT_EQ(keepalive_interval_ms(0), kernel_tick_ms);
    EXPECT_EQ(keepalive_detection_ms(10'000, 0, 3, 10'100), 10'100);  // the ms form: at least one tick
    EXPECT_EQ(keepalive_detection_ms(10'000, -5'000, 3, 0), 10'012);
}

TEST(TimelineEdges, ProbeListIsBoundedWhateverTheUserTimeout) {
    // Interval 0 (one tick) and the longest user timeout: half a billion probes; the list stops at
    // what a 1 s interval could reach, the detection time stays exact.
    const Timeline t = compute_timeline(keepalive(0, 0, 9, INT32_MAX), KernelDefaults{});
    EXPECT_EQ(t.detect_idle_ms, 2'147'483'648);  // the first tick at or past INT_MAX ms
    EXPECT_EQ(t.probe_ms.size(), 2'147'484u);
    EXPECT_EQ(t.probe_ms.back(), 2'147'483 * std::int64_t{4});
    // With the shortest interval a socket option can set, every probe is listed.
    EXPECT_EQ(compute_timeline(keepalive(0, 1, 9, INT32_MAX), KernelDefaults{}).probe_ms.size(), 2'147'484u);
}

TEST(TimelineEdges, NegativeKeepaliveTimesWaitTheUnsignedTicks) {
    // The sysctls accept -8589934 .. 8589934 s (INT_MAX / HZ); the kernel compares and arms the
    // jiffies as unsigned, so -1 s is 2^32 ticks less one second: about 199 days.
    EXPECT_EQ(keepalive_time_ms(-1), 17'179'868'184);
    EXPECT_EQ(keepalive_time_ms(-max_keepalive_sysctl_s), 8'589'935'184);
    EXPECT_EQ(keepalive_time_ms(INT32_MIN), keepalive_time_ms(-max_keepalive_sysctl_s));
    EXPECT_EQ(keepalive_time_ms(max_keepalive_sysctl_s), 8'589'934'000);
    EXPECT_EQ(keepalive_time_ms(INT32_MAX), 8'589'934'000);
    // An interval past the timer wheel's reach (1056964608 ticks) fires at its limit (1040187392).
    EXPECT_EQ(keepalive_interval_ms(4'227'858), 4'227'858'000);
    EXPECT_EQ(keepalive_interval_ms(4'227'859), 4'160'749'568);
    EXPECT_EQ(keepalive_interval_ms(-1), 4'160'749'568);
    EXPECT_EQ(keepalive_interval_ms(INT32_MAX), 4'160'749'568);
    const Timeline t = compute_timeline(keepalive(-1, -1, 3), KernelDefaults{});
    EXPECT_EQ(t.detect_idle_ms, 17'179'868'184 + 3 * std::int64_t{4'160'749'568});
    EXPECT_EQ(t.probe_ms.size(), 3u);
    EXPECT_EQ(t.detect_reset_ms, 17'179'868'184);
}

TEST(TimelineEdges, CountsAndTimeoutsOutsideTheKernelsRange) {
    // A count is a byte (0 .. 255); 0 aborts at the first firing, before any probe.
    Timeline t = compute_timeline(keepalive(10, 1, 0), KernelDefaults{});
    EXPECT_EQ(t.detect_idle_ms, 10'000);
    EXPECT_TRUE(t.probe_ms.empty());
    EXPECT_EQ(t, compute_timeline(keepalive(10, 1, -1), KernelDefaults{}));
    EXPECT_EQ(compute_timeline(keepalive(10, 1, INT32_MAX), KernelDefaults{}), compute_timeline(keepalive(10, 1, 255), KernelDefaults{}));
    // No user timeout is negative: below 0 it is off.
    EXPECT_EQ(compute_timeline(keepalive(60, 10, 6, -1), KernelDefaults{}), compute_timeline(keepalive(60, 10, 6), KernelDefaults{}));
    EXPECT_EQ(keepalive_detection_ms(INT64_MAX, INT64_MAX, INT32_MAX, INT64_MAX), 2 * (std::int64_t{1} << 32) * kernel_tick_ms);
    EXPECT_EQ(keepalive_detection_ms(INT64_MIN, INT64_MIN, INT32_MIN, INT64_MIN), 0);
}

TEST(TimelineEdges, RetrySysctlsOutsideTheirRange) {
    KernelDefaults k;
    auto with = [&](auto member, std::int32_t value) {
        KernelDefaults changed = k;
        changed.*member = value;
        return compute_timeline(keepalive(60, 10, 6), changed);
    };
    // tcp_retries2 0: the limit is one rto_min (200 ms) after the first retransmission (408).
    const Timeline zero = with(&KernelDefaults::retries2, 0);
    EXPECT_EQ(zero.detect_busy_ms, 816);
    EXPECT_EQ(zero, with(&KernelDefaults::retries2, -1));
    EXPECT_EQ(with(&KernelDefaults::retries2, 255), with(&KernelDefaults::retries2, INT32_MAX));
    EXPECT_EQ(with(&KernelDefaults::syn_retries, 1), with(&KernelDefaults::syn_retries, INT32_MIN));
    EXPECT_EQ(with(&KernelDefaults::syn_retries, 127), with(&KernelDefaults::syn_retries, INT32_MAX));
    EXPECT_EQ(with(&KernelDefaults::syn_linear_timeouts, 127), with(&KernelDefaults::syn_linear_timeouts, INT32_MAX));
    EXPECT_EQ(with(&KernelDefaults::rto_max_ms, 1'000), with(&KernelDefaults::rto_max_ms, 0));
    EXPECT_EQ(with(&KernelDefaults::rto_max_ms, 120'000), with(&KernelDefaults::rto_max_ms, INT32_MAX));
}

// Every sysctl set to `value`, then pulled into the kernel's ranges.
std::vector<std::int32_t> all_within_kernel_ranges(std::int32_t value) {
    const KernelDefaults k = within_kernel_ranges({value, value, value, value, value, value, value, value, value});
    return {k.keepalive_time_s,    k.keepalive_intvl_s, k.keepalive_probes, k.retries2,     k.syn_retries,
            k.syn_linear_timeouts, k.rto_min_ms,        k.rto_max_ms,       k.early_retrans};
}

TEST(TimelineEdges, KernelRanges) {
    EXPECT_EQ(all_within_kernel_ranges(INT32_MIN), (std::vector<std::int32_t>{-8'589'934, -8'589'934, 0, 0, 1, 0, 4, 1'000, 0}));
    EXPECT_EQ(all_within_kernel_ranges(INT32_MAX), (std::vector<std::int32_t>{8'589'934, 8'589'934, 255, 255, 127, 127, 2'147'484, 120'000, 4}));
    // The built-in values are the kernel's, within every range.
    const KernelDefaults built_in;
    const KernelDefaults same = within_kernel_ranges(built_in);
    EXPECT_EQ(std::memcmp(&built_in, &same, sizeof same), 0);
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

TEST(KernelDefaults, ReadsHostileSysctlsAsTheKernelUsesThem) {
    test::TempDir dir;
    dir.write("tcp_rto_min_us", "1\n");  // the kernel makes it one tick
    dir.write("tcp_keepalive_intvl", "0\n");
    dir.write("tcp_keepalive_time", "-8589934\n");
    dir.write("tcp_retries2", "-3\n");  // older kernels took any int
    dir.write("tcp_rto_max_ms", "99999999\n");
    KernelDefaults k = read_kernel_defaults(dir.file(""));
    EXPECT_EQ(k.rto_min_ms, 4);
    EXPECT_EQ(k.keepalive_intvl_s, 0);  // kept as the sysctl says: the timer model knows what 0 means
    EXPECT_EQ(k.keepalive_time_s, -8'589'934);
    EXPECT_EQ(k.retries2, 0);
    EXPECT_EQ(k.rto_max_ms, 120'000);
    dir.write("tcp_rto_min_us", "999\n");
    EXPECT_EQ(read_kernel_defaults(dir.file("")).rto_min_ms, 4);
    dir.write("tcp_rto_min_us", "2147483647\n");
    EXPECT_EQ(read_kernel_defaults(dir.file("")).rto_min_ms, 2'147'484);
    dir.write("tcp_rto_min_us", "200001\n");  // rounded up, as the kernel rounds up to ticks
    EXPECT_EQ(read_kernel_defaults(dir.file("")).rto_min_ms, 201);
}

}  // namespace
}  // namespace tcpkeep
