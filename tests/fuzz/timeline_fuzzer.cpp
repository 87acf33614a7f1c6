// libFuzzer target: the detection-time model (config/timeline.h, config/live_prediction.h) on any
// sysctls, socket values and TCP_INFO state. A namespace's owner chooses the sysctls root's tool
// reads, so whatever the numbers: no crash, no UB, no endless loop, and the answers stay sane
// (times never negative, lists in order and bounded, the live RTO within the kernel's).
//
// Input: a sequence of fields, each a selector byte then, for selectors >= 128, the raw value
// (little-endian). A selector below 128 picks a value at the edges of what the kernel accepts;
// 0 keeps the field's default, as does a missing byte: an empty input is the kernel's defaults.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <vector>

#include "config/kernel_defaults.h"
#include "config/live_prediction.h"
#include "config/timeline.h"

namespace {

using namespace tcpkeep;

[[noreturn]] void broken(const char* what) {
    std::fprintf(stderr, "timeline_fuzzer: %s\n", what);
    std::abort();
}

// clang-format off
constexpr std::int64_t edges[] = {
    0, 1, -1, 2, 3, 4, 8, 127, 128, 255, 256, 999, 1000, 1001, 3999, 4000, 4001, 32767, 120000, 120001, 200000,
    4'227'858, 4'227'859, 8'589'934, -8'589'934, 8'589'935, -8'589'935, 2'147'484,
    std::numeric_limits<std::int32_t>::max(), std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::uint32_t>::max(),
    std::numeric_limits<std::int64_t>::max(), std::numeric_limits<std::int64_t>::min()};
// clang-format on

class Fields {
public:
    Fields(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

    template <typename T>
    T next(T fallback) {
        if (at_ == size_) return fallback;
        const std::uint8_t selector = data_[at_++];
        if (selector == 0) return fallback;
        if (selector < 128) return static_cast<T>(edges[selector % std::size(edges)]);
        T value{};
        const std::size_t n = std::min(sizeof value, size_ - at_);
        std::memcpy(&value, data_ + at_, n);
        at_ += n;
        return value;
    }

    bool flag(bool fallback) { return at_ == size_ ? fallback : (data_[at_++] & 1) != 0; }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t at_ = 0;
};

void check_in_order(const std::vector<std::int64_t>& times, bool strictly, const char* what) {
    for (std::size_t i = 0; i < times.size(); ++i) {
        if (times[i] < 0) broken(what);
        if (i > 0 && (strictly ? times[i] <= times[i - 1] : times[i] < times[i - 1])) broken(what);
    }
}

void check_timeline(const Timeline& t) {
    check_in_order(t.probe_ms, true, "keepalive probes out of order or negative");
    if (t.probe_ms.size() > 2'147'484) broken("probe list unbounded");
    if (t.detect_idle_ms && (*t.detect_idle_ms < 0 || (!t.probe_ms.empty() && *t.detect_idle_ms <= t.probe_ms.back())))
        broken("idle detection before its last probe");
    check_in_order(t.retransmit_ms, false, "retransmissions out of order or negative");
    if (t.retransmit_ms.empty() || t.detect_busy_ms < t.retransmit_ms.back()) broken("busy detection before its last retransmission");
    if (t.detect_busy_early_ms && *t.detect_busy_early_ms >= t.detect_busy_ms) broken("the early busy abort is not earlier");
    check_in_order(t.syn_ms, true, "SYN retransmissions out of order or negative");
    if (t.detect_connect_ms <= 0 || (!t.syn_ms.empty() && t.detect_connect_ms < t.syn_ms.back())) broken("connect gives up before its last SYN");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Fields in(data, size);
    KernelDefaults k;
    for (std::int32_t* field : {&k.keepalive_time_s, &k.keepalive_intvl_s, &k.keepalive_probes, &k.retries2, &k.syn_retries, &k.syn_linear_timeouts,
                                &k.rto_min_ms, &k.rto_max_ms, &k.early_retrans})
        *field = in.next(*field);
    EffectiveValues v{in.flag(true), k.keepalive_time_s, k.keepalive_intvl_s, k.keepalive_probes, 0};
    for (std::int32_t* field : {&v.idle_s, &v.interval_s, &v.count, &v.user_timeout_ms}) *field = in.next(*field);

    const Timeline t = compute_timeline(v, k);
    check_timeline(t);
    if (v.keepalive && t.detect_idle_ms != keepalive_detection_ms(v)) broken("explain and verify disagree on the idle case");

    LiveTcpState s;
    s.established = in.flag(true);
    s.rto_ms = in.next<std::int64_t>(204);
    s.srtt_us = in.next<std::int64_t>(0);
    s.backoff = in.next(0);
    s.retransmits = in.next(0);
    s.unacked = in.next<std::uint32_t>(0);
    s.probes = in.next(0);
    s.since_last_receive_ms = in.next<std::int64_t>(0);
    const LivePrediction p = predict_live(v, k, s);
    if (p.detect_in_ms && *p.detect_in_ms < 0) broken("a live detection in the past");
    if (s.established && (p.rto_ms < 1 || p.rto_ms > max_rto_max_ms)) broken("a live RTO the kernel cannot have");
    if (p.if_sending_ms < 0) broken("a negative time to detect while sending");

    Timeline busy;
    busy_timeline(v, k, in.next<std::int64_t>(204), in.next<std::int64_t>(204), busy);
    if (busy.retransmit_ms.empty() || busy.detect_busy_ms < busy.retransmit_ms.back()) broken("busy detection before its last retransmission");

    const std::int64_t idle_ms = in.next<std::int64_t>(60'000);
    const std::int64_t interval_ms = in.next<std::int64_t>(10'000);
    const int count = in.next(6);
    const std::int64_t user_timeout_ms = in.next<std::int64_t>(0);
    if (keepalive_detection_ms(idle_ms, interval_ms, count, user_timeout_ms) < 0) broken("a negative keepalive detection time");
    return 0;
}
