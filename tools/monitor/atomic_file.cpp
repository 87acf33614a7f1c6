#include "tools/monitor/atomic_file.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "system/unique_fd.h"

namespace tcpkeep::cli {
namespace {

// Every byte of `text` to `fd`, then to the disk; false with errno set otherwise.
bool write_whole(int fd, std::string_view text) {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return ::fsync(fd) == 0;
}

}  // namespace

Result<void> replace_file(const std::string& path, std::string_view text, mode_t mode) {
    // Same directory, so rename() is atomic; a name that does not end in ".prom", so the
    // collector never reads it half written.
    std::string temporary = path + ".tmp.XXXXXX";
    UniqueFd fd(::mkstemp(temporary.data()));
    if (fd.get() < 0) {
        const int error = errno;
        return Error{fmt::format("cannot create {}: {}", temporary, std::strerror(error)), error};
    }
    if (::fchmod(fd.get(), mode) != 0 || !write_whole(fd.get(), text) || ::rename(temporary.c_str(), path.c_str()) != 0) {
        const int error = errno;
        ::unlink(temporary.c_str());
        return Error{fmt::format("cannot write {}: {}", path, std::strerror(error)), error};
    }
    return {};
}

}  // namespace tcpkeep::cli
