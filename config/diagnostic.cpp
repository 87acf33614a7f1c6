#include "config/diagnostic.h"

#include <fmt/format.h>

namespace tcpkeep {

std::string Diagnostic::location_and_message() const {
    if (line == 0) return fmt::format("{}: {}", file, message);
    return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

std::string Diagnostic::to_string() const {
    const char* kind = severity == Severity::error ? "error" : "warning";
    if (line == 0) return fmt::format("{}: {}: {}", file, kind, message);
    return fmt::format("{}:{}:{}: {}: {}", file, line, column, kind, message);
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) { return first_error(diagnostics) != nullptr; }

const Diagnostic* first_error(const std::vector<Diagnostic>& diagnostics) {
    for (const Diagnostic& d : diagnostics)
        if (d.severity == Severity::error) return &d;
    return nullptr;
}

}  // namespace tcpkeep
