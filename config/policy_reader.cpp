// A policy from its TOML text: the plain parser's Document when the text is plain, toml++'s
// otherwise, then one reader for both that turns the Document into a Policy and its diagnostics.
#include "config/policy_reader.h"

#include <fmt/format.h>
#include <algorithm>
#include <array>
#include <charconv>

#include "config/digest.h"
#include "config/document.h"
#include "config/duration.h"
#include "config/option_table.h"
#include "config/plain_toml.h"
#include "config/policy_keys.h"
#include "config/policy_checks.h"
#include "config/suggest.h"
#include "config/toml_document.h"

namespace tcpkeep {
namespace {

using Node = DocumentNode;
using Type = DocumentNode::Type;

const char* type_name(const Node& n) {
    switch (n.type) {
        case Type::string: return "a string";
        case Type::integer: return "an integer";
        case Type::floating_point: return "a float";
        case Type::boolean: return "a boolean";
        case Type::table: return "a table";
        case Type::array: return "an array";
        case Type::date: return "a date";
        case Type::time: return "a time";
        case Type::date_time: return "a date-time";
    }
    return "nothing";
}

class Reader {
public:
    Reader(std::string_view source, const Document& doc) : source_(source), doc_(doc) {}

    std::vector<Diagnostic> diagnostics;

    void error(SourcePos p, std::string message) {
        diagnostics.push_back({Severity::error, std::string(source_), p.line, p.column, std::move(message)});
    }

    Policy read() {
        const Node& root = doc_.root();
        Policy policy;
        policy.source = source_;
        read_version(root);
        for (const DocumentEntry& e : doc_.entries(root)) {
            const Node& node = doc_.node(e);
            const std::string_view key = doc_.key(e);
            if (key == "version") continue;
            if (key == "defaults") {
                if (node.type == Type::table) {
                    policy.defaults = read_settings_table(node, "[defaults]", policy_keys::settings);
                } else {
                    error(e.key_pos, fmt::format("\"defaults\" must be a table ([defaults]), not {}", type_name(node)));
                }
            } else if (key == "rule") {
                read_rules(node, e.key_pos, policy.rules);
            } else {
                unknown_key(e, "at the top level", policy_keys::top);
            }
        }
        return policy;
    }

private:
    std::string_view source_;
    const Document& doc_;

    std::optional<std::string_view> as_string(const Node& n) const { return n.type == Type::string ? std::optional(doc_.string(n)) : std::nullopt; }
    static std::optional<std::int64_t> as_integer(const Node& n) {
        return n.type == Type::integer ? std::optional(Document::integer(n)) : std::nullopt;
    }

    void unknown_key(const DocumentEntry& key, std::string_view where, std::span<const std::string_view> known) {
        const std::string_view name = doc_.key(key);
        std::string message = fmt::format("unknown key \"{}\" {}", name, where);
        std::string_view suggestion = closest_match(name, known);
        const bool misplaced_setting =
            known.data() == policy_keys::top.data() && std::find(policy_keys::settings.begin(), policy_keys::settings.end(), name) != policy_keys::settings.end();
        if (misplaced_setting) {
            message += "; settings go in [defaults] or a [[rule]]";
        } else if (!suggestion.empty()) {
            message += fmt::format("; did you mean \"{}\"?", suggestion);
        }
        error(key.key_pos, std::move(message));
    }

    void read_version(const Node& root) {
        const Node* v = doc_.find(root, "version");
        if (v == nullptr) {
            error({1, 1}, "missing \"version = 1\" (required as the first key of a tcpkeep policy)");
            return;
        }
        const std::optional<std::int64_t> i = as_integer(*v);
        if (!i) {
            error(v->pos, fmt::format("version must be the integer 1, not {}", type_name(*v)));
        } else if (*i != 1) {
            error(v->pos, fmt::format("unsupported policy version {} (this tcpkeep reads version = 1)", *i));
        }
    }

    void read_rules(const Node& node, SourcePos key_pos, std::vector<Rule>& rules) {
        if (node.type != Type::array || !node.array_of_tables) {
            error(key_pos, "\"rule\" must be written as [[rule]] tables (an array of tables)");
            return;
        }
        rules.reserve(doc_.entries(node).size());
        for (const DocumentEntry& element : doc_.entries(node)) {
            Rule rule;
            rule.index = rules.size();
            read_rule(doc_.node(element), rule);
            rules.push_back(std::move(rule));
        }
    }

    void read_rule(const Node& t, Rule& rule) {
        rule.pos = t.pos;
        rule.settings = read_settings_table(t, "[[rule]]", policy_keys::rule);
        for (const DocumentEntry& e : doc_.entries(t)) {
            const std::string_view k = doc_.key(e);
            const Node& node = doc_.node(e);
            const SourcePos p = node.pos;
            if (k == "name") {
                if (const std::optional<std::string_view> s = as_string(node); s.has_value() && !s->empty()) {
                    rule.name = *s;
                } else {
                    error(p, fmt::format("\"name\" must be a non-empty string, not {}", s ? "an empty string" : type_name(node)));
                }
            } else if (k == "direction") {
                read_choice(node, "direction", {"any", "outbound", "inbound"}, [&](std::size_t i) { rule.direction = static_cast<Direction>(i); });
            } else if (k == "action") {
                read_choice(node, "action", {"apply", "skip"}, [&](std::size_t i) { rule.action = static_cast<Action>(i); });
            } else if (k == "ports") {
                read_list(node, "ports", [&](const Node& n) { read_port(n, rule.ports); });
            } else if (k == "process") {
                read_list(node, "process", [&](const Node& n) { read_process(n, rule.process); });
            } else if (k == "peers") {
                read_list(node, "peers", [&](const Node& n) { read_peer(n, rule.peers); });
            }
        }
    }

