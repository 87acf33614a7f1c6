#include "tools/cgroup/cgroup_lookup.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cstdio>
#include <filesystem>

#include "system/small_file.h"
#include "tools/cgroup/mount_table.h"

namespace tcpkeep {
namespace {

constexpr long cgroup2_magic = 0x63677270;  // CGROUP2_SUPER_MAGIC

// "/a/b" for `inner` below the mount, normalised; an error when it leads outside.
Result<std::string> normal_path(const std::string& mount, const std::string& inner, const std::string& shown) {
    std::string path = std::filesystem::path("/" + inner).lexically_normal().string();
    if (path.size() > 1 && path.back() == '/') path.pop_back();
    if (path.rfind("/..", 0) == 0) return Error{fmt::format("{}: not inside the cgroup v2 hierarchy at {}", shown, mount), 0};
    return path;
}

// The cgroup at `inner` below the mount; an error when it is not an existing cgroup v2 directory.
Result<Cgroup> cgroup_in(const std::string& mount, const std::string& inner, const std::string& shown) {
    Result<std::string> path = normal_path(mount, inner, shown);
    if (!path) return path.error();
    Cgroup t{mount, *path};
    struct statfs fs {};
    struct stat st {};
    if (::stat(t.directory().c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
        return Error{fmt::format("{}: no such cgroup ({} does not exist)", shown, t.directory()), ENOENT};
    if (::statfs(t.directory().c_str(), &fs) != 0 || fs.f_type != cgroup2_magic)
        return Error{fmt::format("{}: {} is not in a cgroup v2 hierarchy", shown, t.directory()), 0};
    return t;
}

// The mount and what of `path` lies below it: a directory under the mount, or a path in the hierarchy.
std::string below_mount(const std::string& mount, const std::string& path) {
    return path == mount || path.rfind(mount + "/", 0) == 0 ? path.substr(mount.size()) : path;
}

}  // namespace

Result<std::string> cgroup_v2_mount() {
    if (std::optional<std::string> m = find_mount_now("cgroup2")) return *m;
    return Error{"no cgroup v2 hierarchy is mounted (none in /proc/self/mountinfo showing its root); cgroup mode needs one", 0};
}

Result<Cgroup> cgroup_from_path(const std::string& path) {
    Result<std::string> mount = cgroup_v2_mount();
    if (!mount) return mount.error();
    return cgroup_in(*mount, below_mount(*mount, path), path);
}

Result<std::string> hierarchy_path(const std::string& path) {
    Result<std::string> mount = cgroup_v2_mount();
    if (!mount) return mount.error();
    return normal_path(*mount, below_mount(*mount, path), path);
}

bool cgroup_paths_nested(const std::string& a, const std::string& b) {
    const auto within = [](const std::string& inner, const std::string& outer) {
        return outer == "/" || (inner.compare(0, outer.size(), outer) == 0 && (inner.size() == outer.size() || inner[outer.size()] == '/'));
    };
    return within(a, b) || within(b, a);
}

Result<Cgroup> cgroup_of_process(pid_t pid) {
    Result<std::string> mount = cgroup_v2_mount();
    if (!mount) return mount.error();
    const Result<std::string> text = read_small_file(proc_path(pid, "cgroup"));
    if (!text) return Error{fmt::format("process {}: no such process", pid), ESRCH};
    for (std::size_t at = 0; at < text->size();) {
        const std::size_t end = std::min(text->find('\n', at), text->size());
        const std::string line = text->substr(at, end - at);
        if (line.rfind("0::", 0) == 0) return cgroup_in(*mount, line.substr(3), fmt::format("process {}", pid));
        at = end + 1;
    }
    return Error{fmt::format("process {}: not in the cgroup v2 hierarchy (no 0:: line in /proc/{}/cgroup)", pid, pid), 0};
}

Result<Cgroup> cgroup_of_unit(const std::string& unit) {
    if (unit.empty() || unit[0] == '-') return Error{fmt::format("{}: not a unit name", unit), 0};
    int fds[2];
    if (::pipe(fds) != 0) return system_error();
    const pid_t child = ::fork();
    if (child == 0) {
        ::dup2(fds[1], 1);
        ::close(fds[0]);
        ::execlp("systemctl", "systemctl", "show", "--property=ControlGroup", "--value", "--", unit.c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    ::close(fds[1]);
    std::string out;
    char buf[512];
    for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
    ::close(fds[0]);
    int status = 0;
    if (child < 0 || ::waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return Error{fmt::format("unit {}: systemctl could not tell its cgroup (is systemd running?)", unit), 0};
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    if (out.empty()) return Error{fmt::format("unit {}: has no cgroup (not loaded, or not running)", unit), ENOENT};
    Result<std::string> mount = cgroup_v2_mount();
    if (!mount) return mount.error();
    return cgroup_in(*mount, out, fmt::format("unit {}", unit));
}

}  // namespace tcpkeep
