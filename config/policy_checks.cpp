#include "config/policy_checks.h"

#include <fmt/format.h>
#include <string_view>
#include <unordered_map>

#include "config/duration.h"
#include "config/middlebox_timeouts.h"
#include "config/option_table.h"
#include "config/timeline.h"

namespace tcpkeep {
namespace {

template <typename T>
const std::optional<Located<T>>& pick(const std::optional<Located<T>>& own, const std::optional<Located<T>>& fallback) {
    return own ? own : fallback;
}

void warn(std::vector<Diagnostic>& out, const std::string& file, SourcePos p, std::string message) {
    out.push_back({Severity::warning, file, p.line, p.column, std::move(message)});
}

// The kernel pitfalls, for one table merged over [defaults]. `own` is what the table itself wrote:
// a rule is warned about only for what it contributes, so [defaults] problems are reported once.
// `who` names the table in a warning; called only when there is one (a rule's display name is built).
template <typename Who>
void check_settings(const SettingsSpec& own, const SettingsSpec& fallback, Who who, const std::string& file, std::vector<Diagnostic>& out) {
    const auto& keepalive = pick(own.keepalive, fallback.keepalive);
    const auto& idle = pick(own.idle_s, fallback.idle_s);
    const auto& interval = pick(own.interval_s, fallback.interval_s);
    const auto& count = pick(own.count, fallback.count);
    const auto& user_timeout = pick(own.user_timeout, fallback.user_timeout);

    if (keepalive && !keepalive->value) {
        for_each_option_field([&](Option o, auto member) {
            const auto& field = own.*member;
            if (field && option_spec(o).needs_keepalive)
                warn(out, file, field->pos, fmt::format("{}: {} has no effect because keepalive = false", who(), option_spec(o).key));
        });
    }
    if (own.idle_s && (!keepalive || keepalive->value)) {
        if (const std::optional<std::string> middlebox = middlebox_warning(own.idle_s->value))
            warn(out, file, own.idle_s->pos, fmt::format("{}: {}", who(), *middlebox));
    }
    const bool explicit_timeout = user_timeout && !user_timeout->value.automatic && user_timeout->value.ms > 0;
    const bool own_part = own.user_timeout || own.idle_s || own.interval_s || own.count;
    const bool probing = !keepalive || keepalive->value;  // without keepalive there are no probes to time
    if (!explicit_timeout || !idle || !own_part || !probing) return;
    const std::int64_t ut = user_timeout->value.ms;
    const std::int64_t idle_ms = std::int64_t{idle->value} * 1000;
    const SourcePos at = user_timeout->pos;
    if (ut < idle_ms) {
        const std::string detect = interval ? fmt::format("= {}", format_duration(idle_ms + std::int64_t{interval->value} * 1000))
                                            : std::string("(interval: the namespace's net.ipv4.tcp_keepalive_intvl)");
        warn(out, file, at,
             fmt::format("{}: user_timeout {} is below idle {}: an idle dead peer is detected only at idle + interval {}", who(), format_duration(ut),
                         format_duration(idle_ms), detect));
    } else if (interval && count) {
        const std::int64_t interval_ms = std::int64_t{interval->value} * 1000;
        const std::int64_t by_count = idle_ms + count->value * interval_ms;
        if (ut > by_count) {
            warn(out, file, at,
                 fmt::format("{}: user_timeout {} is above idle + count x interval = {}: count is ignored while user_timeout is set; "
                             "an idle dead peer is detected at {}",
                             who(), format_duration(ut), format_duration(by_count),
                             format_duration(keepalive_detection_ms(idle_ms, interval_ms, count->value, ut))));
        }
    }
}

}  // namespace

void check_policy(const Policy& policy, std::vector<Diagnostic>& out) {
    const std::string& file = policy.source;
    const SettingsSpec none;
    if (policy.defaults)
        check_settings(
            *policy.defaults, none, [] { return std::string("[defaults]"); }, file, out);

    std::unordered_map<std::string_view, const Rule*> names;
    names.reserve(policy.rules.size());
    for (const Rule& rule : policy.rules) {
        check_settings(
            rule.settings, policy.defaults ? *policy.defaults : none, [&] { return rule.display_name(); }, file, out);
        if (!rule.name.empty()) {
            auto [it, inserted] = names.emplace(rule.name, &rule);
            if (!inserted) {
                out.push_back({Severity::error, file, rule.pos.line, rule.pos.column,
                               fmt::format("duplicate rule name \"{}\" (first used by the rule at line {})", rule.name, it->second->pos.line)});
            }
        }
        const std::size_t later = policy.rules.size() - rule.index - 1;
        if (rule.matches_everything() && later > 0) {
            warn(out, file, rule.pos,
                 fmt::format("{} has no direction, ports, process or peers, so it matches every socket and {} after it never {}", rule.display_name(),
                             later == 1 ? std::string("the rule") : fmt::format("the {} rules", later), later == 1 ? "applies" : "apply"));
        }
    }
}

}  // namespace tcpkeep
