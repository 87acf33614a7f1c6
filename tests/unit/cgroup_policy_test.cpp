// Cgroup mode's compilation of a policy into map contents, and finding the cgroup v2 mount: the
// maps must reproduce CompiledPolicy's decisions, and what cgroup mode cannot decide is refused.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <algorithm>
#include <cstring>
#include <random>
#include <set>

#include "config/resolve_verdict.h"
#include "system/small_file.h"
#include "test_support.h"
#include "bpf/compiler/cgroup_policy.h"
#include "tools/cgroup/mount_table.h"

namespace tcpkeep {
namespace {

// The process mask the BPF program computes (bpf/process.bpf.h) for a process known by these names.
std::uint64_t map_processes(const CgroupPolicy& maps, std::initializer_list<std::string> names) {
    std::uint64_t mask = 0;
    for (const auto& [key, bits] : maps.names)
        for (const std::string& name : names)
            if (name == key.name) mask |= bits;
    return mask;
}

std::uint32_t first_process_slot(const CgroupPolicy& maps, std::uint64_t bits) {
    return bits == 0 ? TK_NO_SLOT : maps.process_slots.at(TK_PROCESS_INDEX(bits));
}

TEST(CgroupPolicy, ProcessIndexTellsEveryLowestBitApart) {
    std::set<std::uint32_t> seen;
    for (int bit = 0; bit < 64; ++bit) {
        const std::uint64_t b = std::uint64_t{1} << bit;
        EXPECT_LT(TK_PROCESS_INDEX(b), 64u);
        EXPECT_EQ(TK_PROCESS_INDEX(b | (b << 1)), TK_PROCESS_INDEX(b));  // higher bits do not count
        seen.insert(TK_PROCESS_INDEX(b));
    }
    EXPECT_EQ(seen.size(), 64u);
}

// The lookups the BPF program does (bpf/decide.bpf.h), in C++: the port's class, then the peer's
// block of each prefix length in use and a binary search of its port runs. Counts the lookups.
struct MapDecision {
    const tk_verdict* verdict;
    int block_lookups = 0;
};
MapDecision map_decide(const CgroupPolicy& maps, int direction, std::uint16_t port, const PeerAddress* peer, std::uint64_t processes = 0) {
    const tk_port_class& c = maps.classes.at(maps.ports.at(static_cast<std::size_t>(direction) * 65536 + port));
    std::uint32_t found = std::min(c.fallback == 0 ? TK_NO_SLOT : c.fallback, first_process_slot(maps, c.process_plain & processes));
    const std::uint32_t first_peer = std::min(c.first_peer, first_process_slot(maps, c.process_peers & processes));
    MapDecision out{nullptr};
    if (peer != nullptr && first_peer < found) {
        const bool v4 = peer->family == Family::v4;
        std::uint32_t words[4] = {};
        std::memcpy(words, peer->bytes.data(), v4 ? 4 : 16);
        const tk_prefix_lengths& lengths = maps.peers.prefixes[v4 ? 0 : 1];
        for (std::uint32_t i = 0; i < lengths.count; ++i) {
            const int bits = lengths.length[i];
            tk_peer_key key{};
            key.family = v4 ? TK_FAMILY_V4 : TK_FAMILY_V6;
            key.prefix = static_cast<std::uint8_t>(bits);
            key.direction = static_cast<std::uint8_t>(direction);
            for (int w = 0; w < 4; ++w) {
                const int inside = std::clamp(bits - 32 * w, 0, 32);
                key.addr[w] = words[w] & htonl(inside == 0 ? 0 : ~0u << (32 - inside));
            }
            ++out.block_lookups;
            const auto block = std::find_if(maps.peers.keys.begin(), maps.peers.keys.end(),
                                            [&](const auto& k) { return std::memcmp(&k.first, &key, sizeof key) == 0; });
            if (block == maps.peers.keys.end()) continue;
            const tk_port_run* begin = maps.peers.runs.data() + block->second.first_run;
            const tk_port_run* end = begin + block->second.runs;
            const tk_port_run* run = std::upper_bound(begin, end, port, [](std::uint16_t p, const tk_port_run& r) { return p < r.port_first; });
            if (run == begin || port > (run - 1)->port_last) continue;
            --run;
            found = std::min({found, run->slot, first_process_slot(maps, run->processes & processes)});
        }
    }
    out.verdict = &maps.verdicts.at(found == TK_NO_SLOT ? 0 : found);
    return out;
}

constexpr const char* mixed = R"(version = 1
[defaults]
keepalive = true
idle = "61s"
user_timeout = "9s"

[[rule]]
direction = "outbound"
ports = [5432, "6000-6100"]
idle = "30s"

[[rule]]
ports = [7000]
action = "skip"

[[rule]]
peers = ["10.0.0.0/8", "fd00::/8"]
count = 3
enforce = true

[[rule]]
direction = "inbound"
peers = ["192.168.1.0/24"]
ports = [80]
interval = "2s"
)";

TEST(CgroupPolicy, MapsDecideAsTheCompiledPolicy) {
    const Policy policy = test::must_read(mixed);
    const Result<CgroupPolicy> maps = compile_cgroup_policy(policy);
    ASSERT_TRUE(maps) << maps.error().message;
    const CompiledPolicy compiled = CompiledPolicy::compile(policy, ProcessIdentity{}, KernelDefaults{});
    const char* peers[] = {"10.1.2.3", "11.0.0.1", "fd00::5", "fe80::1", "192.168.1.9", "192.168.2.9", "::ffff:10.9.9.9"};
    int checked = 0;
    for (int d = 0; d < 2; ++d) {
        for (const int p : {0, 79, 80, 81, 5432, 5999, 6000, 6050, 6100, 6101, 7000, 65535}) {
            const auto port = static_cast<std::uint16_t>(p);
            for (const char* text : peers) {
                const std::optional<PeerAddress> peer = PeerAddress::parse(text);
                ASSERT_TRUE(peer) << text;
                const Verdict& want = compiled.decide(d ? Direction::inbound : Direction::outbound, port, &*peer);
                const tk_verdict& got = *map_decide(*maps, d, port, &*peer).verdict;
                SCOPED_TRACE(fmt::format("direction {} port {} peer {}", d, port, text));
                EXPECT_EQ(got.kind, static_cast<int>(want.kind));
                EXPECT_EQ(got.mask, want.settings.mask);
                EXPECT_EQ(got.idle_s, want.settings.idle_s);
                EXPECT_EQ(got.interval_s, want.settings.interval_s);
                EXPECT_EQ(got.count, want.settings.count);
                EXPECT_EQ(got.user_timeout_ms, want.settings.user_timeout_ms);
                EXPECT_EQ(got.enforce != 0, want.enforce);
                ++checked;
            }
            const Verdict& listener = compiled.decide(d ? Direction::inbound : Direction::outbound, port, nullptr);
            EXPECT_EQ(map_decide(*maps, d, port, nullptr).verdict->idle_s, listener.settings.idle_s);
        }
    }
    EXPECT_EQ(checked, 2 * 12 * 7);
    // One key per (block, direction) of each rule with peers; a lookup per prefix length in use.
    ASSERT_EQ(maps->peers.keys.size(), 5u);  // 10/8 and fd00::/8 both ways, 192.168.1/24 inbound
    EXPECT_EQ(maps->peers.prefixes[0].count, 2u);
    EXPECT_EQ(maps->peers.prefixes[1].count, 1u);
    const std::optional<PeerAddress> far = PeerAddress::parse("10.1.2.3");
    EXPECT_EQ(map_decide(*maps, 1, 81, &*far).block_lookups, 2);
}

constexpr const char* with_processes = R"(version = 1
[defaults]
idle = "61s"

[[rule]]
name = "psql out"
direction = "outbound"
process = ["psql", "pg_dump"]
ports = [5432]
idle = "5s"

[[rule]]
name = "db peers"
peers = ["10.0.0.0/8"]
idle = "7s"

[[rule]]
name = "server from office"
direction = "inbound"
process = ["a-very-long-server-name"]
peers = ["192.168.0.0/16"]
interval = "3s"

[[rule]]
name = "any nginx"
process = ["nginx", "psql"]
count = 4
)";

