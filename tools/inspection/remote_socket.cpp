#include "tools/inspection/remote_socket.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>

#include "config/option_table.h"
#include "tools/inspection/target_error.h"

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

// A pidfd turns readable when its process ends (a zombie included, which signal 0 would still reach).
bool RemoteProcess::alive() const {
    pollfd p{pidfd_.get(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
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

Result<LiveTcpState> read_live_state(int fd) {
    tcp_info info{};
    socklen_t len = sizeof info;
    if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0) return system_error();
    LiveTcpState s;
    s.established = info.tcpi_state == TCP_ESTABLISHED;
    s.rto_ms = info.tcpi_rto / 1000;
    s.srtt_us = info.tcpi_rtt;
    s.backoff = info.tcpi_backoff;
    s.retransmits = info.tcpi_retransmits;
    s.unacked = info.tcpi_unacked;
    s.probes = info.tcpi_probes;
    s.since_last_receive_ms = std::min(info.tcpi_last_data_recv, info.tcpi_last_ack_recv);
    return s;
}

Result<void> write_option(int fd, Option option, const Settings& values) {
    const OptionSpec& spec = option_spec(option);
    const int value = spec.value(values);
    if (::setsockopt(fd, spec.level, spec.name, &value, sizeof value) != 0) return system_error();
    return {};
}

}  // namespace tcpkeep::cli
