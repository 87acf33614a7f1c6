// The attachment calls of a build without the BPF toolchain (clang, bpftool, libbpf-dev).
#include "tools/cgroup/attachment.h"

namespace tcpkeep {
namespace {

Error not_built() { return Error{cgroup_mode_not_built, 0}; }

}  // namespace

bool cgroup_mode_built() { return false; }
Result<bool> attach_policy(const Cgroup&, const CgroupPolicy&, const PolicySource&, ExistingSockets*) { return not_built(); }
Result<ExistingSockets> apply_to_existing_sockets(const Cgroup&, const CgroupPolicy&, const PolicySource&) { return not_built(); }
Result<void> detach_policy(const Cgroup&) { return not_built(); }
Result<void> detach_removed_cgroup(const std::string&) { return not_built(); }
Result<std::vector<Attachment>> list_attachments() { return not_built(); }
std::optional<Attachment> attachment_covering(const Cgroup&) { return std::nullopt; }
Result<std::string> attached_policy_text(const Attachment&) { return not_built(); }
std::optional<std::uint8_t> program_set_in_cgroup(int) { return std::nullopt; }

}  // namespace tcpkeep
