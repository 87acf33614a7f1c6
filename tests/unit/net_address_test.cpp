// Peer addresses and CIDR blocks: IPv4, IPv6, and v4-mapped IPv6 folded into the IPv4 space.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/un.h>
#include <cstring>

#include "config/net_address.h"
#include "tests/unit/test_support.h"

namespace tcpkeep {
namespace {

constexpr AddressKey v6_key(std::uint64_t high, std::uint64_t low) { return (AddressKey{high} << 64) | low; }

Cidr cidr_of(std::string_view text) {
    const Result<Cidr> c = parse_cidr(text);
    const std::string error = c ? "" : c.error().message;
    EXPECT_TRUE(c.ok()) << text << ": " << error;
    EXPECT_EQ(error, "");
    return c.value_or(Cidr{});
}

std::string cidr_error(std::string_view text) {
    const Result<Cidr> c = parse_cidr(text);
    EXPECT_FALSE(c.ok()) << text << " was accepted";
    return c ? "" : c.error().message;
}

PeerAddress addr(std::string_view text) { return test::peer_address(text); }

TEST(ParseCidr, Ipv4Blocks) {
    Cidr c = cidr_of("10.0.0.0/8");
    EXPECT_EQ(c.family, Family::v4);
    EXPECT_EQ(c.first, AddressKey{0x0A000000});
    EXPECT_EQ(c.last, AddressKey{0x0AFFFFFF});

    c = cidr_of("192.168.1.7");  // a single address is a /32
    EXPECT_EQ(c.first, AddressKey{0xC0A80107});
    EXPECT_EQ(c.last, AddressKey{0xC0A80107});

    c = cidr_of("0.0.0.0/0");
    EXPECT_EQ(c.first, AddressKey{0});
    EXPECT_EQ(c.last, AddressKey{0xFFFFFFFF});

    c = cidr_of("172.16.0.0/12");
    EXPECT_EQ(c.first, AddressKey{0xAC100000});
    EXPECT_EQ(c.last, AddressKey{0xAC1FFFFF});
}

TEST(ParseCidr, Ipv6Blocks) {
    Cidr c = cidr_of("fd00::/8");
    EXPECT_EQ(c.family, Family::v6);
    EXPECT_EQ(c.first, v6_key(0xFD00000000000000, 0));
    EXPECT_EQ(c.last, v6_key(0xFDFFFFFFFFFFFFFF, ~std::uint64_t{0}));

    c = cidr_of("2001:db8::/32");
    EXPECT_EQ(c.first, v6_key(0x20010DB800000000, 0));
    EXPECT_EQ(c.last, v6_key(0x20010DB8FFFFFFFF, ~std::uint64_t{0}));

    c = cidr_of("2001:db8::1");  // a single address is a /128
    EXPECT_EQ(c.first, v6_key(0x20010DB800000000, 1));
    EXPECT_EQ(c.last, c.first);

    c = cidr_of("::/0");
    EXPECT_EQ(c.first, AddressKey{0});
    EXPECT_EQ(c.last, ~AddressKey{0});
}

TEST(ParseCidr, V4MappedBlocksFoldIntoIpv4) {
    Cidr c = cidr_of("::ffff:10.0.0.0/104");  // 96 mapped bits + 8
    EXPECT_EQ(c.family, Family::v4);
    EXPECT_EQ(c.first, AddressKey{0x0A000000});
    EXPECT_EQ(c.last, AddressKey{0x0AFFFFFF});

    c = cidr_of("::ffff:10.1.2.3");
    EXPECT_EQ(c.family, Family::v4);
    EXPECT_EQ(c.first, AddressKey{0x0A010203});
    EXPECT_EQ(c.last, AddressKey{0x0A010203});

    c = cidr_of("::ffff:0.0.0.0/96");
    EXPECT_EQ(c.first, AddressKey{0});
    EXPECT_EQ(c.last, AddressKey{0xFFFFFFFF});
}

TEST(ParseCidr, HostBitsSetSuggestsTheNetwork) {
    EXPECT_EQ(cidr_error("10.1.0.0/8"), R"("10.1.0.0/8" has host bits set; did you mean "10.0.0.0/8"?)");
    EXPECT_EQ(cidr_error("192.168.1.1/24"), R"("192.168.1.1/24" has host bits set; did you mean "192.168.1.0/24"?)");
    EXPECT_EQ(cidr_error("fd00::1/8"), R"("fd00::1/8" has host bits set; did you mean "fd00::/8"?)");
    EXPECT_EQ(cidr_error("1.0.0.0/0"), R"("1.0.0.0/0" has host bits set; did you mean "0.0.0.0/0"?)");
}

TEST(ParseCidr, PrefixLengthErrors) {
    EXPECT_EQ(cidr_error("10.0.0.0/33"), R"(prefix length 33 out of range 0..32 in "10.0.0.0/33")");
    EXPECT_EQ(cidr_error("10.0.0.0/-1"), R"(prefix length -1 out of range 0..32 in "10.0.0.0/-1")");
    EXPECT_EQ(cidr_error("fd00::/129"), R"(prefix length 129 out of range 0..128 in "fd00::/129")");
    EXPECT_EQ(cidr_error("10.0.0.0/"), R"(bad prefix length "" in "10.0.0.0/")");
    EXPECT_EQ(cidr_error("10.0.0.0/abc"), R"(bad prefix length "abc" in "10.0.0.0/abc")");
    EXPECT_EQ(cidr_error("10.0.0.0/8x"), R"(bad prefix length "8x" in "10.0.0.0/8x")");
    EXPECT_EQ(cidr_error("::ffff:10.0.0.0/64"), R"("::ffff:10.0.0.0/64": a v4-mapped block needs a prefix of at least 96)");
}

// Written in IPv6 notation, so the range to report is the IPv6 one, not the folded IPv4 0..32.
TEST(ParseCidr, V4MappedPrefixTooLongReportsTheIpv6Range) {
    EXPECT_EQ(cidr_error("::ffff:10.0.0.0/129"), R"(prefix length 129 out of range 0..128 in "::ffff:10.0.0.0/129")");
}

TEST(ParseCidr, BadAddresses) {
    EXPECT_EQ(cidr_error("10.0.0.300/8"), R"("10.0.0.300" is not an IPv4 or IPv6 address)");
    EXPECT_EQ(cidr_error("example.com"), R"("example.com" is not an IPv4 or IPv6 address)");
    EXPECT_EQ(cidr_error(""), R"("" is not an IPv4 or IPv6 address)");
    EXPECT_EQ(cidr_error("fd00:::1/8"), R"("fd00:::1" is not an IPv4 or IPv6 address)");
}

TEST(CidrContains, BoundariesAndFamilies) {
    const Cidr c = cidr_of("10.0.0.0/8");
    EXPECT_FALSE(c.contains(addr("9.255.255.255")));
    EXPECT_TRUE(c.contains(addr("10.0.0.0")));
    EXPECT_TRUE(c.contains(addr("10.255.255.255")));
    EXPECT_FALSE(c.contains(addr("11.0.0.0")));
    EXPECT_TRUE(c.contains(addr("::ffff:10.1.2.3")));  // v4-mapped peer
    EXPECT_FALSE(c.contains(addr("fd00::a00:1")));     // another family never matches

    const Cidr v6 = cidr_of("fd00::/8");
    EXPECT_TRUE(v6.contains(addr("fd00::")));
    EXPECT_TRUE(v6.contains(addr("fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    EXPECT_FALSE(v6.contains(addr("fe00::")));
    EXPECT_FALSE(v6.contains(addr("fcff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")));
    EXPECT_FALSE(cidr_of("::/0").contains(addr("10.0.0.1")));  // IPv4 peers live in the IPv4 space
}

TEST(PeerAddress, ParseAndPrint) {
    PeerAddress a = addr("10.1.2.3");
    EXPECT_EQ(a.family, Family::v4);
    EXPECT_EQ(address_key(a), AddressKey{0x0A010203});
    EXPECT_EQ(a.to_string(), "10.1.2.3");

    a = addr("::ffff:10.1.2.3");
    EXPECT_EQ(a.family, Family::v4);
    EXPECT_EQ(address_key(a), AddressKey{0x0A010203});
    EXPECT_EQ(a.to_string(), "10.1.2.3");

    a = addr("2001:db8::1");
    EXPECT_EQ(a.family, Family::v6);
    EXPECT_EQ(address_key(a), v6_key(0x20010DB800000000, 1));
    EXPECT_EQ(a.to_string(), "2001:db8::1");

    EXPECT_EQ(addr("::1").family, Family::v6);  // loopback is not v4-mapped
    EXPECT_FALSE(PeerAddress::parse("10.1.2.3/8").has_value());
    EXPECT_FALSE(PeerAddress::parse("").has_value());
    EXPECT_FALSE(PeerAddress::parse("localhost").has_value());
}

sockaddr_in6 in6_of(const char* text, std::uint16_t port) {
    sockaddr_in6 sa{};
    sa.sin6_family = AF_INET6;
    sa.sin6_port = htons(port);
    EXPECT_EQ(inet_pton(AF_INET6, text, &sa.sin6_addr), 1);
    return sa;
}

TEST(FromSockaddr, Ipv4) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(5432);
    ASSERT_EQ(inet_pton(AF_INET, "192.0.2.9", &sa.sin_addr), 1);
    const auto* p = reinterpret_cast<const sockaddr*>(&sa);
    std::optional<PeerAddress> a = PeerAddress::from_sockaddr(p, sizeof sa);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->family, Family::v4);
    EXPECT_EQ(a->to_string(), "192.0.2.9");
    EXPECT_EQ(sockaddr_port(p, sizeof sa), 5432);
    EXPECT_FALSE(PeerAddress::from_sockaddr(p, sizeof sa - 1));  // truncated
    EXPECT_EQ(sockaddr_port(p, sizeof sa - 1), 0);
}

TEST(FromSockaddr, Ipv6) {
    sockaddr_in6 sa = in6_of("2001:db8::7", 443);
    const auto* p = reinterpret_cast<const sockaddr*>(&sa);
    std::optional<PeerAddress> a = PeerAddress::from_sockaddr(p, sizeof sa);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->family, Family::v6);
    EXPECT_EQ(address_key(*a), v6_key(0x20010DB800000000, 7));
    EXPECT_EQ(sockaddr_port(p, sizeof sa), 443);
    EXPECT_FALSE(PeerAddress::from_sockaddr(p, sizeof(sockaddr_in)));  // AF_INET6 needs a full sockaddr_in6
}

// A dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; they must land in the IPv4 space.
TEST(FromSockaddr, V4MappedFoldsToIpv4) {
    sockaddr_in6 sa = in6_of("::ffff:10.1.2.3", 8080);
    const auto* p = reinterpret_cast<const sockaddr*>(&sa);
    std::optional<PeerAddress> a = PeerAddress::from_sockaddr(p, sizeof sa);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->family, Family::v4);
    EXPECT_EQ(address_key(*a), AddressKey{0x0A010203});
    EXPECT_TRUE(cidr_of("10.0.0.0/8").contains(*a));
    EXPECT_EQ(sockaddr_port(p, sizeof sa), 8080);

    // ::a.b.c.d (v4-compatible, deprecated) is not v4-mapped and stays IPv6.
    sockaddr_in6 compat = in6_of("::10.1.2.3", 1);
    a = PeerAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&compat), sizeof compat);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->family, Family::v6);
}

TEST(FromSockaddr, OtherFamiliesAndNull) {
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::strcpy(un.sun_path, "/run/x.sock");
    const auto* p = reinterpret_cast<const sockaddr*>(&un);
    EXPECT_FALSE(PeerAddress::from_sockaddr(p, sizeof un));
    EXPECT_EQ(sockaddr_port(p, sizeof un), 0);
    EXPECT_FALSE(PeerAddress::from_sockaddr(nullptr, 0));
    EXPECT_EQ(sockaddr_port(nullptr, 0), 0);
    EXPECT_FALSE(PeerAddress::from_sockaddr(p, 1));  // shorter than sa_family
}

}  // namespace
}  // namespace tcpkeep
