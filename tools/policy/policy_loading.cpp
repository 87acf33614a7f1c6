#include "tools/policy/policy_loading.h"

#include <fmt/format.h>
#include <cstdio>
#include <cstdlib>
#include <new>

#include "config/embedded_default.h"

namespace tcpkeep::cli {

std::string ChosenPolicy::path_or_name() const { return location.kind == PolicyLocation::Kind::embedded ? embedded_source_name : location.path; }

std::string ChosenPolicy::describe() const {
    switch (location.kind) {
        case PolicyLocation::Kind::command_line: return location.path;
        case PolicyLocation::Kind::environment: return fmt::format("{} (from TCPKEEP_POLICY)", location.path);
        case PolicyLocation::Kind::system: return fmt::format("{} (system policy)", location.path);
        case PolicyLocation::Kind::embedded: break;
    }
    return fmt::format("{} (no TCPKEEP_POLICY and no {})", embedded_source_name, TCPKEEP_SYSCONF_POLICY);
}

ChosenPolicy choose_policy(const std::optional<std::string>& explicit_path) {
    ChosenPolicy chosen;
    chosen.location = explicit_path ? PolicyLocation{PolicyLocation::Kind::command_line, *explicit_path}
                                    : discover_policy(std::getenv("TCPKEEP_POLICY"), false, TCPKEEP_SYSCONF_POLICY);
    // As load_policy reads it, keeping the text: what cgroup mode compiles and records with an
    // attachment must be the same bytes, without reading the file a second time.
    try {
        Result<std::string> text = chosen.location.kind == PolicyLocation::Kind::embedded ? Result<std::string>(std::string(embedded_default_policy()))
                                                                                          : read_policy_text(chosen.location.path, false);
        if (!text) {
            chosen.load.diagnostics.push_back(Diagnostic::io_error(chosen.location.path, text.error().message));
            return chosen;
        }
        chosen.text = std::move(text).value();
    } catch (const std::bad_alloc&) {
        chosen.load = PolicyLoad::out_of_memory(chosen.path_or_name());
        return chosen;
    }
    chosen.load = read_policy(chosen.text, chosen.path_or_name());
    return chosen;
}

LoadStatus report_load(const ChosenPolicy& chosen, bool print_warnings) {
    bool unreadable = false;
    for (const Diagnostic& d : chosen.load.diagnostics) {
        if (!d.located()) {
            unreadable = true;
            std::fprintf(stderr, "tcpkeep: %s\n", d.location_and_message().c_str());
        } else if (d.severity == Severity::error || print_warnings) {
            std::printf("%s\n", d.to_string().c_str());
        }
    }
    if (!chosen.load.ok() && chosen.load.diagnostics.empty()) {  // memory ran out before the diagnostic could be made
        unreadable = true;
        std::fprintf(stderr, "tcpkeep: %s: cannot load policy (out of memory)\n", chosen.path_or_name().c_str());
    }
    if (unreadable) return LoadStatus::unreadable;
    return chosen.load.ok() ? LoadStatus::usable : LoadStatus::invalid;
}

}  // namespace tcpkeep::cli
