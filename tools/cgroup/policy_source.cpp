#include "tools/cgroup/policy_source.h"

#include <fmt/format.h>

#include <filesystem>

#include "config/digest.h"
#include "config/embedded_default.h"

namespace tcpkeep::cli {

Result<PolicySource> describe_source(const ChosenPolicy& chosen) {
    const bool embedded = chosen.location.kind == PolicyLocation::Kind::embedded;
    PolicySource source{chosen.path_or_name(), "", static_cast<std::uint32_t>(chosen.load.policy->rules.size()), ""};
    // Recorded in the attachment, read later from anywhere: never relative to this working directory.
    if (!embedded) source.path = std::filesystem::absolute(source.path).lexically_normal().string();
    Result<std::string> text = embedded ? Result<std::string>(std::string(embedded_default_policy())) : read_policy_text(chosen.location.path, false);
    if (!text) return Error{fmt::format("{}: {}", source.path, text.error().message), text.error().code};
    // The text kept with the attachment must be the one compiled, not a later edit.
    if (text->size() != chosen.load.text_bytes || digest64(*text) != chosen.load.text_digest)
        return Error{fmt::format("{}: the file changed while it was being attached; nothing attached, try again", source.path), 0};
    source.digest = fmt::format("{:016x}", chosen.load.text_digest);
    source.text = std::move(text).value();
    return source;
}

}  // namespace tcpkeep::cli
