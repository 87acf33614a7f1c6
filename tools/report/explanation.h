// What a socket gets and when a dead peer would be noticed: the data behind `tcpkeep explain`.
#pragma once
#include <array>
#include <nlohmann/json.hpp>
#include <string>

#include "config/compiled_policy.h"
#include "config/timeline.h"

namespace tcpkeep::cli {

struct Explanation {
    std::string action;  // "apply", "skip" or "untouched"
    std::string rule;    // rule display name, "[defaults]", or "" (nothing matched)
    int rule_index = -1;
    bool enforce = false;
    bool user_timeout_auto = false;
    Settings policy_settings;                      // what the policy sets (mask says which)
    EffectiveValues effective;                     // what the kernel will use
    std::array<std::string, option_count> source;  // where each effective value comes from
    KernelDefaults kernel;
    Timeline timeline;
};

Explanation explain(const CompiledPolicy& policy, Direction direction, std::uint16_t port, const PeerAddress* peer, const KernelDefaults& kernel);

nlohmann::json to_json(const Explanation& e);
// A network namespace's TCP sysctls: every one as JSON, the keepalive and retry ones as a line.
nlohmann::json kernel_json(const KernelDefaults& k);
std::string kernel_text(const KernelDefaults& k);
std::string to_text(const Explanation& e);

}  // namespace tcpkeep::cli
