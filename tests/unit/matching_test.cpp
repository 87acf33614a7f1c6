// CompiledPolicy: compile-time process selection, then (direction, port, peer) -> Verdict with
// first-match-wins over every dimension, checked by hand and against a naive reference.
#include <gtest/gtest.h>
#include <algorithm>
#include <array>
#include <random>

#include "config/resolve_verdict.h"
#include "tests/unit/test_support.h"

namespace tcpkeep {
namespace {

using test::compile_text;
using test::identity;
using test::must_read;

constexpr auto out = Direction::outbound;
constexpr auto in = Direction::inbound;

// The rule index a socket gets; -1 for [defaults] or untouched.
int rule_for(const CompiledPolicy& p, Direction d, std::uint16_t port, std::string_view peer_text = {}) {
    if (peer_text.empty()) return p.decide(d, port, nullptr).rule_index;
    const PeerAddress a = test::peer_address(peer_text);
    return p.decide(d, port, &a).rule_index;
}

// ---------------------------------------------------------------------------------------------
// Order and each dimension by hand.

TEST(Matching, FirstMatchWinsInFileOrder) {
    const CompiledPolicy p = compile_text(R"(version = 1
[defaults]
idle = "100s"
[[rule]]
name = "first"
ports = [80]
idle = "10s"
[[rule]]
name = "second"
ports = [80, 81]
idle = "20s"
)");
    const Verdict& v80 = p.decide(out, 80, nullptr);
    EXPECT_EQ(v80.rule_index, 0);
    EXPECT_STREQ(v80.name, "first");
    EXPECT_EQ(v80.settings.idle_s, 10);
    const Verdict& v81 = p.decide(out, 81, nullptr);
    EXPECT_EQ(v81.rule_index, 1);
    EXPECT_STREQ(v81.name, "second");
    EXPECT_EQ(v81.settings.idle_s, 20);
    const Verdict& v82 = p.decide(out, 82, nullptr);
    EXPECT_EQ(v82.rule_index, -1);
    EXPECT_STREQ(v82.name, "[defaults]");
    EXPECT_EQ(v82.settings.idle_s, 100);
    EXPECT_EQ(p.active_rules(), 2u);
}

TEST(Matching, PortRangeBoundaries) {
    const CompiledPolicy p = compile_text(R"(version = 1
[[rule]]
ports = ["6000-6100", 22]
[[rule]]
ports = [1, 65535]
[[rule]]
ports = ["1000-1000", "2000-2001"]
)");
    EXPECT_EQ(rule_for(p, out, 5999), -1);
    EXPECT_EQ(rule_for(p, out, 6000), 0);  // first
    EXPECT_EQ(rule_for(p, out, 6050), 0);
    EXPECT_EQ(rule_for(p, out, 6100), 0);   // last
    EXPECT_EQ(rule_for(p, out, 6101), -1);  // last + 1
    EXPECT_EQ(rule_for(p, out, 21), -1);
    EXPECT_EQ(rule_for(p, out, 22), 0);
    EXPECT_EQ(rule_for(p, out, 23), -1);
    EXPECT_EQ(rule_for(p, out, 0), -1);  // port 0 (unknown) matches no port rule
    EXPECT_EQ(rule_for(p, out, 1), 1);
    EXPECT_EQ(rule_for(p, out, 2), -1);
    EXPECT_EQ(rule_for(p, out, 65534), -1);
    EXPECT_EQ(rule_for(p, out, 65535), 1);
    EXPECT_EQ(rule_for(p, out, 999), -1);
    EXPECT_EQ(rule_for(p, out, 1000), 2);
    EXPECT_EQ(rule_for(p, out, 1001), -1);
    EXPECT_EQ(rule_for(p, out, 2000), 2);
    EXPECT_EQ(rule_for(p, out, 2001), 2);
    EXPECT_EQ(rule_for(p, out, 2002), -1);
}

TEST(Matching, OverlappingRangesOfOneRuleAndOfLaterRules) {
    const CompiledPolicy p = compile_text(R"(version = 1
[[rule]]
ports = ["100-200", "150-250", 250]
[[rule]]
ports = ["50-300"]
)");
    EXPECT_EQ(rule_for(p, out, 49), -1);
    EXPECT_EQ(rule_for(p, out, 50), 1);
    EXPECT_EQ(rule_for(p, out, 99), 1);
    EXPECT_EQ(rule_for(p, out, 100), 0);
    EXPECT_EQ(rule_for(p, out, 200), 0);
    EXPECT_EQ(rule_for(p, out, 201), 0);  // still inside the second range of rule 0
    EXPECT_EQ(rule_for(p, out, 250), 0);
    EXPECT_EQ(rule_for(p, out, 251), 1);
    EXPECT_EQ(rule_for(p, out, 300), 1);
    EXPECT_EQ(rule_for(p, out, 301), -1);
}

TEST(Matching, Direction) {
    const CompiledPolicy p = compile_text(R"(version = 1
[[rule]]
direction = "outbound"
ports = [80]
[[rule]]
direction = "inbound"
ports = [80, 443]
[[rule]]
direction = "any"
ports = [80, 443, 22]
)");
    EXPECT_EQ(rule_for(p, out, 80), 0);
    EXPECT_EQ(rule_for(p, in, 80), 1);
    EXPECT_EQ(rule_for(p, out, 443), 2);
    EXPECT_EQ(rule_for(p, in, 443), 1);
    EXPECT_EQ(rule_for(p, out, 22), 2);
    EXPECT_EQ(rule_for(p, in, 22), 2);
    EXPECT_EQ(rule_for(p, in, 23), -1);
}

TEST(Matching, DirectionWithoutPortsCoversEveryPortOfThatDirection) {
    const CompiledPolicy p = compile_text("version = 1\n[[rule]]\ndirection = \"inbound\"\n[[rule]]\nports = [9]\n");
    EXPECT_EQ(rule_for(p, in, 0), 0);
    EXPECT_EQ(rule_for(p, in, 9), 0);
    EXPECT_EQ(rule_for(p, in, 65535), 0);
    EXPECT_EQ(rule_for(p, out, 9), 1);
    EXPECT_EQ(rule_for(p, out, 10), -1);
}

// ---------------------------------------------------------------------------------------------
// Process: fixed at compile time; rules that cannot match this process are dropped.

TEST(ProcessMatches, PathGlobAndNames) {
    const ProcessIdentity who = identity("/opt/app/bin/server", "srv-launcher", "srv-worker");
    EXPECT_TRUE(process_matches("/opt/app/bin/*", who));
    EXPECT_TRUE(process_matches("/opt/app/bin/server", who));
    EXPECT_TRUE(process_matches("/opt/*/bin/serv?r", who));
    EXPECT_FALSE(process_matches("/opt/*", who));       // '*' does not cross '/' in a path pattern
    EXPECT_FALSE(process_matches("bin/server", who));   // a '/' makes it a path pattern: whole path
    EXPECT_TRUE(process_matches("server", who));        // exe name
    EXPECT_TRUE(process_matches("srv-launcher", who));  // argv[0] name
    EXPECT_TRUE(process_matches("srv-worker", who));    // comm
    EXPECT_TRUE(process_matches("srv-*", who));
    EXPECT_TRUE(process_matches("serv[e]r", who));
    EXPECT_FALSE(process_matches("serve", who));
    EXPECT_FALSE(process_matches("/opt/app/bin/server/", who));
    EXPECT_FALSE(process_matches("*", ProcessIdentity{}));  // an unknown identity matches nothing
}

TEST(Matching, ProcessByPathExeArgv0AndComm) {
    constexpr std::string_view text = R"(version = 1
[[rule]]
name = "by path"
process = ["/usr/lib/postgresql/*/bin/postgres"]
[[rule]]
name = "by exe"
process = "python3*"
[[rule]]
name = "by argv0"
process = ["nope", "gunicorn"]
[[rule]]
name = "by comm"
process = "kworker-ish"
)";
    auto chosen = [&](const ProcessIdentity& who) {
        const CompiledPolicy p = CompiledPolicy::compile(must_read(text), who, KernelDefaults{});
        return std::string(p.decide(out, 1, nullptr).name);
    };
    EXPECT_EQ(chosen(identity("/usr/lib/postgresql/15/bin/postgres", "postgres", "postgres")), "by path");
    EXPECT_EQ(chosen(identity("/usr/bin/python3.11", "x", "y")), "by exe");
    EXPECT_EQ(chosen(identity("/usr/bin/python3.11", "gunicorn", "gunicorn")), "by exe");  // file order
    EXPECT_EQ(chosen(identity("/usr/bin/env", "gunicorn", "env")), "by argv0");
    EXPECT_EQ(chosen(identity("/usr/bin/env", "env", "kworker-ish")), "by comm");
    EXPECT_EQ(chosen(identity("/usr/bin/env", "env", "env")), "");  // nothing, no [defaults]

