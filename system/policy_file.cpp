#include "system/policy_file.h"

#include "config/digest.h"
#include "config/embedded_default.h"
#include "config/policy_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>

namespace tcpkeep {
namespace {

PolicyLoad io_error(const std::string& path, std::string message) {
    PolicyLoad load;
    load.diagnostics.push_back(Diagnostic::io_error(path, std::move(message)));
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

// A policy (or its compiled form) opened as policy_trust.h says, when it is a regular file the
// program trusts; else why not.
struct CheckedFile {
    OpenedPolicy opened;
    struct stat st {};
};

Result<CheckedFile, PolicyOpenError> open_checked(const std::string& path, const PolicyTrust& trust) {
    Result<OpenedPolicy, PolicyOpenError> opened = open_policy(path, trust);
    if (!opened) return std::move(opened).error();
    CheckedFile file{std::move(opened).value(), {}};
    if (::fstat(file.opened.fd.get(), &file.st) != 0) {
        const int error = errno;
        return PolicyOpenError{fmt::format("cannot stat policy: {}", std::strerror(error)), error};
    }
    if (S_ISDIR(file.st.st_mode)) return PolicyOpenError{"policy is a directory, not a file"};
    if (!S_ISREG(file.st.st_mode)) return PolicyOpenError{"policy is not a regular file"};
    if (trust.secure && (file.st.st_uid != 0 || (file.st.st_mode & (S_IWGRP | S_IWOTH)) != 0))
        return PolicyOpenError{"policy ignored for a setuid program: it must be owned by root and not group/world-writable", 0, true};
    if (Result<void> trusted = check_file_trust(file.st, file.opened.path, trust); !trusted)
        return PolicyOpenError{std::move(trusted).error().message, 0, true};
    return file;
}

// Reads a policy (or its compiled form) safely: a trusted regular file, bounded, never blocking on
// a FIFO; or why not.
Result<std::string> read_bounded(const std::string& path, const PolicyTrust& trust, std::size_t limit) {
    const Result<CheckedFile, PolicyOpenError> file = open_checked(path, trust);
    if (!file) return Error{file.error().message, file.error().code};
    const int fd = file->opened.fd.get();
    const struct stat& st = file->st;
    if (static_cast<std::size_t>(st.st_size) > limit)
        return Error{fmt::format("policy is too large ({} bytes; the limit is {} bytes)", st.st_size, limit)};
    std::string text;
    text.resize(static_cast<std::size_t>(st.st_size) + 1);  // +1 detects growth past st_size
    std::size_t have = 0;
    while (have < text.size()) {
        ssize_t n = ::read(fd, text.data() + have, text.size() - have);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int error = errno;
            return Error{fmt::format("cannot read policy: {}", std::strerror(error)), error};
        }
        if (n == 0) break;
        have += static_cast<std::size_t>(n);
        if (have > limit) return Error{"policy grew past the size limit while being read"};
        if (have == text.size()) text.resize(std::min(text.size() * 2, limit + 1));
    }
    text.resize(have);
    return text;
}

}  // namespace

Result<std::string> read_policy_text(const std::string& path, const PolicyTrust& trust) { return read_bounded(path, trust, max_policy_bytes); }

Result<std::string> read_policy_text(const std::string& path, bool secure) { return read_policy_text(path, trust_of_this_process(secure)); }

Result<void> check_policy_trust(const std::string& path, const PolicyTrust& trust) {
    Result<CheckedFile, PolicyOpenError> file = open_checked(path, trust);
    if (file || !file.error().untrusted) return {};
    return Error{std::move(file).error().message};
}

PolicyLoad load_policy_file(const std::string& path, bool secure) noexcept {
    try {
        const Result<std::string> text = read_policy_text(path, secure);
        if (!text) return io_error(path, text.error().message);
        return read_policy(*text, path);
    } catch (...) {  // allocation failure
        return PolicyLoad::out_of_memory(path);
    }
}

std::optional<Policy> read_compiled_form(const std::string& path, std::string_view text, bool secure) {
    const Result<std::string> bytes = read_bounded(compiled_path_for(path), trust_of_this_process(secure), max_compiled_bytes);
    if (!bytes) return std::nullopt;
    return deserialize_policy(*bytes, text, path);
}

PolicyLoad load_policy_preferring_compiled(const PolicyLocation& where, bool secure) noexcept {
    if (where.kind == PolicyLocation::Kind::embedded) return load_policy(where, secure);
    try {
        // The text is read either way: it is what the compiled form must have been made from.
        const Result<std::string> text = read_policy_text(where.path, secure);
        if (!text) return io_error(where.path, text.error().message);
        if (std::optional<Policy> policy = read_compiled_form(where.path, *text, secure))
            return PolicyLoad{std::move(policy), {}, true, text->size(), digest64(*text)};
        return read_policy(*text, where.path);
    } catch (...) {  // allocation failure
        return PolicyLoad::out_of_memory(where.path);
    }
}

}  // namespace tcpkeep