// The maps decide as CompiledPolicy compiled for each process: every (identity, direction, port, peer).
TEST(CgroupPolicy, ProcessMasksDecideAsThePolicyCompiledForTheProcess) {
    const Policy policy = test::must_read(with_processes);
    const Result<CgroupPolicy> maps = compile_cgroup_policy(policy);
    ASSERT_TRUE(maps) << maps.error().message;
    EXPECT_EQ(maps->process_rules, 3u);
    EXPECT_EQ(map_processes(*maps, {"psql"}), 0b101u);
    EXPECT_EQ(map_processes(*maps, {"python3.11", "nginx"}), 0b100u);
    const ProcessIdentity people[] = {{"/usr/bin/psql", "psql", "psql", "psql"},
                                      {"/usr/sbin/nginx", "nginx", "nginx", "nginx"},
                                      {"/opt/a-very-long-server-name", "a-very-long-server-name", "x", "a-very-long-ser"},
                                      {"/usr/bin/python3.11", "python3.11", "python3", "python3"}};
    int checked = 0;
    for (const ProcessIdentity& who : people) {
        const CompiledPolicy compiled = CompiledPolicy::compile(policy, who, KernelDefaults{});
        const std::uint64_t mask = map_processes(*maps, {who.exe_name, who.comm});
        for (int d = 0; d < 2; ++d) {
            for (const int p : {22, 5432, 5433}) {
                const auto port = static_cast<std::uint16_t>(p);
                for (const char* text : {"10.1.1.1", "192.168.3.4", "172.16.0.1", "::1"}) {
                    const std::optional<PeerAddress> peer = PeerAddress::parse(text);
                    const Verdict& want = compiled.decide(d ? Direction::inbound : Direction::outbound, port, &*peer);
                    const tk_verdict& got = *map_decide(*maps, d, port, &*peer, mask).verdict;
                    SCOPED_TRACE(fmt::format("{} direction {} port {} peer {}", who.exe_name, d, port, text));
                    EXPECT_EQ(got.idle_s, want.settings.idle_s);
                    EXPECT_EQ(got.interval_s, want.settings.interval_s);
                    EXPECT_EQ(got.count, want.settings.count);
                    EXPECT_EQ(got.mask, want.settings.mask);
                    ++checked;
                }
                const Verdict& listener = compiled.decide(d ? Direction::inbound : Direction::outbound, port, nullptr);
                EXPECT_EQ(map_decide(*maps, d, port, nullptr, mask).verdict->count, listener.settings.count);
            }
        }
    }
    EXPECT_EQ(checked, 4 * 2 * 3 * 4);
    // Inbound on 5432: a rule with process and peers comes first, so accepted sockets are decided by their peer.
    const tk_port_class& inbound = maps->classes[maps->ports[65536 + 5432]];
    EXPECT_EQ(inbound.process_peers, 0b010u);
    EXPECT_EQ(inbound.first_peer, 2u);  // "db peers"
    EXPECT_EQ(maps->classes[maps->ports[5432]].process_plain, 0b101u);
}

