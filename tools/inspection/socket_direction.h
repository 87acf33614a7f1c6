// Which way a socket goes, inbound or outbound, and what the shim recorded about it. The shim's
// record wins; without one, the namespace's listeners decide; without a listener, the ports only
// give a guess (tools/README.md, Direction).
#pragma once
#include <cstdint>
#include <utility>

#include "tools/inspection/process_report.h"
#include "tools/inspection/shim_state.h"

namespace tcpkeep::cli {

// The local port range a network namespace gives connections their local port from.
using PortRange = std::pair<std::uint16_t, std::uint16_t>;

// The range of the current thread's network namespace (ip_local_port_range).
PortRange ephemeral_ports();

// The direction when the shim did not record it. Inbound when the socket listens or a listener of
// the namespace holds its local address and port (an accepted connection). With no such listener
// it was not accepted from a live one: outbound, unless only its remote port is ephemeral (the
// peer connected to us, and the listener has closed since): inbound then, but returns true: a guess.
bool infer_direction(SocketReport& s, const Listeners& listeners, PortRange ephemeral_range);

// What the shim recorded for the socket's fd: its direction and the options the program set.
void take_shim_record(const ShimState& state, SocketReport& s);

}  // namespace tcpkeep::cli
