#include "tools/cgroup/cgroup_members.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "system/small_file.h"

namespace tcpkeep {
namespace {

// Bounds on what the processes in a cgroup can make us read.
constexpr std::size_t max_cgroups = 100000;
constexpr std::size_t max_processes = 1000000;

std::uint64_t inode_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

void read_processes(const std::string& directory, std::vector<pid_t>& out) {
    const Result<std::string> procs = read_small_file(directory + "/cgroup.procs");
    for (const char* at = procs ? procs->c_str() : ""; out.size() < max_processes;) {
        char* end = nullptr;
        const long pid = std::strtol(at, &end, 10);
        if (end == at) break;
        if (pid > 0) out.push_back(static_cast<pid_t>(pid));
        at = end;
    }
}

std::string link_target(const std::string& path) {
    char buffer[256];
    const ssize_t n = ::readlink(path.c_str(), buffer, sizeof buffer);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

CgroupMembers cgroup_members(const Cgroup& cgroup, const std::function<bool(std::uint64_t)>& has_own_attachment) {
    CgroupMembers out;
    std::vector<std::string> pending{cgroup.directory()};
    while (!pending.empty() && out.cgroups.size() < max_cgroups) {
        const std::string directory = std::move(pending.back());
        pending.pop_back();
        const std::uint64_t id = inode_of(directory);
        if (id == 0 || (!out.cgroups.empty() && has_own_attachment(id))) continue;  // the nearest attachment decides there
        out.cgroups.push_back(id);
        read_processes(directory, out.processes);
        if (DIR* d = ::opendir(directory.c_str())) {
            while (const dirent* e = ::readdir(d))
                if (e->d_type == DT_DIR && e->d_name[0] != '.') pending.push_back(directory + "/" + e->d_name);
            ::closedir(d);
        }
    }
    std::sort(out.processes.begin(), out.processes.end());
    out.processes.erase(std::unique(out.processes.begin(), out.processes.end()), out.processes.end());
    return out;
}

std::map<std::uint64_t, pid_t> namespaces_of(const std::vector<pid_t>& processes) {
    std::map<std::uint64_t, pid_t> out;
    for (const pid_t pid : processes)
        if (const std::uint64_t ns = inode_of("/proc/" + std::to_string(pid) + "/ns/net"); ns != 0) out.emplace(ns, pid);
    return out;
}

ProcessNames process_names_of(pid_t pid) {
    const std::string dir = "/proc/" + std::to_string(pid);
    ProcessNames names;
    std::string exe = link_target(dir + "/exe");
    constexpr std::string_view deleted = " (deleted)";
    if (exe.size() > deleted.size() && exe.compare(exe.size() - deleted.size(), deleted.size(), deleted) == 0) exe.resize(exe.size() - deleted.size());
    names.exe = exe.substr(exe.rfind('/') + 1);
    if (const Result<std::string> comm = read_small_file(proc_path(pid, "comm"))) names.comm = comm->substr(0, comm->find('\n'));
    return names;
}

std::map<std::uint64_t, pid_t> socket_holders(const std::vector<pid_t>& processes) {
    std::map<std::uint64_t, pid_t> out;
    for (const pid_t pid : processes) {
        const std::string fds = "/proc/" + std::to_string(pid) + "/fd";
        DIR* d = ::opendir(fds.c_str());
        if (!d) continue;
        while (const dirent* e = ::readdir(d)) {
            const std::string target = link_target(fds + "/" + e->d_name);
            if (target.rfind("socket:[", 0) != 0) continue;
            out.emplace(std::strtoull(target.c_str() + 8, nullptr, 10), pid);  // the lowest pid first: kept
        }
        ::closedir(d);
    }
    return out;
}

}  // namespace tcpkeep
