// `tcpkeep check --compile`: writes "<policy>.compiled" next to the policy, atomically.
#pragma once
#include <string>
#include <string_view>

#include "config/policy.h"
#include "config/policy_cache.h"
#include "config/result.h"

namespace tcpkeep::cli {

Result<void> write_compiled_policy(const std::string& policy_path, const Policy& policy, std::string_view text);

}  // namespace tcpkeep::cli
