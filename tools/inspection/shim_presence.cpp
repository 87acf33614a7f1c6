#include "tools/inspection/shim_presence.h"

#include <fmt/format.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "tools/elf/elf_linking.h"
#include "tools/inspection/process_facts.h"
#include "tools/inspection/target_error.h"
#include "tools/inspection/target_files.h"

namespace tcpkeep::cli {
namespace {

std::string why_not_loaded(pid_t pid, std::optional<std::string>& preload_entry) {
    const std::string exe = proc_path(pid, "exe");
    const Result<Linking> linking = executable_linking(exe);
    if (!linking) {
        const int error = linking.error().code;
        if (error == EACCES || error == EPERM || error == ENOENT) throw_target_error(pid, exe, error);
    } else if (*linking == Linking::static_executable) {
        return "statically linked: the executable has no program interpreter, so LD_PRELOAD is never read";
    }
    if (secure_execution(pid))
        return "secure execution (setuid/setgid or file capabilities, AT_SECURE): the dynamic loader ignores LD_PRELOAD "
               "paths outside the system library directories";
    const std::optional<std::string> preload = environment_variable(pid, "LD_PRELOAD");
    if (!preload) return "LD_PRELOAD is absent from the process's environment";
    preload_entry = shim_in_preload(*preload);
    if (!preload_entry) return fmt::format("LD_PRELOAD ({}) does not name libtcpkeep.so", *preload);
    if (preload_entry->starts_with('/')) {
        if (const Result<void> readable = library_readable_by(pid, *preload_entry); !readable)
            return fmt::format("the library path in LD_PRELOAD is unreadable: {}: {}", *preload_entry, readable.error().message);
    }
    return fmt::format("LD_PRELOAD names {} but it is not mapped: the dynamic loader rejected it (see the program's stderr at start)",
                       *preload_entry);
}

}  // namespace

bool is_shim_path(const std::string& path) {
    const std::size_t slash = path.rfind('/');
    return path.compare(slash == std::string::npos ? 0 : slash + 1, std::string::npos, TCPKEEP_SHIM_FILE_NAME) == 0;
}

std::vector<std::string> preload_entries(const std::string& ld_preload) {
    std::vector<std::string> entries;
    std::size_t start = 0;
    while (start <= ld_preload.size()) {
        const std::size_t end = std::min(ld_preload.find_first_of(": ", start), ld_preload.size());
        if (end > start) entries.push_back(ld_preload.substr(start, end - start));
        start = end + 1;
    }
    return entries;
}

std::optional<std::string> shim_in_preload(const std::string& ld_preload) {
    for (const std::string& entry : preload_entries(ld_preload))
        if (is_shim_path(entry)) return entry;
    return std::nullopt;
}

ShimPresence shim_presence(pid_t pid) {
    ShimPresence p;
    // A library file replaced since it was mapped (an upgrade) is still the one loaded.
    std::vector<MappedFile> shims = mapped_files(pid, is_shim_path);
    if (!shims.empty()) p.path = shims.front().path;
    for (MappedFile& m : shims)
        if (m.offset == 0 && m.path == p.path) p.base = std::move(m);
    p.loaded = p.path.has_value();
    if (!p.loaded) p.why_not = why_not_loaded(pid, p.path);
    return p;
}

}  // namespace tcpkeep::cli
