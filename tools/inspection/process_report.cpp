#include "tools/inspection/process_report.h"

#include "config/option_table.h"
#include "tools/exit_status.h"

namespace tcpkeep::cli {

std::uint8_t SocketReport::program_chose() const {
    if (!actual || !program_set) return 0;
    const std::uint8_t own = *program_set & ~enforced;
    std::uint8_t chose = 0;
    for (int i = 0; i < option_count; ++i) {
        const auto o = static_cast<Option>(i);
        if (expected.has(o) && (own & bit(o)) != 0 && option_spec(o).value(expected) != option_spec(o).value(*actual)) chose |= bit(o);
    }
    return chose;
}

std::optional<bool> SocketReport::ok() const {
    if (expected.mask == 0) return true;
    if (!actual) return std::nullopt;
    const std::uint8_t chose = program_chose();
    for (int i = 0; i < option_count; ++i) {
        const auto o = static_cast<Option>(i);
        if (expected.has(o) && (chose & bit(o)) == 0 && option_spec(o).value(expected) != option_spec(o).value(*actual)) return false;
    }
    return true;
}

std::optional<bool> ProcessReport::ok() const {
    bool all = !shim_missing();
    for (const SocketReport& s : sockets) {
        const std::optional<bool> k = s.ok();
        if (!k) return std::nullopt;
        all = all && *k;
    }
    return all;
}

int ProcessReport::exit_status() const {
    const std::optional<bool> k = ok();
    if (missing || !k) return exit_error;
    return *k ? exit_ok : exit_findings;
}

}  // namespace tcpkeep::cli
