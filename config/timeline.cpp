#include "config/timeline.h"

#include <algorithm>
#include <bit>

namespace tcpkeep {
namespace {

constexpr std::int64_t syn_initial_rto_ms = 1000;  // TCP_TIMEOUT_INIT
constexpr int max_firings = 1000;                  // retries sysctls are at most 255

// Keepalive timers: the kernel keeps their lengths in jiffies in an int and arms them as unsigned.
constexpr std::int64_t wrapped_ticks_ms = (std::int64_t{1} << 32) * kernel_tick_ms;
// The timer wheel (kernel/time/timer.c, HZ=250: 9 levels): a timer armed further ahead than
// WHEEL_TIMEOUT_CUTOFF ticks fires after WHEEL_TIMEOUT_MAX ticks.
constexpr std::int64_t wheel_cutoff_ms = (std::int64_t{63} << 24) * kernel_tick_ms;
constexpr std::int64_t wheel_max_ms = wheel_cutoff_ms - (std::int64_t{1} << 24) * kernel_tick_ms;
// The probe list stops at as many probes as a socket option can ask for: a user timeout of INT_MAX ms
// at the shortest interval setsockopt allows (1 s). Only an interval below a second (sysctl 0) could
// list more, millions of them.
constexpr std::size_t max_listed_probes = 2'147'484;

// tcp_model_timeout(): how long `boundary` doubling retransmissions take from rto_base.
std::int64_t model_timeout_ms(int boundary, std::int64_t rto_base, std::int64_t rto_max) {
    // rto_min above rto_max: no doubling, every wait is rto_max.
    if (rto_base > rto_max) return (boundary + 1) * rto_max;
    const int threshold = static_cast<int>(std::bit_width(static_cast<std::uint64_t>(rto_max / rto_base))) - 1;  // ilog2
    if (boundary <= threshold) return ((std::int64_t{2} << boundary) - 1) * rto_base;
    return ((std::int64_t{2} << threshold) - 1) * rto_base + (boundary - threshold) * rto_max;
}

struct RetransmitRule {
    std::int64_t (*rto_after)(int retransmits, const KernelDefaults& k);  // timer length after n retransmits
    int max_retransmits;                                                  // abort when this many were sent (SYN-SENT only)
    std::int64_t timeout_ms;                                              // abort when this long has passed since the first transmission...
    bool timeout_needs_retransmit;                                        // ...and at least one retransmission happened
    std::int64_t clamp_ms;                                                // user timeout: the timer never runs past it (0: no clamp)
};

// Replays the retransmission timer: each firing first checks for abort, then retransmits.
std::int64_t replay(const RetransmitRule& r, const KernelDefaults& k, std::vector<std::int64_t>& sent) {
    std::int64_t t = 0;
    for (int retransmits = 0; retransmits < max_firings; ++retransmits) {
        std::int64_t next = t + r.rto_after(retransmits, k);
        if (r.clamp_ms > 0) next = std::min(next, std::max(r.clamp_ms, t + 1));
        t = next;
        const bool out_of_retries = retransmits >= r.max_retransmits;
        const bool out_of_time = t >= r.timeout_ms && (retransmits > 0 || !r.timeout_needs_retransmit);
        if (out_of_retries || out_of_time) return t;
        sent.push_back(t);
    }
    return t;
}

}  // namespace

// (b) Unacknowledged data to a silent peer:
// - with tail loss probes (tcp_early_retrans >= 3) a probe goes out after the probe timeout (about
//   one RTO on a LAN) and the retransmission timer restarts from it;
// - the first timeout retransmission starts the clock (tp->retrans_stamp) of both the user timeout
//   and the tcp_retries2 limit;
// - with a user timeout the timer is clamped to fire exactly when it expires; without one, the
//   timer doubles and the connection dies at the first firing past tcp_model_timeout(retries2)
//   (or at the one before, when it falls short by less than timer rounding can add).
void busy_timeline(const EffectiveValues& values, const KernelDefaults& kernel, std::int64_t rto, std::int64_t pto, Timeline& t) {
    const EffectiveValues v = within_kernel_ranges(values);
    const KernelDefaults k = within_kernel_ranges(kernel);
    rto = std::clamp<std::int64_t>(rto, 1, max_rto_max_ms);  // the kernel's RTO never exceeds TCP_RTO_MAX
    pto = std::clamp<std::int64_t>(pto, 1, max_rto_max_ms);
    std::int64_t first = rto;
    if (k.early_retrans >= 3) {
        t.retransmit_ms.push_back(pto);  // the tail loss probe
        first += pto;
    }
    t.retransmit_ms.push_back(first);
    const std::int64_t limit = v.user_timeout_ms > 0 ? v.user_timeout_ms : model_timeout_ms(k.retries2, k.rto_min_ms, k.rto_max_ms);
    std::int64_t at = first;
    for (int n = 1; n < max_firings; ++n) {
        const std::int64_t next = at + std::min<std::int64_t>(rto << std::min(n, 30), k.rto_max_ms);
        if (v.user_timeout_ms > 0 && next >= first + limit) break;  // clamped: fires at first + limit
        if (v.user_timeout_ms == 0 && next - first >= limit) {
            t.detect_busy_ms = next;
            // The timer wheel fires a timer up to an eighth of its length late (a level's granularity
            // is at most 8/63 of the shortest timer it holds), and each firing starts the next timer,
            // so lateness adds up. A firing that misses the limit by less may pass it.
            const std::int64_t elapsed = at - first;
            if (limit - elapsed < elapsed / 8) t.detect_busy_early_ms = at;
            return;
        }
        t.retransmit_ms.push_back(at = next);
    }
    t.busy_bounded_by_user_timeout = v.user_timeout_ms > 0;
    t.detect_busy_ms = t.busy_bounded_by_user_timeout ? first + limit : at;
}

namespace {

std::int64_t syn_rto(int n, const KernelDefaults& k) {
    const int doublings = std::max(0, n - k.syn_linear_timeouts);
    return std::min<std::int64_t>(syn_initial_rto_ms << std::min(doublings, 30), k.rto_max_ms);
}

}  // namespace

std::int64_t lan_rto_ms(const KernelDefaults& kernel) {
    const KernelDefaults k = within_kernel_ranges(kernel);
    return std::min<std::int64_t>(k.rto_min_ms + lan_rto_excess_ms, k.rto_max_ms);
}

std::int64_t keepalive_time_ms(std::int32_t seconds) {
    const std::int64_t ms = std::int64_t{std::clamp(seconds, -max_keepalive_sysctl_s, max_keepalive_sysctl_s)} * 1000;
    return ms >= 0 ? ms : wrapped_ticks_ms + ms;
}

std::int64_t keepalive_interval_ms(std::int32_t seconds) {
    if (seconds == 0) return kernel_tick_ms;
    const std::int64_t ms = keepalive_time_ms(seconds);
    return ms >= wheel_cutoff_ms ? wheel_max_ms : ms;
}

EffectiveValues within_kernel_ranges(EffectiveValues v) {
    v.idle_s = std::clamp(v.idle_s, -max_keepalive_sysctl_s, max_keepalive_sysctl_s);
    v.interval_s = std::clamp(v.interval_s, -max_keepalive_sysctl_s, max_keepalive_sysctl_s);
    v.count = std::clamp(v.count, 0, max_retry_sysctl);
    v.user_timeout_ms = std::max(v.user_timeout_ms, 0);
    return v;
}

std::int64_t keepalive_detection_ms(std::int64_t idle_ms, std::int64_t interval_ms, int count, std::int64_t user_timeout_ms) {
    // Bounded, so no product or sum below can overflow: no keepalive timer waits longer.
    idle_ms = std::clamp<std::int64_t>(idle_ms, 0, wrapped_ticks_ms);
    interval_ms = std::clamp<std::int64_t>(interval_ms, kernel_tick_ms, wrapped_ticks_ms);
    count = std::clamp(count, 0, max_retry_sysctl);
    user_timeout_ms = std::min<std::int64_t>(user_timeout_ms, INT32_MAX);
    if (user_timeout_ms <= 0) return idle_ms + count * interval_ms;
    // Abort at the first timer firing after a probe was sent (k >= 1) that is past the user timeout.
    std::int64_t k = std::max<std::int64_t>(1, (user_timeout_ms - idle_ms + interval_ms - 1) / interval_ms);
    return idle_ms + k * interval_ms;
}

std::int64_t keepalive_detection_ms(const EffectiveValues& v) {
    return keepalive_detection_ms(keepalive_time_ms(v.idle_s), keepalive_interval_ms(v.interval_s), v.count, v.user_timeout_ms);
}

Timeline compute_timeline(const EffectiveValues& values, const KernelDefaults& kernel) {
    Timeline t;
    const EffectiveValues v = within_kernel_ranges(values);
    const std::int64_t idle = keepalive_time_ms(v.idle_s);
    const std::int64_t interval = keepalive_interval_ms(v.interval_s);
    if (v.keepalive) {
        t.detect_idle_ms = keepalive_detection_ms(v);
        for (std::int64_t probe = idle; probe < *t.detect_idle_ms && t.probe_ms.size() < max_listed_probes; probe += interval)
            t.probe_ms.push_back(probe);
        t.detect_reset_ms = idle;
    }

    const bool user_timeout = v.user_timeout_ms > 0;
    const KernelDefaults k = within_kernel_ranges(kernel);
    const std::int64_t lan_rto = lan_rto_ms(k);
    busy_timeline(v, k, lan_rto, lan_rto, t);

    RetransmitRule syn{syn_rto, k.syn_retries + k.syn_linear_timeouts, 0, true, 0};
    const std::int64_t syn_model = model_timeout_ms(k.syn_retries, syn_initial_rto_ms, k.rto_max_ms);
    syn.timeout_ms = user_timeout ? v.user_timeout_ms : syn_model;
    syn.clamp_ms = user_timeout ? v.user_timeout_ms : 0;
    std::vector<std::int64_t> without_user_timeout;
    const std::int64_t syn_limit = replay({syn_rto, syn.max_retransmits, syn_model, true, 0}, k, without_user_timeout);
    t.detect_connect_ms = replay(syn, k, t.syn_ms);
    t.connect_bounded_by_user_timeout = user_timeout && t.detect_connect_ms < syn_limit;
    return t;
}

}  // namespace tcpkeep
