#include "tools/process/remote_socket.h"

#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tools/process/target_error.h"
#include "tools/report/option_values.h"

namespace tcpkeep::cli {
namespace {

struct OptionName {
    int level;
    int name;
};

OptionName option_name(Option o) {
    switch (o) {
        case Option::keepalive: return {SOL_SOCKET, SO_KEEPALIVE};
        case Option::idle: return {IPPROTO_TCP, TCP_KEEPIDLE};
        case Option::interval: return {IPPROTO_TCP, TCP_KEEPINTVL};
        case Option::count: return {IPPROTO_TCP, TCP_KEEPCNT};
        case Option::user_timeout: break;
    }
    return {IPPROTO_TCP, TCP_USER_TIMEOUT};
}

}  // namespace

OwnedFd& OwnedFd::operator=(OwnedFd&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = o.fd_;
        o.fd_ = -1;
    }
    return *this;
}

OwnedFd::~OwnedFd() {
    if (fd_ >= 0) ::close(fd_);
}

RemoteProcess::RemoteProcess(pid_t pid) {
    const long fd = ::syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) {
        if (errno == ENOSYS) throw TargetError("this kernel has no pidfd_open (Linux >= 5.6 is needed for pidfd_getfd)");
        throw_target_error(pid, "pidfd_open", errno);
    }
    pidfd_ = OwnedFd(static_cast<int>(fd));
}

OwnedFd RemoteProcess::duplicate(int target_fd, int& error) const {
    const long fd = ::syscall(SYS_pidfd_getfd, pidfd_.get(), target_fd, 0);
    error = fd < 0 ? errno : 0;
    return OwnedFd(fd < 0 ? -1 : static_cast<int>(fd));
}

bool read_options(int fd, Settings& out) {
    int values[option_count] = {};
    for (int i = 0; i < option_count; ++i) {
        const OptionName n = option_name(static_cast<Option>(i));
        socklen_t len = sizeof values[i];
        if (::getsockopt(fd, n.level, n.name, &values[i], &len) != 0) return false;
    }
    out.mask = static_cast<std::uint8_t>((1u << option_count) - 1);
    out.keepalive = values[0] != 0;
    out.idle_s = values[1];
    out.interval_s = values[2];
    out.count = values[3];
    out.user_timeout_ms = values[4];
    return true;
}

int write_option(int fd, Option option, const Settings& values) {
    const OptionName n = option_name(option);
    const int value = option_value(option, values);
    return ::setsockopt(fd, n.level, n.name, &value, sizeof value) == 0 ? 0 : errno;
}

}  // namespace tcpkeep::cli
