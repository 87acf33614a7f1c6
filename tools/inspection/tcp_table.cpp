#include "tools/inspection/tcp_table.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <charconv>
#include <cstring>
#include <optional>
#include <sstream>

namespace tcpkeep::cli {
namespace {

template <typename T>
std::optional<T> parse_hex(std::string_view text) {
    T value{};
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// "0100007F:1F90": the address is printed as 32-bit words in host order, the port in host order.
std::optional<TcpEndpoint> parse_endpoint(std::string_view text, Family family) {
    const std::size_t colon = text.find(':');
    const std::size_t words = family == Family::v4 ? 1 : 4;
    if (colon != words * 8) return std::nullopt;
    TcpEndpoint out;
    out.family = family;
    for (std::size_t w = 0; w < words; ++w) {
        const std::optional<std::uint32_t> word = parse_hex<std::uint32_t>(text.substr(w * 8, 8));
        if (!word) return std::nullopt;
        std::memcpy(out.address.data() + w * 4, &*word, 4);  // back to the kernel's memory order
    }
    const std::optional<std::uint16_t> port = parse_hex<std::uint16_t>(text.substr(colon + 1));
    if (!port) return std::nullopt;
    out.port = *port;
    return out;
}

}  // namespace

std::string TcpEndpoint::to_string() const {
    char text[INET6_ADDRSTRLEN] = {};
    if (family == Family::v4) {
        ::inet_ntop(AF_INET, address.data(), text, sizeof text);
        return fmt::format("{}:{}", text, port);
    }
    ::inet_ntop(AF_INET6, address.data(), text, sizeof text);
    return fmt::format("[{}]:{}", text, port);
}

PeerAddress TcpEndpoint::peer() const {
    sockaddr_in6 in6{};
    sockaddr_in in4{};
    if (family == Family::v4) {
        in4.sin_family = AF_INET;
        std::memcpy(&in4.sin_addr, address.data(), 4);
        return *PeerAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&in4), sizeof in4);
    }
    in6.sin6_family = AF_INET6;
    std::memcpy(&in6.sin6_addr, address.data(), 16);
    return *PeerAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&in6), sizeof in6);
}

const char* tcp_state_name(int state) {
    static constexpr const char* names[] = {"UNKNOWN", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",   "TIME_WAIT",
                                            "CLOSE",   "CLOSE_WAIT",  "LAST_ACK", "LISTEN",   "CLOSING",   "NEW_SYN_RECV"};
    return state > 0 && state < static_cast<int>(std::size(names)) ? names[state] : names[0];
}

std::unordered_map<ino_t, TcpEntry> parse_tcp_table(const std::string& text, Family family) {
    std::unordered_map<ino_t, TcpEntry> table;
    std::istringstream lines(text);
    std::string line;
    std::getline(lines, line);  // header
    while (std::getline(lines, line)) {
        // sl local rem st tx:rx tr:tm retrnsmt uid timeout inode ...
        std::istringstream fields(line);
        std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout;
        unsigned long inode = 0;
        if (!(fields >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode)) continue;
        const std::optional<TcpEndpoint> local_end = parse_endpoint(local, family), remote_end = parse_endpoint(remote, family);
        const auto state_code = parse_hex<decltype(TcpEntry::state)>(state);
        const auto timer_code = parse_hex<decltype(TcpEntry::timer)>(std::string_view(timer).substr(0, timer.find(':')));
        if (inode == 0 || !local_end || !remote_end || !state_code || !timer_code) continue;
        TcpEntry e;
        e.local = *local_end;
        e.remote = *remote_end;
        e.state = *state_code;
        e.timer = *timer_code;
        e.inode = static_cast<ino_t>(inode);
        table.emplace(e.inode, e);
    }
    return table;
}

}  // namespace tcpkeep::cli
