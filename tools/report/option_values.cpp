#include "tools/report/option_values.h"

#include "config/duration.h"
#include "config/option_table.h"

namespace tcpkeep::cli {

std::int32_t option_value(Option o, const Settings& s) { return option_spec(o).value(s); }

const char* json_field(Option o) { return option_spec(o).json_field; }

std::string format_option(Option o, std::int32_t value) {
    switch (option_spec(o).kind) {
        case ValueKind::flag: return value ? "on" : "off";
        case ValueKind::seconds: return format_duration(std::int64_t{value} * 1000);
        case ValueKind::probes: return std::to_string(value);
        case ValueKind::milliseconds: break;
    }
    return value ? format_duration(value) : "off";  // a user timeout of 0 is none
}

}  // namespace tcpkeep::cli
