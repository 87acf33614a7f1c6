// Where the cgroup v2 hierarchy and the BPF filesystem are mounted, from /proc/mounts: never
// assumed (a hybrid systemd layout mounts cgroup v2 at /sys/fs/cgroup/unified).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace tcpkeep {

// The mount point of the first mount of filesystem type `type` ("cgroup2", "bpf") in the text of
// /proc/mounts, with its octal escapes (\040 for a space) decoded.
std::optional<std::string> find_mount(std::string_view proc_mounts, std::string_view type);

// The same, read from /proc/self/mounts now.
std::optional<std::string> find_mount_now(std::string_view type);

}  // namespace tcpkeep
