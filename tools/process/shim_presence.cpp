#include "tools/process/shim_presence.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

#include "tools/elf/elf_linking.h"
#include "tools/process/memory_maps.h"
#include "tools/process/process_facts.h"
#include "tools/process/target_error.h"

namespace tcpkeep::cli {
namespace {

std::optional<std::string> mapped_shim(pid_t pid) {
    // A library file replaced since it was mapped (an upgrade) is still the one loaded.
    for (const MappedFile& file : mapped_files(pid))
        if (is_shim_path(file.path)) return file.path;
    return std::nullopt;
}

// Opens the library as the target would see it (its root directory), as far as we can tell.
Result<void> try_open(pid_t pid, const std::string& library) {
    const std::string in_root = library.starts_with('/') ? proc_path(pid, "root") + library : library;
    int fd = ::open(in_root.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == EACCES && in_root != library) fd = ::open(library.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        return Error{std::strerror(error), error};
    }
    ::close(fd);
    return {};
}

std::string why_not_loaded(pid_t pid, std::optional<std::string>& preload_entry) {
    const std::string exe = proc_path(pid, "exe");
    const Result<Linking> linking = executable_linking(exe);
    if (!linking) {
        const int error = linking.error().code;
        if (error == EACCES || error == EPERM || error == ENOENT) throw_target_error(pid, exe, error);
    } else if (*linking == Linking::static_executable) {
        return "statically linked: the executable has no program interpreter, so LD_PRELOAD is never read (use tcpkeep apply)";
    }
    if (secure_execution(pid))
        return "secure execution (setuid/setgid or file capabilities, AT_SECURE): the dynamic loader ignores LD_PRELOAD "
               "paths outside the system library directories (use tcpkeep apply)";
    const std::optional<std::string> preload = environment_variable(pid, "LD_PRELOAD");
    if (!preload) return "LD_PRELOAD is absent from the process's environment";
    preload_entry = shim_in_preload(*preload);
    if (!preload_entry) return fmt::format("LD_PRELOAD ({}) does not name libtcpkeep.so", *preload);
    if (const Result<void> opened = try_open(pid, *preload_entry); !opened)
        return fmt::format("the library path in LD_PRELOAD is unreadable: {}: {}", *preload_entry, opened.error().message);
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
    p.path = mapped_shim(pid);
    p.loaded = p.path.has_value();
    if (!p.loaded) p.why_not = why_not_loaded(pid, p.path);
    return p;
}

}  // namespace tcpkeep::cli
