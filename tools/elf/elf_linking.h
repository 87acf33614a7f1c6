// Whether an executable can take LD_PRELOAD at all: only programs with a program interpreter
// (PT_INTERP, the dynamic loader) read it; static and static-pie executables never do.
#pragma once
#include <string>

#include "config/result.h"

namespace tcpkeep::cli {

enum class Linking { dynamic, static_executable, not_elf };

// Reads the ELF header and program headers of `path` (e.g. /proc/PID/exe); the error when it
// cannot be opened (Error::code: the errno).
Result<Linking> executable_linking(const std::string& path);

}  // namespace tcpkeep::cli
