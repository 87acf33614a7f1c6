// The five socket options tcpkeep manages, as plain data usable across a C boundary.
#pragma once
#include <cstdint>

namespace tcpkeep {

enum class Option : std::uint8_t { keepalive, idle, interval, count, user_timeout };
inline constexpr int option_count = 5;

inline constexpr std::uint8_t bit(Option o) { return static_cast<std::uint8_t>(1u << static_cast<unsigned>(o)); }

// Kernel limits (tcp(7); net/ipv4/tcp.c).
inline constexpr int max_keepalive_seconds = 32767;
inline constexpr int max_keepalive_count = 127;
inline constexpr std::int64_t max_user_timeout_ms = 2147483647;

// Option values; a value is meaningful only when its bit is in `mask`.
struct Settings {
    std::uint8_t mask = 0;
    bool keepalive = false;
    std::int32_t idle_s = 0;
    std::int32_t interval_s = 0;
    std::int32_t count = 0;
    std::int32_t user_timeout_ms = 0;

    [[nodiscard]] bool has(Option o) const { return (mask & bit(o)) != 0; }
    bool operator==(const Settings&) const = default;
};

const char* option_key(Option o);  // the policy key: "idle", "user_timeout", ...

}  // namespace tcpkeep
