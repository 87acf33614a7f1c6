#include "tools/policy/run_policy.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "tools/policy/policy_loading.h"
#include "tools/policy/policy_writer.h"

namespace tcpkeep::cli {
namespace {

std::string first_error_text(const PolicyLoad& load, const std::string& name) {
    const Diagnostic* e = first_error(load.diagnostics);
    return e != nullptr ? e->location_and_message() : name + ": cannot load the policy";
}

std::string runtime_dir() {
    const char* xdg = std::getenv("XDG_RUNTIME_DIR");
    std::error_code ec;
    if (xdg != nullptr && *xdg == '/' && std::filesystem::is_directory(xdg, ec)) return xdg;
    return "/tmp";
}

// Writes `text` to a new file only we can read; returns its path.
Result<std::string> write_new_file(const std::string& text) {
    std::string path = runtime_dir() + "/tcpkeep-run-XXXXXX.toml";
    const int fd = ::mkstemps(path.data(), 5);
    if (fd < 0) {
        const int error = errno;
        return Error{fmt::format("cannot create {}: {}", path, std::strerror(error)), error};
    }
    std::size_t done = 0;
    while (done < text.size()) {
        const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int error = errno;
            ::close(fd);
            ::unlink(path.c_str());
            return Error{fmt::format("cannot write {}: {}", path, std::strerror(error)), error};
        }
        done += static_cast<std::size_t>(n);
    }
    ::close(fd);
    return path;
}

}  // namespace

Result<std::optional<std::string>> policy_for_run(const std::optional<std::string>& policy_arg, const Overrides& overrides) {
    std::optional<std::string> absolute;
    if (policy_arg) absolute = std::filesystem::absolute(*policy_arg).lexically_normal().string();
    const ChosenPolicy base = choose_policy(absolute);  // validated here: the shim would only fail open
    if (!base.load.ok()) return Error{first_error_text(base.load, base.path_or_name())};
    if (overrides.written.empty()) return absolute;
    Policy merged = *base.load.policy;
    apply_overrides(merged, overrides);
    const std::string text = to_toml(merged, fmt::format("Written by `tcpkeep run` from {} with -s {}.\nSafe to delete once the program has exited.",
                                                         base.path_or_name(), fmt::join(overrides.written, " -s ")));
    if (const PolicyLoad check = read_policy(text, "merged policy"); !check.ok())  // a bug in to_toml, not in the input
        return Error{fmt::format("internal error: the merged policy does not read back: {}", first_error_text(check, "merged policy"))};
    Result<std::string> written = write_new_file(text);
    if (!written) return std::move(written).error();
    return std::optional<std::string>(std::move(written).value());
}

}  // namespace tcpkeep::cli
