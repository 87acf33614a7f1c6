// The files mapped into a running process, from /proc/PID/maps.
#pragma once
#include <sys/types.h>
#include <cstdint>
#include <string>
#include <vector>

namespace tcpkeep::cli {

struct MappedFile {
    std::uint64_t start = 0;   // address of the mapping
    std::uint64_t offset = 0;  // file offset it maps from
    std::uint64_t inode = 0;   // the file's inode when it was mapped
    std::string path;          // as the process sees it (its mount namespace)
    bool deleted = false;      // removed or replaced on disk since (" (deleted)" in maps)
};

// Every file-backed mapping, in address order; pseudo entries ([heap], [vdso], anonymous) are left
// out. Throws TargetError when the process is gone or may not be read.
std::vector<MappedFile> mapped_files(pid_t pid);

}  // namespace tcpkeep::cli
