#include "tools/cgroup/policy_source.h"

#include <fmt/format.h>

#include "config/digest.h"

namespace tcpkeep::cli {

PolicySource describe_source(const ChosenPolicy& chosen) {
    PolicySource source{chosen.path_or_name(), "", static_cast<std::uint32_t>(chosen.load.policy->rules.size())};
    if (chosen.location.kind != PolicyLocation::Kind::embedded)
        if (Result<std::string> text = read_policy_text(chosen.location.path, false)) source.digest = fmt::format("{:016x}", digest64(*text));
    return source;
}

}  // namespace tcpkeep::cli
