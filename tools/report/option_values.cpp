#include "tools/report/option_values.h"

#include "config/duration.h"
#include "config/option_table.h"

namespace tcpkeep::cli {

std::int32_t option_value(Option o, const Settings& s) { return option_spec(o).value(s); }

const char* json_field(Option o) { return option_spec(o).json_field; }

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
