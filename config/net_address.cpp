#include "config/net_address.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <charconv>
#include <cstring>

namespace tcpkeep {
namespace {

constexpr std::array<std::uint8_t, 12> v4_mapped_prefix{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

PeerAddress v4_from(const void* four_bytes) {
    PeerAddress a;
    a.family = Family::v4;
    std::memcpy(a.bytes.data(), four_bytes, 4);
    return a;
}

PeerAddress from_in6(const in6_addr& in6) {
    if (std::memcmp(in6.s6_addr, v4_mapped_prefix.data(), v4_mapped_prefix.size()) == 0) return v4_from(in6.s6_addr + 12);
    PeerAddress a;
    a.family = Family::v6;
    std::memcpy(a.bytes.data(), in6.s6_addr, 16);
    return a;
}

PeerAddress address_from_key(Family family, AddressKey key) {
    PeerAddress a;
    a.family = family;
    const int n = family == Family::v4 ? 4 : 16;
    for (int i = n - 1; i >= 0; --i, key >>= 8) a.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(key & 0xff);
    return a;
}

}  // namespace

std::optional<PeerAddress> PeerAddress::from_sockaddr(const sockaddr* sa, socklen_t len) noexcept {
    if (sa == nullptr || len < static_cast<socklen_t>(sizeof(sa_family_t))) return std::nullopt;
    if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
        sockaddr_in in{};
        std::memcpy(&in, sa, sizeof in);
        return v4_from(&in.sin_addr);
    }
    if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, sa, sizeof in6);
        return from_in6(in6.sin6_addr);
    }
    return std::nullopt;
}

std::optional<PeerAddress> PeerAddress::parse(std::string_view text) {
    std::string s(text);
    in_addr in4{};
    if (inet_pton(AF_INET, s.c_str(), &in4) == 1) return v4_from(&in4);
    in6_addr in6{};
    if (inet_pton(AF_INET6, s.c_str(), &in6) == 1) return from_in6(in6);
    return std::nullopt;
}

std::string PeerAddress::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(family == Family::v4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
    return buf;
}

AddressKey address_key(const PeerAddress& a) noexcept {
    AddressKey key = 0;
    const int n = a.family == Family::v4 ? 4 : 16;
    for (int i = 0; i < n; ++i) key = (key << 8) | a.bytes[static_cast<std::size_t>(i)];
    return key;
}

bool Cidr::contains(const PeerAddress& a) const noexcept {
    if (a.family != family) return false;
    AddressKey k = address_key(a);
    return k >= first && k <= last;
}

std::uint16_t sockaddr_port(const sockaddr* sa, socklen_t len) noexcept {
    if (sa == nullptr || len < static_cast<socklen_t>(sizeof(sa_family_t))) return 0;
    if (sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in))) {
        sockaddr_in in{};
        std::memcpy(&in, sa, sizeof in);
        return ntohs(in.sin_port);
    }
    if (sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6))) {
        sockaddr_in6 in6{};
        std::memcpy(&in6, sa, sizeof in6);
        return ntohs(in6.sin6_port);
    }
    return 0;
}

Result<Cidr> parse_cidr(std::string_view text) {
    std::string_view address_text = text;
    std::optional<int> prefix;
    if (auto slash = text.find('/'); slash != std::string_view::npos) {
        address_text = text.substr(0, slash);
        std::string_view p = text.substr(slash + 1);
        int value = -1;
        auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), value);
        if (p.empty() || ec != std::errc{} || ptr != p.data() + p.size()) return Error{fmt::format("bad prefix length \"{}\" in \"{}\"", p, text)};
        prefix = value;
    }
    std::optional<PeerAddress> address = PeerAddress::parse(address_text);
    if (!address) return Error{fmt::format("\"{}\" is not an IPv4 or IPv6 address", address_text)};
    // A v4-mapped IPv6 block was folded into IPv4: its prefix counts the 96 mapped bits.
    const bool written_as_v6 = address_text.find(':') != std::string_view::npos;
    const int width = address->family == Family::v4 ? 32 : 128;
    int bits = prefix.value_or(written_as_v6 ? 128 : width);
    if (written_as_v6 && address->family == Family::v4) {
        if (bits < 96) return Error{fmt::format("\"{}\": a v4-mapped block needs a prefix of at least 96", text)};
        bits -= 96;
    }
    if (bits < 0 || bits > width) {
        const int written_width = written_as_v6 ? 128 : 32;  // as the user wrote it, not after v4-mapped folding
        return Error{fmt::format("prefix length {} out of range 0..{} in \"{}\"", prefix.value_or(bits), written_width, text)};
    }
    const AddressKey key = address_key(*address);
    const AddressKey all_ones = width == 128 ? ~AddressKey{0} : ((AddressKey{1} << 32) - 1);
    const AddressKey host_mask = bits == width ? 0 : (all_ones >> bits);
    if ((key & host_mask) != 0)
        return Error{fmt::format("\"{}\" has host bits set; did you mean \"{}/{}\"?", text,
                                 address_from_key(address->family, key & ~host_mask).to_string(), bits)};
    return Cidr{address->family, key, key | host_mask};
}

}  // namespace tcpkeep
