// The files mapped into a running process, from /proc/PID/maps. The target chooses how many
// mappings it has and how long their paths are (tens of thousands, 4 KiB each): the file is read
// in pieces, in constant memory, keeping only the mappings asked for, and at most a few of those.
#pragma once
#include <sys/types.h>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tcpkeep::cli {

struct MappedFile {
    std::uint64_t start = 0;   // address of the mapping
    std::uint64_t end = 0;     // first address after it
    std::uint64_t offset = 0;  // file offset it maps from
    dev_t device = 0;          // the file's device and inode when it was mapped
    std::uint64_t inode = 0;
    std::string path;      // as the process sees it (its mount namespace), as maps escapes it
    bool deleted = false;  // removed or replaced on disk since (" (deleted)" in maps)
};

inline constexpr std::size_t max_mappings_kept = 16;
// Far above any real process's (65,530 mappings, the default limit, with 600-byte paths), far below
// what a process may make of it (4 KiB paths): beyond it the process is not inspected.
inline constexpr std::size_t max_maps_bytes = std::size_t{64} << 20;

// The first `max_mappings_kept` file-backed mappings whose path `wanted` accepts, in address
// order; pseudo entries ([heap], [vdso], anonymous) are left out. Throws TargetError when the
// process is gone or may not be read, or its maps are larger than max_maps_bytes.
std::vector<MappedFile> mapped_files(pid_t pid, const std::function<bool(const std::string& path)>& wanted);

// One line of /proc/PID/maps, or nullopt for an anonymous or pseudo mapping (or a malformed line).
std::optional<MappedFile> parse_maps_line(std::string_view line);

}  // namespace tcpkeep::cli
