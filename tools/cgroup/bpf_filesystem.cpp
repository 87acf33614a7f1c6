#include "tools/cgroup/bpf_filesystem.h"

#include <fmt/format.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <cstring>

#include "tools/cgroup/mount_table.h"

namespace tcpkeep {

Result<std::string> bpf_filesystem(bool mount_if_missing) {
    if (std::optional<std::string> m = find_mount_now("bpf")) return *m;
    constexpr const char* usual = "/sys/fs/bpf";
    if (!mount_if_missing) return Error{"no BPF filesystem is mounted (none in /proc/self/mountinfo)", ENOENT};
    if (::mkdir(usual, 0700) != 0 && errno != EEXIST)
        return Error{fmt::format("BPF filesystem unavailable: cannot create {}: {}", usual, std::strerror(errno)), errno};
    if (::mount("bpf", usual, "bpf", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=0700") != 0)
        return Error{fmt::format("BPF filesystem unavailable: cannot mount it at {}: {}", usual, std::strerror(errno)), errno};
    return std::string(usual);
}

}  // namespace tcpkeep
