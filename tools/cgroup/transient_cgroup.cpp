#include "tools/cgroup/transient_cgroup.h"

#include <fmt/format.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>

#include "system/small_file.h"

namespace tcpkeep {
namespace {

// An existing name is a coincidence once; when new random names keep being taken, someone
// is creating them faster than we can guess, and the run is better off without cgroup mode.
constexpr int name_attempts = 8;

Error mkdir_error(const Cgroup& at, int error) {
    return Error{fmt::format("cannot create the cgroup {}: {}", at.directory(), std::strerror(error)), error};
}

// 16 hex digits from the kernel's random pool: nobody can create the name before we do.
Result<std::string> random_part() {
    std::uint64_t value = 0;
    if (::getrandom(&value, sizeof value, 0) != static_cast<ssize_t>(sizeof value))
        return Error{fmt::format("cannot name a cgroup: no random bytes: {}", std::strerror(errno)), errno};
    return fmt::format("{:016x}", value);
}

// A new directory "<parent>/<prefix><random>", never one that was there before.
Result<Cgroup> make_child(const std::string& mount, const std::string& parent, const std::string& prefix) {
    for (int attempt = 1;; ++attempt) {
        const Result<std::string> random = random_part();
        if (!random) return random.error();
        const Cgroup child{mount, (parent == "/" ? "" : parent) + "/" + prefix + *random};
        if (::mkdir(child.directory().c_str(), 0755) == 0) return child;
        if (errno != EEXIST || attempt == name_attempts) return mkdir_error(child, errno);
    }
}

}  // namespace

Result<Cgroup> create_transient_cgroup(const std::string& prefix) {
    const Result<Cgroup> own = cgroup_of_process(::getpid());
    if (!own) return own.error();
    Result<Cgroup> inside = make_child(own->mount, own->path, prefix);
    if (inside || own->path == "/" || inside.error().code == EEXIST) return inside;
    Result<Cgroup> at_root = make_child(own->mount, "/", prefix);
    if (at_root) return at_root;
    return Error{fmt::format("{}; {}", inside.error().message, at_root.error().message), at_root.error().code};
}

bool cgroup_still_populated(const Cgroup& cgroup, int patience_ms) {
    constexpr int step_ms = 10;
    for (int waited = 0;; waited += step_ms) {
        const Result<std::string> events = read_small_file(cgroup.directory() + "/cgroup.events");
        bool populated = true;  // unreadable: assume the worst, and leave the cgroup alone
        if (events) {
            const std::size_t at = ("\n" + *events).find("\npopulated ");  // the line "populated 0" or "populated 1"
            if (at != std::string::npos) populated = events->compare(at + 10, 1, "0") != 0;
        }
        if (!populated || waited >= patience_ms) return populated;
        std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
    }
}

Result<void> remove_cgroup(const Cgroup& cgroup) {
    if (::rmdir(cgroup.directory().c_str()) != 0) return Error{fmt::format("cannot remove {}: {}", cgroup.directory(), std::strerror(errno)), errno};
    return {};
}

}  // namespace tcpkeep
