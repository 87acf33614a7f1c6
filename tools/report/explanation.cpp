#include "tools/report/explanation.h"

#include <fmt/format.h>

#include "config/duration.h"
#include "config/middlebox_timeouts.h"
#include "config/option_table.h"
#include "tools/report/option_values.h"

namespace tcpkeep::cli {
namespace {

std::string origin_text(const Verdict& v, Option o, const char* sysctl) {
    switch (v.origin[static_cast<std::size_t>(o)]) {
        case Origin::rule: return fmt::format("rule \"{}\"", v.name);
        case Origin::defaults: return "[defaults]";
        case Origin::unset: break;
    }
    if (o == Option::keepalive) return "not set: the program's choice (off unless it enables it)";
    if (o == Option::user_timeout) return "not set: 0 (off)";
    return fmt::format("sysctl net.ipv4.{}", sysctl);
}

std::string list_seconds(const std::vector<std::int64_t>& times, std::size_t show = 6) {
    std::string out;
    for (std::size_t i = 0; i < times.size() && i < show; ++i) out += (i ? ", " : "") + format_seconds(times[i]);
    if (times.size() > show) out += fmt::format(", ... ({} in all)", times.size());
    return out;
}

}  // namespace

nlohmann::json kernel_json(const KernelDefaults& k) {
    return {{"tcp_keepalive_time", k.keepalive_time_s},
            {"tcp_keepalive_intvl", k.keepalive_intvl_s},
            {"tcp_keepalive_probes", k.keepalive_probes},
            {"tcp_retries2", k.retries2},
            {"tcp_syn_retries", k.syn_retries},
            {"tcp_syn_linear_timeouts", k.syn_linear_timeouts},
            {"tcp_rto_min_ms", k.rto_min_ms},
            {"tcp_rto_max_ms", k.rto_max_ms},
            {"tcp_early_retrans", k.early_retrans}};
}

std::string kernel_text(const KernelDefaults& k) {
    return fmt::format("tcp_keepalive_time {}, tcp_keepalive_intvl {}, tcp_keepalive_probes {}, tcp_retries2 {}, tcp_syn_retries {}",
                       format_duration(std::int64_t{k.keepalive_time_s} * 1000), format_duration(std::int64_t{k.keepalive_intvl_s} * 1000),
                       k.keepalive_probes, k.retries2, k.syn_retries);
}

Explanation explain(const CompiledPolicy& policy, Direction direction, std::uint16_t port, const PeerAddress* peer, const KernelDefaults& kernel) {
    const Verdict& v = policy.decide(direction, port, peer);
    Explanation e;
    e.action = action_name(v.kind);
    e.rule = v.name;
    e.rule_index = v.rule_index;
    e.enforce = v.enforce;
    e.kernel = kernel;
    const bool applied = v.kind == Verdict::Kind::apply;
    const Settings s = applied ? v.settings : Settings{};
    e.policy_settings = s;
    e.user_timeout_auto = applied && v.user_timeout_auto;
    const Verdict none{};
    const Verdict& shown = applied ? v : none;
    EffectiveValues& eff = e.effective;
    eff.keepalive = s.has(Option::keepalive) && s.keepalive;
    eff.idle_s = s.has(Option::idle) ? s.idle_s : kernel.keepalive_time_s;
    eff.interval_s = s.has(Option::interval) ? s.interval_s : kernel.keepalive_intvl_s;
    eff.count = s.has(Option::count) ? s.count : kernel.keepalive_probes;
    eff.user_timeout_ms = s.has(Option::user_timeout) ? s.user_timeout_ms : 0;
    e.source = {origin_text(shown, Option::keepalive, ""), origin_text(shown, Option::idle, "tcp_keepalive_time"),
                origin_text(shown, Option::interval, "tcp_keepalive_intvl"), origin_text(shown, Option::count, "tcp_keepalive_probes"),
                origin_text(shown, Option::user_timeout, "")};
    e.timeline = compute_timeline(eff, kernel);
    return e;
}

nlohmann::json to_json(const Explanation& e) {
    using nlohmann::json;
    // One entry of "values", named by the option's JSON field.
    auto value = [&](Option o, json v) {
        json out{{"value", std::move(v)}, {"source", e.source[static_cast<std::size_t>(o)]}, {"set_by_policy", e.policy_settings.has(o)}};
        if (o == Option::user_timeout) out["auto"] = e.user_timeout_auto;
        return std::pair{json_field(o), std::move(out)};
    };
    const Timeline& t = e.timeline;
    auto optional_ms = [](const std::optional<std::int64_t>& ms) { return ms ? json(*ms) : json(nullptr); };
    const std::optional<std::string> middlebox = e.effective.keepalive ? middlebox_warning(e.effective.idle_s) : std::nullopt;
    return json{
        {"action", e.action},
        {"rule", e.rule.empty() ? json(nullptr) : json(e.rule)},
        {"enforce", e.enforce},
        {"values", json::object({value(Option::keepalive, e.effective.keepalive), value(Option::idle, e.effective.idle_s),
                                 value(Option::interval, e.effective.interval_s), value(Option::count, e.effective.count),
                                 value(Option::user_timeout, e.effective.user_timeout_ms)})},
        {"kernel", kernel_json(e.kernel)},
        {"probe_times_ms", t.probe_ms},
        {"detect_idle_ms", optional_ms(t.detect_idle_ms)},
        {"retransmit_times_ms", t.retransmit_ms},
        {"detect_busy_ms", t.detect_busy_ms},
        {"busy_bound", t.busy_bounded_by_user_timeout ? "user_timeout" : "tcp_retries2"},
        {"detect_busy_early_ms", optional_ms(t.detect_busy_early_ms)},
        {"syn_times_ms", t.syn_ms},
        {"detect_connect_ms", t.detect_connect_ms},
        {"connect_bound", t.connect_bounded_by_user_timeout ? "user_timeout" : "tcp_syn_retries"},
        {"detect_reset_ms", optional_ms(t.detect_reset_ms)},
        {"middlebox_warning", middlebox ? json(*middlebox) : json(nullptr)},
    };
}

std::string to_text(const Explanation& e) {
    std::string out;
    if (e.action == "untouched") {
        out += "matched:  nothing (no rule matches and the policy has no [defaults]): the socket is left as the program made it\n";
    } else if (e.action == "skip") {
        out += fmt::format("matched:  rule \"{}\" with action = \"skip\": the socket is left as the program made it\n", e.rule);
    } else {
        out += fmt::format("matched:  {}{}\n", e.rule_index >= 0 ? fmt::format("rule \"{}\"", e.rule) : e.rule,
                           e.enforce ? " (enforce: the program's own setsockopt of these options is ignored)" : "");
    }
    const EffectiveValues& v = e.effective;
    out += "values:\n";
    auto row = [&](Option o, const std::string& value) {
        out += fmt::format("  {:<13} {:<10} {}\n", option_spec(o).key, value, e.source[static_cast<std::size_t>(o)]);
    };
    row(Option::keepalive, v.keepalive ? "on" : "off");
    row(Option::idle, format_duration(std::int64_t{v.idle_s} * 1000));
    row(Option::interval, format_duration(std::int64_t{v.interval_s} * 1000));
    row(Option::count, std::to_string(v.count));
    row(Option::user_timeout, v.user_timeout_ms ? format_duration(v.user_timeout_ms) : "off");
    if (e.user_timeout_auto) out += "                           (auto = idle + interval x count)\n";
    if (v.keepalive) {
        if (const std::optional<std::string> middlebox = middlebox_warning(v.idle_s)) out += fmt::format("warning:  {}\n", *middlebox);
    }
    const Timeline& t = e.timeline;
    out += "when the peer disappears:\n";
    if (t.detect_idle_ms) {
        out += fmt::format("  (a) idle connection, peer silent:   probes at {}; detected at {}{}\n", list_seconds(t.probe_ms),
                           format_seconds(*t.detect_idle_ms),
                           v.user_timeout_ms ? " (user_timeout reached after a probe; count is ignored)" : " (count probes unanswered)");
    } else {
        out += "  (a) idle connection, peer silent:   never detected (keepalive is off)\n";
    }
    out += fmt::format("  (b) unacknowledged data:            detected at {} ({})\n", format_seconds(t.detect_busy_ms),
                       t.busy_bounded_by_user_timeout
                           ? "user_timeout"
                           : fmt::format("tcp_retries2 = {}, RTO about {}ms on a LAN", e.kernel.retries2, lan_rto_ms(e.kernel)));
    if (t.detect_busy_early_ms)
        out += fmt::format("      or already at {}: that retransmission falls so little short of the limit that late\n"
                           "      timers (the kernel rounds each up, by up to an eighth) can carry it past\n",
                           format_seconds(*t.detect_busy_early_ms));
    out += fmt::format("  (c) connect() to a silent host:     gives up at {} ({}; SYN retransmissions at {})\n", format_seconds(t.detect_connect_ms),
                       t.connect_bounded_by_user_timeout ? "user_timeout" : fmt::format("tcp_syn_retries = {}", e.kernel.syn_retries),
                       list_seconds(t.syn_ms));
    if (t.detect_reset_ms) {
        out += fmt::format("  (d) peer answers with RST:          detected at {} (the first probe)\n", format_seconds(*t.detect_reset_ms));
    } else {
        out += "  (d) peer answers with RST:          only when the program next sends (keepalive is off)\n";
    }
    return out;
}

}  // namespace tcpkeep::cli
