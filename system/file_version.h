// Which version of a file is at a path, as far as one stat() can tell: a file replaced by rename
// has another inode; one written in place has another size or modification time. The shim's
// engine follows edits of its policy file with it.
#pragma once
#include <sys/stat.h>
#include <cerrno>
#include <string>

namespace tcpkeep {

struct FileVersion {
    int error = 0;  // the errno of a failed stat(): no version to read
    dev_t device = 0;
    ino_t inode = 0;
    off_t size = 0;
    timespec modified{};
    timespec changed{};

    friend bool operator==(const FileVersion& a, const FileVersion& b) {
        return a.error == b.error && a.device == b.device && a.inode == b.inode && a.size == b.size && a.modified.tv_sec == b.modified.tv_sec &&
               a.modified.tv_nsec == b.modified.tv_nsec && a.changed.tv_sec == b.changed.tv_sec && a.changed.tv_nsec == b.changed.tv_nsec;
    }

    // The same file, changed in place: a writer may still be writing it.
    [[nodiscard]] bool same_file_as(const FileVersion& other) const {
        return error == 0 && other.error == 0 && device == other.device && inode == other.inode;
    }
};

// One stat() of `path`, following links (a link switched to another file is a new version).
inline FileVersion file_version(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return FileVersion{errno};
    return FileVersion{0, st.st_dev, st.st_ino, st.st_size, st.st_mtim, st.st_ctim};
}

}  // namespace tcpkeep
