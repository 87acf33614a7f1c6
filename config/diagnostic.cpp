#include "config/diagnostic.h"

#include <fmt/format.h>

namespace tcpkeep {

Diagnostic Diagnostic::io_error(std::string file, std::string message) {
    return {Severity::error, std::move(file), 0, 0, std::move(message), Kind::io};
}

Diagnostic Diagnostic::out_of_memory(std::string file) {
    return {Severity::error, std::move(file), 0, 0, "out of memory while reading the policy", Kind::out_of_memory};
}

std::string Diagnostic::location_and_message() const {
    if (!located()) return fmt::format("{}: {}", file, message);
    return fmt::format("{}:{}:{}: {}", file, line, column, message);
}

std::string Diagnostic::to_string() const {
    const char* severity_name = severity == Severity::error ? "error" : "warning";
    if (!located()) return fmt::format("{}: {}: {}", file, severity_name, message);
    return fmt::format("{}:{}:{}: {}: {}", file, line, column, severity_name, message);
}

bool has_errors(const std::vector<Diagnostic>& diagnostics) { return first_error(diagnostics) != nullptr; }

const Diagnostic* first_error(const std::vector<Diagnostic>& diagnostics) {
    for (const Diagnostic& d : diagnostics)
        if (d.severity == Severity::error) return &d;
    return nullptr;
}

}  // namespace tcpkeep
