#include "system/policy_trust.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace tcpkeep {

PolicyTrust trust_of(uid_t euid, bool secure, std::string root) { return PolicyTrust{secure ? 0 : euid, secure, std::move(root)}; }

PolicyTrust trust_of_this_process(bool secure) { return trust_of(::geteuid(), secure); }

namespace {

constexpr int max_symlinks = 40;  // the kernel's limit: more on one lookup is a loop (ELOOP)

std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    for (std::size_t start = 0;;) {
        const std::size_t end = text.find(separator, start);
        parts.push_back(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return parts;
        start = end + 1;
    }
}

// The names a path goes through, without the empty ones ("a//b", "/a/") and ".".
std::vector<std::string> path_names(std::string_view path) {
    std::vector<std::string> names;
    for (std::string_view name : split(path, '/'))
        if (!name.empty() && name != ".") names.emplace_back(name);
    return names;
}

std::string under_root(const std::string& root, std::string_view path) {
    return root == "/" ? fmt::format("/{}", path) : fmt::format("{}/{}", root, path);
}

std::optional<unsigned long> id_number(std::string_view text) {
    unsigned long value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
    return value;
}

// Calls `entry` with the ':'-separated fields of each line of <root>/etc/<name>. False when the file
// cannot be read or defers to NIS ("+" and "-" lines): then nothing it says is certain.
template <typename Entry>
bool for_each_entry(const std::string& root, const char* name, Entry entry) {
    std::FILE* file = std::fopen(under_root(root, fmt::format("etc/{}", name)).c_str(), "re");
    if (file == nullptr) return false;
    char* line = nullptr;
    std::size_t capacity = 0;
    bool certain = true;
    for (ssize_t n; certain && (n = ::getline(&line, &capacity, file)) >= 0;) {
        std::string_view text(line, static_cast<std::size_t>(n));
        if (!text.empty() && text.back() == '\n') text.remove_suffix(1);
        if (text.empty() || text.front() == '#') continue;
        if (text.front() == '+' || text.front() == '-')
            certain = false;
        else
            entry(split(text, ':'));
    }
    certain = certain && !std::ferror(file);
    std::free(line);
    std::fclose(file);
    return certain;
}

// The owner's private group: the owner's primary group, named like the owner, with no other member
// and no other user's primary group. Only the owner (and root) can then write through it.
bool private_group(gid_t gid, uid_t owner, const std::string& root) {
    std::string owner_name;
    bool owner_primary = false;
    bool shared = false;
    const bool read_users = for_each_entry(root, "passwd", [&](const std::vector<std::string_view>& f) {
        if (f.size() < 4) return;
        const std::optional<unsigned long> uid = id_number(f[2]), primary = id_number(f[3]);
        if (!uid || !primary) return;
        if (*uid == owner) {
            shared = shared || !owner_name.empty();  // two names for one uid: whose group is it?
            owner_name = f[0];
            owner_primary = *primary == gid;
        } else if (*primary == gid) {
            shared = true;
        }
    });
    if (!read_users || owner_name.empty() || !owner_primary || shared) return false;
    bool named = false;
    const bool read_groups = for_each_entry(root, "group", [&](const std::vector<std::string_view>& f) {
        if (f.size() < 3 || id_number(f[2]) != gid) return;
        if (f[0] != owner_name) {
            shared = true;
            return;
        }
        named = true;
        if (f.size() > 3)
            for (std::string_view member : split(f[3], ','))
                if (!member.empty() && member != owner_name) shared = true;
    });
    return read_groups && named && !shared;
}

// "users (gid 100)", or "gid 100" when <root>/etc/group does not name it.
std::string group_label(gid_t gid, const std::string& root) {
    std::string name;
    for_each_entry(root, "group", [&](const std::vector<std::string_view>& f) {
        if (name.empty() && f.size() >= 3 && id_number(f[2]) == gid) name = f[0];
    });
    return name.empty() ? fmt::format("gid {}", gid) : fmt::format("{} (gid {})", name, gid);
}

// Whether `path` has an access ACL. Its name was looked up through trusted directories only, so
// nobody else can have replaced it since. In doubt (an unexpected error), it has one.
bool has_access_acl(const std::string& path) {
    if (::lgetxattr(path.c_str(), "system.posix_acl_access", nullptr, 0) >= 0) return true;
    return errno != ENODATA && errno != ENOTSUP;
}

Result<void> check_owner(const struct stat& st, const std::string& path, const PolicyTrust& trust) {
    if (st.st_uid == 0 || st.st_uid == trust.user) return {};
    return Error{fmt::format("policy refused: {} is owned by uid {}, not by root or the program's user (uid {}); fix: chown {}root {}", path, st.st_uid,
                             trust.user, S_ISLNK(st.st_mode) ? "-h " : "", path)};
}

// Who besides the owner may write it. A directory others may write is accepted with the sticky bit:
// then only an entry's owner may rename or remove it, and each entry is held to the rule itself.
Result<void> check_writers(const struct stat& st, const std::string& path, const PolicyTrust& trust, bool private_group_allowed) {
    const mode_t mode = st.st_mode & 07777;
    if ((mode & (S_IWGRP | S_IWOTH)) == 0 || (S_ISDIR(st.st_mode) && (mode & S_ISVTX) != 0)) return {};
    const char* no_sticky = S_ISDIR(st.st_mode) ? ", no sticky bit" : "";
    if ((mode & S_IWOTH) != 0)
        return Error{fmt::format("policy refused: {} is writable by every user (mode {:04o}{}); fix: chmod go-w {}", path, mode, no_sticky, path)};
    if (private_group_allowed && private_group(st.st_gid, st.st_uid, trust.root)) {
        // With an access ACL the group bits are its mask: the users and groups it names may write too.
        if (!has_access_acl(trust.root == "/" ? path : trust.root + path)) return {};
        return Error{fmt::format(
            "policy refused: {} is group-writable with an access ACL, which lets the users and groups it names "
            "write it (mode {:04o}{}); fix: chmod go-w {}",
            path, mode, no_sticky, path)};
    }
    return Error{fmt::format("policy refused: {} is writable by group {}, not its owner's private group (mode {:04o}{}); fix: chmod go-w {}",
                             path, group_label(st.st_gid, trust.root), mode, no_sticky, path)};
}

bool on_procfs(int fd) {
    struct statfs fs {};
    return ::fstatfs(fd, &fs) == 0 && fs.f_type == PROC_SUPER_MAGIC;
}

// A file of the kernel's own (/proc, /sys): no policy lives there, and some change on reading.
bool kernel_file(int fd) {
    struct statfs fs {};
    return ::fstatfs(fd, &fs) != 0 || fs.f_type == PROC_SUPER_MAGIC || fs.f_type == SYSFS_MAGIC;
}

using Opened = Result<OpenedPolicy, PolicyOpenError>;

PolicyOpenError io_failure(int error) { return PolicyOpenError{fmt::format("cannot open policy: {}", std::strerror(error)), error, false}; }

PolicyOpenError refusal(std::string why) { return PolicyOpenError{std::move(why), 0, true}; }

// One lookup, name by name, as the kernel does it but judging each directory and link on the way.
class Lookup {
public:
    explicit Lookup(const PolicyTrust& trust) : trust_(trust) {}

