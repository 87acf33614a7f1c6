// A policy compiled into the contents of the cgroup-mode BPF maps (bpf/policy_abi.h), or the
// reasons cgroup mode cannot decide as the shim would. Pure: no BPF, no system calls.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "bpf/policy_abi.h"
#include "config/policy.h"
#include "config/result.h"
#include "bpf/compiler/peer_blocks.h"

namespace tcpkeep {

struct CgroupPolicy {
    std::vector<tk_verdict> verdicts;              // slot 0: [defaults] or untouched; slot r + 1: rule r
    std::vector<std::uint32_t> ports;              // TK_PORT_ENTRIES: direction * 65536 + port -> index in classes
    std::vector<tk_port_class> classes;            // the distinct port classes
    std::vector<std::uint32_t> process_slots;      // TK_PROCESS_INDEX(process rule bit) -> its verdict slot
    PeerBlocks peers;                              // the rules with peers, by block
    std::vector<std::pair<tk_name, std::uint64_t>> names;  // literal process name -> mask of the rules it selects
    std::uint32_t process_rules = 0;               // rules with process: bits of a process mask
};

// Every part of the policy the kernel cannot decide exactly as the shim does, one message each
// ("rule \"db\" (line 12): ..."); empty when the policy can be attached.
std::vector<std::string> cgroup_refusals(const Policy& policy);

// What an accepted policy's `process` rules match in cgroup mode where the shim may match more, one
// message per rule with process; empty without such rules.
std::vector<std::string> cgroup_process_notes(const Policy& policy);

// The maps for a policy cgroup_refusals() accepts; an error for one it refuses (the messages joined).
Result<CgroupPolicy> compile_cgroup_policy(const Policy& policy);

}  // namespace tcpkeep
