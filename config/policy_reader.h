// Policy text -> Policy model, with every problem reported as a located Diagnostic.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "config/diagnostic.h"
#include "config/policy.h"

namespace tcpkeep {

struct PolicyLoad {
    std::optional<Policy> policy;  // set when there is no error (warnings allowed)
    std::vector<Diagnostic> diagnostics;
    bool from_compiled_form = false;  // read from FILE.compiled instead of parsing FILE
    // The text the policy was read from (or its compiled form was made from): what identifies the
    // version of the file a process loaded. 0 bytes when no text could be read.
    std::uint64_t text_bytes = 0;
    std::uint64_t text_digest = 0;

    [[nodiscard]] bool ok() const { return policy.has_value(); }

    // No policy, and an out_of_memory Diagnostic for `source_name` when even that can be allocated.
    static PolicyLoad out_of_memory(std::string_view source_name) noexcept;
};

// Parses, validates and runs the pitfall checks. Never throws: running out of memory is a
// Diagnostic of kind out_of_memory.
PolicyLoad read_policy(std::string_view text, std::string_view source_name) noexcept;

// The keys [defaults] (and a rule) take for its settings: the options' keys in table order, then
// "enforce".
std::span<const std::string_view> settings_keys();

}  // namespace tcpkeep
