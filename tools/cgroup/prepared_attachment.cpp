#include "tools/cgroup/prepared_attachment.h"

#include <filesystem>

namespace tcpkeep::cli {

Result<PreparedAttachment> prepare_attachment(const ChosenPolicy& chosen) {
    Result<CgroupPolicy> maps = compile_cgroup_policy(*chosen.load.policy);
    if (!maps) return maps.error();
    PolicySource source{chosen.path_or_name(), chosen.load.text_digest, static_cast<std::uint32_t>(chosen.load.policy->rules.size()), chosen.text};
    // Recorded in the attachment, read later from anywhere: never relative to this working directory.
    if (chosen.location.kind != PolicyLocation::Kind::embedded) source.path = std::filesystem::absolute(source.path).lexically_normal().string();
    return PreparedAttachment{std::move(maps).value(), std::move(source)};
}

}  // namespace tcpkeep::cli