// Random policies of overlapping port ranges, nested peer blocks of several prefix lengths (many
// rules on one block), directions, skips and process rules: the maps decide every case as the
// policy compiled for the process does.
TEST(CgroupPolicy, PeerBlocksDecideAsThePolicyCompiledForTheProcess) {
    std::mt19937 rng(28);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    const char* blocks[] = {"10.0.0.0/8", "10.1.0.0/16", "10.1.2.0/24", "10.1.2.3", "0.0.0.0/0", "fd00::/8", "fd00:1::/32", "fd00:1::5", "::/0"};
    const char* peers[] = {"10.1.2.3", "10.1.2.4", "10.1.9.9", "10.9.9.9", "11.0.0.1", "fd00:1::5", "fd00:1::6", "fd00:2::1", "fe80::1"};
    const char* names[] = {"alpha", "beta", "gamma"};
    for (int round = 0; round < 40; ++round) {
        std::string text = "version = 1\n[defaults]\nidle = \"999s\"\n";
        for (int r = 0; r < 25; ++r) {
            text += pick(0, 6) == 0 ? "[[rule]]\naction = \"skip\"\n" : fmt::format("[[rule]]\nidle = \"{}s\"\n", r + 1);
            if (pick(0, 2) > 0) {
                text += "peers = [";
                for (int b = pick(1, 2); b > 0; --b) text += fmt::format("\"{}\", ", blocks[pick(0, 8)]);
                text += "]\n";
            }
            if (pick(0, 3) > 0) {
                const int first = pick(1, 20) * 10;
                text += fmt::format("ports = [\"{}-{}\", {}]\n", first, first + pick(0, 60), pick(1, 250));
            }
            if (pick(0, 3) == 0) text += fmt::format("direction = \"{}\"\n", pick(0, 1) ? "inbound" : "outbound");
            if (pick(0, 4) == 0) text += fmt::format("process = [\"{}\"]\n", names[pick(0, 2)]);
        }
        const Policy policy = test::must_read(text);
        const Result<CgroupPolicy> maps = compile_cgroup_policy(policy);
        ASSERT_TRUE(maps) << maps.error().message;
        for (const char* name : names) {
            const ProcessIdentity who{std::string("/bin/") + name, name, name, name};
            const CompiledPolicy compiled = CompiledPolicy::compile(policy, who, KernelDefaults{});
            const std::uint64_t mask = map_processes(*maps, {who.exe_name, who.comm});
            for (int d = 0; d < 2; ++d) {
                const Direction direction = d ? Direction::inbound : Direction::outbound;
                for (int port = 0; port <= 270; port += pick(1, 4)) {
                    const auto p = static_cast<std::uint16_t>(port);
                    SCOPED_TRACE(fmt::format("round {} {} direction {} port {}\n{}", round, name, d, port, text));
                    for (const char* address : peers) {
                        const std::optional<PeerAddress> peer = PeerAddress::parse(address);
                        ASSERT_EQ(map_decide(*maps, d, p, &*peer, mask).verdict->idle_s, compiled.decide(direction, p, &*peer).settings.idle_s) << address;
                    }
                    ASSERT_EQ(map_decide(*maps, d, p, nullptr, mask).verdict->idle_s, compiled.decide(direction, p, nullptr).settings.idle_s);
                }
            }
        }
    }
}

