// The only translation unit that includes toml++ (header-only, exceptions off).
#include "config/policy_reader.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/duration.h"
#include "config/nesting_scan.h"
#include "config/policy_checks.h"
#include "config/settings.h"
#include "config/suggest.h"

namespace tcpkeep {
namespace {

constexpr std::array<std::string_view, 3> top_keys{"version", "defaults", "rule"};
constexpr std::array<std::string_view, 6> settings_keys{"keepalive", "idle", "interval", "count", "user_timeout", "enforce"};
constexpr std::array<std::string_view, 12> rule_keys{"name",     "direction", "ports",    "process",
                                                     "peers",    "action",    "keepalive", "idle",
                                                     "interval", "count",     "user_timeout", "enforce"};

SourcePos pos_of(const toml::source_region& r) { return {r.begin.line, r.begin.column}; }

const char* type_name(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::string: return "a string";
        case toml::node_type::integer: return "an integer";
        case toml::node_type::floating_point: return "a float";
        case toml::node_type::boolean: return "a boolean";
        case toml::node_type::table: return "a table";
        case toml::node_type::array: return "an array";
        case toml::node_type::date: return "a date";
        case toml::node_type::time: return "a time";
        case toml::node_type::date_time: return "a date-time";
        default: return "nothing";
    }
}

class Reader {
public:
    explicit Reader(std::string_view source) : source_(source) {}

    std::vector<Diagnostic> diagnostics;

    void error(SourcePos p, std::string message) {
        diagnostics.push_back({Severity::error, std::string(source_), p.line, p.column, std::move(message)});
    }

    Policy read(const toml::table& root) {
        Policy policy;
        policy.source = source_;
        read_version(root);
        for (auto&& [key, node] : root) {
            const std::string_view k = key.str();
            if (k == "version") continue;
            if (k == "defaults") {
                if (const toml::table* t = node.as_table()) {
                    policy.defaults = read_settings_table(*t, "[defaults]", settings_keys);
                } else {
                    error(pos_of(key.source()), fmt::format("\"defaults\" must be a table ([defaults]), not {}", type_name(node)));
                }
            } else if (k == "rule") {
                read_rules(node, pos_of(key.source()), policy.rules);
            } else {
                unknown_key(key, "at the top level", top_keys);
            }
        }
        return policy;
    }

private:
    std::string_view source_;

    void unknown_key(const toml::key& key, std::string_view where, std::span<const std::string_view> known) {
        std::string message = fmt::format("unknown key \"{}\" {}", key.str(), where);
        std::string_view suggestion = closest_match(key.str(), known);
        const bool misplaced_setting = known.data() == top_keys.data() &&
                                       std::find(settings_keys.begin(), settings_keys.end(), key.str()) != settings_keys.end();
        if (misplaced_setting) {
            message += "; settings go in [defaults] or a [[rule]]";
        } else if (!suggestion.empty()) {
            message += fmt::format("; did you mean \"{}\"?", suggestion);
        }
        error(pos_of(key.source()), std::move(message));
    }

    void read_version(const toml::table& root) {
        const toml::node* v = root.get("version");
        if (v == nullptr) {
            error({1, 1}, "missing \"version = 1\" (required as the first key of a tcpkeep policy)");
            return;
        }
        const auto* i = v->as_integer();
        if (i == nullptr) {
            error(pos_of(v->source()), fmt::format("version must be the integer 1, not {}", type_name(*v)));
        } else if (i->get() != 1) {
            error(pos_of(v->source()), fmt::format("unsupported policy version {} (this tcpkeep reads version = 1)", i->get()));
        }
    }

    void read_rules(const toml::node& node, SourcePos key_pos, std::vector<Rule>& rules) {
        const toml::array* array = node.as_array();
        if (array == nullptr || !array->is_array_of_tables()) {
            error(key_pos, "\"rule\" must be written as [[rule]] tables (an array of tables)");
            return;
        }
        for (const toml::node& element : *array) {
            Rule rule;
            rule.index = rules.size();
            read_rule(*element.as_table(), rule);
            rules.push_back(std::move(rule));
        }
    }

