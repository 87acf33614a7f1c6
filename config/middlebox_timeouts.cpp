#include "config/middlebox_timeouts.h"

#include <array>

#include "config/duration.h"

namespace tcpkeep {
namespace {

constexpr std::array<MiddleboxTimeout, 6> timeouts{{
    {"Azure Load Balancer", 240},
    {"Azure NAT Gateway", 240},
    {"AWS Network Load Balancer", 350},
    {"AWS NAT gateway", 350},
    {"AWS Network Firewall", 350},
    {"Google Cloud NAT", 1200},
}};

}  // namespace

std::span<const MiddleboxTimeout> middlebox_timeouts() { return timeouts; }

std::optional<std::string> middlebox_warning(std::int64_t idle_s) {
    std::string out;
    for (const MiddleboxTimeout& m : timeouts) {
        if (idle_s < m.idle_timeout_s) continue;
        out += (out.empty() ? "" : ", ") + std::string(m.name) + " (" + format_duration(std::int64_t{m.idle_timeout_s} * 1000) + ")";
    }
    if (out.empty()) return std::nullopt;
    return "idle " + format_duration(idle_s * 1000) + " is at or above the default idle timeout of " + out +
           ": behind such a middlebox an idle connection is dropped silently before its first keepalive probe";
}

}  // namespace tcpkeep
