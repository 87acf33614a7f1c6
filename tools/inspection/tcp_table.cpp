#include "tools/inspection/tcp_table.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <charconv>
#include <cstring>
#include <sstream>

namespace tcpkeep::cli {
namespace {

template <typename T>
bool parse_hex(std::string_view text, T& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
    return ec == std::errc{} && end == text.data() + text.size();
}

// "0100007F:1F90": the address is printed as 32-bit words in host order, the port in host order.
bool parse_endpoint(std::string_view text, Family family, TcpEndpoint& out) {
    const std::size_t colon = text.find(':');
    const std::size_t words = family == Family::v4 ? 1 : 4;
    if (colon != words * 8) return false;
    out.family = family;
    for (std::size_t w = 0; w < words; ++w) {
        std::uint32_t word = 0;
        if (!parse_hex(text.substr(w * 8, 8), word)) return false;
        std::memcpy(out.address.data() + w * 4, &word, 4);  // back to the kernel's memory order
    }
    return parse_hex(text.substr(colon + 1), out.port);
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
        TcpEntry e;
        if (inode == 0 || !parse_endpoint(local, family, e.local) || !parse_endpoint(remote, family, e.remote)) continue;
        if (!parse_hex(state, e.state) || !parse_hex(std::string_view(timer).substr(0, timer.find(':')), e.timer)) continue;
        e.inode = static_cast<ino_t>(inode);
        table.emplace(e.inode, e);
    }
    return table;
}

}  // namespace tcpkeep::cli
