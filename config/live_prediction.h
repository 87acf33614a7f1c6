// When would a live socket notice that its peer died just now? The timeline model (timeline.h)
// applied to what the kernel reports about the socket (TCP_INFO) at this moment.
#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "config/kernel_defaults.h"
#include "config/settings.h"
#include "config/timeline.h"

namespace tcpkeep {

// The parts of struct tcp_info the model needs, in milliseconds unless named otherwise.
struct LiveTcpState {
    bool established = true;                 // tcpi_state == TCP_ESTABLISHED (else nothing is predicted)
    std::int64_t rto_ms = 0;                 // tcpi_rto: the current retransmission timeout, backoff included
    std::int64_t srtt_us = 0;                // tcpi_rtt: smoothed round-trip time (0: no sample yet)
    int backoff = 0;                         // tcpi_backoff: RTO doublings so far
    int retransmits = 0;                     // tcpi_retransmits: timeout retransmissions of the oldest segment
    std::uint32_t unacked = 0;               // tcpi_unacked: segments sent and not acknowledged
    int probes = 0;                          // tcpi_probes: keepalive (or zero-window) probes unanswered
    std::int64_t since_last_receive_ms = 0;  // min(tcpi_last_data_recv, tcpi_last_ack_recv)
};

struct LivePrediction {
    enum class Case { idle, busy, never, not_established };
    Case now = Case::not_established;          // which timer rules the socket at this moment
    std::optional<std::int64_t> detect_in_ms;  // from now; nullopt: never (keepalive off and idle)
    std::int64_t if_sending_ms = 0;            // idle sockets: from now, should the program send now instead
    std::int64_t rto_ms = 0;                   // the retransmission timeout the busy case was modelled with
    bool approximate = false;                  // retransmitting already: the time of its first retransmission is not known
};

// The five values read from a socket (getsockopt reports the effective ones), as the model's input.
EffectiveValues effective_values(const Settings& read);

// `values`: the socket's own values (getsockopt), `namespace_values`: its namespace's sysctls, `state`:
// its TCP_INFO. Each is taken within the ranges the kernel can report.
LivePrediction predict_live(const EffectiveValues& values, const KernelDefaults& namespace_values, const LiveTcpState& state);

const char* case_name(LivePrediction::Case c);

}  // namespace tcpkeep
