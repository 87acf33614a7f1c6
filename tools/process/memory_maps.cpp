#include "tools/process/memory_maps.h"

#include <cinttypes>
#include <cstdio>
#include <sstream>
#include <string_view>

#include "tools/process/process_facts.h"
#include "tools/process/target_error.h"

namespace tcpkeep::cli {

std::vector<MappedFile> mapped_files(pid_t pid) {
    constexpr std::string_view deleted_suffix = " (deleted)";
    const std::string path = proc_path(pid, "maps");
    const Result<std::string> maps = read_small_file(path);
    if (!maps) throw_target_error(pid, path, maps.error().code);
    std::vector<MappedFile> files;
    std::istringstream lines(*maps);
    std::string line;
    while (std::getline(lines, line)) {
        // "start-end perms offset dev inode   path": the path starts after the inode's padding.
        MappedFile m;
        std::uint64_t end = 0;
        int path_at = 0;
        if (std::sscanf(line.c_str(), "%" SCNx64 "-%" SCNx64 " %*s %" SCNx64 " %*s %" SCNu64 " %n", &m.start, &end, &m.offset, &m.inode, &path_at) <
                4 ||
            path_at <= 0 || line.compare(static_cast<std::size_t>(path_at), 1, "/") != 0)
            continue;
        m.path = line.substr(static_cast<std::size_t>(path_at));
        m.deleted = m.path.ends_with(deleted_suffix);
        if (m.deleted) m.path.resize(m.path.size() - deleted_suffix.size());
        files.push_back(std::move(m));
    }
    return files;
}

}  // namespace tcpkeep::cli
