// Work done on a target process's behalf, away from root's tool: a short-lived child that holds
// the target's root directory (its mount namespace's view) and, when asked, takes on the target's
// credentials before it looks anything up, so it opens only what the target could open itself.
// The child is killed when it has not answered within a deadline: a file on a FUSE mount the
// target serves, or on a file system that does not answer, costs the tool that long and no more.
#pragma once
#include <sys/types.h>
#include <chrono>
#include <cstddef>
#include <functional>
#include <string>

#include "config/result.h"
#include "tools/inspection/target_credentials.h"

namespace tcpkeep::cli {

inline constexpr std::chrono::milliseconds target_read_deadline{2000};

// `work` gets the target's root directory as a path ("/proc/self/fd/N" in the child) and returns
// at most `limit` bytes, or an error. `as`: the credentials to take on first, or null to keep the
// tool's own (for files the kernel itself names, like a mapped library). An Error's code is
// ETIMEDOUT when the deadline passed.
using TargetWork = std::function<Result<std::string>(const std::string& root)>;
Result<std::string> run_for_target(pid_t pid, const TargetCredentials* as, const TargetWork& work, std::size_t limit);

}  // namespace tcpkeep::cli