    const CompiledPolicy none = CompiledPolicy::compile(must_read(text), identity("/bin/sh", "sh", "sh"), KernelDefaults{});
    EXPECT_EQ(none.active_rules(), 0u);
    const CompiledPolicy two = CompiledPolicy::compile(must_read(text), identity("/usr/bin/python3", "gunicorn", "x"), KernelDefaults{});
    EXPECT_EQ(two.active_rules(), 2u);
}

// ---------------------------------------------------------------------------------------------
// Peers.

constexpr std::string_view peers_policy = R"(version = 1
[defaults]
keepalive = true
[[rule]]
name = "v4"
peers = ["10.0.0.0/8"]
[[rule]]
name = "v6"
peers = ["fd00::/8"]
[[rule]]
name = "host"
peers = ["192.0.2.7", "2001:db8::7"]
)";

TEST(Matching, PeersV4V6AndV4Mapped) {
    const CompiledPolicy p = compile_text(peers_policy);
    EXPECT_EQ(rule_for(p, out, 443, "10.1.2.3"), 0);
    EXPECT_EQ(rule_for(p, out, 443, "10.0.0.0"), 0);
    EXPECT_EQ(rule_for(p, out, 443, "10.255.255.255"), 0);
    EXPECT_EQ(rule_for(p, out, 443, "9.255.255.255"), -1);
    EXPECT_EQ(rule_for(p, out, 443, "11.0.0.0"), -1);
    EXPECT_EQ(rule_for(p, out, 443, "::ffff:10.1.2.3"), 0);  // v4-mapped peer of a dual-stack socket
    EXPECT_EQ(rule_for(p, in, 443, "::ffff:10.1.2.3"), 0);
    EXPECT_EQ(rule_for(p, out, 443, "fd12::1"), 1);
    EXPECT_EQ(rule_for(p, out, 443, "fc00::1"), -1);
    EXPECT_EQ(rule_for(p, out, 443, "::a00:1"), -1);  // 10.0.0.1 "IPv4-compatible" is IPv6, not 10/8
    EXPECT_EQ(rule_for(p, out, 443, "192.0.2.7"), 2);
    EXPECT_EQ(rule_for(p, out, 443, "192.0.2.8"), -1);
    EXPECT_EQ(rule_for(p, out, 443, "192.0.2.6"), -1);
    EXPECT_EQ(rule_for(p, out, 443, "2001:db8::7"), 2);
    EXPECT_EQ(rule_for(p, out, 443, "2001:db8::8"), -1);
}

TEST(Matching, NoPeerMeansPeerRulesDoNotMatch) {
    const CompiledPolicy p = compile_text(R"(version = 1
[[rule]]
peers = ["0.0.0.0/0", "::/0"]
[[rule]]
ports = [8080]
)");
    EXPECT_EQ(rule_for(p, in, 8080), 1);  // a listener: no peer yet
    EXPECT_EQ(rule_for(p, in, 8080, "203.0.113.5"), 0);
    EXPECT_EQ(rule_for(p, in, 8080, "2001:db8::5"), 0);
    EXPECT_EQ(rule_for(p, in, 8081), -1);
    EXPECT_EQ(p.decide(in, 8081, nullptr).kind, Verdict::Kind::untouched);
}

