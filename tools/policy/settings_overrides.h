// `-s KEY=VALUE`: changes to the policy's [defaults] for one run or apply, validated exactly like
// the same key written in a policy file (same reader, same messages).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "config/policy.h"
#include "config/result.h"

namespace tcpkeep::cli {

struct Overrides {
    SettingsSpec settings;             // the keys given; later -s of the same key win
    std::vector<std::string> written;  // the -s arguments as given, for messages and file headers
};

// The overrides, or what is wrong with the first bad one ("-s idle=30: idle needs a unit; did you
// mean \"30s\"?").
Result<Overrides> parse_overrides(const std::vector<std::string>& args);

// Writes the overrides into policy.defaults (creating [defaults] when the policy has none).
void apply_overrides(Policy& policy, const Overrides& overrides);

}  // namespace tcpkeep::cli
