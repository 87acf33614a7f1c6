#include "tools/report/option_values.h"

#include "config/duration.h"

namespace tcpkeep::cli {

std::int32_t option_value(Option o, const Settings& s) {
    switch (o) {
        case Option::keepalive: return s.keepalive ? 1 : 0;
        case Option::idle: return s.idle_s;
        case Option::interval: return s.interval_s;
        case Option::count: return s.count;
        case Option::user_timeout: break;
    }
    return s.user_timeout_ms;
}

const char* json_field(Option o) {
    switch (o) {
        case Option::keepalive: return "keepalive";
        case Option::idle: return "idle_s";
        case Option::interval: return "interval_s";
        case Option::count: return "count";
        case Option::user_timeout: break;
    }
    return "user_timeout_ms";
}

std::string format_option(Option o, std::int32_t value) {
    switch (o) {
        case Option::keepalive: return value ? "on" : "off";
        case Option::idle:
        case Option::interval: return format_duration(std::int64_t{value} * 1000);
        case Option::count: return std::to_string(value);
        case Option::user_timeout: break;
    }
    return value ? format_duration(value) : "off";
}

}  // namespace tcpkeep::cli
