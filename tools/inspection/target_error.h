// Why a running process cannot be inspected: the messages `verify` and `apply` print with exit 2.
#pragma once
#include <sys/types.h>
#include <stdexcept>
#include <string>

namespace tcpkeep::cli {

// A problem with the whole target process (not one socket): it is gone, or we may not look. The
// one exception of tcpkeep's own code (config/result.h says why): the /proc readers several calls
// deep throw it, and the commands (tools/commands/process_selection.cpp, audit) turn it into a
// message and exit status 2 for that process while the others are still inspected. Everything else that can fail
// returns a Result.
class TargetError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// The ptrace access check every /proc/PID file and pidfd_getfd goes through, said once.
inline constexpr const char* ptrace_requirement = "needs CAP_SYS_PTRACE or the same uid (ptrace access mode PTRACE_MODE_ATTACH_REALCREDS)";

// Turns the errno of an access to `what` (e.g. "/proc/1234/fd") into a TargetError:
// ENOENT/ESRCH -> no such process, EACCES/EPERM -> permission denied and what is missing.
[[noreturn]] void throw_target_error(pid_t pid, const std::string& what, int error);

}  // namespace tcpkeep::cli
