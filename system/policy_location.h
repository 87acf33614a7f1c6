// Which policy applies: the one named by TCPKEEP_POLICY, else the system policy if it exists, else
// the embedded default.
#pragma once
#include <string>

namespace tcpkeep {

struct PolicyLocation {
    enum class Kind { command_line, environment, system, embedded } kind = Kind::embedded;
    std::string path;  // empty for embedded
};

// TCPKEEP_POLICY (when given and not secure) -> system_path if it exists -> embedded default.
// `env_policy` is the variable's value or nullptr; the caller reads the environment.
PolicyLocation discover_policy(const char* env_policy, bool secure, const std::string& system_path);

}  // namespace tcpkeep
