// Files a target process names (its policy path, its LD_PRELOAD entries) and the library it has
// mapped, opened the way the trust model (README, Security) asks: in the target's mount namespace,
// as the target could open them, never through /proc's links, never a FIFO or a device, with a
// deadline and a size limit.
#pragma once
#include <sys/types.h>
#include <cstdint>
#include <optional>
#include <string>

#include "config/result.h"
#include "tools/inspection/memory_maps.h"

namespace tcpkeep::cli {

// The policy at `path` as the process sees it, read with its credentials and trusted as it would
// trust it (policy_trust.h); `secure`: the process runs with AT_SECURE. A file the process may not
// read comes back as "the process cannot read it" and nothing else about it.
Result<std::string> read_policy_as_target(pid_t pid, const std::string& path, bool secure);

// Whether the process could open `library` (an absolute LD_PRELOAD entry) for reading: a regular
// file it may read, or why not.
Result<void> library_readable_by(pid_t pid, const std::string& library);

// The file behind a mapping of the process, as the kernel mapped it (/proc/PID/map_files: never a
// namesake put at its path since), opened in the child that runs `read` on it.
struct MappedFileSymbols {
    std::uint64_t first_load_address = 0;
    std::uint64_t symbol_address = 0;
    std::uint64_t symbol_size = 0;
};
Result<std::optional<MappedFileSymbols>> dynamic_symbol_of_mapping(pid_t pid, const MappedFile& mapping, const std::string& symbol);

}  // namespace tcpkeep::cli
