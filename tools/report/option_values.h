// The five options as single values: read one out of Settings, name it in JSON, show it to people.
#pragma once
#include <cstdint>
#include <string>

#include "config/settings.h"

namespace tcpkeep::cli {

// keepalive as 0/1; the others in their kernel unit (s, probes, ms).
std::int32_t option_value(Option o, const Settings& s);

// The JSON field of `tcpkeep verify`: "keepalive", "idle_s", "interval_s", "count", "user_timeout_ms".
const char* json_field(Option o);

// "on"/"off", "60s", "6", "2min"/"off" (user timeout 0).
std::string format_option(Option o, std::int32_t value);

}  // namespace tcpkeep::cli