    void read_rule(const toml::table& t, Rule& rule) {
        rule.pos = pos_of(t.source());
        rule.settings = read_settings_table(t, "[[rule]]", rule_keys);
        for (auto&& [key, node] : t) {
            const std::string_view k = key.str();
            const SourcePos p = pos_of(node.source());
            if (k == "name") {
                if (const auto* s = node.as_string(); s != nullptr && !s->get().empty()) {
                    rule.name = s->get();
                } else {
                    error(p, fmt::format("\"name\" must be a non-empty string, not {}", s ? "an empty string" : type_name(node)));
                }
            } else if (k == "direction") {
                read_choice(node, "direction", {"any", "outbound", "inbound"}, [&](std::size_t i) {
                    rule.direction = static_cast<Direction>(i);
                });
            } else if (k == "action") {
                read_choice(node, "action", {"apply", "skip"}, [&](std::size_t i) { rule.action = static_cast<Action>(i); });
            } else if (k == "ports") {
                read_list(node, "ports", [&](const toml::node& n) { read_port(n, rule.ports); });
            } else if (k == "process") {
                read_list(node, "process", [&](const toml::node& n) { read_process(n, rule.process); });
            } else if (k == "peers") {
                read_list(node, "peers", [&](const toml::node& n) { read_peer(n, rule.peers); });
            }
        }
    }

    template <typename Store>
    void read_choice(const toml::node& node, std::string_view key, std::initializer_list<std::string_view> choices, Store store) {
        const auto* s = node.as_string();
        std::size_t i = 0;
        for (std::string_view c : choices) {
            if (s != nullptr && s->get() == c) {
                store(i);
                return;
            }
            ++i;
        }
        std::string allowed;
        for (std::string_view c : choices) allowed += fmt::format("{}\"{}\"", allowed.empty() ? "" : ", ", c);
        std::string got = s != nullptr ? fmt::format("\"{}\"", s->get()) : std::string(type_name(node));
        error(pos_of(node.source()), fmt::format("{} must be one of {}, got {}", key, allowed, got));
    }

    // A list key also accepts a single value; an empty list is an error (it would match nothing).
    template <typename Each>
    void read_list(const toml::node& node, std::string_view key, Each each) {
        if (const toml::array* a = node.as_array()) {
            if (a->empty()) {
                error(pos_of(node.source()), fmt::format("\"{}\" is empty and would match nothing; remove the key to match any", key));
            }
            for (const toml::node& n : *a) each(n);
        } else {
            each(node);
        }
    }

