// Is libtcpkeep.so loaded into a running process, and if not, why not.
#pragma once
#include <sys/types.h>
#include <optional>
#include <string>
#include <vector>

#include "tools/inspection/memory_maps.h"

namespace tcpkeep::cli {

struct ShimPresence {
    bool loaded = false;
    std::optional<std::string> path;     // mapped library; when not loaded, the LD_PRELOAD entry naming it
    std::optional<std::string> why_not;  // set when not loaded
    std::optional<MappedFile> base;      // the library's mapping at file offset 0 (its load base), when loaded
};

// Reads /proc/PID/maps, and when the shim is absent /proc/PID/exe, auxv and environ to say why:
// statically linked, secure execution, LD_PRELOAD absent, or the library path unreadable by the
// process (looked at as the process would, never opened when it is not a regular file).
// Throws TargetError.
ShimPresence shim_presence(pid_t pid);

// The entries of an LD_PRELOAD value, separated by ':' or spaces as ld.so reads it.
std::vector<std::string> preload_entries(const std::string& ld_preload);

// The entry of an LD_PRELOAD value naming the shim.
std::optional<std::string> shim_in_preload(const std::string& ld_preload);

// True when `path`'s file name is the shim's (libtcpkeep.so).
bool is_shim_path(const std::string& path);

}  // namespace tcpkeep::cli
