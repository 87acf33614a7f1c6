// When does the kernel notice a dead peer? A model of net/ipv4/tcp_timer.c, used by
// `tcpkeep explain` and the policy checks, and held to the real kernel by the netns tests.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include "config/kernel_defaults.h"

namespace tcpkeep {

// The values in force on one socket, after the policy and the namespace's sysctls.
struct EffectiveValues {
    bool keepalive = false;
    std::int32_t idle_s = 7200;
    std::int32_t interval_s = 75;
    std::int32_t count = 9;
    std::int32_t user_timeout_ms = 0;  // 0 = off
};

struct Timeline {
    // (a) idle connection, peer silent. Empty detect time: never (keepalive off).
    std::vector<std::int64_t> probe_ms;  // when each keepalive probe is sent
    std::optional<std::int64_t> detect_idle_ms;
    // (b) unacknowledged data, peer silent: retransmissions (the first is a tail loss probe when
    // tcp_early_retrans enables them), then the error.
    std::vector<std::int64_t> retransmit_ms;
    std::int64_t detect_busy_ms = 0;
    bool busy_bounded_by_user_timeout = false;
    // Bounded by tcp_retries2 only: the firing before detect_busy_ms, when it misses the limit by so
    // little that late timers can make it up, so the abort may come there, a doubling earlier.
    std::optional<std::int64_t> detect_busy_early_ms;
    // (c) connect() to a host that never answers: SYN retransmissions, then ETIMEDOUT.
    std::vector<std::int64_t> syn_ms;
    std::int64_t detect_connect_ms = 0;
    bool connect_bounded_by_user_timeout = false;
    // (d) the peer answers a probe with RST (it rebooted): noticed at the first probe.
    std::optional<std::int64_t> detect_reset_ms;

    bool operator==(const Timeline&) const = default;
};

// The kernel's RTO is srtt/8 + rttvar, at least rto_min, rounded up to timer ticks: on a LAN it is
// rto_min plus a tick (measured 204-208 ms with HZ=250). The retries2 limit is compared with times
// built from rto_min exactly, so modelling the RTO as rto_min would put every abort one doubling late.
inline constexpr std::int64_t lan_rto_excess_ms = 4;
// That RTO, bounded by rto_max as the kernel bounds it (rto_min may be set above it).
std::int64_t lan_rto_ms(const KernelDefaults& kernel);

// What the kernel waits for a keepalive time in seconds, as getsockopt or the sysctl reports it.
// The kernel keeps it in jiffies in an int and compares it as unsigned: a negative value waits
// 2^32 ticks less its size (about 199 days).
std::int64_t keepalive_time_ms(std::int32_t seconds);
// The same for the interval between probes, with two more rules of the timer: 0 re-arms it for the
// next tick, and a timer beyond the timer wheel's reach (about 49 days) fires at the wheel's limit
// (about 48 days), where the next probe goes.
std::int64_t keepalive_interval_ms(std::int32_t seconds);

// The socket values pulled into the ranges the kernel can report (a count is a byte, a user timeout
// is not negative, the keepalive times are those of the sysctls).
EffectiveValues within_kernel_ranges(EffectiveValues v);

// Only the keepalive rule: first probe at idle, abort by count or by user timeout. An interval below
// one tick is one tick (the timer cannot fire sooner).
std::int64_t keepalive_detection_ms(std::int64_t idle_ms, std::int64_t interval_ms, int count, std::int64_t user_timeout_ms);
// The same on a socket's values in seconds, as the kernel waits them (keepalive_time_ms above).
std::int64_t keepalive_detection_ms(const EffectiveValues& v);

Timeline compute_timeline(const EffectiveValues& v, const KernelDefaults& kernel);

// Case (b) alone, from the moment data goes out to a silent peer: the tail loss probe after `pto`
// (when tcp_early_retrans enables it), then retransmissions from `rto`, doubling. Fills
// retransmit_ms, detect_busy_ms, busy_bounded_by_user_timeout and detect_busy_early_ms.
void busy_timeline(const EffectiveValues& v, const KernelDefaults& kernel, std::int64_t rto, std::int64_t pto, Timeline& t);

}  // namespace tcpkeep
