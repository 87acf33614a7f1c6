// The policy a command works with: --policy FILE, or discovery exactly as the shim does it.
#pragma once
#include <optional>
#include <string>

#include "system/policy_file.h"

namespace tcpkeep::cli {

struct ChosenPolicy {
    PolicyLocation location;
    PolicyLoad load;
    // "FILE", "FILE (from TCPKEEP_POLICY)", "<embedded default>"...
    [[nodiscard]] std::string describe() const;
    [[nodiscard]] std::string path_or_name() const;
};

ChosenPolicy choose_policy(const std::optional<std::string>& explicit_path);

// Prints diagnostics (stdout) and returns false when the policy cannot be used; I/O errors go to
// stderr. `io_error` tells the caller which exit status applies.
bool report_load(const ChosenPolicy& chosen, bool print_warnings, bool& io_error);

}  // namespace tcpkeep::cli
