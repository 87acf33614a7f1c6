// The policy file `tcpkeep run` hands to the shim: --policy made absolute (the program may chdir
// before its first connection), or, with -s, the policy with the overrides written to a new
// 0600 file under $XDG_RUNTIME_DIR (else /tmp). The file outlives tcpkeep, which execs the command.
#pragma once
#include <optional>
#include <string>

#include "config/result.h"
#include "tools/policy/settings_overrides.h"

namespace tcpkeep::cli {

// The file for TCPKEEP_POLICY (nullopt: keep the inherited environment), or why the policy cannot
// be used.
Result<std::optional<std::string>> policy_for_run(const std::optional<std::string>& policy_arg, const Overrides& overrides);

}  // namespace tcpkeep::cli
