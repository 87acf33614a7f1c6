// Where a policy comes from (discovery) and reading it safely: bounded, regular files only, and
// in secure mode (setuid programs) only a root-owned file nobody else can write.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "config/policy_reader.h"

namespace tcpkeep {

inline constexpr const char* embedded_source_name = "<embedded default>";
inline constexpr std::size_t max_policy_bytes = 4 * 1024 * 1024;

// The default every TCP socket gets when no policy file exists.
const char* embedded_default_policy();

struct PolicyLocation {
    enum class Kind { command_line, environment, system, embedded } kind = Kind::embedded;
    std::string path;  // empty for embedded
};

// TCPKEEP_POLICY (when given and not secure) -> system_path if it exists -> embedded default.
// `env_policy` is the variable's value or nullptr; the caller reads the environment.
PolicyLocation discover_policy(const char* env_policy, bool secure, const std::string& system_path);

// Reads and validates the policy at `where`. I/O problems come back as a Diagnostic without line.
PolicyLoad load_policy(const PolicyLocation& where, bool secure) noexcept;
PolicyLoad load_policy_file(const std::string& path, bool secure) noexcept;
// The bytes of a policy file, read as load_policy_file reads them. Returns why not, or "".
std::string read_policy_text(const std::string& path, bool secure, std::string& text);

// The policy in "<path>.compiled" when it exists and was made from exactly `text`.
std::optional<Policy> read_compiled_form(const std::string& path, std::string_view text, bool secure);

// For the shim's engine: the compiled form next to the policy file ("FILE.compiled", written by
// `tcpkeep check --compile`) when it was made from the file's text as it is now, else the text itself.
PolicyLoad load_policy_preferring_compiled(const PolicyLocation& where, bool secure) noexcept;

}  // namespace tcpkeep
