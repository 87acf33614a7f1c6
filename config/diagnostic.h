// A finding about a policy, located as FILE:LINE:COL like a compiler message.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tcpkeep {

enum class Severity { error, warning };

struct Diagnostic {
    Severity severity = Severity::error;
    std::string file;
    std::uint32_t line = 0;    // 1-based; 0 when the finding is about the whole file (I/O)
    std::uint32_t column = 0;  // 1-based
    std::string message;

    // "FILE:LINE:COL: message" (or "FILE: message" without a position).
    [[nodiscard]] std::string location_and_message() const;
    // As printed by `tcpkeep check`: "FILE:LINE:COL: error: message".
    [[nodiscard]] std::string to_string() const;
};

bool has_errors(const std::vector<Diagnostic>& diagnostics);
const Diagnostic* first_error(const std::vector<Diagnostic>& diagnostics);

}  // namespace tcpkeep
