#include "tools/inspection/target_error.h"

#include <fmt/format.h>
#include <cerrno>
#include <cstring>

namespace tcpkeep::cli {

void throw_target_error(pid_t pid, const std::string& what, int error) {
    switch (error) {
        case ENOENT:
        case ESRCH: throw TargetError(fmt::format("process {}: no such process", pid));
        case EACCES:
        case EPERM: throw TargetError(fmt::format("process {}: permission denied ({}): {}", pid, what, ptrace_requirement));
        default: throw TargetError(fmt::format("process {}: {}: {}", pid, what, std::strerror(error)));
    }
}

}  // namespace tcpkeep::cli
