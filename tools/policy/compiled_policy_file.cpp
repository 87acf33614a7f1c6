#include "tools/policy/compiled_policy_file.h"

#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace tcpkeep::cli {

Result<void> write_compiled_policy(const std::string& policy_path, const Policy& policy, std::string_view text) {
    const std::string target = compiled_path_for(policy_path);
    const std::string bytes = serialize_policy(policy, text);
    std::string temp = target + ".XXXXXX";
    const int fd = ::mkstemp(temp.data());
    if (fd < 0) {
        const int error = errno;
        return Error{fmt::format("cannot create {}: {}", temp, std::strerror(error)), error};
    }
    // Readable by every process the shim runs in, like the policy itself.
    bool ok = ::fchmod(fd, 0644) == 0;
    for (std::size_t done = 0; ok && done < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        ok = n > 0 || (n < 0 && errno == EINTR);
        if (n > 0) done += static_cast<std::size_t>(n);
    }
    ok = ok && ::fsync(fd) == 0;
    const int saved = errno;
    ::close(fd);
    if (!ok || ::rename(temp.c_str(), target.c_str()) != 0) {
        const int e = ok ? errno : saved;
        ::unlink(temp.c_str());
        return Error{fmt::format("cannot write {}: {}", target, std::strerror(e)), e};
    }
    return {};
}

}  // namespace tcpkeep::cli