TEST(Matching, PeerRuleAfterPortRuleIsUnreachable) {
    const CompiledPolicy p = compile_text("version = 1\n[[rule]]\nports = [80]\n[[rule]]\nports = [80]\npeers = \"10.0.0.0/8\"\n");
    EXPECT_EQ(rule_for(p, out, 80, "10.0.0.1"), 0);
    EXPECT_FALSE(p.depends_on_peer(out, 80));
}

TEST(Matching, NestedCidrOuterEarlierWins) {
    const CompiledPolicy p = compile_text(R"(version = 1
[[rule]]
peers = ["10.0.0.0/8", "fd00::/8"]
[[rule]]
peers = ["10.1.0.0/16", "fd00:1::/32"]
)");
    EXPECT_EQ(rule_for(p, out, 1, "10.1.2.3"), 0);
    EXPECT_EQ(rule_for(p, out, 1, "10.2.0.0"), 0);
    EXPECT_EQ(rule_for(p, out, 1, "fd00:1::1"), 0);
    EXPECT_EQ(rule_for(p, out, 1, "11.0.0.0"), -1);
    EXPECT_EQ(p.active_rules(), 2u);
}

TEST(Matching, NestedCidrInnerEarlierWinsInsideOnly) {
    const CompiledPolicy p = compile_text(R"(version = 1
[[rule]]
peers = ["10.1.0.0/16", "fd00:1::/32"]
[[rule]]
peers = ["10.0.0.0/8", "fd00::/8"]
)");
    EXPECT_EQ(rule_for(p, out, 1, "9.255.255.255"), -1);
    EXPECT_EQ(rule_for(p, out, 1, "10.0.0.0"), 1);
    EXPECT_EQ(rule_for(p, out, 1, "10.0.255.255"), 1);
    EXPECT_EQ(rule_for(p, out, 1, "10.1.0.0"), 0);      // inner first
    EXPECT_EQ(rule_for(p, out, 1, "10.1.255.255"), 0);  // inner last
    EXPECT_EQ(rule_for(p, out, 1, "10.2.0.0"), 1);      // inner last + 1: back to the outer rule
    EXPECT_EQ(rule_for(p, out, 1, "10.255.255.255"), 1);
    EXPECT_EQ(rule_for(p, out, 1, "11.0.0.0"), -1);
    EXPECT_EQ(rule_for(p, out, 1, "fd00::"), 1);
    EXPECT_EQ(rule_for(p, out, 1, "fd00:0:ffff:ffff:ffff:ffff:ffff:ffff"), 1);
    EXPECT_EQ(rule_for(p, out, 1, "fd00:1::"), 0);
    EXPECT_EQ(rule_for(p, out, 1, "fd00:1:ffff:ffff:ffff:ffff:ffff:ffff"), 0);
    EXPECT_EQ(rule_for(p, out, 1, "fd00:2::"), 1);
}

TEST(Matching, ThreeLevelsAndSharedEnds) {
    // 10.255.0.0/16 ends where 10.0.0.0/8 ends; 10.255.255.0/24 too.
    const CompiledPolicy p = compile_text(R"(version = 1
[[rule]]
peers = "10.255.0.0/16"
[[rule]]
peers = "10.0.0.0/8"
[[rule]]
peers = ["10.255.255.0/24", "255.255.255.255"]
[[rule]]
peers = "0.0.0.0/0"
)");
    EXPECT_EQ(rule_for(p, out, 1, "10.255.255.1"), 0);
    EXPECT_EQ(rule_for(p, out, 1, "10.255.255.255"), 0);
    EXPECT_EQ(rule_for(p, out, 1, "10.254.255.255"), 1);
    EXPECT_EQ(rule_for(p, out, 1, "11.0.0.0"), 3);
    EXPECT_EQ(rule_for(p, out, 1, "0.0.0.0"), 3);
    EXPECT_EQ(rule_for(p, out, 1, "255.255.255.254"), 3);
    EXPECT_EQ(rule_for(p, out, 1, "255.255.255.255"), 2);  // the very last address
    EXPECT_EQ(rule_for(p, out, 1, "::1"), -1);
}

TEST(Matching, HostBlockOnTheLastAddressOfAnotherBlock) {
    const CompiledPolicy outer_first = compile_text("version = 1\n[[rule]]\npeers = \"10.0.0.0/8\"\n[[rule]]\npeers = \"10.255.255.255\"\n");
    EXPECT_EQ(rule_for(outer_first, out, 1, "10.255.255.254"), 0);
    EXPECT_EQ(rule_for(outer_first, out, 1, "10.255.255.255"), 0);
    EXPECT_EQ(rule_for(outer_first, out, 1, "11.0.0.0"), -1);
    const CompiledPolicy host_first = compile_text("version = 1\n[[rule]]\npeers = \"10.255.255.255\"\n[[rule]]\npeers = \"10.0.0.0/8\"\n");
    EXPECT_EQ(rule_for(host_first, out, 1, "10.255.255.254"), 1);
    EXPECT_EQ(rule_for(host_first, out, 1, "10.255.255.255"), 0);
    EXPECT_EQ(rule_for(host_first, out, 1, "11.0.0.0"), -1);
}

TEST(Matching, PeerlessRuleBetweenPeerRules) {
    const CompiledPolicy p = compile_text(R"(version = 1
[[rule]]
peers = "10.1.0.0/16"
[[rule]]
ports = ["1-100"]
[[rule]]
peers = "10.0.0.0/8"
)");
    EXPECT_EQ(rule_for(p, out, 50, "10.1.0.1"), 0);
    EXPECT_EQ(rule_for(p, out, 50, "10.2.0.1"), 1);
    EXPECT_EQ(rule_for(p, out, 50), 1);
    EXPECT_EQ(rule_for(p, out, 101, "10.2.0.1"), 2);
    EXPECT_EQ(rule_for(p, out, 101), -1);
}

// ---------------------------------------------------------------------------------------------
// Verdict kinds, settings overlay, flags.

