// The rules with peers compiled into cgroup mode's peer block maps (bpf/policy_abi.h): per
// (family, prefix length, direction, block), the runs of ports where the block's first rule
// without process, and its process rules before that one, are known in advance. The program then
// looks an address up once per prefix length and searches one block's runs, however many rules
// the policy has. Pure: no BPF, no system calls.
#pragma once
#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "bpf/policy_abi.h"
#include "config/policy.h"

namespace tcpkeep {

struct PeerBlocks {
    std::vector<std::pair<tk_peer_key, tk_peer_block>> keys;
    std::vector<tk_port_run> runs;            // each key's runs, sorted by port, together
    std::array<tk_prefix_lengths, 2> prefixes{};  // index 0 v4, 1 v6
};

// process_bit[r]: the process mask bit of rule r, or -1 for a rule without process. slot_of_bit[b]:
// the verdict slot of the rule with bit b.
PeerBlocks compile_peer_blocks(const Policy& policy, const std::vector<int>& process_bit, const std::vector<std::uint32_t>& slot_of_bit);

}  // namespace tcpkeep
