// NAME -> pids, like pgrep NAME but exact: the kernel's comm name (15 characters at most) or the
// file name of the executable. This tool's own process is never selected.
#pragma once
#include <sys/types.h>
#include <string>
#include <vector>

namespace tcpkeep::cli {

std::vector<pid_t> pids_named(const std::string& name);

// Every process in /proc but this one, sorted.
std::vector<pid_t> all_pids();

}  // namespace tcpkeep::cli
