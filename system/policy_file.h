// Reading a policy file safely: bounded, regular files only, and only one nobody but root and the
// program's user can change (policy_trust.h: in secure mode, setuid programs, only a root-owned file
// nobody else can write); and its compiled form next to it, held to the same rule.
#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "config/policy_reader.h"
#include "config/result.h"
#include "system/policy_location.h"
#include "system/policy_trust.h"

namespace tcpkeep {

inline constexpr std::size_t max_policy_bytes = 4 * 1024 * 1024;

// Reads and validates the policy at `where`. A file that cannot be read comes back as an io
// Diagnostic, running out of memory as an out_of_memory one.
PolicyLoad load_policy(const PolicyLocation& where, bool secure) noexcept;
PolicyLoad load_policy_file(const std::string& path, bool secure) noexcept;
// The bytes of a policy file, read as load_policy_file reads them, or why not.
// `secure` picks this process's trust (trust_of_this_process); `trust` names whose policy it is.
Result<std::string> read_policy_text(const std::string& path, bool secure);
Result<std::string> read_policy_text(const std::string& path, const PolicyTrust& trust);

// Whether a program trusting `trust` would use the policy file at `path` as far as trust goes; the
// error ("policy refused: ...") when it refuses a file it could read. A file unreadable for
// another reason is not refused here: reading it says why.
Result<void> check_policy_trust(const std::string& path, const PolicyTrust& trust);

// The policy in "<path>.compiled" when it exists, is trusted like the policy file, and was made
// from exactly `text`. An untrusted compiled form is ignored: the text is parsed instead.
std::optional<Policy> read_compiled_form(const std::string& path, std::string_view text, bool secure);

// For the shim's engine: the compiled form next to the policy file ("FILE.compiled", written by
// `tcpkeep check --compile`) when it was made from the file's text as it is now, else the text itself.
PolicyLoad load_policy_preferring_compiled(const PolicyLocation& where, bool secure) noexcept;

}  // namespace tcpkeep
