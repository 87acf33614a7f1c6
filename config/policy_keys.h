// The keys a policy may use, where: the top level, a settings table ([defaults], and every rule's
// settings) and a [[rule]]. The options' keys come from config/option_table.h.
#pragma once
#include <algorithm>
#include <array>
#include <string_view>

#include "config/option_table.h"

namespace tcpkeep::policy_keys {

inline constexpr std::array<std::string_view, 3> top{"version", "defaults", "rule"};
// The options' keys in table order, then "enforce".
inline constexpr std::array<std::string_view, option_count + 1> settings = [] {
    std::array<std::string_view, option_count + 1> keys{};
    for (int i = 0; i < option_count; ++i) keys[static_cast<std::size_t>(i)] = option_table[i].key;
    keys[option_count] = "enforce";
    return keys;
}();
inline constexpr std::array<std::string_view, 6> rule_only{"name", "direction", "ports", "process", "peers", "action"};
// A rule's own keys, then the settings keys.
inline constexpr std::array<std::string_view, rule_only.size() + settings.size()> rule = [] {
    std::array<std::string_view, rule_only.size() + settings.size()> keys{};
    std::copy(settings.begin(), settings.end(), std::copy(rule_only.begin(), rule_only.end(), keys.begin()));
    return keys;
}();

}  // namespace tcpkeep::policy_keys
