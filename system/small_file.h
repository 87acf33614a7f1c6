// Small files read whole with plain syscalls (/proc, /proc/sys, cgroupfs): the one reader the shim's
// engine and the tool share. No streams: the engine runs inside other programs.
#pragma once
#include <sys/types.h>
#include <string>
#include <string_view>

#include "config/result.h"

namespace tcpkeep {

// "/proc/PID/ENTRY"; pid 0 is this process ("/proc/self/ENTRY").
std::string proc_path(pid_t pid, std::string_view entry);

// The whole file (its first `at_most` bytes), or the errno of the open or read that failed
// (Error::code).
Result<std::string> read_small_file(const std::string& path, std::size_t at_most = std::string::npos);

}  // namespace tcpkeep
