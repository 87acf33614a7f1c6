#include "config/live_prediction.h"

#include <algorithm>

namespace tcpkeep {
namespace {

constexpr std::int64_t timeout_min_ms = 8;  // TCP_TIMEOUT_MIN: two jiffies at HZ=250

// tcp_schedule_loss_probe(): twice the smoothed RTT, plus rto_min when a single segment is out (the
// peer may delay its ACK) or two ticks otherwise; never later than the RTO would fire.
std::int64_t probe_timeout(const LiveTcpState& s, const KernelDefaults& k, std::int64_t rto) {
    if (s.srtt_us <= 0) return rto;
    const std::int64_t twice_rtt_ms = (2 * s.srtt_us + 999) / 1000;
    const std::int64_t pto = twice_rtt_ms + (s.unacked <= 1 ? k.rto_min_ms : timeout_min_ms);
    return std::min(pto, rto);
}

// TCP_INFO's fields are unsigned 32-bit (backoff and retransmits: bytes); anything else is not a
// state the kernel can report, and would overflow the shifts and sums below.
LiveTcpState within_tcp_info_ranges(LiveTcpState s) {
    constexpr std::int64_t u32_max = UINT32_MAX;
    s.rto_ms = std::clamp<std::int64_t>(s.rto_ms, 0, u32_max / 1000);
    s.srtt_us = std::clamp<std::int64_t>(s.srtt_us, 0, u32_max);
    s.backoff = std::clamp(s.backoff, 0, 255);
    s.retransmits = std::clamp(s.retransmits, 0, 255);
    s.since_last_receive_ms = std::clamp<std::int64_t>(s.since_last_receive_ms, 0, u32_max);
    return s;
}

}  // namespace

EffectiveValues effective_values(const Settings& read) { return {read.keepalive, read.idle_s, read.interval_s, read.count, read.user_timeout_ms}; }

const char* case_name(LivePrediction::Case c) {
    switch (c) {
        case LivePrediction::Case::idle: return "idle";
        case LivePrediction::Case::busy: return "busy";
        case LivePrediction::Case::never: return "never";
        case LivePrediction::Case::not_established: break;
    }
    return "not_established";
}

LivePrediction predict_live(const EffectiveValues& values, const KernelDefaults& namespace_values, const LiveTcpState& state) {
    const EffectiveValues v = within_kernel_ranges(values);
    const KernelDefaults kernel = within_kernel_ranges(namespace_values);
    const LiveTcpState s = within_tcp_info_ranges(state);
    LivePrediction p;
    if (!s.established) return p;
    // The RTO before any backoff: the timer doubles from it once data goes unanswered. Never above
    // TCP_RTO_MAX, as the kernel bounds it.
    const std::int64_t base_rto = std::clamp<std::int64_t>(s.rto_ms >> std::min(s.backoff, 30), 1, max_rto_max_ms);
    p.rto_ms = base_rto;
    Timeline fresh;
    busy_timeline(v, kernel, base_rto, probe_timeout(s, kernel, base_rto), fresh);
    p.if_sending_ms = fresh.detect_busy_ms;

    if (s.unacked > 0) {
        p.now = LivePrediction::Case::busy;
        if (s.retransmits == 0) {  // nothing lost yet: the peer dying now starts the timeline from here
            p.detect_in_ms = fresh.detect_busy_ms;
            return p;
        }
        // Already retransmitting: the model's time of the latest retransmission stands for "now".
        p.approximate = true;
        const std::size_t tlp = kernel.early_retrans >= 3 ? 1 : 0;
        const std::size_t index = static_cast<std::size_t>(s.retransmits) - 1 + tlp;
        const std::int64_t elapsed = index < fresh.retransmit_ms.size() ? fresh.retransmit_ms[index] : fresh.detect_busy_ms;
        p.detect_in_ms = std::max<std::int64_t>(0, fresh.detect_busy_ms - elapsed);
        return p;
    }
    if (!v.keepalive) {
        p.now = LivePrediction::Case::never;
        return p;
    }
    // The keepalive timer counts from the last segment received; probes already sent are part of
    // that same schedule, so the time left is the model's detection time minus the silence so far.
    p.now = LivePrediction::Case::idle;
    const std::int64_t total = keepalive_detection_ms(v);
    p.detect_in_ms = std::max<std::int64_t>(0, total - s.since_last_receive_ms);
    return p;
}

}  // namespace tcpkeep
