// The per-network-namespace sysctls that decide what unset options mean and how long retries last,
// with the kernel's built-in values (read by system/read_kernel_defaults.h).
#pragma once
#include <algorithm>
#include <cstdint>

namespace tcpkeep {

struct KernelDefaults {
    std::int32_t keepalive_time_s = 7200;  // net.ipv4.tcp_keepalive_time
    std::int32_t keepalive_intvl_s = 75;   // net.ipv4.tcp_keepalive_intvl
    std::int32_t keepalive_probes = 9;     // net.ipv4.tcp_keepalive_probes
    std::int32_t retries2 = 15;            // net.ipv4.tcp_retries2
    std::int32_t syn_retries = 6;          // net.ipv4.tcp_syn_retries
    std::int32_t syn_linear_timeouts = 0;  // net.ipv4.tcp_syn_linear_timeouts (kernels >= 6.17; else 0)
    std::int32_t rto_min_ms = 200;         // net.ipv4.tcp_rto_min_us in ms, rounded up (TCP_RTO_MIN)
    std::int32_t rto_max_ms = 120000;      // net.ipv4.tcp_rto_max_ms (TCP_RTO_MAX)
    std::int32_t early_retrans = 3;        // net.ipv4.tcp_early_retrans (>= 3: tail loss probes)
};

// The kernel counts timers in ticks (jiffies); the model takes HZ=250, as on the kernels it was
// measured against.
inline constexpr std::int64_t kernel_tick_ms = 4;

// What the kernel accepts for each sysctl (net/ipv4/sysctl_net_ipv4.c; each bound checked by
// writing to /proc/sys in a namespace of a 6.18 kernel). The keepalive times are stored as jiffies
// in an int, so they may be negative; the retry counts are bytes.
inline constexpr std::int32_t max_keepalive_sysctl_s = 2147483647 / 250;  // INT_MAX / HZ
inline constexpr std::int32_t max_retry_sysctl = 255;
inline constexpr std::int32_t max_syn_retries = 127;     // MAX_TCP_SYNCNT
inline constexpr std::int32_t max_rto_min_ms = 2147484;  // tcp_rto_min_us is at most INT_MAX
inline constexpr std::int32_t min_rto_max_ms = 1000;
inline constexpr std::int32_t max_rto_max_ms = 120000;
inline constexpr std::int32_t max_early_retrans = 4;

// Every value pulled into the range the kernel accepts, so nothing computed from them can divide
// by zero or overflow, whatever a namespace's owner (or a garbled file) made of them. rto_min is the
// one the kernel rounds: to whole ticks, so below one tick (tcp_rto_min_us < 4000) it is one tick.
inline KernelDefaults within_kernel_ranges(KernelDefaults k) {
    k.keepalive_time_s = std::clamp(k.keepalive_time_s, -max_keepalive_sysctl_s, max_keepalive_sysctl_s);
    k.keepalive_intvl_s = std::clamp(k.keepalive_intvl_s, -max_keepalive_sysctl_s, max_keepalive_sysctl_s);
    k.keepalive_probes = std::clamp(k.keepalive_probes, 0, max_retry_sysctl);
    k.retries2 = std::clamp(k.retries2, 0, max_retry_sysctl);
    k.syn_retries = std::clamp(k.syn_retries, 1, max_syn_retries);
    k.syn_linear_timeouts = std::clamp(k.syn_linear_timeouts, 0, max_syn_retries);
    k.rto_min_ms = std::clamp(k.rto_min_ms, static_cast<std::int32_t>(kernel_tick_ms), max_rto_min_ms);
    k.rto_max_ms = std::clamp(k.rto_max_ms, min_rto_max_ms, max_rto_max_ms);
    k.early_retrans = std::clamp(k.early_retrans, 0, max_early_retrans);
    return k;
}

}  // namespace tcpkeep
