// One connection the kernel aborted for a silent peer, as `tcpkeep watch` tells it: the cause, the
// socket's unit and (when it still holds the socket) process, how long the peer had been silent,
// and beside it what the timeline model (config/timeline.h) predicts for the socket's values.
#pragma once
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "bpf/deadpeer_abi.h"
#include "config/kernel_defaults.h"
#include "config/timeline.h"
#include "tools/inspection/tcp_table.h"

namespace tcpkeep::cli {

// "keepalive", "user_timeout", "retransmissions", "syn_retries": the `cause` label.
const char* dead_cause_name(std::uint32_t cause);

struct DeadPeerEvent {
    std::string time;  // when it was read, UTC ("2026-12-07T05:30:01.250Z")
    std::uint32_t cause = TK_DEAD_KEEPALIVE;
    int error = 0;
    std::optional<std::int64_t> silence_ms;  // unknown when the kernel's HZ is
    std::string cgroup;                      // "" when the cgroup is gone
    std::string unit;                        // as audit labels it (unit_label.h)
    std::optional<pid_t> pid;                // a process of the cgroup still holding the socket
    std::optional<std::string> program;
    TcpEndpoint local, remote;
    EffectiveValues values;  // the socket's, unset ones from the namespace's sysctls
    KernelDefaults kernel;
    std::int64_t predicted_ms = 0;  // the model's time for this cause and these values
    int probes_out = 0;
    int retransmits = 0;
};

// Cgroup ids resolved to paths once each (the id is the cgroup directory's file handle).
class CgroupNames {
public:
    std::string path_of(std::uint64_t id);

private:
    std::map<std::uint64_t, std::string> known_;
};

// `host`: the tool's own sysctls, for a socket whose process (and so namespace) is not found.
DeadPeerEvent describe(const tk_dead_peer& record, CgroupNames& names, const KernelDefaults& host);

std::string to_text(const DeadPeerEvent& event);
nlohmann::ordered_json to_json(const DeadPeerEvent& event);

}  // namespace tcpkeep::cli
