#include "tools/inspection/socket_direction.h"

#include <cstdio>

#include "system/small_file.h"

namespace tcpkeep::cli {

PortRange ephemeral_ports() {
    unsigned low = 32768;
    unsigned high = 60999;
    if (const Result<std::string> range = read_small_file("/proc/sys/net/ipv4/ip_local_port_range"))
        std::sscanf(range->c_str(), "%u %u", &low, &high);
    return {static_cast<std::uint16_t>(low), static_cast<std::uint16_t>(high)};
}

bool infer_direction(SocketReport& s, const Listeners& listeners, PortRange ephemeral_range) {
    const TcpEntry& e = s.socket.entry;
    auto ephemeral = [&](std::uint16_t port) { return port >= ephemeral_range.first && port <= ephemeral_range.second; };
    const bool accepted = s.socket.listening() || listeners.accept_on(e.local);
    const bool guessed = !accepted && !ephemeral(e.local.port) && ephemeral(e.remote.port);
    s.direction = accepted || guessed ? Direction::inbound : Direction::outbound;
    s.direction_source = accepted ? DirectionSource::listener : DirectionSource::inferred;
    return guessed;
}

void take_shim_record(const ShimState& state, SocketReport& s) {
    const std::optional<shim::FdState> st = state.fd_state(s.socket.fd);
    s.made_outside_shim = st && st->kind == shim::FdKind::unknown;
    if (!st || st->kind != shim::FdKind::tcp) return;
    if (st->listener != shim::ListenerMode::none || st->configured) {
        s.direction_source = DirectionSource::shim;
        s.direction = st->listener != shim::ListenerMode::none || (st->flags & shim::fd_inbound) != 0 ? Direction::inbound : Direction::outbound;
    }
    s.program_set = static_cast<std::uint8_t>(st->program_set & ~st->enforced);
}

}  // namespace tcpkeep::cli
