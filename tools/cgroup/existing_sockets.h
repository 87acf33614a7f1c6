// The sockets that exist in a cgroup when a policy is attached: a BPF TCP iterator
// (bpf/existing.bpf.c, Linux >= 5.15) gives each the decision the attached program would give it
// as a new socket, one pass per network namespace the cgroup's processes use, entered with setns
// on a thread of its own. No ptrace: it reaches static programs and containers alike.
#pragma once
#include <cstdint>
#include <string>

#include "config/result.h"
#include "tools/cgroup/cgroup_lookup.h"

namespace tcpkeep {

struct ExistingSockets {
    std::uint64_t set = 0;        // given at least one option
    std::uint64_t programs = 0;   // every option the policy names was the program's own
    std::uint64_t skipped = 0;    // skipped or left untouched by the policy (listeners: left to their connections' peers)
    std::uint64_t unchanged = 0;  // replacing: the replaced policy decided the same
    std::size_t namespaces = 0;
    bool compared = false;        // decisions compared with the replaced policy's
    std::string error;            // why the existing sockets were not covered (the attachment stands)
};

// policy_program: the attached sock_ops program, whose maps decide. replaced_program: the one it
// replaced (-1: none), whose decisions are kept first so only changed ones are applied.
// base: <bpffs>/tcpkeep, where the socket records and the other attachments are pinned. With
// nearest_decides, the subtrees under an attachment of their own are left to it.
Result<ExistingSockets> decide_existing_sockets(const Cgroup& cgroup, const std::string& base, int policy_program, int replaced_program,
                                                bool nearest_decides);

}  // namespace tcpkeep
