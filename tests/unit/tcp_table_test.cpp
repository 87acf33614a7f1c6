// The /proc/net/tcp and tcp6 parser of the tool, on text as a little-endian kernel prints it:
// each 32-bit word of an address in host byte order, ports in host order, hex throughout.
#include <gtest/gtest.h>
#include <string>

#include "tools/inspection/tcp_table.h"

namespace tcpkeep::cli {
namespace {

const std::string tcp_header = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";
const std::string tcp6_header =
    "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when "
    "retrnsmt   uid  timeout inode\n";

// A listener on 127.0.0.1:8080 and a connection 10.1.2.3:41234 -> 192.168.0.9:5432 with the
// keepalive timer running.
const std::string tcp_text =
    tcp_header +
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4711 1 0000000000000000 100 0 0 10 0\n"
    "   1: 0302010A:A112 0900A8C0:1538 01 00000000:00000000 02:000004E2 00000000  1000        0 4712 2 0000000000000000 20 4 30 10 -1\n";

std::string render(const TcpEndpoint& e) { return e.to_string(); }

TEST(TcpTable, Ipv4ListenerAndConnection) {
    const auto table = parse_tcp_table(tcp_text, Family::v4);
    ASSERT_EQ(table.size(), 2u);

    const TcpEntry& listener = table.at(4711);
    EXPECT_EQ(listener.inode, 4711u);
    EXPECT_EQ(render(listener.local), "127.0.0.1:8080");
    EXPECT_EQ(render(listener.remote), "0.0.0.0:0");
    EXPECT_EQ(listener.state, tcp_state_listen);
    EXPECT_STREQ(tcp_state_name(listener.state), "LISTEN");
    EXPECT_EQ(listener.timer, 0);

    const TcpEntry& client = table.at(4712);
    EXPECT_EQ(render(client.local), "10.1.2.3:41234");
    EXPECT_EQ(render(client.remote), "192.168.0.9:5432");
    EXPECT_EQ(client.local.family, Family::v4);
    EXPECT_EQ(client.local.port, 41234);
    EXPECT_EQ(client.remote.port, 5432);
    EXPECT_STREQ(tcp_state_name(client.state), "ESTABLISHED");
    EXPECT_EQ(client.timer, tcp_timer_keepalive);
    EXPECT_EQ(client.remote.peer().to_string(), "192.168.0.9");
    EXPECT_EQ(client.remote.peer().family, Family::v4);
}

TEST(TcpTable, Ipv6) {
    // [::1]:8080 listening; [2001:db8::1]:50000 -> [2001:db8::2]:443 in CLOSE_WAIT.
    const std::string text = tcp6_header +
                             "   0: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 "
                             "00:00000000 00000000     0        0 900 1 0000000000000000 100 0 0 10 0\n"
                             "   1: B80D0120000000000000000001000000:C350 B80D0120000000000000000002000000:01BB 08 00000000:00000000 "
                             "00:00000000 00000000     0        0 901 1 0000000000000000 20 4 30 10 -1\n";
    const auto table = parse_tcp_table(text, Family::v6);
    ASSERT_EQ(table.size(), 2u);
    EXPECT_EQ(render(table.at(900).local), "[::1]:8080");
    EXPECT_EQ(render(table.at(900).remote), "[::]:0");
    EXPECT_STREQ(tcp_state_name(table.at(900).state), "LISTEN");
    EXPECT_EQ(render(table.at(901).local), "[2001:db8::1]:50000");
    EXPECT_EQ(render(table.at(901).remote), "[2001:db8::2]:443");
    EXPECT_STREQ(tcp_state_name(table.at(901).state), "CLOSE_WAIT");
    EXPECT_EQ(table.at(901).remote.peer().family, Family::v6);
    EXPECT_EQ(table.at(901).remote.peer().to_string(), "2001:db8::2");
}

TEST(TcpTable, V4MappedStaysAnIpv6SocketButMatchesAsIpv4) {
    // A dual-stack socket's connection [::ffff:127.0.0.1]:5432 -> [::ffff:10.0.0.7]:6000.
    const std::string text = tcp6_header +
                             "   0: 0000000000000000FFFF00000100007F:1538 0000000000000000FFFF00000700000A:1770 01 00000000:00000000 "
                             "00:00000000 00000000     0        0 77 1 0000000000000000 20 4 30 10 -1\n";
    const auto table = parse_tcp_table(text, Family::v6);
    ASSERT_EQ(table.size(), 1u);
    const TcpEntry& e = table.at(77);
    EXPECT_EQ(e.local.family, Family::v6);
    EXPECT_EQ(render(e.local), "[::ffff:127.0.0.1]:5432");
    EXPECT_EQ(render(e.remote), "[::ffff:10.0.0.7]:6000");
    const PeerAddress peer = e.remote.peer();
    EXPECT_EQ(peer.family, Family::v4);  // as the shim sees the peer: "10.0.0.0/8" matches it
    EXPECT_EQ(peer.to_string(), "10.0.0.7");
}

// Every malformed line is left out; the good line between them still counts.
TEST(TcpTable, MalformedLinesAreLeftOut) {
    const std::string good = "   9: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 4242 1\n";
    const std::string bad_lines[] = {
        "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0\n",          // no inode
        "   1: 0100007G:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 5001 1\n",   // 'G' in the address
        "   2: 100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 5002 1\n",    // 7 hex digits
        "   3: 0100007F:1FFFF 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 5003 1\n",  // port > 65535
        "   4: 0100007F: 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 5004 1\n",       // no port
        "   5: 0100007F:1F90 00000000:0000 XY 00000000:00000000 00:00000000 00000000 0 0 5005 1\n",   // state not hex
        "   6: 0100007F:1F90 00000000:0000 0A 00000000:00000000 Z0:00000000 00000000 0 0 5006 1\n",   // timer not hex
        "   7: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 inode 1\n",  // inode not a number
        "   8: 0100007F:1F90 00000000:0000 06 00000000:00000000 03:00000000 00000000 0 0 0 3\n",      // TIME_WAIT: inode 0
        "   9: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 "
        "00:00000000 00000000 0 0 5009 1\n",  // an IPv6 line in tcp
        "garbage\n",
        "\n",
    };
    std::string text = tcp_header;
    for (const std::string& line : bad_lines) {
        text += line;
        EXPECT_TRUE(parse_tcp_table(tcp_header + line, Family::v4).empty()) << line;
    }
    text += good;
    const auto table = parse_tcp_table(text, Family::v4);
    ASSERT_EQ(table.size(), 1u);
    EXPECT_EQ(render(table.at(4242).local), "127.0.0.1:8080");

    // An IPv4 line read as tcp6 (the family decides the address width).
    EXPECT_TRUE(parse_tcp_table(tcp_header + good, Family::v6).empty());
    // The first line is the header, whatever it holds.
    EXPECT_TRUE(parse_tcp_table(good, Family::v4).empty());
    EXPECT_TRUE(parse_tcp_table("", Family::v4).empty());
}

TEST(TcpTable, StateNames) {
    EXPECT_STREQ(tcp_state_name(1), "ESTABLISHED");
    EXPECT_STREQ(tcp_state_name(12), "NEW_SYN_RECV");
    EXPECT_STREQ(tcp_state_name(0), "UNKNOWN");
    EXPECT_STREQ(tcp_state_name(13), "UNKNOWN");
    EXPECT_STREQ(tcp_state_name(-1), "UNKNOWN");
}

}  // namespace
}  // namespace tcpkeep::cli
