// Attaching a compiled policy to a cgroup, replacing it, detaching it, and listing attachments.
// An attachment is pinned under the BPF filesystem (<bpffs>/tcpkeep/<cgroup id>/) so it outlives the
// command; attaching again replaces the programs in place (bpf_link_update), so the cgroup is never
// without a policy and never holds two. Built without the BPF toolchain, every call says so.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/result.h"
#include "bpf/compiler/cgroup_policy.h"
#include "tools/cgroup/cgroup_lookup.h"
#include "tools/cgroup/existing_sockets.h"

namespace tcpkeep {

// What an attachment says about itself.
struct Attachment {
    std::uint64_t cgroup_id = 0;
    std::string cgroup;  // path in the v2 hierarchy
    std::string policy;  // the policy file
    std::optional<std::uint64_t> digest;  // digest64 of its text; unknown when its record holds none
    std::uint32_t rules = 0;
    std::uint64_t attached_at = 0;  // seconds since the epoch
    std::string pin_directory;
    bool cgroup_removed = false;  // the cgroup is gone: the kernel runs nothing, only the pins remain
};

struct PolicySource {
    std::string path;
    std::uint64_t digest = 0;  // digest64 of the text; in hex only in the attachment's record
    std::uint32_t rules = 0;
    std::string text;  // what was compiled: kept with the attachment
};

// Whether this build has cgroup mode, and what its commands say when it has not.
bool cgroup_mode_built();
inline constexpr const char* cgroup_mode_not_built =
    "cgroup mode is not in this build of tcpkeep (built without clang, bpftool or libbpf-dev, or with "
    "TCPKEEP_WITH_CGROUP_MODE=OFF)";

// Attaches, or replaces what is attached; returns true when it replaced an attachment. With
// `existing`, then gives the sockets that already exist in the cgroup the policy too (where a
// replaced policy decided otherwise) and says how it went there.
Result<bool> attach_policy(const Cgroup& cgroup, const CgroupPolicy& maps, const PolicySource& source, ExistingSockets* existing = nullptr);
// Gives the sockets that exist in the cgroup and below the policy once, through the TCP iterator,
// attaching nothing (`tcpkeep apply --cgroup`).
Result<ExistingSockets> apply_to_existing_sockets(const Cgroup& cgroup, const CgroupPolicy& maps, const PolicySource& source);
Result<void> detach_policy(const Cgroup& cgroup);
// Removes what stays pinned of the attachments of a removed cgroup, by its path in the hierarchy.
Result<void> detach_removed_cgroup(const std::string& path);
Result<std::vector<Attachment>> list_attachments();

// The attachment on the cgroup or its nearest ancestor that has one: what gives the processes in
// it the policy. nullopt when there is none, or it cannot be read (not root).
std::optional<Attachment> attachment_covering(const Cgroup& cgroup);

// The text of the policy an attachment runs, as it was when attached. An error for attachments
// made by an older tcpkeep that kept none.
Result<std::string> attached_policy_text(const Attachment& attachment);

// What cgroup mode recorded of a socket this process holds a descriptor of: the options the
// program set itself, less those the policy enforces (as the shim's record says them). 0 when the
// socket has no record (the program set none of them); nullopt when the records cannot be read.
std::optional<std::uint8_t> program_set_in_cgroup(int socket_fd);

}  // namespace tcpkeep
