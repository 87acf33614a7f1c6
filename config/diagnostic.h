// A finding about a policy, located as FILE:LINE:COL like a compiler message, or about the policy
// file as a whole (it cannot be read, or reading it ran out of memory): config/result.h says how
// this fits with the rest of tcpkeep's error handling.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace tcpkeep {

enum class Severity { error, warning };

struct Diagnostic {
    // located: about a place in the policy's text, for its author. io and out_of_memory: about the
    // file as a whole, without a position; the tool reports them as its own error (exit status 2).
    enum class Kind : std::uint8_t { located, io, out_of_memory };

    Severity severity = Severity::error;
    std::string file;
    std::uint32_t line = 0;    // 1-based; 0 unless located
    std::uint32_t column = 0;  // 1-based
    std::string message;
    Kind kind = Kind::located;

    // An error about the whole file: it could not be read (`message` says why).
    static Diagnostic io_error(std::string file, std::string message);
    // An error about the whole file: memory ran out while reading it. Allocates `file` only.
    static Diagnostic out_of_memory(std::string file);

    [[nodiscard]] bool located() const { return kind == Kind::located; }

    // "FILE:LINE:COL: message" (or "FILE: message" without a position).
    [[nodiscard]] std::string location_and_message() const;
    // As printed by `tcpkeep check`: "FILE:LINE:COL: error: message".
    [[nodiscard]] std::string to_string() const;
};

bool has_errors(const std::vector<Diagnostic>& diagnostics);
const Diagnostic* first_error(const std::vector<Diagnostic>& diagnostics);

}  // namespace tcpkeep
