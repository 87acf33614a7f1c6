// The BPF filesystem, where attachments are pinned: found in /proc/self/mountinfo, mounted at
// /sys/fs/bpf when nothing is.
#pragma once
#include <string>

#include "config/result.h"

namespace tcpkeep {

// The mount point, mounting it if needed (when `mount_if_missing`).
Result<std::string> bpf_filesystem(bool mount_if_missing);

}  // namespace tcpkeep
