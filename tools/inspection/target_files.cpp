#include "tools/inspection/target_files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "system/policy_file.h"
#include "system/unique_fd.h"
#include "tools/elf/elf_image.h"
#include "tools/inspection/process_facts.h"
#include "tools/inspection/read_as_target.h"
#include "tools/inspection/target_error.h"

namespace tcpkeep::cli {
namespace {

TargetCredentials credentials_or_throw(pid_t pid) {
    const std::string path = proc_path(pid, "status");
    const Result<std::string> status = read_small_file(path);
    if (!status) throw_target_error(pid, path, status.error().code);
    Result<TargetCredentials> who = parse_credentials(*status);
    if (!who) throw TargetError(fmt::format("process {}: {}: {}", pid, path, who.error().message));
    return std::move(who).value();
}

bool refused(int error) { return error == EACCES || error == EPERM; }

Error system_error(const char* what) { return Error{fmt::format("{}: {}", what, std::strerror(errno)), errno}; }

// `path` looked up inside `root` as the process's own lookups go (".." and absolute links stay
// inside it), without /proc's magic links, and not opened: O_PATH.
Result<UniqueFd> look_up_in_root(const std::string& root, const std::string& path) {
    UniqueFd dir(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!dir.valid()) return system_error("its root directory");
    open_how how{};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    const long fd = ::syscall(SYS_openat2, dir.get(), path.c_str(), &how, sizeof how);
    if (fd < 0) return Error{std::strerror(errno), errno};
    return UniqueFd(static_cast<int>(fd));
}

// A regular file, re-opened for reading from what was looked at.
Result<UniqueFd> open_regular(const UniqueFd& looked) {
    struct stat st {};
    if (::fstat(looked.get(), &st) != 0) return system_error("fstat");
    if (!S_ISREG(st.st_mode)) return Error{"not a regular file", EINVAL};
    UniqueFd file(::open(fmt::format("/proc/self/fd/{}", looked.get()).c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!file.valid()) return Error{std::strerror(errno), errno};
    return file;
}

// The mapped file: map_files (needs CAP_SYS_ADMIN), else the path in the process's root, accepted
// only when it is the very inode the process mapped.
Result<UniqueFd> open_mapping(pid_t pid, const MappedFile& m, const std::string& root) {
    UniqueFd mapped(::open(proc_path(pid, fmt::format("map_files/{:x}-{:x}", m.start, m.end)).c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (mapped.valid()) return mapped;
    if (!refused(errno)) return system_error("map_files");
    Result<UniqueFd> looked = look_up_in_root(root, m.path);
    if (!looked) return looked.error();
    struct stat st {};
    if (::fstat(looked->get(), &st) != 0) return system_error("fstat");
    if (st.st_ino != m.inode || st.st_dev != m.device) return Error{"the file at its path is not the one mapped", ESTALE};
    return open_regular(*looked);
}

// Whom to act as for `pid`: its credentials when the tool runs as root; a tool that does not may
// open only what its own user may, and takes on nothing.
std::optional<TargetCredentials> acting_as(pid_t pid) {
    if (::geteuid() != 0) return std::nullopt;
    return credentials_or_throw(pid);
}

}  // namespace

Result<std::string> read_policy_as_target(pid_t pid, const std::string& path, bool secure) {
    const std::optional<TargetCredentials> who = acting_as(pid);
    const uid_t user = who ? who->effective_uid : effective_uid(pid);
    return run_for_target(
        pid, who ? &*who : nullptr,
        [&](const std::string& root) -> Result<std::string> {
            PolicyTrust trust = trust_of(user, secure, root);
            trust.through_proc = false;
            Result<std::string> text = read_policy_text(path, trust);
            if (!text && refused(text.error().code)) return Error{"the process cannot read it", text.error().code};
            return text;
        },
        max_policy_bytes);
}

Result<void> library_readable_by(pid_t pid, const std::string& library) {
    const std::optional<TargetCredentials> who = acting_as(pid);
    const Result<std::string> answer = run_for_target(
        pid, who ? &*who : nullptr,
        [&](const std::string& root) -> Result<std::string> {
            Result<UniqueFd> looked = look_up_in_root(root, library);
            if (!looked) return looked.error();
            struct stat st {};
            if (::fstat(looked->get(), &st) != 0) return system_error("fstat");
            if (!S_ISREG(st.st_mode)) return Error{"not a regular file", EINVAL};
            if (::faccessat(looked->get(), "", R_OK, AT_EMPTY_PATH | AT_EACCESS) != 0)
                return refused(errno) ? Error{"the process cannot read it", errno} : system_error("access");
            return std::string();
        },
        0);
    if (!answer) return answer.error();
    return {};
}

Result<std::optional<MappedFileSymbols>> dynamic_symbol_of_mapping(pid_t pid, const MappedFile& mapping, const std::string& symbol) {
    const Result<std::string> answer = run_for_target(
        pid, nullptr,
        [&](const std::string& root) -> Result<std::string> {
            Result<UniqueFd> file = open_mapping(pid, mapping, root);
            if (!file) return file.error();
            const Result<ElfImage> image = ElfImage::adopt(std::move(file).value());
            if (!image) return image.error();
            const std::optional<ElfSymbol> found = image->dynamic_symbol(symbol);
            const std::optional<std::uint64_t> first_load = image->first_load_address();
            if (!found || !first_load) return std::string();
            return fmt::format("{} {} {}", *first_load, found->address, found->size);
        },
        256);
    if (!answer) return answer.error();
    MappedFileSymbols s;
    if (answer->empty() ||
        std::sscanf(answer->c_str(), "%" SCNu64 " %" SCNu64 " %" SCNu64, &s.first_load_address, &s.symbol_address, &s.symbol_size) != 3)
        return std::optional<MappedFileSymbols>();
    return std::optional<MappedFileSymbols>(s);
}

}  // namespace tcpkeep::cli
