#include "tools/inspection/process_lookup.h"

#include <dirent.h>
#include <unistd.h>
#include <algorithm>
#include <charconv>
#include <memory>

#include "tools/inspection/process_facts.h"

namespace tcpkeep::cli {
namespace {

bool has_name(pid_t pid, const std::string& name) {
    Result<std::string> comm = read_small_file(proc_path(pid, "comm"));
    if (comm && !comm->empty() && comm->back() == '\n') comm->pop_back();
    if (comm && *comm == name) return true;
    std::optional<std::string> exe = executable_of(pid);
    if (!exe) return false;  // kernel thread, or not ours to read
    constexpr std::string_view deleted = " (deleted)";
    if (exe->ends_with(deleted)) exe->resize(exe->size() - deleted.size());
    return exe->substr(exe->rfind('/') + 1) == name;
}

}  // namespace

std::vector<pid_t> all_pids() {
    std::vector<pid_t> pids;
    std::unique_ptr<DIR, int (*)(DIR*)> proc(::opendir("/proc"), ::closedir);
    if (!proc) return pids;
    const pid_t self = ::getpid();
    while (const dirent* d = ::readdir(proc.get())) {
        pid_t pid = 0;
        const std::string_view entry = d->d_name;
        auto [end, ec] = std::from_chars(entry.data(), entry.data() + entry.size(), pid);
        if (ec == std::errc{} && end == entry.data() + entry.size() && pid != self) pids.push_back(pid);
    }
    std::sort(pids.begin(), pids.end());
    return pids;
}

std::vector<pid_t> pids_named(const std::string& name) {
    std::vector<pid_t> pids = all_pids();
    std::erase_if(pids, [&](pid_t pid) { return !has_name(pid, name); });
    return pids;
}

}  // namespace tcpkeep::cli
