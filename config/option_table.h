// The five socket options tcpkeep manages, in one table: the (level, name) pair that getsockopt
// and setsockopt take, the key a policy names it by, its field in `tcpkeep verify --json`, and
// where its value lives in Settings. Plain constexpr data and functions, no std::string and no
// exceptions: the shim uses it without the C++ runtime.
#pragma once
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <cstdint>

#include "config/settings.h"

namespace tcpkeep {

struct OptionSpec {
    Option option;
    int level;
    int name;
    const char* key;         // in a policy's tables and in `-s KEY=VALUE`
    const char* json_field;  // in `tcpkeep verify --json`: the unit is part of the name
    const char* unit;        // after a value in the shim's log: "s", "ms" or ""
    // The value in Settings as setsockopt takes it: keepalive 0/1, the others in their kernel
    // unit (seconds, probes, milliseconds).
    std::int32_t (*value)(const Settings& s);
    // Stores a value as getsockopt returns it into Settings (the mask is left to the caller).
    void (*store)(Settings& s, std::int32_t value);
};

namespace option_fields {
constexpr std::int32_t keepalive(const Settings& s) { return s.keepalive ? 1 : 0; }
constexpr std::int32_t idle(const Settings& s) { return s.idle_s; }
constexpr std::int32_t interval(const Settings& s) { return s.interval_s; }
constexpr std::int32_t count(const Settings& s) { return s.count; }
constexpr std::int32_t user_timeout(const Settings& s) { return s.user_timeout_ms; }
constexpr void store_keepalive(Settings& s, std::int32_t v) { s.keepalive = v != 0; }
constexpr void store_idle(Settings& s, std::int32_t v) { s.idle_s = v; }
constexpr void store_interval(Settings& s, std::int32_t v) { s.interval_s = v; }
constexpr void store_count(Settings& s, std::int32_t v) { s.count = v; }
constexpr void store_user_timeout(Settings& s, std::int32_t v) { s.user_timeout_ms = v; }
}  // namespace option_fields

// In the order of enum Option, which is also the order the shim sets them in.
inline constexpr OptionSpec option_table[option_count] = {
    {Option::keepalive, SOL_SOCKET, SO_KEEPALIVE, "keepalive", "keepalive", "", option_fields::keepalive, option_fields::store_keepalive},
    {Option::idle, IPPROTO_TCP, TCP_KEEPIDLE, "idle", "idle_s", "s", option_fields::idle, option_fields::store_idle},
    {Option::interval, IPPROTO_TCP, TCP_KEEPINTVL, "interval", "interval_s", "s", option_fields::interval, option_fields::store_interval},
    {Option::count, IPPROTO_TCP, TCP_KEEPCNT, "count", "count", "", option_fields::count, option_fields::store_count},
    {Option::user_timeout, IPPROTO_TCP, TCP_USER_TIMEOUT, "user_timeout", "user_timeout_ms", "ms", option_fields::user_timeout,
     option_fields::store_user_timeout},
};

constexpr bool option_table_in_enum_order() {
    for (int i = 0; i < option_count; ++i)
        if (static_cast<int>(option_table[i].option) != i) return false;
    return true;
}
static_assert(option_table_in_enum_order(), "option_table[o] must describe Option o");

constexpr const OptionSpec& option_spec(Option o) { return option_table[static_cast<unsigned>(o)]; }

}  // namespace tcpkeep
