// Peer addresses and CIDR blocks. IPv4 and v4-mapped IPv6 addresses share one space, so a
// v4-mapped peer (::ffff:10.1.2.3 on a dual-stack socket) matches "10.0.0.0/8".
#pragma once
#include <sys/socket.h>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/result.h"

namespace tcpkeep {

enum class Family : std::uint8_t { v4, v6 };

struct PeerAddress {
    Family family = Family::v4;
    std::array<std::uint8_t, 16> bytes{};  // v4 uses the first 4 bytes

    // AF_INET / AF_INET6 (v4-mapped folded into v4); nullopt for other families or short lengths.
    static std::optional<PeerAddress> from_sockaddr(const sockaddr* sa, socklen_t len) noexcept;
    static std::optional<PeerAddress> parse(std::string_view text);
    [[nodiscard]] std::string to_string() const;
};

// An address as an unsigned number in its family's space (v4 in the low 32 bits).
__extension__ using AddressKey = unsigned __int128;
AddressKey address_key(const PeerAddress& a) noexcept;

struct Cidr {
    Family family = Family::v4;
    AddressKey first = 0;  // lowest address in the block
    AddressKey last = 0;   // highest address in the block

    [[nodiscard]] bool contains(const PeerAddress& a) const noexcept;
};

// "10.0.0.0/8", "fd00::/8", or a single address. Host bits must be zero ("10.1.0.0/8" is an error).
Result<Cidr> parse_cidr(std::string_view text);

// Port from a sockaddr_in/sockaddr_in6 (host order); 0 when not an inet address.
std::uint16_t sockaddr_port(const sockaddr* sa, socklen_t len) noexcept;

}  // namespace tcpkeep
