#include "system/small_file.h"

#include <fcntl.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>

namespace tcpkeep {

std::string proc_path(pid_t pid, std::string_view entry) {
    std::string path = pid == 0 ? std::string("/proc/self/") : "/proc/" + std::to_string(pid) + "/";
    path.append(entry);
    return path;
}

Result<std::string> read_small_file(const std::string& path, std::size_t at_most) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return system_error();
    std::string data;
    char buf[8192];
    ssize_t n = 0;
    while (data.size() < at_most && ((n = ::read(fd, buf, std::min(sizeof buf, at_most - data.size()))) > 0 || (n < 0 && errno == EINTR))) {
        if (n > 0) data.append(buf, static_cast<std::size_t>(n));
    }
    const Error failed = n < 0 ? system_error() : Error{};
    ::close(fd);
    if (n < 0) return failed;
    return data;
}

}  // namespace tcpkeep
