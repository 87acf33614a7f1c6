#include "system/read_kernel_defaults.h"

#include <charconv>

#include "system/small_file.h"

namespace tcpkeep {
namespace {

// A /proc/sys file holding one integer; left as it was when unreadable.
void read_int(const std::string& path, std::int32_t& value) {
    const Result<std::string> text = read_small_file(path);
    if (!text) return;
    std::int32_t parsed = 0;
    auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), parsed);
    if (ec == std::errc{} && ptr != text->data()) value = parsed;
}

}  // namespace

KernelDefaults read_kernel_defaults(const std::string& root) {
    KernelDefaults k;
    read_int(root + "tcp_keepalive_time", k.keepalive_time_s);
    read_int(root + "tcp_keepalive_intvl", k.keepalive_intvl_s);
    read_int(root + "tcp_keepalive_probes", k.keepalive_probes);
    read_int(root + "tcp_retries2", k.retries2);
    read_int(root + "tcp_syn_retries", k.syn_retries);
    read_int(root + "tcp_syn_linear_timeouts", k.syn_linear_timeouts);
    std::int32_t rto_min_us = k.rto_min_ms * 1000;
    read_int(root + "tcp_rto_min_us", rto_min_us);
    // The kernel rounds it up to whole ticks: rounded up here too, and at least one tick
    // (within_kernel_ranges), so 1 us is 4 ms, not 0.
    k.rto_min_ms = static_cast<std::int32_t>((std::int64_t{rto_min_us} + 999) / 1000);
    read_int(root + "tcp_rto_max_ms", k.rto_max_ms);
    read_int(root + "tcp_early_retrans", k.early_retrans);
    return within_kernel_ranges(k);
}

}  // namespace tcpkeep
