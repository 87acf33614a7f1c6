#include "tools/cgroup/transient_cgroup.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>

namespace tcpkeep {
namespace {

Error mkdir_error(const CgroupTarget& at, int error) {
    return Error{fmt::format("cannot create the cgroup {}: {}", at.directory(), std::strerror(error)), error};
}

}  // namespace

Result<CgroupTarget> create_transient_cgroup(const std::string& name) {
    const Result<CgroupTarget> own = cgroup_of_process(::getpid());
    if (!own) return own.error();
    CgroupTarget inside{own->mount, (own->path == "/" ? "" : own->path) + "/" + name};
    if (::mkdir(inside.directory().c_str(), 0755) == 0) return inside;
    const int error = errno;
    if (own->path == "/" || error == EEXIST) return mkdir_error(inside, error);
    CgroupTarget at_root{own->mount, "/" + name};
    if (::mkdir(at_root.directory().c_str(), 0755) == 0) return at_root;
    return Error{fmt::format("{}; {}", mkdir_error(inside, error).message, mkdir_error(at_root, errno).message), errno};
}

bool cgroup_still_populated(const CgroupTarget& cgroup, int patience_ms) {
    constexpr int step_ms = 10;
    for (int waited = 0;; waited += step_ms) {
        std::ifstream events(cgroup.directory() + "/cgroup.events");
        std::string key;
        int value = 1;
        bool populated = true;  // unreadable: assume the worst, and leave the cgroup alone
        while (events >> key >> value)
            if (key == "populated") populated = value != 0;
        if (!populated || waited >= patience_ms) return populated;
        std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
    }
}

Result<void> remove_cgroup(const CgroupTarget& cgroup) {
    if (::rmdir(cgroup.directory().c_str()) != 0) return Error{fmt::format("cannot remove {}: {}", cgroup.directory(), std::strerror(errno)), errno};
    return {};
}

}  // namespace tcpkeep