TEST(Matching, SkipAction) {
    const CompiledPolicy p = compile_text(R"(version = 1
[defaults]
keepalive = true
[[rule]]
name = "leave ssh alone"
ports = [22]
action = "skip"
)");
    const Verdict& v = p.decide(out, 22, nullptr);
    EXPECT_EQ(v.kind, Verdict::Kind::skip);
    EXPECT_EQ(v.rule_index, 0);
    EXPECT_STREQ(v.name, "leave ssh alone");
    EXPECT_EQ(p.decide(out, 23, nullptr).kind, Verdict::Kind::apply);
}

TEST(Matching, DefaultsFallbackVersusUntouched) {
    const CompiledPolicy with = compile_text("version = 1\n[defaults]\nkeepalive = true\nidle = \"42s\"\n[[rule]]\nports = [1]\n");
    const Verdict& d = with.decide(in, 2, nullptr);
    EXPECT_EQ(d.kind, Verdict::Kind::apply);
    EXPECT_STREQ(d.name, "[defaults]");
    EXPECT_EQ(d.rule_index, -1);
    EXPECT_EQ(d.settings.mask, bit(Option::keepalive) | bit(Option::idle));
    EXPECT_TRUE(d.settings.keepalive);
    EXPECT_EQ(d.settings.idle_s, 42);
    EXPECT_EQ(d.origin[static_cast<std::size_t>(Option::idle)], Origin::defaults);

    const CompiledPolicy without = compile_text("version = 1\n[[rule]]\nports = [1]\nkeepalive = true\n");
    const Verdict& u = without.decide(in, 2, nullptr);
    EXPECT_EQ(u.kind, Verdict::Kind::untouched);
    EXPECT_STREQ(u.name, "");
    EXPECT_EQ(u.rule_index, -1);
    EXPECT_EQ(u.settings.mask, 0);
}

TEST(Matching, DependsOnPeer) {
    const CompiledPolicy p = compile_text(R"(version = 1
[[rule]]
direction = "outbound"
ports = [5432]
peers = "10.0.0.0/8"
[[rule]]
ports = ["5000-6000"]
[[rule]]
ports = [7000]
peers = "fd00::/8"
)");
    EXPECT_TRUE(p.depends_on_peer(out, 5432));
    EXPECT_FALSE(p.depends_on_peer(in, 5432));  // the peer rule is outbound only
    EXPECT_FALSE(p.depends_on_peer(out, 5433));
    EXPECT_TRUE(p.depends_on_peer(in, 7000));
    EXPECT_FALSE(p.depends_on_peer(out, 7001));
}

TEST(Matching, AppliesAnything) {
    KernelDefaults k;
    const ProcessIdentity sh = identity("/bin/sh", "sh", "sh");
    EXPECT_FALSE(compile_text("version = 1\n", sh, k).applies_anything());
    EXPECT_FALSE(compile_text("version = 1\n[[rule]]\nports = [1]\naction = \"skip\"\n", sh, k).applies_anything());
    // The only applying rule is for another process: dropped at compile time.
    EXPECT_FALSE(compile_text("version = 1\n[[rule]]\nprocess = \"psql\"\nidle = \"5s\"\n[[rule]]\naction = \"skip\"\n", sh, k).applies_anything());
    EXPECT_TRUE(compile_text("version = 1\n[[rule]]\nprocess = \"sh\"\nidle = \"5s\"\n", sh, k).applies_anything());
    EXPECT_TRUE(compile_text("version = 1\n[defaults]\nkeepalive = true\n", sh, k).applies_anything());
}

