#include "tools/inspection/memory_maps.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <string_view>

#include "system/unique_fd.h"
#include "tools/inspection/process_facts.h"
#include "tools/inspection/target_error.h"

namespace tcpkeep::cli {

std::optional<MappedFile> parse_maps_line(std::string_view line) {
    constexpr std::string_view deleted_suffix = " (deleted)";
    // "start-end perms offset major:minor inode   path": the path starts after the inode's padding.
    const std::string text(line.substr(0, std::min<std::size_t>(line.size(), 128)));
    MappedFile m;
    unsigned major = 0, minor = 0;
    int path_at = 0;
    if (std::sscanf(text.c_str(), "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %x:%x %" SCNu64 " %n", &m.start, &m.end, &m.offset, &major, &minor,
                    &m.inode, &path_at) < 6 ||
        path_at <= 0 || static_cast<std::size_t>(path_at) >= line.size() || line[static_cast<std::size_t>(path_at)] != '/')
        return std::nullopt;
    m.device = makedev(major, minor);
    m.path = std::string(line.substr(static_cast<std::size_t>(path_at)));
    m.deleted = m.path.ends_with(deleted_suffix);
    if (m.deleted) m.path.resize(m.path.size() - deleted_suffix.size());
    return m;
}

std::vector<MappedFile> mapped_files(pid_t pid, const std::function<bool(const std::string& path)>& wanted) {
    const std::string path = proc_path(pid, "maps");
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) throw_target_error(pid, path, errno);
    std::vector<MappedFile> files;
    std::string pending;  // the start of a line the last read cut
    std::size_t total = 0;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_target_error(pid, path, errno);
        if (n == 0) break;
        total += static_cast<std::size_t>(n);
        if (total > max_maps_bytes)
            throw TargetError(
                fmt::format("process {}: not inspected: its list of mappings ({}) is larger than {} MiB", pid, path, max_maps_bytes >> 20));
        pending.append(buf, static_cast<std::size_t>(n));
        std::size_t start = 0;
        for (std::size_t end; (end = pending.find('\n', start)) != std::string::npos; start = end + 1) {
            std::optional<MappedFile> m = parse_maps_line(std::string_view(pending).substr(start, end - start));
            if (m && files.size() < max_mappings_kept && wanted(m->path)) files.push_back(std::move(*m));
        }
        pending.erase(0, start);
    }
    return files;
}

}  // namespace tcpkeep::cli
