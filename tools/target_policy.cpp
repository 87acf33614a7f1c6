#include "tools/target_policy.h"

#include <filesystem>

#include "tools/process_facts.h"

namespace tcpkeep::cli {

ChosenPolicy policy_of_process(pid_t pid, const std::optional<std::string>& explicit_path) {
    if (explicit_path) return choose_policy(explicit_path);
    const bool secure = secure_execution(pid);
    std::optional<std::string> env = environment_variable(pid, "TCPKEEP_POLICY");
    if (env && !env->empty() && !env->starts_with('/')) {
        if (std::optional<std::string> cwd = working_directory(pid)) env = (std::filesystem::path(*cwd) / *env).string();
    }
    ChosenPolicy chosen;
    chosen.location = discover_policy(env ? env->c_str() : nullptr, secure, TCPKEEP_SYSCONF_POLICY);
    chosen.load = load_policy(chosen.location, secure);
    return chosen;
}

}  // namespace tcpkeep::cli
