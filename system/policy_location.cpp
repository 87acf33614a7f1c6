#include "system/policy_location.h"

#include <sys/stat.h>

namespace tcpkeep {

PolicyLocation discover_policy(const char* env_policy, bool secure, const std::string& system_path) {
    if (!secure && env_policy != nullptr && *env_policy != '\0') return {PolicyLocation::Kind::environment, env_policy};
    struct stat st {};
    if (::stat(system_path.c_str(), &st) == 0) return {PolicyLocation::Kind::system, system_path};
    return {PolicyLocation::Kind::embedded, ""};
}

}  // namespace tcpkeep