TEST(Matching, SettingsOverlayRuleOverDefaults) {
    const CompiledPolicy p = compile_text(R"(version = 1
[defaults]
keepalive = true
idle = "60s"
interval = "10s"
count = 6
user_timeout = "off"
enforce = true
[[rule]]
name = "db"
ports = [5432]
idle = "30s"
user_timeout = "45s"
enforce = false
[[rule]]
name = "bare"
ports = [1]
)");
    const Verdict& v = p.decide(out, 5432, nullptr);
    EXPECT_EQ(v.kind, Verdict::Kind::apply);
    EXPECT_EQ(v.settings.mask, 0x1F);
    EXPECT_TRUE(v.settings.keepalive);
    EXPECT_EQ(v.settings.idle_s, 30);
    EXPECT_EQ(v.settings.interval_s, 10);
    EXPECT_EQ(v.settings.count, 6);
    EXPECT_EQ(v.settings.user_timeout_ms, 45'000);
    EXPECT_FALSE(v.user_timeout_auto);
    EXPECT_FALSE(v.enforce);
    using O = Option;
    auto origin = [&](const Verdict& x, O o) { return x.origin[static_cast<std::size_t>(o)]; };
    EXPECT_EQ(origin(v, O::keepalive), Origin::defaults);
    EXPECT_EQ(origin(v, O::idle), Origin::rule);
    EXPECT_EQ(origin(v, O::interval), Origin::defaults);
    EXPECT_EQ(origin(v, O::count), Origin::defaults);
    EXPECT_EQ(origin(v, O::user_timeout), Origin::rule);

    const Verdict& bare = p.decide(out, 1, nullptr);  // a rule with no settings takes all of [defaults]
    EXPECT_STREQ(bare.name, "bare");
    EXPECT_EQ(bare.settings.idle_s, 60);
    EXPECT_EQ(bare.settings.user_timeout_ms, 0);
    EXPECT_TRUE(bare.settings.has(Option::user_timeout));  // "off" is set, to 0
    EXPECT_TRUE(bare.enforce);
    EXPECT_EQ(origin(bare, O::idle), Origin::defaults);
}

TEST(Matching, UnsetOptionsStayUnset) {
    const CompiledPolicy p = compile_text("version = 1\n[[rule]]\nports = [1]\ncount = 4\n");
    const Verdict& v = p.decide(out, 1, nullptr);
    EXPECT_EQ(v.settings.mask, bit(Option::count));
    EXPECT_EQ(v.origin[static_cast<std::size_t>(Option::idle)], Origin::unset);
    EXPECT_EQ(v.origin[static_cast<std::size_t>(Option::count)], Origin::rule);
    EXPECT_FALSE(v.enforce);
}

TEST(ResolveVerdict, UserTimeoutAutoAndOff) {
    KernelDefaults k;
    k.keepalive_time_s = 100;
    k.keepalive_intvl_s = 7;
    k.keepalive_probes = 3;
    auto ut = [&](std::string_view defaults, std::string_view rule) {
        const Policy p = must_read(fmt::format("version = 1\n[defaults]\n{}\n[[rule]]\nports = [1]\n{}\n", defaults, rule));
        const Verdict v = resolve_verdict(p.rules.empty() ? nullptr : &p.rules[0].settings, p.defaults ? &*p.defaults : nullptr, k);
        EXPECT_TRUE(v.settings.has(Option::user_timeout));
        return v;
    };
    Verdict v = ut("idle = \"60s\"\ninterval = \"10s\"\ncount = 6\nuser_timeout = \"auto\"", "");
    EXPECT_EQ(v.settings.user_timeout_ms, 120'000);
    EXPECT_TRUE(v.user_timeout_auto);
    // The rule's idle changes what "auto" in [defaults] means for that rule.
    EXPECT_EQ(ut("idle = \"60s\"\ninterval = \"10s\"\ncount = 6\nuser_timeout = \"auto\"", "idle = \"30s\"").settings.user_timeout_ms, 90'000);
    // Unset parts come from the namespace: 30 + 7 x 3.
    v = ut("idle = \"30s\"\nuser_timeout = \"auto\"", "");
    EXPECT_EQ(v.settings.user_timeout_ms, 51'000);
    EXPECT_EQ(v.settings.mask, bit(Option::idle) | bit(Option::user_timeout));  // auto sets no other option
    EXPECT_EQ(ut("user_timeout = \"auto\"", "").settings.user_timeout_ms, 121'000);
    EXPECT_EQ(ut("user_timeout = \"auto\"", "count = 10").settings.user_timeout_ms, 170'000);
    // Capped at INT_MAX ms: 32767 + 32767 x 127 s does not fit.
    EXPECT_EQ(ut("idle = \"32767s\"\ninterval = \"32767s\"\ncount = 127\nuser_timeout = \"auto\"", "").settings.user_timeout_ms, 2'147'483'647);
    v = ut("user_timeout = \"auto\"", "user_timeout = \"off\"");
    EXPECT_EQ(v.settings.user_timeout_ms, 0);
    EXPECT_FALSE(v.user_timeout_auto);
    EXPECT_EQ(v.origin[static_cast<std::size_t>(Option::user_timeout)], Origin::rule);
}

TEST(Matching, EmbeddedStyleDefaultsAutoIs120s) {
    const CompiledPolicy p = compile_text(R"(version = 1
[defaults]
keepalive = true
idle = "60s"
interval = "10s"
count = 6
user_timeout = "auto"
)");
    const Verdict& v = p.decide(out, 443, nullptr);
    EXPECT_EQ(v.settings.user_timeout_ms, 120'000);
    EXPECT_TRUE(v.user_timeout_auto);
    EXPECT_EQ(v.settings.mask, 0x1F);
}

TEST(Matching, RuleNamesSurviveAMove) {
    CompiledPolicy a = compile_text("version = 1\n[[rule]]\nname = \"postgres\"\nports = [5432]\n[[rule]]\nports = [1]\n");
    const CompiledPolicy b = std::move(a);
    EXPECT_STREQ(b.decide(out, 5432, nullptr).name, "postgres");
    EXPECT_STREQ(b.decide(out, 1, nullptr).name, "rule #2");
    EXPECT_EQ(b.source(), "test.toml");
}

// ---------------------------------------------------------------------------------------------
// Randomized cross-check against a naive first-match implementation.

struct RefBlock {
    Family family;
    AddressKey first;
    AddressKey last;
};

struct RefRule {
    Direction direction = Direction::any;
    std::vector<PortRange> ports;
    std::vector<RefBlock> peers;
    bool selected = true;  // its process patterns match the identity we compile for
};

struct RefPeer {
    Family family;
    AddressKey key;
};

bool ref_matches(const RefRule& r, Direction d, std::uint16_t port, const RefPeer* peer, bool with_peers) {
    if (!r.selected) return false;
    if (r.direction != Direction::any && r.direction != d) return false;
    if (!r.ports.empty() && std::none_of(r.ports.begin(), r.ports.end(), [&](const PortRange& p) { return p.first <= port && port <= p.last; }))
        return false;
    if (r.peers.empty()) return true;
    if (!with_peers || peer == nullptr) return false;
    return std::any_of(r.peers.begin(), r.peers.end(),
                       [&](const RefBlock& b) { return b.family == peer->family && b.first <= peer->key && peer->key <= b.last; });
}

int ref_decide(const std::vector<RefRule>& rules, Direction d, std::uint16_t port, const RefPeer* peer) {
    for (std::size_t i = 0; i < rules.size(); ++i)
        if (ref_matches(rules[i], d, port, peer, true)) return static_cast<int>(i);
    return -1;
}

// A peer rule decides something only if it comes before the first peerless rule that matches.
bool ref_depends_on_peer(const std::vector<RefRule>& rules, Direction d, std::uint16_t port) {
    for (const RefRule& r : rules) {
        if (!r.selected || (r.direction != Direction::any && r.direction != d)) continue;
        if (!r.ports.empty() && std::none_of(r.ports.begin(), r.ports.end(), [&](const PortRange& p) { return p.first <= port && port <= p.last; }))
            continue;
        if (r.peers.empty()) return false;
        return true;
    }
    return false;
}

std::string v4_text(std::uint32_t k) { return fmt::format("{}.{}.{}.{}", k >> 24, (k >> 16) & 0xff, (k >> 8) & 0xff, k & 0xff); }

std::string v6_text(AddressKey k) {
    std::string s;
    for (int g = 7; g >= 0; --g) s += fmt::format("{}{:x}", g == 7 ? "" : ":", static_cast<unsigned>((k >> (16 * g)) & 0xffff));
    return s;
}

class RandomPolicy {
public:
    explicit RandomPolicy(std::uint32_t seed) : rng_(seed) {
        for (int i = 0; i < 6; ++i) v4_anchors_.push_back(static_cast<std::uint32_t>(rng_()));
        v4_anchors_.push_back(0);
        v4_anchors_.push_back(0xFFFFFFFF);
        // Two IPv6 roots with random tails, so blocks nest at many depths; plus both extremes.
        const AddressKey roots[2] = {(AddressKey{0xfd00} << 112) | rand128() >> 64, (AddressKey{0x2001'0db8} << 96) | rand128() >> 80};
        for (int i = 0; i < 6; ++i) v6_anchors_.push_back(roots[i % 2] ^ (rand128() >> (16 + 16 * (i % 4))));
        v6_anchors_.push_back(0);
        v6_anchors_.push_back(~AddressKey{0});
    }

    std::uint64_t below(std::uint64_t n) { return rng_() % n; }
    bool chance(int percent) { return below(100) < static_cast<std::uint64_t>(percent); }
    AddressKey rand128() { return (AddressKey{rng_()} << 64) | rng_(); }

    // Adds one random rule to both the policy and the reference.
    void add_rule(Rule& rule, RefRule& ref) {
        const std::uint64_t d = below(10);
        ref.direction = rule.direction = d < 4 ? Direction::any : d < 7 ? Direction::outbound : Direction::inbound;
        if (!chance(15)) {
            for (std::uint64_t n = 1 + below(4); n > 0; --n) ref.ports.push_back(random_range());
        }
        if (chance(50)) {
            for (std::uint64_t n = 1 + below(3); n > 0; --n) ref.peers.push_back(random_block(rule));
        }
        if (ref.ports.empty() && ref.peers.empty()) ref.ports.push_back(random_range());  // no accidental catch-all
        rule.ports = ref.ports;
        const std::uint64_t p = below(10);
        if (p == 0) rule.process = {"other-program"};
        if (p == 1) rule.process = {"nope", "my*"};
        ref.selected = p != 0;
        if (chance(20)) rule.action = Action::skip;
    }

    std::uint16_t random_port() {
        static constexpr std::uint16_t hot[] = {1, 22, 80, 443, 5432, 6000, 8080, 65535};
        return chance(25) ? hot[below(std::size(hot))] : static_cast<std::uint16_t>(1 + below(65535));
    }

    PortRange random_range() {
        std::uint16_t a = random_port();
        if (chance(50)) return {a, a};
        const std::uint64_t len = chance(95) ? below(64) : below(20000);  // a few wide ranges
        const auto b = static_cast<std::uint16_t>(std::min<std::uint64_t>(65535, a + len));
        return {a, b};
    }

    RefBlock random_block(Rule& rule) {
        if (chance(55)) {
            const int prefix = random_prefix(32);
            const std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix);
            const std::uint32_t net = static_cast<std::uint32_t>(near_anchor(v4_anchors_[below(v4_anchors_.size())], 32)) & mask;
            // Sometimes written v4-mapped: it must behave exactly like the IPv4 block.
            const std::string text = chance(25) ? fmt::format("::ffff:{}/{}", v4_text(net), 96 + prefix) : fmt::format("{}/{}", v4_text(net), prefix);
            add_peer(rule, text);
            return {Family::v4, net, net | ~mask};
        }
        const int prefix = random_prefix(128);
        const AddressKey mask = prefix == 0 ? 0 : ~AddressKey{0} << (128 - prefix);
        const AddressKey net = near_anchor(v6_anchors_[below(v6_anchors_.size())], 128) & mask;
        add_peer(rule, fmt::format("{}/{}", v6_text(net), prefix));
        return {Family::v6, net, net | ~mask};
    }

    // An address near the interesting places: block edges (and one past them) or near an anchor.
    RefPeer random_peer(const RefRule& r) {
        const bool v4 = chance(50);
        std::vector<const RefBlock*> blocks;
        for (const RefBlock& b : r.peers)
            if ((b.family == Family::v4) == v4) blocks.push_back(&b);
        AddressKey key = 0;
        if (!blocks.empty() && chance(75)) {
            const RefBlock& b = *blocks[below(blocks.size())];
            switch (below(5)) {
                case 0: key = b.first; break;
                case 1: key = b.last; break;
                case 2: key = b.first - 1; break;  // wraps at 0: still a valid address
                case 3: key = b.last + 1; break;
                default: key = b.first + (b.last == b.first ? 0 : rand128() % (b.last - b.first)); break;
            }
        } else if (v4) {
            key = v4_anchors_[below(v4_anchors_.size())] ^ (rng_() & ((std::uint64_t{1} << below(33)) - 1));
        } else {
            key = v6_anchors_[below(v6_anchors_.size())] ^ (rand128() >> below(128));
        }
        if (v4) key &= 0xFFFFFFFF;
        if (!v4 && (key >> 32) == 0xffff) key ^= AddressKey{1} << 127;  // stay out of ::ffff:0:0/96
        return {v4 ? Family::v4 : Family::v6, key};
    }

    // The PeerAddress a socket would report, through the text parser; v4 sometimes v4-mapped.
    PeerAddress to_peer(const RefPeer& p) {
        std::string text;
        if (p.family == Family::v4) {
            text = chance(30) ? "::ffff:" + v4_text(static_cast<std::uint32_t>(p.key)) : v4_text(static_cast<std::uint32_t>(p.key));
        } else {
            text = v6_text(p.key);
        }
        std::optional<PeerAddress> a = PeerAddress::parse(text);
        EXPECT_TRUE(a.has_value()) << text;
        EXPECT_EQ(a.value_or(PeerAddress{}).family, p.family) << text;  // random IPv6 never lands in ::ffff:0:0/96
        return a.value_or(PeerAddress{});
    }

private:
    std::mt19937_64 rng_;
    std::vector<std::uint32_t> v4_anchors_;
    std::vector<AddressKey> v6_anchors_;

    // Mostly /8 and longer; single hosts and very short prefixes (down to /0) are frequent enough
    // to appear in every large policy.
    int random_prefix(int width) {
        const std::uint64_t r = below(100);
        if (r < 10) return width;
        if (r < 20) return static_cast<int>(below(static_cast<std::uint64_t>(width) + 1));
        return 8 + static_cast<int>(below(static_cast<std::uint64_t>(width) - 7));
    }

    // The anchor with its low bits forced to ones or zeros: blocks then nest at the start and at
    // the end of bigger blocks (a /32 on the last address of a /8, ...).
    AddressKey near_anchor(AddressKey anchor, int width) {
        const int k = static_cast<int>(below(static_cast<std::uint64_t>(width)));
        const AddressKey ones = k == 0 ? 0 : ~AddressKey{0} >> (128 - k);
        switch (below(3)) {
            case 0: return anchor | ones;
            case 1: return anchor & ~ones;
            default: return anchor;
        }
    }

    static void add_peer(Rule& rule, const std::string& text) {
        const Result<Cidr> c = parse_cidr(text);
        ASSERT_TRUE(c.ok()) << text << ": " << (c ? "" : c.error().message);
        rule.peers.push_back(*c);
    }
};

struct CrossCheck {
    std::uint32_t seed;
    int rules;
    int queries;
    bool defaults;
    bool catch_all;  // a rule matching everything near the end
};

void PrintTo(const CrossCheck& c, std::ostream* os) { *os << "seed " << c.seed << ", " << c.rules << " rules"; }

std::string cross_check_name(const ::testing::TestParamInfo<CrossCheck>& p) { return fmt::format("seed{}_rules{}", p.param.seed, p.param.rules); }

class MatchingCrossCheck : public ::testing::TestWithParam<CrossCheck> {};

TEST_P(MatchingCrossCheck, DecideEqualsNaiveFirstMatch) {
    const CrossCheck cfg = GetParam();
    RandomPolicy gen(cfg.seed);
    Policy policy;
    policy.source = "random";
    if (cfg.defaults) {
        policy.defaults.emplace();
        policy.defaults->idle_s = Located<std::int32_t>{32000, {}};
    }
    std::vector<RefRule> ref(static_cast<std::size_t>(cfg.rules));
    for (int i = 0; i < cfg.rules; ++i) {
        Rule rule;
        rule.index = static_cast<std::size_t>(i);
        rule.settings.idle_s = Located<std::int32_t>{i + 1, {}};  // identifies the rule in the verdict
        if (cfg.catch_all && i == cfg.rules - cfg.rules / 10) {
            ref[static_cast<std::size_t>(i)] = RefRule{};
        } else {
            gen.add_rule(rule, ref[static_cast<std::size_t>(i)]);
        }
        if (rule.action == Action::skip) rule.settings.idle_s.reset();
        policy.rules.push_back(std::move(rule));
    }
    const CompiledPolicy compiled = CompiledPolicy::compile(policy, test::identity("/usr/bin/myprog", "myprog", "myprog"), KernelDefaults{});
    ASSERT_EQ(compiled.active_rules(), static_cast<std::size_t>(std::count_if(ref.begin(), ref.end(), [](const RefRule& r) { return r.selected; })));

    auto expect_same = [&](const Verdict& v, int want, std::string_view what) {
        if (want < 0) {
            EXPECT_EQ(v.rule_index, -1) << what;
            EXPECT_EQ(v.kind, cfg.defaults ? Verdict::Kind::apply : Verdict::Kind::untouched) << what;
            if (cfg.defaults) {
                EXPECT_EQ(v.settings.idle_s, 32000) << what;
            }
            return;
        }
        const Rule& r = policy.rules[static_cast<std::size_t>(want)];
        EXPECT_EQ(v.rule_index, want) << what;
        EXPECT_EQ(v.kind, r.action == Action::skip ? Verdict::Kind::skip : Verdict::Kind::apply) << what;
        if (r.action == Action::apply) {
            EXPECT_EQ(v.settings.idle_s, want + 1) << what;
        }
        EXPECT_EQ(std::string_view(v.name), r.display_name()) << what;
    };

    int failures = 0;
    std::array<int, 4> decided_by{};                          // a v4 peer rule, a v6 peer rule, any rule, the fallback
    for (int q = 0; q < cfg.queries && failures < 20; ++q) {  // stop the flood 20 queries after a failure
        // Most queries aim at one rule (its direction, a port edge, a peer-block edge) so that peer
        // rules decide often; the rest are unrelated, to reach the fallbacks.
        const RefRule& target = ref[gen.below(ref.size())];
        const bool aimed = gen.chance(70);
        Direction d = gen.chance(50) ? out : in;
        if (aimed && target.direction != Direction::any) d = target.direction;
        std::uint16_t port = gen.random_port();
        const RefRule& port_source = aimed ? target : ref[gen.below(ref.size())];
        if (!port_source.ports.empty() && (aimed || gen.chance(50))) {  // an edge of a range, or just outside it
            const PortRange& pr = port_source.ports[gen.below(port_source.ports.size())];
            const int edges[] = {pr.first - 1, pr.first, pr.last, pr.last + 1, pr.first + (pr.last - pr.first) / 2};
            port = static_cast<std::uint16_t>(std::clamp(edges[gen.below(5)], 0, 65535));
        }
        const RefPeer rp = gen.random_peer(aimed ? target : ref[gen.below(ref.size())]);
        const PeerAddress pa = gen.to_peer(rp);
        const std::string what = fmt::format("query {}: {} port {} peer {}", q, to_string(d), port, pa.to_string());

        const int want = ref_decide(ref, d, port, &rp);
        expect_same(compiled.decide(d, port, &pa), want, what);
        expect_same(compiled.decide(d, port, nullptr), ref_decide(ref, d, port, nullptr), what + " (no peer)");
        const bool depends = ref_depends_on_peer(ref, d, port);
        EXPECT_EQ(compiled.depends_on_peer(d, port), depends) << what;
        if (want >= 0 && !ref[static_cast<std::size_t>(want)].peers.empty()) ++decided_by[rp.family == Family::v4 ? 0 : 1];
        ++decided_by[want < 0 ? 3 : 2];
        if (::testing::Test::HasFailure()) ++failures;
    }
    // The generator must actually exercise peer matching in both families, and the fallback.
    if (cfg.rules < 100) return;
    const std::string stats = fmt::format("decided by: v4 peer rule {}, v6 peer rule {}, a rule {}, the fallback {}", decided_by[0], decided_by[1],
                                          decided_by[2], decided_by[3]);
    EXPECT_GT(decided_by[0], cfg.queries / 10) << stats;
    EXPECT_GT(decided_by[1], cfg.queries / 10) << stats;
    if (!cfg.catch_all) {
        EXPECT_GT(decided_by[3], cfg.rules > 300 ? 10 : cfg.queries / 20) << stats;  // 1000 rules leave few gaps
    }
}

INSTANTIATE_TEST_SUITE_P(LargePolicies, MatchingCrossCheck,
                         ::testing::Values(CrossCheck{20240601, 300, 20000, true, false}, CrossCheck{7, 300, 20000, false, false},
                                           CrossCheck{99, 300, 20000, true, true}, CrossCheck{4242, 1000, 20000, true, false}),
                         cross_check_name);

// Small policies put the partition's corner cases (identical blocks in two rules, shared ends,
// blocks reaching the last address) close together; many seeds cover many shapes.
INSTANTIATE_TEST_SUITE_P(SmallPolicies, MatchingCrossCheck, ::testing::ValuesIn([] {
                             std::vector<CrossCheck> v;
                             for (std::uint32_t s = 1; s <= 150; ++s) v.push_back({s, 3 + static_cast<int>(s % 10), 800, s % 2 == 0, false});
                             return v;
                         }()),
                         cross_check_name);

// ---------------------------------------------------------------------------------------------
// Scale: many rules, many distinct per-port decisions. The port tables map each port to a 16-bit
// table id; the two directions together can need more than 65536 tables.

Rule port_rule(std::size_t index, Direction d, std::uint16_t port) {
    Rule r;
    r.index = index;
    r.direction = d;
    r.ports.push_back({port, port});
    return r;
}

// 33,000 outbound and 33,000 inbound single-port rules: a policy of about 3 MB of TOML, under
// max_policy_bytes. Every port of every direction has its own first-matching rule.
TEST(MatchingScale, OneRulePerPortInEachDirection) {
    constexpr std::uint16_t per_direction = 33'000;
    Policy policy;
    policy.source = "generated";
    for (std::uint16_t p = 1; p <= per_direction; ++p) policy.rules.push_back(port_rule(policy.rules.size(), out, p));
    for (std::uint16_t p = 1; p <= per_direction; ++p) policy.rules.push_back(port_rule(policy.rules.size(), in, p));
    const CompiledPolicy c = CompiledPolicy::compile(policy, ProcessIdentity{}, KernelDefaults{});
    ASSERT_EQ(c.active_rules(), 2u * per_direction);
    int wrong = 0;
    for (std::uint32_t port = 1; port <= per_direction; ++port) {
        const auto p = static_cast<std::uint16_t>(port);
        wrong += c.decide(out, p, nullptr).rule_index != static_cast<int>(port - 1);
        wrong += c.decide(in, p, nullptr).rule_index != static_cast<int>(per_direction + port - 1);
    }
    EXPECT_EQ(wrong, 0);
    EXPECT_EQ(c.decide(in, per_direction, nullptr).rule_index, 2 * per_direction - 1);
    EXPECT_STREQ(c.decide(in, per_direction, nullptr).name, "rule #66000");
    EXPECT_EQ(c.decide(out, per_direction + 1, nullptr).rule_index, -1);
}

TEST(MatchingScale, EveryPortSeesADifferentSetOfPeerRules) {
    Policy policy;
    policy.source = "generated";
    auto add = [&](Direction d, std::vector<PortRange> ports, const char* cidr) {
        Rule r;
        r.index = policy.rules.size();
        r.direction = d;
        r.ports = std::move(ports);
        r.peers.push_back(parse_cidr(cidr).value());
        policy.rules.push_back(std::move(r));
    };
    // Rule 0: inbound only, so every inbound candidate set differs from every outbound one.
    add(in, {{1, 65535}}, "192.168.0.0/16");
    // Rule 1 + j covers the ports with bit j set: each port sees a different set of peer rules.
    static const std::string nets[16] = {"10.1.0.0/16",  "10.2.0.0/16",  "10.3.0.0/16",  "10.4.0.0/16",  "10.5.0.0/16",  "10.6.0.0/16",
                                         "10.7.0.0/16",  "10.8.0.0/16",  "10.9.0.0/16",  "10.10.0.0/16", "10.11.0.0/16", "10.12.0.0/16",
                                         "10.13.0.0/16", "10.14.0.0/16", "10.15.0.0/16", "10.16.0.0/16"};
    for (int j = 0; j < 16; ++j) {
        std::vector<PortRange> ports;
        const std::uint32_t run = 1u << j;
        for (std::uint32_t start = run; start < 65536; start += 2 * run)
            ports.push_back({static_cast<std::uint16_t>(start), static_cast<std::uint16_t>(start + run - 1)});
        add(Direction::any, std::move(ports), nets[j].c_str());
    }
    const CompiledPolicy p = CompiledPolicy::compile(policy, ProcessIdentity{}, KernelDefaults{});
    int wrong = 0;
    for (std::uint32_t port : {1u, 2u, 3u, 1000u, 40000u, 54321u, 65535u}) {
        for (Direction d : {out, in}) {
            const PeerAddress lan = test::peer_address("192.168.1.1");
            const int want_lan = d == in ? 0 : -1;
            wrong += p.decide(d, static_cast<std::uint16_t>(port), &lan).rule_index != want_lan;
            for (int j = 0; j < 16; ++j) {
                const PeerAddress a = test::peer_address(fmt::format("10.{}.0.1", j + 1));
                const int want = (port >> j) & 1 ? 1 + j : -1;
                const int got = p.decide(d, static_cast<std::uint16_t>(port), &a).rule_index;
                wrong += got != want;
                EXPECT_EQ(got, want) << to_string(d) << " port " << port << " peer " << a.to_string();
            }
        }
    }
    EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace tcpkeep
