// A policy compiled into the contents of the cgroup-mode BPF maps (bpf/policy_abi.h), or the
// reasons cgroup mode cannot decide as the shim would. Pure: no BPF, no system calls.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "bpf/policy_abi.h"
#include "config/policy.h"
#include "config/result.h"

namespace tcpkeep {

struct CgroupPolicy {
    std::vector<tk_verdict> verdicts;  // slot 0: [defaults] or untouched; slot r + 1: rule r
    std::vector<std::uint32_t> ports;  // TK_PORT_ENTRIES: direction * 65536 + port -> slot | TK_PEER_CANDIDATES
    std::vector<tk_peer_entry> peers;  // in slot order
};

// Every part of the policy the kernel cannot decide exactly as the shim does, one message each
// ("rule \"db\" (line 12): ..."); empty when the policy can be attached.
std::vector<std::string> cgroup_refusals(const Policy& policy);

// The maps for a policy cgroup_refusals() accepts; an error for one it refuses (the messages joined).
Result<CgroupPolicy> compile_cgroup_policy(const Policy& policy);

}  // namespace tcpkeep
