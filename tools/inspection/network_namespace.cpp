#include "tools/inspection/network_namespace.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

#include "system/read_kernel_defaults.h"
#include "system/unique_fd.h"
#include "tools/inspection/process_facts.h"
#include "tools/inspection/remote_socket.h"

namespace tcpkeep::cli {

Result<void> in_network_namespace_of(pid_t pid, const std::function<void()>& read) {
    const std::string path = proc_path(pid, "ns/net");
    UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) return Error{fmt::format("{}: {}", path, std::strerror(errno)), errno};
    struct stat target {};
    struct stat own {};
    if (::fstat(ns.get(), &target) == 0 && ::stat("/proc/thread-self/ns/net", &own) == 0 && target.st_ino == own.st_ino &&
        target.st_dev == own.st_dev) {
        read();
        return {};
    }
    // The namespace belongs to the thread, so only this thread moves; it ends after the read.
    int error = 0;
    std::thread reader([&] {
        if (::setns(ns.get(), CLONE_NEWNET) != 0) {
            error = errno;
            return;
        }
        read();
    });
    reader.join();
    if (error != 0)
        return Error{fmt::format("cannot enter the network namespace of process {} (setns: {}; needs CAP_SYS_ADMIN)", pid, std::strerror(error)),
                     error};
    return {};
}

Result<KernelDefaults> kernel_defaults_of(pid_t pid) {
    KernelDefaults kernel;
    if (Result<void> entered = in_network_namespace_of(pid, [&] { kernel = read_kernel_defaults(); }); !entered) return entered.error();
    return kernel;
}

}  // namespace tcpkeep::cli