    Opened open(const std::string& path) {
        UniqueFd root(::open(trust_.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        if (!root.valid()) return io_failure(errno);
        if (Result<void> directory = check_directory(root.get(), "/"); !directory) return refusal(std::move(directory).error().message);
        dirs_.push_back(std::move(root));
        std::deque<std::string> pending;
        for (std::string& name : path_names(path)) pending.push_back(std::move(name));
        if (!path.starts_with('/') && trust_.root == "/") {
            // Relative to the working directory, which is judged like the rest: look it up by name.
            char cwd[PATH_MAX];
            if (::getcwd(cwd, sizeof cwd) == nullptr) return io_failure(errno);
            std::vector<std::string> names = path_names(cwd);
            pending.insert(pending.begin(), names.begin(), names.end());
        }
        int links = 0;
        while (!pending.empty()) {
            const std::string name = std::move(pending.front());
            pending.pop_front();
            if (name == "..") {
                if (dirs_.size() > 1) {  // ".." at the root stays there, as it does for a chrooted process
                    dirs_.pop_back();
                    names_.pop_back();
                }
                continue;
            }
            const int dir = dirs_.back().get();
            const std::string at = shown(name);
            struct stat st {};
            if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) return io_failure(errno);
            const bool kernel_link = S_ISLNK(st.st_mode) && on_procfs(dir);
            if (kernel_link && !trust_.through_proc) return refusal(outside_view(at));
            if (S_ISLNK(st.st_mode) && !kernel_link) {
                if (++links > max_symlinks) return io_failure(ELOOP);
                if (Result<void> owner = check_owner(st, at, trust_); !owner) return refusal(std::move(owner).error().message);
                char target[PATH_MAX];
                const ssize_t n = ::readlinkat(dir, name.c_str(), target, sizeof target);
                if (n < 0) return io_failure(errno);
                if (n == 0 || static_cast<std::size_t>(n) == sizeof target) return io_failure(n == 0 ? ENOENT : ENAMETOOLONG);
                const std::string_view text(target, static_cast<std::size_t>(n));
                if (text.starts_with('/')) {
                    dirs_.resize(1);
                    names_.clear();
                }
                std::vector<std::string> names = path_names(text);
                pending.insert(pending.begin(), names.begin(), names.end());
                continue;
            }
            // O_NOFOLLOW: what was judged above is what is opened, even if the name changes meanwhile.
            const int follow = kernel_link ? 0 : O_NOFOLLOW;
            if (pending.empty()) return open_file(dir, name, follow, at);
            UniqueFd next(::openat(dir, name.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC | follow));
            if (!next.valid()) return io_failure(errno);
            if (Result<void> directory = check_directory(next.get(), at); !directory) return refusal(std::move(directory).error().message);
            dirs_.push_back(std::move(next));
            names_.push_back(name);
        }
        // The path ends at a directory ("/", "a/.."): open it, for its type to be reported.
        return opened(::openat(dirs_.back().get(), ".", O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), shown(""));
    }

private:
    // The path of `name` in the directory reached so far, as the lookup resolved it.
    std::string shown(const std::string& name) const {
        std::string path;
        for (const std::string& n : names_) path += "/" + n;
        if (!name.empty()) path += "/" + name;
        return path.empty() ? "/" : path;
    }

    Result<void> check_directory(int fd, const std::string& path) const {
        if (on_procfs(fd)) return trust_.through_proc ? Result<void>() : Error{outside_view(path)};
        struct stat st {};
        if (::fstat(fd, &st) != 0) return Error{fmt::format("policy refused: cannot check {}: {}", path, std::strerror(errno))};
        Result<void> owner = check_owner(st, path, trust_);
        return owner ? check_writers(st, path, trust_, true) : owner;
    }

    static std::string outside_view(const std::string& path) {
        return fmt::format("policy refused: {} goes through /proc, which shows the reader's view of the system, not the process's", path);
    }

    // The last name: looked at (O_PATH) before it is opened, so a FIFO is never waited on and a
    // device never opened; a regular file is then opened for reading and must be the one looked at.
    static Opened open_file(int dir, const std::string& name, int follow, std::string path) {
        UniqueFd looked(::openat(dir, name.c_str(), O_PATH | O_CLOEXEC | follow));
        struct stat seen {};
        if (!looked.valid() || ::fstat(looked.get(), &seen) != 0) return io_failure(errno);
        if (!S_ISREG(seen.st_mode)) return OpenedPolicy{std::move(looked), std::move(path)};  // its type is the caller's message
        if (kernel_file(looked.get())) return PolicyOpenError{"policy is not a regular file (it is one of the kernel's, in /proc or /sys)", 0, false};
        UniqueFd file(::openat(dir, name.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | follow));
        struct stat st {};
        if (!file.valid() || ::fstat(file.get(), &st) != 0) return io_failure(errno);
        if (st.st_dev != seen.st_dev || st.st_ino != seen.st_ino) return PolicyOpenError{"policy was replaced while it was opened", 0, false};
        return OpenedPolicy{std::move(file), std::move(path)};
    }

    static Opened opened(int fd, std::string path) {
        if (fd < 0) return io_failure(errno);
        return OpenedPolicy{UniqueFd(fd), std::move(path)};
    }

    const PolicyTrust& trust_;
    std::vector<UniqueFd> dirs_;      // dirs_[0] is the root; each next one is in the one before
    std::vector<std::string> names_;  // names_[i] is the name of dirs_[i + 1]
};

}  // namespace

Result<OpenedPolicy, PolicyOpenError> open_policy(const std::string& path, const PolicyTrust& trust) {
    if (path.empty()) return io_failure(ENOENT);
    return Lookup(trust).open(path);
}

Result<void> check_file_trust(const struct stat& st, const std::string& path, const PolicyTrust& trust) {
    Result<void> writers = check_writers(st, path, trust, !trust.secure);
    return writers ? check_owner(st, path, trust) : writers;
}

}  // namespace tcpkeep
