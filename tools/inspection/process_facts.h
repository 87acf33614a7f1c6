// What /proc says about a running process: its executable, environment, secure-execution flag and
// working directory. The readers of one process's facts report access problems as a TargetError.
#pragma once
#include <sys/types.h>
#include <optional>
#include <string>
#include <string_view>

#include "system/small_file.h"

namespace tcpkeep::cli {

// Canonical path of /proc/PID/exe (" (deleted)" kept as the kernel shows it); nullopt when the
// link cannot be read.
std::optional<std::string> executable_of(pid_t pid);

// A variable from the environment the process was started with (/proc/PID/environ).
std::optional<std::string> environment_variable(pid_t pid, std::string_view name);

// The effective uid (second field of "Uid:" in /proc/PID/status): whose policy files it trusts.
uid_t effective_uid(pid_t pid);

// The parent's pid ("PPid:" in /proc/PID/status); nullopt for a process without one (pid 1, or
// a parent outside its pid namespace).
std::optional<pid_t> parent_of(pid_t pid);

// AT_SECURE from /proc/PID/auxv: setuid/setgid or capability-gaining exec.
bool secure_execution(pid_t pid);

// The process's working directory, to resolve relative paths the way it would.
std::optional<std::string> working_directory(pid_t pid);

}  // namespace tcpkeep::cli
