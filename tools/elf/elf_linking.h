// Whether an executable can take LD_PRELOAD at all: only programs with a program interpreter
// (PT_INTERP, the dynamic loader) read it; static and static-pie executables never do.
#pragma once
#include <string>

namespace tcpkeep::cli {

enum class Linking { dynamic, static_executable, not_elf, unreadable };

// Reads the ELF header and program headers of `path` (e.g. /proc/PID/exe). errno is set for unreadable.
Linking executable_linking(const std::string& path);

}  // namespace tcpkeep::cli
