#include "tools/cgroup/policy_source.h"

#include <fmt/format.h>

#include <filesystem>

#include "config/digest.h"

namespace tcpkeep::cli {

PolicySource describe_source(const ChosenPolicy& chosen) {
    PolicySource source{chosen.path_or_name(), "", static_cast<std::uint32_t>(chosen.load.policy->rules.size())};
    // Recorded in the attachment, read later from anywhere: never relative to this working directory.
    if (chosen.location.kind != PolicyLocation::Kind::embedded) source.path = std::filesystem::absolute(source.path).lexically_normal().string();
    if (chosen.location.kind != PolicyLocation::Kind::embedded)
        if (Result<std::string> text = read_policy_text(chosen.location.path, false)) source.digest = fmt::format("{:016x}", digest64(*text));
    return source;
}

}  // namespace tcpkeep::cli
