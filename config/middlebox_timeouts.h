// Documented idle timeouts of load balancers and NAT gateways that drop a silent TCP flow without a
// word: a keepalive `idle` at or above one of them lets the flow vanish before the first probe could
// keep it alive. The sources are listed in tcpkeep-policy(5), section MIDDLEBOXES.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace tcpkeep {

struct MiddleboxTimeout {
    const char* name;
    std::int32_t idle_timeout_s;  // the documented default
};

// Ordered by timeout, shortest first.
std::span<const MiddleboxTimeout> middlebox_timeouts();

// The warning for a keepalive idle time at or above the default idle timeout of some of them (named
// with their timeouts), or nullopt when it is below all of them.
std::optional<std::string> middlebox_warning(std::int64_t idle_s);

}  // namespace tcpkeep
