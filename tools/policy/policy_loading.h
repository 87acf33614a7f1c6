// The policy a command works with: --policy FILE, or discovery exactly as the shim does it.
#pragma once
#include <optional>
#include <string>

#include "system/policy_file.h"

namespace tcpkeep::cli {

struct ChosenPolicy {
    PolicyLocation location;
    PolicyLoad load;
    std::string text;  // the bytes `load` was read from (empty when none could be read): read once
    // "FILE", "FILE (from TCPKEEP_POLICY)", "<embedded default>"...
    [[nodiscard]] std::string describe() const;
    [[nodiscard]] std::string path_or_name() const;
};

ChosenPolicy choose_policy(const std::optional<std::string>& explicit_path);

enum class LoadStatus {
    usable,
    invalid,     // the text has errors: the author's to fix (exit status 1)
    unreadable,  // the file could not be read, or memory ran out (exit status 2)
};

// Prints the policy's diagnostics on stdout, those about the whole file (I/O, memory) on stderr,
// and says whether the policy can be used.
LoadStatus report_load(const ChosenPolicy& chosen, bool print_warnings);

}  // namespace tcpkeep::cli
