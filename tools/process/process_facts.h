// What /proc says about a running process: its executable, environment, secure-execution flag and
// working directory. Each reader reports access problems as a TargetError.
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace tcpkeep::cli {

// "/proc/PID/ENTRY".
std::string proc_path(pid_t pid, std::string_view entry);

// The whole file, or nullopt with errno set.
std::optional<std::string> read_small_file(const std::string& path);

// Canonical path of /proc/PID/exe (" (deleted)" kept as the kernel shows it); nullopt when the
// link cannot be read.
std::optional<std::string> executable_of(pid_t pid);

// A variable from the environment the process was started with (/proc/PID/environ).
std::optional<std::string> environment_variable(pid_t pid, std::string_view name);

// AT_SECURE from /proc/PID/auxv: setuid/setgid or capability-gaining exec.
bool secure_execution(pid_t pid);

// The process's working directory, to resolve relative paths the way it would.
std::optional<std::string> working_directory(pid_t pid);

}  // namespace tcpkeep::cli
