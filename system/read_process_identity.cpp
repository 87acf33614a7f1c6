#include "system/read_process_identity.h"

#include <unistd.h>
#include <climits>
#include <string>
#include <string_view>

#include "system/small_file.h"

namespace tcpkeep {
namespace {

std::string base_name(const std::string& path) {
    const auto slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

ProcessIdentity read_process_identity(pid_t pid) {
    ProcessIdentity who;
    char buf[PATH_MAX];
    const std::string exe = proc_path(pid, "exe");
    const ssize_t n = ::readlink(exe.c_str(), buf, sizeof buf - 1);
    if (n > 0) {
        who.exe_path.assign(buf, static_cast<std::size_t>(n));
        constexpr std::string_view deleted = " (deleted)";
        if (who.exe_path.ends_with(deleted)) who.exe_path.resize(who.exe_path.size() - deleted.size());
        who.exe_name = base_name(who.exe_path);
    }
    const std::string cmdline = read_small_file(proc_path(pid, "cmdline")).value_or(std::string());
    who.argv0_name = base_name(cmdline.substr(0, cmdline.find('\0')));
    who.comm = read_small_file(proc_path(pid, "comm")).value_or(std::string());
    if (!who.comm.empty() && who.comm.back() == '\n') who.comm.pop_back();
    return who;
}

}  // namespace tcpkeep
