#include "tools/policy/settings_overrides.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <algorithm>

#include "config/policy_reader.h"
#include "tools/policy/policy_writer.h"

namespace tcpkeep::cli {
namespace {

bool is_bare_key(std::string_view key) {
    return !key.empty() && std::all_of(key.begin(), key.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    });
}

bool is_integer(std::string_view v) {
    if (v.starts_with('-') || v.starts_with('+')) v.remove_prefix(1);
    return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// As the user would write it in the file: booleans and integers bare, anything else a string,
// so "idle=30" gets the reader's "needs a unit" and "count=three" its "must be an integer".
std::string toml_value(std::string_view v) {
    if (v == "true" || v == "false" || is_integer(v)) return std::string(v);
    return toml_string(v);
}

template <typename T>
void take(std::optional<T>& into, const std::optional<T>& from) {
    if (from) into = from;
}

void merge(SettingsSpec& into, const SettingsSpec& from) {
    for_each_option_field([&](Option, auto member) { take(into.*member, from.*member); });
    take(into.enforce, from.enforce);
}

}  // namespace

Result<Overrides> parse_overrides(const std::vector<std::string>& args) {
    Overrides out;
    for (const std::string& arg : args) {
        const std::size_t eq = arg.find('=');
        const std::string_view key = std::string_view(arg).substr(0, eq);
        if (eq == std::string::npos || !is_bare_key(key))
            return Error{fmt::format("-s {}: expected KEY=VALUE with a [defaults] key ({})", arg, fmt::join(settings_keys(), ", "))};
        const std::string snippet = fmt::format("version = 1\n[defaults]\n{} = {}\n", key, toml_value(std::string_view(arg).substr(eq + 1)));
        const PolicyLoad load = read_policy(snippet, "-s");
        if (!load.ok()) {
            const Diagnostic* d = first_error(load.diagnostics);
            return Error{fmt::format("-s {}: {}", arg, d != nullptr ? d->message : "invalid")};
        }
        merge(out.settings, *load.policy->defaults);
        out.written.push_back(arg);
    }
    return out;
}

void apply_overrides(Policy& policy, const Overrides& overrides) {
    if (overrides.written.empty()) return;  // an empty [defaults] would turn "untouched" into "apply nothing"
    if (!policy.defaults) policy.defaults.emplace();
    merge(*policy.defaults, overrides.settings);
}

}  // namespace tcpkeep::cli
