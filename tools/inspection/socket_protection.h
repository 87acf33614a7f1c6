// Who keeps a connection able to notice a dead peer: the shim, cgroup mode, the program itself, or
// nobody; or a `skip` rule that asks tcpkeep to leave it alone. Derived from what verify reads
// (ProcessReport/SocketReport), for audit's summary and its Prometheus series.
#pragma once
#include <array>
#include <cstdint>
#include <optional>

#include "tools/inspection/process_report.h"

namespace tcpkeep::cli {

enum class Protection : std::uint8_t {
    shim,         // keepalive on, with the policy's values, in a process the shim is loaded in
    cgroup,       // keepalive on, with the policy's values, given by a cgroup attachment
    program,      // keepalive on by the program's own choice (or values no mechanism of ours set)
    skipped,      // a `skip` rule matched: tcpkeep leaves it alone, whatever its values
    unprotected,  // keepalive off: a dead idle peer is never noticed
    unknown,      // its values could not be read
};
inline constexpr int protection_count = 6;
using ProtectionCounts = std::array<int, protection_count>;

// The label value and the words of the text summary.
const char* protection_name(Protection p);

// A connected socket (not a listener) of the process.
Protection protection_of(const ProcessReport& process, const SocketReport& socket);

// The detection time of an idle peer the policy asks of this socket (its values laid over the
// actual ones); nullopt when the policy turns no keepalive on for it.
std::optional<std::int64_t> policy_idle_detection_ms(const SocketReport& socket);

}  // namespace tcpkeep::cli
