// Where the cgroup v2 hierarchy and the BPF filesystem are mounted, from /proc/self/mountinfo:
// never assumed (a hybrid systemd layout mounts cgroup v2 at /sys/fs/cgroup/unified).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace tcpkeep {

// In the text of /proc/PID/mountinfo, the mount point (octal escapes such as \040 decoded) of the
// first mount of filesystem type `type` ("cgroup2", "bpf") that shows the whole filesystem (its
// root is "/", not a bound subdirectory) and that no later mount hides (one on the same point or
// on a directory above it).
std::optional<std::string> find_mount(std::string_view mountinfo, std::string_view type);

// The same, read from /proc/self/mountinfo now.
std::optional<std::string> find_mount_now(std::string_view type);

}  // namespace tcpkeep
