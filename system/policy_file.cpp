#include "system/policy_file.h"

#include "config/digest.h"
#include "config/embedded_default.h"
#include "config/policy_cache.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

namespace tcpkeep {
namespace {

PolicyLoad io_error(const std::string& path, std::string message) {
    PolicyLoad load;
    load.diagnostics.push_back({Severity::error, path, 0, 0, std::move(message)});
    return load;
}

}  // namespace

PolicyLoad load_policy(const PolicyLocation& where, bool secure) noexcept {
    if (where.kind == PolicyLocation::Kind::embedded) return read_policy(embedded_default_policy(), embedded_source_name);
    return load_policy_file(where.path, secure);
}

namespace {

// The compiled form of a policy at the size limit is larger than its TOML (fixed-width records).
constexpr std::size_t max_compiled_bytes = 4 * max_policy_bytes;

// Reads a policy (or its compiled form) safely: regular files only, bounded, never blocking on a
// FIFO, and in secure mode only a root-owned file nobody else can write. Returns why not, or "".
std::string read_bounded(const std::string& path, bool secure, std::size_t limit, std::string& text) {
    // O_NONBLOCK: opening a FIFO must not wait for a writer; the type check below rejects it.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return fmt::format("cannot open policy: {}", std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fmt::format("cannot stat policy: {}", std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return "policy is a directory, not a file";
    if (!S_ISREG(st.st_mode)) return "policy is not a regular file";
    if (secure && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)) != 0))
        return "policy ignored for a setuid program: it must be owned by root and not group/world-writable";
    if (static_cast<std::size_t>(st.st_size) > limit)
        return fmt::format("policy is too large ({} bytes; the limit is {} bytes)", st.st_size, limit);
    text.resize(static_cast<std::size_t>(st.st_size) + 1);  // +1 detects growth past st_size
    std::size_t have = 0;
    while (have < text.size()) {
        ssize_t n = ::read(fd, text.data() + have, text.size() - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fmt::format("cannot read policy: {}", std::strerror(errno));
        if (n == 0) break;
        have += static_cast<std::size_t>(n);
        if (have > limit) return "policy grew past the size limit while being read";
        if (have == text.size()) text.resize(std::min(text.size() * 2, limit + 1));
    }
    text.resize(have);
    return "";
}

}  // namespace

std::string read_policy_text(const std::string& path, bool secure, std::string& text) {
    return read_bounded(path, secure, max_policy_bytes, text);
}

PolicyLoad load_policy_file(const std::string& path, bool secure) noexcept {
    try {
        std::string text;
        if (std::string error = read_policy_text(path, secure, text); !error.empty()) return io_error(path, std::move(error));
        return read_policy(text, path);
    } catch (...) {
        return PolicyLoad{};  // allocation failure: no policy, and nothing more we can safely say
    }
}

std::optional<Policy> read_compiled_form(const std::string& path, std::string_view text, bool secure) {
    std::string bytes;
    if (!read_bounded(compiled_path_for(path), secure, max_compiled_bytes, bytes).empty()) return std::nullopt;
    return deserialize_policy(bytes, text, path);
}

PolicyLoad load_policy_preferring_compiled(const PolicyLocation& where, bool secure) noexcept {
    if (where.kind == PolicyLocation::Kind::embedded) return load_policy(where, secure);
    try {
        // The text is read either way: it is what the compiled form must have been made from.
        std::string text;
        if (std::string error = read_policy_text(where.path, secure, text); !error.empty()) return io_error(where.path, std::move(error));
        if (std::optional<Policy> policy = read_compiled_form(where.path, text, secure))
            return PolicyLoad{std::move(policy), {}, true, text.size(), digest64(text)};
        return read_policy(text, where.path);
    } catch (...) {
        return PolicyLoad{};
    }
}

}  // namespace tcpkeep
