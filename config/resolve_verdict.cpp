#include "config/resolve_verdict.h"

#include <algorithm>
#include <type_traits>

#include "config/option_table.h"

namespace tcpkeep {
namespace {

template <typename T>
const std::optional<Located<T>>* choose(const std::optional<Located<T>>* from_rule, const std::optional<Located<T>>* from_defaults, Origin& origin) {
    if (from_rule != nullptr && from_rule->has_value()) {
        origin = Origin::rule;
        return from_rule;
    }
    if (from_defaults != nullptr && from_defaults->has_value()) {
        origin = Origin::defaults;
        return from_defaults;
    }
    return nullptr;
}

}  // namespace

Verdict resolve_verdict(const SettingsSpec* rule, const SettingsSpec* defaults, const KernelDefaults& kernel) {
    Verdict v;
    v.kind = Verdict::Kind::apply;
    Settings& s = v.settings;
    for_each_option_field([&](Option o, auto member) {
        const auto* chosen =
            choose(rule ? &(rule->*member) : nullptr, defaults ? &(defaults->*member) : nullptr, v.origin[static_cast<std::size_t>(o)]);
        if (chosen == nullptr) return;
        s.mask |= bit(o);
        const auto& value = (*chosen)->value;
        if constexpr (std::is_same_v<std::decay_t<decltype(value)>, UserTimeoutSpec>) v.user_timeout_auto = value.automatic;
        option_spec(o).store(s, kernel_value(value));
    });
    // "auto" once the values it is made of are known.
    if (v.user_timeout_auto) {
        const std::int64_t idle = s.has(Option::idle) ? s.idle_s : kernel.keepalive_time_s;
        const std::int64_t interval = s.has(Option::interval) ? s.interval_s : kernel.keepalive_intvl_s;
        const std::int64_t count = s.has(Option::count) ? s.count : kernel.keepalive_probes;
        s.user_timeout_ms = static_cast<std::int32_t>(std::min((idle + interval * count) * 1000, max_user_timeout_ms));
    }
    Origin unused{};
    if (auto* e = choose(rule ? &rule->enforce : nullptr, defaults ? &defaults->enforce : nullptr, unused)) v.enforce = (*e)->value;
    return v;
}

Verdict rule_verdict(const Rule& rule, const SettingsSpec* defaults, const KernelDefaults& kernel) {
    Verdict v = resolve_verdict(&rule.settings, defaults, kernel);
    if (rule.action == Action::skip) v.kind = Verdict::Kind::skip;
    v.rule_index = static_cast<int>(rule.index);
    return v;
}

}  // namespace tcpkeep
