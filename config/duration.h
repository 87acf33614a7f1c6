// Durations as users write them: "30s", "1min 30s", "250ms", "2h" (systemd-style spans).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "config/result.h"

namespace tcpkeep {

// Milliseconds, or why the text is not a duration (for a diagnostic). Units: ms, s/sec, m/min, h.
// Components are summed; a bare number is an error.
Result<std::int64_t> parse_duration(std::string_view text);

// Shortest exact spelling in the same units users write: 90000 -> "1min 30s", 1500 -> "1s 500ms".
std::string format_duration(std::int64_t ms);

// Seconds with up to three decimals for timelines: 4080 -> "4.08s", 120000 -> "120s".
std::string format_seconds(std::int64_t ms);

}  // namespace tcpkeep
