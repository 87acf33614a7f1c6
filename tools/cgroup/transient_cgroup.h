// A cgroup made for one program: `tcpkeep run` puts a program the shim cannot reach into it, with
// the run's policy attached, and removes it once the program has exited. Pure cgroupfs: no BPF.
//
// Where: a child of the cgroup tcpkeep itself is in, so the program stays under the limits,
// accounting and lifetime of whoever started it (a service's memory limit, systemd killing a unit's
// whole subtree on stop), as it would had tcpkeep exec'd it in place. The child is a leaf with no
// controllers enabled below it, so cgroup v2's "no internal processes" rule never refuses the move
// (the caller's cgroup itself has processes, so it has no controllers enabled in its subtree
// either). Only when that cgroup refuses a child (not delegated to us, cgroup.max.descendants
// reached) is the child made under the root of the hierarchy, which is exempt from the rule.
//
// Named "<prefix><16 random hex digits>" and always made new: in a subtree delegated to a user,
// the user can create directories, so a predictable name could be taken in advance (making the
// run fall back to no cgroup mode) and an existing directory is never theirs to hand us.
#pragma once
#include <string>

#include "config/result.h"
#include "tools/cgroup/cgroup_lookup.h"

namespace tcpkeep {

// Creates "<cgroup of this process>/<prefix><random>", else "/<prefix><random>", with another
// random part when the name exists; an error when neither can be made.
Result<Cgroup> create_transient_cgroup(const std::string& prefix);

// Whether processes are still in the cgroup (its cgroup.events says "populated 1"), waiting up to
// `patience_ms` for processes that are exiting right now to leave it.
bool cgroup_still_populated(const Cgroup& cgroup, int patience_ms);

// Removes the (empty) cgroup directory.
Result<void> remove_cgroup(const Cgroup& cgroup);

}  // namespace tcpkeep
