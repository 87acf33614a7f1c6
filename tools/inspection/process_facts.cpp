#include "tools/inspection/process_facts.h"

#include <elf.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstring>

#include "tools/inspection/target_error.h"

namespace tcpkeep::cli {
namespace {

std::string read_or_throw(pid_t pid, std::string_view entry) {
    const std::string path = proc_path(pid, entry);
    Result<std::string> data = read_small_file(path);
    if (!data) throw_target_error(pid, path, data.error().code);
    return std::move(data).value();
}

std::optional<std::string> read_link(const std::string& path) {
    char buf[PATH_MAX];
    const ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    if (n < 0 || static_cast<std::size_t>(n) >= sizeof buf) return std::nullopt;
    return std::string(buf, static_cast<std::size_t>(n));
}

}  // namespace

std::optional<std::string> executable_of(pid_t pid) { return read_link(proc_path(pid, "exe")); }

std::optional<std::string> environment_variable(pid_t pid, std::string_view name) {
    const std::string environ = read_or_throw(pid, "environ");
    std::size_t start = 0;
    while (start < environ.size()) {
        std::size_t end = environ.find('\0', start);
        if (end == std::string::npos) end = environ.size();
        const std::string_view entry(environ.data() + start, end - start);
        if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=') return std::string(entry.substr(name.size() + 1));
        start = end + 1;
    }
    return std::nullopt;
}

uid_t effective_uid(pid_t pid) {
    const std::string status = read_or_throw(pid, "status");
    const std::size_t line = status.find("\nUid:");
    unsigned long real = 0, effective = 0;
    if (line == std::string::npos || std::sscanf(status.c_str() + line + 5, "%lu %lu", &real, &effective) != 2)
        throw TargetError(fmt::format("process {}: no Uid line in {}", pid, proc_path(pid, "status")));
    return static_cast<uid_t>(effective);
}

std::optional<pid_t> parent_of(pid_t pid) {
    const std::string status = read_or_throw(pid, "status");
    const std::size_t line = status.find("\nPPid:");
    long parent = 0;
    if (line == std::string::npos || std::sscanf(status.c_str() + line + 6, "%ld", &parent) != 1 || parent <= 0) return std::nullopt;
    return static_cast<pid_t>(parent);
}

bool secure_execution(pid_t pid) {
    // The auxiliary vector: (type, value) pairs of the target's word size; ours is the same
    // (a 32-bit target on a 64-bit tool would need Elf32 pairs: not supported).
    const std::string auxv = read_or_throw(pid, "auxv");
    for (std::size_t at = 0; at + sizeof(Elf64_auxv_t) <= auxv.size(); at += sizeof(Elf64_auxv_t)) {
        Elf64_auxv_t entry{};
        std::memcpy(&entry, auxv.data() + at, sizeof entry);
        if (entry.a_type == AT_SECURE) return entry.a_un.a_val != 0;
        if (entry.a_type == AT_NULL) break;
    }
    return false;
}

std::optional<std::string> working_directory(pid_t pid) { return read_link(proc_path(pid, "cwd")); }

}  // namespace tcpkeep::cli