    void read_port(const toml::node& n, std::vector<PortRange>& ports) {
        const SourcePos p = pos_of(n.source());
        auto valid = [&](std::int64_t v, std::string_view written) {
            if (v >= 1 && v <= 65535) return true;
            error(p, fmt::format("port {} is out of range (ports are 1..65535)", written));
            return false;
        };
        if (const auto* i = n.as_integer()) {
            if (valid(i->get(), std::to_string(i->get())))
                ports.push_back({static_cast<std::uint16_t>(i->get()), static_cast<std::uint16_t>(i->get())});
            return;
        }
        const auto* s = n.as_string();
        if (s == nullptr) {
            error(p, fmt::format("a port must be an integer or a \"FIRST-LAST\" string, not {}", type_name(n)));
            return;
        }
        const std::string_view text = s->get();
        const std::size_t dash = text.find('-');
        auto number = [&](std::string_view part, std::int64_t& out) {
            auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), out);
            return !part.empty() && ec == std::errc{} && ptr == part.data() + part.size();
        };
        std::int64_t first = 0;
        std::int64_t last = 0;
        const std::string_view a = text.substr(0, dash);
        const std::string_view b = dash == std::string_view::npos ? a : text.substr(dash + 1);
        if (!number(a, first) || !number(b, last)) {
            error(p, fmt::format("bad port range \"{}\" (write \"6000-6100\" or a number)", text));
            return;
        }
        if (!valid(first, a) || !valid(last, b)) return;
        if (first > last) {
            error(p, fmt::format("port range \"{}\" is reversed; did you mean \"{}-{}\"?", text, last, first));
            return;
        }
        ports.push_back({static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last)});
    }

    void read_process(const toml::node& n, std::vector<std::string>& process) {
        const auto* s = n.as_string();
        if (s == nullptr || s->get().empty()) {
            error(pos_of(n.source()), fmt::format("a process pattern must be a non-empty string, not {}", s ? "an empty string" : type_name(n)));
            return;
        }
        process.push_back(s->get());
    }

    void read_peer(const toml::node& n, std::vector<Cidr>& peers) {
        const auto* s = n.as_string();
        if (s == nullptr) {
            error(pos_of(n.source()), fmt::format("a peer must be a CIDR string like \"10.0.0.0/8\", not {}", type_name(n)));
            return;
        }
        CidrParse c = parse_cidr(s->get());
        if (c.cidr) {
            peers.push_back(*c.cidr);
        } else {
            error(pos_of(n.source()), fmt::format("bad peer: {}", c.error));
        }
    }

    SettingsSpec read_settings_table(const toml::table& t, std::string_view where, std::span<const std::string_view> known) {
        SettingsSpec spec;
        for (auto&& [key, node] : t) {
            const std::string_view k = key.str();
            const SourcePos p = pos_of(node.source());
            if (k == "keepalive" || k == "enforce") {
                if (const auto* b = node.as_boolean()) {
                    (k == "keepalive" ? spec.keepalive : spec.enforce) = Located<bool>{b->get(), p};
                } else {
                    error(p, fmt::format("{} must be true or false, not {}", k, type_name(node)));
                }
            } else if (k == "idle" || k == "interval") {
                if (auto s = read_keepalive_seconds(node, k)) (k == "idle" ? spec.idle_s : spec.interval_s) = Located<std::int32_t>{*s, p};
            } else if (k == "count") {
                const auto* i = node.as_integer();
                if (i != nullptr && i->get() >= 1 && i->get() <= max_keepalive_count) {
                    spec.count = Located<std::int32_t>{static_cast<std::int32_t>(i->get()), p};
                } else if (i != nullptr) {
                    error(p, fmt::format("count must be between 1 and {}, got {}", max_keepalive_count, i->get()));
                } else {
                    error(p, fmt::format("count must be an integer (probes), not {}", type_name(node)));
                }
            } else if (k == "user_timeout") {
                if (auto u = read_user_timeout(node)) spec.user_timeout = Located<UserTimeoutSpec>{*u, p};
            } else if (std::find(known.begin(), known.end(), k) == known.end()) {
                unknown_key(key, fmt::format("in {}", where), known);
            }
        }
        return spec;
    }

    // A duration string; a bare number gets the "did you mean" with the unit it most likely meant.
    std::optional<std::int64_t> read_duration(const toml::node& node, std::string_view key, std::string_view bare_unit) {
        const SourcePos p = pos_of(node.source());
        if (const auto* i = node.as_integer()) {
            error(p, fmt::format("{} needs a unit; did you mean \"{}{}\"?", key, i->get(), bare_unit));
            return std::nullopt;
        }
        const auto* s = node.as_string();
        if (s == nullptr) {
            error(p, fmt::format("{} must be a duration string like \"30s\", not {}", key, type_name(node)));
            return std::nullopt;
        }
        DurationParse d = parse_duration(s->get());
        if (!d.ms) {
            error(p, fmt::format("bad duration for {}: {}", key, d.error));
            return std::nullopt;
        }
        return d.ms;
    }

    std::optional<std::int32_t> read_keepalive_seconds(const toml::node& node, std::string_view key) {
        std::optional<std::int64_t> ms = read_duration(node, key, "s");
        if (!ms) return std::nullopt;
        const std::string written = node.as_string()->get();
        if (*ms % 1000 != 0) {
            error(pos_of(node.source()), fmt::format("{} must be whole seconds (the kernel counts it in seconds), got \"{}\"", key, written));
            return std::nullopt;
        }
        if (*ms < 1000 || *ms > std::int64_t{max_keepalive_seconds} * 1000) {
            error(pos_of(node.source()), fmt::format("{} must be between 1s and {}s, got \"{}\"", key, max_keepalive_seconds, written));
            return std::nullopt;
        }
        return static_cast<std::int32_t>(*ms / 1000);
    }

    std::optional<UserTimeoutSpec> read_user_timeout(const toml::node& node) {
        if (const auto* s = node.as_string()) {
            if (s->get() == "auto") return UserTimeoutSpec{true, 0};
            if (s->get() == "off") return UserTimeoutSpec{false, 0};
        }
        // A bare number most likely means milliseconds: TCP_USER_TIMEOUT and PostgreSQL's tcp_user_timeout use them.
        std::optional<std::int64_t> ms = read_duration(node, "user_timeout", "ms");
        if (!ms) return std::nullopt;
        if (*ms > max_user_timeout_ms) {
            error(pos_of(node.source()), fmt::format("user_timeout must be at most {}ms, got \"{}\"", max_user_timeout_ms, node.as_string()->get()));
            return std::nullopt;
        }
        return UserTimeoutSpec{false, static_cast<std::int32_t>(*ms)};
    }
};

}  // namespace

