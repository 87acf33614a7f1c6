// Where something is in a policy text: what the parsers record and diagnostics report.
#pragma once
#include <cstdint>

namespace tcpkeep {

struct SourcePos {
    std::uint32_t line = 0;    // 1-based; 0 when unknown
    std::uint32_t column = 0;  // 1-based
};

}  // namespace tcpkeep