// 10,000 rules with peers cost an address the same lookups as 100: one per prefix length.
TEST(CgroupPolicy, LookupsFollowThePrefixLengthsNotTheRules) {
    for (const int rules : {100, 10000}) {
        std::string text = "version = 1\n[defaults]\nidle = \"60s\"\n";
        for (int r = 0; r < rules; ++r)
            text += fmt::format("[[rule]]\nports = [{}]\npeers = [\"10.{}.{}.0/24\", \"fd00:{:x}::/48\"]\nidle = \"5s\"\n", 1000 + r % 50, r / 256,
                                r % 256, r);
        const Result<CgroupPolicy> maps = compile_cgroup_policy(test::must_read(text));
        ASSERT_TRUE(maps) << maps.error().message;
        EXPECT_EQ(maps->peers.keys.size(), static_cast<std::size_t>(4 * rules));
        const std::optional<PeerAddress> none = PeerAddress::parse("192.0.2.1");
        const std::optional<PeerAddress> hit = PeerAddress::parse("10.0.0.9");
        const MapDecision missed = map_decide(*maps, 0, 1000, &*none);
        EXPECT_EQ(missed.block_lookups, 1);
        EXPECT_EQ(missed.verdict->idle_s, 60);
        EXPECT_EQ(map_decide(*maps, 0, 1000, &*hit).verdict->idle_s, 5);
        EXPECT_EQ(map_decide(*maps, 0, 1001, &*hit).verdict->idle_s, 60);
    }
}

