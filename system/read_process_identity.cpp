#include "system/read_process_identity.h"

#include <unistd.h>
#include <climits>
#include <string>
#include <string_view>

#include "system/small_file.h"

namespace tcpkeep {

ProcessIdentity read_process_identity(pid_t pid) {
    char buf[PATH_MAX];
    const ssize_t n = ::readlink(proc_path(pid, "exe").c_str(), buf, sizeof buf - 1);
    std::string_view executable(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    constexpr std::string_view deleted = " (deleted)";
    if (executable.ends_with(deleted)) executable.remove_suffix(deleted.size());
    // argv[0] only: a command line may be megabytes, and this runs at the shim's policy load.
    const std::string cmdline = read_small_file(proc_path(pid, "cmdline"), PATH_MAX).value_or(std::string());
    std::string comm = read_small_file(proc_path(pid, "comm")).value_or(std::string());
    if (!comm.empty() && comm.back() == '\n') comm.pop_back();
    return process_identity(executable, std::string_view(cmdline).substr(0, cmdline.find('\0')), comm);
}

}  // namespace tcpkeep
