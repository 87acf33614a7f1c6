// The per-network-namespace sysctls that decide what unset options mean and how long retries last,
// with the kernel's built-in values (read by system/read_kernel_defaults.h).
#pragma once
#include <cstdint>

namespace tcpkeep {

struct KernelDefaults {
    std::int32_t keepalive_time_s = 7200;  // net.ipv4.tcp_keepalive_time
    std::int32_t keepalive_intvl_s = 75;   // net.ipv4.tcp_keepalive_intvl
    std::int32_t keepalive_probes = 9;     // net.ipv4.tcp_keepalive_probes
    std::int32_t retries2 = 15;            // net.ipv4.tcp_retries2
    std::int32_t syn_retries = 6;          // net.ipv4.tcp_syn_retries
    std::int32_t syn_linear_timeouts = 0;  // net.ipv4.tcp_syn_linear_timeouts (kernels >= 6.17; else 0)
    std::int32_t rto_min_ms = 200;         // net.ipv4.tcp_rto_min_us / 1000 (TCP_RTO_MIN)
    std::int32_t rto_max_ms = 120000;      // net.ipv4.tcp_rto_max_ms (TCP_RTO_MAX)
    std::int32_t early_retrans = 3;        // net.ipv4.tcp_early_retrans (>= 3: tail loss probes)
};

}  // namespace tcpkeep