// The port maps as a first reading of the policy gives them, port by port and rule by rule: the
// fallback is what CompiledPolicy decides for the port without a peer, the first rule with peers
// and no process before it, and the process rules before it (bpf/policy_abi.h). Classes are
// numbered in the order they first occur (outbound ports first), as the compiler numbers them.
struct ReferencePorts {
    std::vector<std::uint32_t> ports;
    std::vector<tk_port_class> classes;
};
ReferencePorts reference_ports(const Policy& policy) {
    const CompiledPolicy compiled = CompiledPolicy::compile(policy, ProcessIdentity{}, KernelDefaults{});
    ReferencePorts out;
    std::uint32_t process_bit = 0;
    std::vector<std::uint64_t> bit_of(policy.rules.size(), 0);
    for (const Rule& rule : policy.rules)
        if (!rule.process.empty()) bit_of[rule.index] = std::uint64_t{1} << process_bit++;
    for (const Direction d : {Direction::outbound, Direction::inbound}) {
        std::vector<std::vector<bool>> covers;  // [rule][port]
        for (const Rule& rule : policy.rules) {
            std::vector<bool> ports(65536, rule.ports.empty() && (rule.direction == Direction::any || rule.direction == d));
            for (const PortRange& r : rule.ports)
                for (std::uint32_t p = r.first; p <= r.last; ++p) ports[p] = rule.direction == Direction::any || rule.direction == d;
            covers.push_back(std::move(ports));
        }
        for (std::uint32_t port = 0; port < 65536; ++port) {
            tk_port_class c{};
            c.fallback = static_cast<std::uint32_t>(compiled.decide(d, static_cast<std::uint16_t>(port), nullptr).rule_index + 1);
            c.first_peer = TK_NO_SLOT;
            for (const Rule& rule : policy.rules) {
                const auto slot = static_cast<std::uint32_t>(rule.index + 1);
                if (!covers[rule.index][port] || (c.fallback != 0 && slot >= c.fallback)) continue;
                if (!rule.process.empty())
                    (rule.peers.empty() ? c.process_plain : c.process_peers) |= bit_of[rule.index];
                else if (!rule.peers.empty() && c.first_peer == TK_NO_SLOT)
                    c.first_peer = slot;
            }
            const auto known = std::find_if(out.classes.begin(), out.classes.end(), [&](const tk_port_class& k) { return std::memcmp(&k, &c, sizeof c) == 0; });
            out.ports.push_back(static_cast<std::uint32_t>(known - out.classes.begin()));
            if (known == out.classes.end()) out.classes.push_back(c);
        }
    }
    return out;
}

