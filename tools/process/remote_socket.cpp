#include "tools/process/remote_socket.h"

#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cerrno>

#include "config/option_table.h"
#include "tools/process/target_error.h"

namespace tcpkeep::cli {

RemoteProcess::RemoteProcess(pid_t pid) {
    const long fd = ::syscall(SYS_pidfd_open, pid, 0);
    if (fd < 0) {
        if (errno == ENOSYS) throw TargetError("this kernel has no pidfd_open (Linux >= 5.6 is needed for pidfd_getfd)");
        throw_target_error(pid, "pidfd_open", errno);
    }
    pidfd_ = UniqueFd(static_cast<int>(fd));
}

Result<UniqueFd> RemoteProcess::duplicate(int target_fd) const {
    const long fd = ::syscall(SYS_pidfd_getfd, pidfd_.get(), target_fd, 0);
    if (fd < 0) return system_error();
    return UniqueFd(static_cast<int>(fd));
}

Result<Settings> read_options(int fd) {
    Settings read;
    for (const OptionSpec& spec : option_table) {
        int value = 0;
        socklen_t len = sizeof value;
        if (::getsockopt(fd, spec.level, spec.name, &value, &len) != 0) return system_error();
        spec.store(read, value);
        read.mask |= bit(spec.option);
    }
    return read;
}

Result<void> write_option(int fd, Option option, const Settings& values) {
    const OptionSpec& spec = option_spec(option);
    const int value = spec.value(values);
    if (::setsockopt(fd, spec.level, spec.name, &value, sizeof value) != 0) return system_error();
    return {};
}

}  // namespace tcpkeep::cli
