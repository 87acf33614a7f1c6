// The effective settings of a rule laid over [defaults].
#pragma once
#include "config/kernel_defaults.h"
#include "config/policy.h"
#include "config/verdict.h"

namespace tcpkeep {

// rule or defaults may be null. user_timeout = "auto" becomes idle + interval x count, taking
// whatever the policy leaves unset from `kernel` (the namespace's sysctls), capped at INT_MAX ms.
Verdict resolve_verdict(const SettingsSpec* rule, const SettingsSpec* defaults, const KernelDefaults& kernel);

// The verdict of a rule when it matches: its settings over [defaults], skip kept, its position set.
Verdict rule_verdict(const Rule& rule, const SettingsSpec* defaults, const KernelDefaults& kernel);

}  // namespace tcpkeep
