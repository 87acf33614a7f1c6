#include "config/resolve_verdict.h"

#include <algorithm>

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
    auto field = [&](auto member, Option o) {
        auto* chosen = choose(rule ? &(rule->*member) : nullptr, defaults ? &(defaults->*member) : nullptr, v.origin[static_cast<std::size_t>(o)]);
        if (chosen != nullptr) s.mask |= bit(o);
        return chosen;
    };
    if (auto* k = field(&SettingsSpec::keepalive, Option::keepalive)) s.keepalive = (*k)->value;
    if (auto* i = field(&SettingsSpec::idle_s, Option::idle)) s.idle_s = (*i)->value;
    if (auto* i = field(&SettingsSpec::interval_s, Option::interval)) s.interval_s = (*i)->value;
    if (auto* c = field(&SettingsSpec::count, Option::count)) s.count = (*c)->value;
    if (auto* u = field(&SettingsSpec::user_timeout, Option::user_timeout)) {
        v.user_timeout_auto = (*u)->value.automatic;
        if (v.user_timeout_auto) {
            const std::int64_t idle = s.has(Option::idle) ? s.idle_s : kernel.keepalive_time_s;
            const std::int64_t interval = s.has(Option::interval) ? s.interval_s : kernel.keepalive_intvl_s;
            const std::int64_t count = s.has(Option::count) ? s.count : kernel.keepalive_probes;
            s.user_timeout_ms = static_cast<std::int32_t>(std::min((idle + interval * count) * 1000, max_user_timeout_ms));
        } else {
            s.user_timeout_ms = (*u)->value.ms;
        }
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
