// The five socket options tcpkeep manages, in one table: the (level, name) pair that getsockopt
// and setsockopt take, the key a policy names it by, its field in `tcpkeep verify --json`, how a
// policy writes its value, the values the kernel accepts, and where its value lives in Settings.
// Plain constexpr data and functions, no std::string and no exceptions: the shim uses it without
// the C++ runtime. The policy reader, checks, resolution, serialized form, `-s` overrides, the
// policy writer and the JSON names all read this table rather than naming the options again.
//
// Adding a sixth option (say TCP_SYNCNT) touches these places (the build fails where one is
// forgotten, unless marked "unchecked"):
//  - config/settings.h: its `Option` value (appended: an option's bit is its position), and its
//    field in Settings;
//  - config/policy.h: its field in SettingsSpec, and that field in settings_spec_fields;
//  - this file: its row in option_table, with its value/store functions in option_fields;
//  - bpf/policy_abi.h: its row in TK_OPTIONS (bit, tk_verdict field, level, name, kernel limits),
//    checked against this table by tests/unit/option_abi_test.cpp;
//  - the code that applies it: shim/socket_options.cpp and bpf/apply.bpf.h set every row already;
//    shim/log.h needs one more Once::setsockopt_failed_* (a static_assert in socket_options.cpp);
//    bpf/existing.bpf.c needs the option's value on an untouched socket (TK_DEFAULT_<NAME>);
//    bpf/compiler/cgroup_policy.cpp copies every TK_OPTIONS row from Settings already.
// The policy's keys, checks, resolution, serialized form (same bytes for the five: the fields go
// in table order), `-s` overrides, the written policy and the JSON and text names follow the
// table. What the option means for dead-peer detection (config/timeline.*, the pitfall warnings of
// config/policy_checks.cpp, `explain`'s effective values) is written for the options it concerns.
// A value written in a fifth way (not a flag, seconds, probes or milliseconds) needs its reading
// in config/policy_reader.cpp, its writing in tools/policy/policy_writer.cpp and, for a new
// SettingsSpec value type, its bytes in config/policy_cache.cpp; a new option changes the
// serialized form, so its format_version goes up.
#pragma once
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <cstdint>
#include <limits>
#include <string_view>

#include "config/settings.h"

namespace tcpkeep {

// How a policy writes the value, which is also the unit the kernel counts it in.
enum class ValueKind : std::uint8_t {
    flag,         // true/false; the kernel takes 0/1
    seconds,      // a duration of whole seconds ("30s")
    probes,       // a bare integer
    milliseconds  // a duration, or "auto" / "off" (user_timeout)
};

struct OptionSpec {
    Option option;
    int level;
    int name;
    const char* key;         // in a policy's tables and in `-s KEY=VALUE`
    const char* json_field;  // in `tcpkeep verify --json`: the unit is part of the name
    const char* unit;        // after a value in the shim's log: "s", "ms" or ""
    ValueKind kind;
    // The values setsockopt accepts (tcp(7)); a policy may name no other, a serialized form
    // holding another is damaged.
    std::int32_t low;
    std::int32_t high;
    bool needs_keepalive;  // a keepalive probe parameter: without keepalive it has no effect
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
    // clang-format off
    {Option::keepalive, SOL_SOCKET, SO_KEEPALIVE, "keepalive", "keepalive", "", ValueKind::flag,
     std::numeric_limits<std::int32_t>::min(), std::numeric_limits<std::int32_t>::max(), false,
     option_fields::keepalive, option_fields::store_keepalive},
    {Option::idle, IPPROTO_TCP, TCP_KEEPIDLE, "idle", "idle_s", "s", ValueKind::seconds,
     1, max_keepalive_seconds, true,
     option_fields::idle, option_fields::store_idle},
    {Option::interval, IPPROTO_TCP, TCP_KEEPINTVL, "interval", "interval_s", "s", ValueKind::seconds,
     1, max_keepalive_seconds, true,
     option_fields::interval, option_fields::store_interval},
    {Option::count, IPPROTO_TCP, TCP_KEEPCNT, "count", "count", "", ValueKind::probes,
     1, max_keepalive_count, true,
     option_fields::count, option_fields::store_count},
    {Option::user_timeout, IPPROTO_TCP, TCP_USER_TIMEOUT, "user_timeout", "user_timeout_ms", "ms", ValueKind::milliseconds,
     0, static_cast<std::int32_t>(max_user_timeout_ms), false,
     option_fields::user_timeout, option_fields::store_user_timeout},
    // clang-format on
};

constexpr bool option_table_in_enum_order() {
    for (int i = 0; i < option_count; ++i)
        if (static_cast<int>(option_table[i].option) != i) return false;
    return true;
}
static_assert(option_table_in_enum_order(), "option_table[o] must describe Option o");

constexpr const OptionSpec& option_spec(Option o) { return option_table[static_cast<unsigned>(o)]; }

// The row whose policy key is `key`, or nullptr.
constexpr const OptionSpec* option_by_key(std::string_view key) {
    for (const OptionSpec& o : option_table)
        if (key == o.key) return &o;
    return nullptr;
}

}  // namespace tcpkeep