// The compiler takes its verdicts and port runs from CompiledPolicy instead of deciding each port:
// the maps are byte for byte those of the first reading, and each verdict the rule's own, for
// random policies of ports, ranges, peers, directions, skips and process rules, and the examples
// cgroup mode accepts.
TEST(CgroupPolicy, MapsAreThoseOfADecisionPerPort) {
    std::mt19937 rng(27);
    auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
    std::vector<std::string> texts;
    for (const char* example : {"databases.toml", "default.toml", "load-balancer.toml"}) {
        const Result<std::string> text = read_small_file(std::string(TCPKEEP_EXAMPLES_DIR) + "/policies/" + example);
        ASSERT_TRUE(text) << example << ": " << text.error().message;
        texts.push_back(*text);
    }
    texts.push_back(mixed);
    texts.push_back(with_processes);
    for (int round = 0; round < 12; ++round) {
        std::string text = round % 3 == 0 ? "version = 1\n" : fmt::format("version = 1\n[defaults]\nidle = \"{}s\"\n", pick(1, 999));
        for (int r = pick(0, 30); r > 0; --r) {
            text += pick(0, 6) == 0 ? "[[rule]]\naction = \"skip\"\n" : fmt::format("[[rule]]\nidle = \"{}s\"\ncount = {}\n", r, pick(1, 9));
            if (pick(0, 1) == 0) text += fmt::format("peers = [\"10.{}.0.0/16\", \"fd00::/{}\"]\n", pick(0, 3), pick(8, 64));
            if (pick(0, 3) > 0) {
                const int first = pick(0, 3) == 0 ? pick(0, 65000) : pick(1, 300);
                text += fmt::format("ports = [\"{}-{}\", {}]\n", first, std::min(65535, first + pick(0, 3000)), pick(0, 65535));
            }
            if (pick(0, 3) == 0) text += fmt::format("direction = \"{}\"\n", pick(0, 1) ? "inbound" : "outbound");
            if (pick(0, 4) == 0) text += fmt::format("process = [\"{}\"]\n", pick(0, 1) ? "alpha" : "beta");
        }
        texts.push_back(text);
    }
    for (const std::string& text : texts) {
        SCOPED_TRACE(text);
        const Policy policy = test::must_read(text);
        const Result<CgroupPolicy> maps = compile_cgroup_policy(policy);
        ASSERT_TRUE(maps) << maps.error().message;
        const ReferencePorts want = reference_ports(policy);
        ASSERT_EQ(maps->ports, want.ports);
        ASSERT_EQ(maps->classes.size(), want.classes.size());
        EXPECT_EQ(std::memcmp(maps->classes.data(), want.classes.data(), want.classes.size() * sizeof(tk_port_class)), 0);
        const SettingsSpec* defaults = policy.defaults ? &*policy.defaults : nullptr;
        ASSERT_EQ(maps->verdicts.size(), policy.rules.size() + 1);
        for (std::size_t slot = 0; slot < maps->verdicts.size(); ++slot) {
            const Verdict want_verdict = slot == 0 ? (defaults ? resolve_verdict(nullptr, defaults, KernelDefaults{}) : Verdict{})
                                                   : rule_verdict(policy.rules[slot - 1], defaults, KernelDefaults{});
            const tk_verdict& got = maps->verdicts[slot];
            SCOPED_TRACE(fmt::format("slot {}", slot));
            EXPECT_EQ(got.kind, static_cast<int>(want_verdict.kind));
            EXPECT_EQ(got.enforce != 0, want_verdict.enforce);
            EXPECT_EQ(got.mask, want_verdict.settings.mask);
            EXPECT_EQ(got.keepalive != 0, want_verdict.settings.keepalive);
            EXPECT_EQ(got.idle_s, want_verdict.settings.idle_s);
            EXPECT_EQ(got.interval_s, want_verdict.settings.interval_s);
            EXPECT_EQ(got.count, want_verdict.settings.count);
            EXPECT_EQ(got.user_timeout_ms, want_verdict.settings.user_timeout_ms);
        }
    }
}

