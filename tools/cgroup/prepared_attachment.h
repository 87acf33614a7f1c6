// What attaching a policy needs, made before anything is attached, the same way for `tcpkeep
// attach`, `tcpkeep run` (through a transient cgroup) and `tcpkeep apply --cgroup`: the policy
// compiled into cgroup mode's maps, and what the attachment records of it — the file, the digest
// of its text and its rule count (shown by `tcpkeep attached` and verify) and the text itself (what
// verify judges by), all from the one reading choose_policy() made.
#pragma once
#include "bpf/compiler/cgroup_policy.h"
#include "tools/cgroup/attachment.h"
#include "tools/policy/policy_loading.h"

namespace tcpkeep::cli {

struct PreparedAttachment {
    CgroupPolicy maps;
    PolicySource source;
};

// For a policy that loaded (chosen.load.ok()); an error, the reasons one a line, when cgroup mode
// cannot decide it as the shim would.
Result<PreparedAttachment> prepare_attachment(const ChosenPolicy& chosen);

}  // namespace tcpkeep::cli