    template <typename Store>
    void read_choice(const Node& node, std::string_view key, std::initializer_list<std::string_view> choices, Store store) {
        const std::optional<std::string_view> s = as_string(node);
        std::size_t i = 0;
        for (std::string_view c : choices) {
            if (s.has_value() && *s == c) {
                store(i);
                return;
            }
            ++i;
        }
        std::string allowed;
        for (std::string_view c : choices) allowed += fmt::format("{}\"{}\"", allowed.empty() ? "" : ", ", c);
        std::string got = s.has_value() ? fmt::format("\"{}\"", *s) : std::string(type_name(node));
        error(node.pos, fmt::format("{} must be one of {}, got {}", key, allowed, got));
    }

    // A list key also accepts a single value; an empty list is an error (it would match nothing).
    template <typename Each>
    void read_list(const Node& node, std::string_view key, Each each) {
        if (node.type == Type::array) {
            if (doc_.entries(node).empty()) {
                error(node.pos, fmt::format("\"{}\" is empty and would match nothing; remove the key to match any", key));
            }
            for (const DocumentEntry& e : doc_.entries(node)) each(doc_.node(e));
        } else {
            each(node);
        }
    }

    void read_port(const Node& n, std::vector<PortRange>& ports) {
        const SourcePos p = n.pos;
        auto valid = [&](std::int64_t v, std::string_view written) {
            if (v >= 1 && v <= 65535) return true;
            error(p, fmt::format("port {} is out of range (ports are 1..65535)", written));
            return false;
        };
        if (const std::optional<std::int64_t> i = as_integer(n)) {
            if (valid(*i, std::to_string(*i))) ports.push_back({static_cast<std::uint16_t>(*i), static_cast<std::uint16_t>(*i)});
            return;
        }
        const std::optional<std::string_view> s = as_string(n);
        if (!s) {
            error(p, fmt::format("a port must be an integer or a \"FIRST-LAST\" string, not {}", type_name(n)));
            return;
        }
        const std::string_view text = *s;
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

    void read_process(const Node& n, std::vector<std::string>& process) {
        const std::optional<std::string_view> s = as_string(n);
        if (!s || s->empty()) {
            error(n.pos, fmt::format("a process pattern must be a non-empty string, not {}", s ? "an empty string" : type_name(n)));
            return;
        }
        process.emplace_back(*s);
    }

    void read_peer(const Node& n, std::vector<Cidr>& peers) {
        const std::optional<std::string_view> s = as_string(n);
        if (!s) {
            error(n.pos, fmt::format("a peer must be a CIDR string like \"10.0.0.0/8\", not {}", type_name(n)));
            return;
        }
        const Result<Cidr> c = parse_cidr(*s);
        if (c) {
            peers.push_back(*c);
        } else {
            error(n.pos, fmt::format("bad peer: {}", c.error().message));
        }
    }

    SettingsSpec read_settings_table(const Node& t, std::string_view where, std::span<const std::string_view> known) {
        SettingsSpec spec;
        for (const DocumentEntry& e : doc_.entries(t)) {
            const std::string_view k = doc_.key(e);
            const Node& node = doc_.node(e);
            if (k == "enforce") {
                read_flag(node, k, spec.enforce);
            } else if (const OptionSpec* option = option_by_key(k)) {
                for_each_option_field([&](Option o, auto member) {
                    if (o == option->option) read_value(*option, node, spec.*member);
                });
            } else if (std::find(known.begin(), known.end(), k) == known.end()) {
                unknown_key(e, fmt::format("in {}", where), known);
            }
        }
        return spec;
    }

    void read_flag(const Node& node, std::string_view key, std::optional<Located<bool>>& into) {
        if (node.type == Type::boolean) {
            into = Located<bool>{node.b != 0, node.pos};
        } else {
            error(node.pos, fmt::format("{} must be true or false, not {}", key, type_name(node)));
        }
    }

    // One option's value, by the type of its SettingsSpec field and the kind of its table row.
    void read_value(const OptionSpec& option, const Node& node, std::optional<Located<bool>>& into) { read_flag(node, option.key, into); }
    void read_value(const OptionSpec& option, const Node& node, std::optional<Located<std::int32_t>>& into) {
        const std::optional<std::int32_t> v = option.kind == ValueKind::seconds ? read_whole_seconds(node, option) : read_probes(node, option);
        if (v) into = Located<std::int32_t>{*v, node.pos};
    }
    void read_value(const OptionSpec& option, const Node& node, std::optional<Located<UserTimeoutSpec>>& into) {
        if (auto u = read_user_timeout(node, option)) into = Located<UserTimeoutSpec>{*u, node.pos};
    }

    std::optional<std::int32_t> read_probes(const Node& node, const OptionSpec& option) {
        const std::optional<std::int64_t> i = as_integer(node);
        if (i.has_value() && *i >= option.low && *i <= option.high) return static_cast<std::int32_t>(*i);
        if (i.has_value()) {
            error(node.pos, fmt::format("{} must be between {} and {}, got {}", option.key, option.low, option.high, *i));
        } else {
            error(node.pos, fmt::format("{} must be an integer (probes), not {}", option.key, type_name(node)));
        }
        return std::nullopt;
    }

    // A duration string; a bare number gets the "did you mean" with the unit it most likely meant.
    std::optional<std::int64_t> read_duration(const Node& node, std::string_view key, std::string_view bare_unit) {
        const SourcePos p = node.pos;
        if (const std::optional<std::int64_t> i = as_integer(node)) {
            error(p, fmt::format("{} needs a unit; did you mean \"{}{}\"?", key, *i, bare_unit));
            return std::nullopt;
        }
        const std::optional<std::string_view> s = as_string(node);
        if (!s) {
            error(p, fmt::format("{} must be a duration string like \"30s\", not {}", key, type_name(node)));
            return std::nullopt;
        }
        const Result<std::int64_t> d = parse_duration(*s);
        if (!d) {
            error(p, fmt::format("bad duration for {}: {}", key, d.error().message));
            return std::nullopt;
        }
        return *d;
    }

    std::optional<std::int32_t> read_whole_seconds(const Node& node, const OptionSpec& option) {
        const std::string_view key = option.key;
        std::optional<std::int64_t> ms = read_duration(node, key, "s");
        if (!ms) return std::nullopt;
        const std::string_view written = doc_.string(node);
        if (*ms % 1000 != 0) {
            error(node.pos, fmt::format("{} must be whole seconds (the kernel counts it in seconds), got \"{}\"", key, written));
            return std::nullopt;
        }
        if (*ms < std::int64_t{option.low} * 1000 || *ms > std::int64_t{option.high} * 1000) {
            error(node.pos, fmt::format("{} must be between {}s and {}s, got \"{}\"", key, option.low, option.high, written));
            return std::nullopt;
        }
        return static_cast<std::int32_t>(*ms / 1000);
    }

    std::optional<UserTimeoutSpec> read_user_timeout(const Node& node, const OptionSpec& option) {
        if (const std::optional<std::string_view> s = as_string(node)) {
            if (*s == "auto") return UserTimeoutSpec{true, 0};
            if (*s == "off") return UserTimeoutSpec{false, 0};
        }
        // A bare number most likely means milliseconds: TCP_USER_TIMEOUT and PostgreSQL's tcp_user_timeout use them.
        std::optional<std::int64_t> ms = read_duration(node, option.key, "ms");
        if (!ms) return std::nullopt;
        if (*ms > option.high) {
            error(node.pos, fmt::format("{} must be at most {}ms, got \"{}\"", option.key, option.high, doc_.string(node)));
            return std::nullopt;
        }
        return UserTimeoutSpec{false, static_cast<std::int32_t>(*ms)};
    }
};

}  // namespace

std::span<const std::string_view> settings_keys() { return policy_keys::settings; }

PolicyLoad read_policy(std::string_view text, std::string_view source_name) noexcept {
    PolicyLoad load;
    load.text_bytes = text.size();
    load.text_digest = digest64(text);
    try {
        std::optional<Document> doc = parse_plain_toml(text);
        if (!doc) {
            Result<Document, TomlError> parsed = parse_toml(text);
            if (!parsed) {
                TomlError e = std::move(parsed).error();
                load.diagnostics.push_back({Severity::error, std::string(source_name), e.pos.line, e.pos.column, std::move(e.message)});
                return load;
            }
            doc = std::move(parsed).value();
        }
        Reader reader(source_name, *doc);
        Policy policy = reader.read();
        load.diagnostics = std::move(reader.diagnostics);
        if (!has_errors(load.diagnostics)) check_policy(policy, load.diagnostics);
        // Report in file order like a compiler.
        std::stable_sort(load.diagnostics.begin(), load.diagnostics.end(),
                         [](const Diagnostic& a, const Diagnostic& b) { return a.line != b.line ? a.line < b.line : a.column < b.column; });
        if (!has_errors(load.diagnostics)) load.policy = std::move(policy);
    } catch (...) {  // only allocation failure gets here
        PolicyLoad failed = PolicyLoad::out_of_memory(source_name);
        failed.text_bytes = load.text_bytes;
        failed.text_digest = load.text_digest;
        return failed;
    }
    return load;
}

PolicyLoad PolicyLoad::out_of_memory(std::string_view source_name) noexcept {
    PolicyLoad load;
    try {
        load.diagnostics.push_back(Diagnostic::out_of_memory(std::string(source_name)));
    } catch (...) {
    }
    return load;
}

}  // namespace tcpkeep