TEST(CgroupPolicy, RefusesProcessPatternsItCannotCompareExactly) {
    std::string text = "version = 1\n";
    const char* patterns[] = {"/usr/bin/psql", "/opt/*/bin/server", "ssh*", "a?c", "[ab]c", "a\\b", "psql", "pg_dump"};
    for (const char* pattern : patterns) text += fmt::format("[[rule]]\nprocess = ['{}']\nidle = \"5s\"\n", pattern);
    const std::vector<std::string> why = cgroup_refusals(test::must_read(text));
    ASSERT_EQ(why.size(), 6u);
    EXPECT_EQ(why[0],
              "rule #1 (line 2): process pattern \"/usr/bin/psql\" is a path: cgroup mode sees the executable's file name and the "
              "command name, not the path; match the file name (\"psql\") or use the shim");
    EXPECT_EQ(why[1],
              "rule #2 (line 5): process pattern \"/opt/*/bin/server\" is a path: cgroup mode sees the executable's file name and the "
              "command name, not the path; list file names, or use the shim");
    EXPECT_EQ(why[2],
              "rule #3 (line 8): process pattern \"ssh*\" has glob characters (* ? [ \\): cgroup mode compares whole names; list the "
              "names, or use the shim");
    EXPECT_EQ(why[5].rfind("rule #6 (line 17): process pattern \"a\\b\" has glob characters", 0), 0u) << why[5];
    std::string many = "version = 1\n";
    for (int i = 0; i < 65; ++i) many += fmt::format("[[rule]]\nprocess = ['p{}']\nidle = \"5s\"\n", i);
    EXPECT_EQ(cgroup_refusals(test::must_read(many)), std::vector<std::string>{"65 rules with `process`: cgroup mode matches at most 64"});
}

TEST(CgroupPolicy, RefusesWhatTheKernelCannotDecideAsTheShim) {
    const Policy policy = test::must_read(R"(version = 1
[defaults]
idle = "60s"
interval = "10s"
count = 6
user_timeout = "auto"

[[rule]]
name = "by path"
process = ["/usr/bin/psql"]
idle = "5s"

[[rule]]
name = "auto without count"
ports = [80]
count = 4
user_timeout = "auto"
)");
    const std::vector<std::string> why = cgroup_refusals(policy);
    ASSERT_EQ(why.size(), 1u);
    EXPECT_EQ(why[0].rfind("rule \"by path\" (line 8): process pattern \"/usr/bin/psql\" is a path", 0), 0u) << why[0];
    EXPECT_FALSE(compile_cgroup_policy(policy));
}

TEST(MountTable, FindsTheMountOfATypeInAHybridLayout) {
    const std::string mountinfo =
        "23 1 0:21 / /sys rw - sysfs sysfs rw\n"
        "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n"
        "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime shared:9 - cgroup cgroup rw,cpu\n"
        "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
        "46 23 0:40 / /sys/fs/my\\040bpf rw - bpf bpf rw,mode=700\n";
    EXPECT_EQ(find_mount(mountinfo, "cgroup2"), "/sys/fs/cgroup/unified");
    EXPECT_EQ(find_mount(mountinfo, "bpf"), "/sys/fs/my bpf");
    EXPECT_EQ(find_mount(mountinfo, "proc"), std::nullopt);
    EXPECT_EQ(find_mount("garbage\n\n41 31 0:38 / /x rw no-separator\n", "cgroup2"), std::nullopt);
}

TEST(MountTable, SkipsMountsHiddenByALaterOneOrShowingASubtree) {
    const std::string mountinfo =
        "41 31 0:38 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw\n"
        "50 23 0:50 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"         // hides the one above
        "51 23 0:38 /kubepods /mnt/pods rw - cgroup2 cgroup2 rw\n"  // a bound subtree
        "52 23 0:38 / /mnt/cg rw - cgroup2 cgroup2 rw\n"
        "53 52 0:60 / /mnt/cg/inner rw - tmpfs tmpfs rw\n"  // below it: hides nothing of it
        "60 23 0:40 / /sys/fs/bpf rw - bpf bpf rw\n"
        "61 23 0:41 / /sys/fs/bpf rw - bpf bpf rw\n";  // stacked on the same point: the top one is seen
    EXPECT_EQ(find_mount(mountinfo, "cgroup2"), "/mnt/cg");
    EXPECT_EQ(find_mount(mountinfo, "bpf"), "/sys/fs/bpf");
    EXPECT_EQ(find_mount("41 31 0:38 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n50 23 0:50 / /sys rw - tmpfs tmpfs rw\n", "cgroup2"), std::nullopt);
}

}  // namespace
}  // namespace tcpkeep
