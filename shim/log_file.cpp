#include "shim/log_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <climits>
#include <cstring>

#include "shim/real_calls.h"

namespace tcpkeep::shim {
namespace {

constexpr char required_suffix[] = ".log";
constexpr char first_bytes[] = "tcpkeep[";  // how every line the shim writes begins

LogFile refuse(const char* why) { return LogFile{-1, why, 0}; }
LogFile failed() { return LogFile{-1, nullptr, errno}; }

bool has_log_suffix(const char* name) {
    const std::size_t n = std::strlen(name);
    const std::size_t s = sizeof required_suffix - 1;
    return n > s && std::memcmp(name + n - s, required_suffix, s) == 0;
}

// Nobody but the process's user or root can add, remove or rename entries in it (a sticky bit
// does not help: in /tmp anyone may plant the name before us).
const char* untrusted_directory(const struct stat& dir) {
    if (dir.st_uid != ::geteuid() && dir.st_uid != 0) return "its directory belongs to another user";
    if ((dir.st_mode & S_IWOTH) != 0 || ((dir.st_mode & S_IWGRP) != 0 && dir.st_gid != 0)) return "its directory is writable by other users";
    return nullptr;
}

const char* unfit_file(const struct stat& file) {
    if (S_ISLNK(file.st_mode)) return "it is a symbolic link";
    if (!S_ISREG(file.st_mode)) return "it is not a regular file";
    if (file.st_uid != ::geteuid()) return "it belongs to another user";
    if (file.st_nlink != 1) return "it has other hard links";
    if ((file.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH)) != 0) return "it is executable";
    return nullptr;
}

// Empty, or a log the shim has written before: never anybody's configuration or data.
bool holds_only_tcpkeep_log(int fd, const struct stat& file) {
    if (file.st_size == 0) return true;
    char start[sizeof first_bytes - 1];
    return ::pread(fd, start, sizeof start, 0) == static_cast<ssize_t>(sizeof start) && std::memcmp(start, first_bytes, sizeof start) == 0;
}

// The file that `name` is, checked before it is opened (so a FIFO or device is never opened)
// and again through the open descriptor (the directory is ours: only we could swap it between).
LogFile append_to_existing(int dir, const char* name, const struct stat& seen) {
    if (const char* why = unfit_file(seen)) return refuse(why);
    const int fd = ::openat(dir, name, O_RDWR | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return failed();
    struct stat opened;
    const char* why = ::fstat(fd, &opened) != 0 || opened.st_dev != seen.st_dev || opened.st_ino != seen.st_ino ? "it changed while being opened"
                      : !holds_only_tcpkeep_log(fd, opened) ? "it holds something other than tcpkeep's log"
                                                              : nullptr;
    if (why == nullptr) return LogFile{fd, nullptr, 0};
    real::close(fd);
    return refuse(why);
}

LogFile open_in(int dir, const char* name) {
    for (int attempt = 0; attempt < 2; ++attempt) {  // a second try when another process created it just now
        struct stat seen;
        if (::fstatat(dir, name, &seen, AT_SYMLINK_NOFOLLOW) == 0) return append_to_existing(dir, name, seen);
        if (errno != ENOENT) return failed();
        if (::geteuid() == 0) return refuse("a process running as root does not create it: create it first (empty, owned by root)");
        const int fd = ::openat(dir, name, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC, 0600);
        if (fd >= 0 || errno != EEXIST) return fd >= 0 ? LogFile{fd, nullptr, 0} : failed();
    }
    return failed();
}

}  // namespace

LogFile open_log_file(const char* path) {
    const char* slash = std::strrchr(path, '/');
    const char* name = slash == nullptr ? path : slash + 1;
    if (!has_log_suffix(name)) return refuse("its name must end in .log");
    // The directory part, as a path of its own: symbolic links in it are followed, since what
    // counts is the directory reached, which is checked below through its descriptor.
    char directory[PATH_MAX];
    const std::size_t length = slash == nullptr ? 0 : static_cast<std::size_t>(slash - path);
    if (length >= sizeof directory) return refuse("its name is longer than any path");
    std::memcpy(directory, path, length);
    std::strcpy(directory + length, slash == nullptr ? "." : length == 0 ? "/" : "");
    const int dir = ::open(directory, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return failed();
    struct stat dir_stat;
    LogFile result = ::fstat(dir, &dir_stat) != 0 ? failed() : refuse(untrusted_directory(dir_stat));
    if (result.error == 0 && result.refused == nullptr) result = open_in(dir, name);
    real::close(dir);
    return result;
}

}  // namespace tcpkeep::shim
