// Another process's socket through pidfd_open + pidfd_getfd (Linux >= 5.6): the duplicate refers
// to the same socket, so getsockopt/setsockopt on it read and change what the target holds. The
// duplicate lives only as long as one read or write.
#pragma once
#include <sys/types.h>

#include "config/live_prediction.h"
#include "config/result.h"
#include "config/settings.h"
#include "system/unique_fd.h"

namespace tcpkeep::cli {

// A handle on a process that stays valid even if its pid is reused.
class RemoteProcess {
public:
    // Throws TargetError: no such process, or a kernel without pidfd_open (< 5.3).
    explicit RemoteProcess(pid_t pid);

    // The target's fd duplicated into this process, or the errno in Error::code: EPERM (ptrace
    // access refused), EBADF (the fd was closed), ESRCH (the process exited), ENOSYS (kernel < 5.6).
    Result<UniqueFd> duplicate(int target_fd) const;

    // The process the handle was opened on has not exited: while it lives, its pid names it, so
    // everything read through /proc/PID since the handle was opened was read from it.
    [[nodiscard]] bool alive() const;

private:
    UniqueFd pidfd_;
};

// All five options as the kernel reports them (mask = all), or getsockopt's errno.
Result<Settings> read_options(int fd);

// What TCP_INFO says about the connection now (the model's inputs), or getsockopt's errno.
Result<LiveTcpState> read_live_state(int fd);

// Sets one option to its value in `values`, or setsockopt's errno.
Result<void> write_option(int fd, Option option, const Settings& values);

}  // namespace tcpkeep::cli