PolicyLoad read_policy(std::string_view text, std::string_view source_name) noexcept {
    PolicyLoad load;
    try {
        if (std::optional<ScanProblem> problem = scan_before_toml(text)) {
            // The text before the problem is safe for toml++, which reports an earlier error first.
            const toml::parse_result before = toml::parse(text.substr(0, problem->offset), source_name);
            const toml::source_position at = before ? toml::source_position{} : before.error().source().begin;
            if (!before && (at.line < problem->pos.line || (at.line == problem->pos.line && at.column < problem->pos.column))) {
                load.diagnostics.push_back({Severity::error, std::string(source_name), at.line, at.column, std::string(before.error().description())});
            } else {
                load.diagnostics.push_back({Severity::error, std::string(source_name), problem->pos.line, problem->pos.column,
                                            std::move(problem->message)});
            }
            return load;
        }
        toml::parse_result parsed = toml::parse(text, source_name);
        if (!parsed) {
            const toml::parse_error& e = parsed.error();
            load.diagnostics.push_back({Severity::error, std::string(source_name), e.source().begin.line,
                                        e.source().begin.column, std::string(e.description())});
            return load;
        }
        Reader reader(source_name);
        Policy policy = reader.read(parsed.table());
        load.diagnostics = std::move(reader.diagnostics);
        if (!has_errors(load.diagnostics)) check_policy(policy, load.diagnostics);
        // toml++ visits keys in sorted order; report in file order like a compiler.
        std::stable_sort(load.diagnostics.begin(), load.diagnostics.end(), [](const Diagnostic& a, const Diagnostic& b) {
            return a.line != b.line ? a.line < b.line : a.column < b.column;
        });
        if (!has_errors(load.diagnostics)) load.policy = std::move(policy);
    } catch (...) {  // only allocation failure gets here; report it without allocating more
        load.policy.reset();
        load.diagnostics.clear();
        try {
            load.diagnostics.push_back({Severity::error, std::string(source_name), 0, 0, "out of memory while reading the policy"});
        } catch (...) {
        }
    }
    return load;
}

}  // namespace tcpkeep
