// Cgroup mode's compilation of a policy into map contents, and finding the cgroup v2 mount: the
// maps must reproduce CompiledPolicy's decisions, and what cgroup mode cannot decide is refused.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <cstring>

#include "test_support.h"
#include "tools/cgroup/cgroup_policy.h"
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

// The map lookup the BPF program does (bpf/decide.bpf.h), in C++.
const tk_verdict& map_decide(const CgroupPolicy& maps, int direction, std::uint16_t port, const PeerAddress* peer, std::uint64_t processes = 0) {
    const std::uint32_t table = maps.ports[static_cast<std::size_t>(direction) * 65536 + port];
    std::uint32_t slot = table & TK_SLOT_BITS;
    if ((table & (TK_PROCESS_CANDIDATES | (peer != nullptr ? TK_PEER_CANDIDATES : 0))) != 0) {
        const std::uint32_t bound = slot == 0 ? UINT32_MAX : slot;
        std::uint32_t words[4] = {};
        if (peer != nullptr) std::memcpy(words, peer->bytes.data(), peer->family == Family::v4 ? 4 : 16);
        for (const tk_candidate& e : maps.candidates) {
            if (e.slot >= bound) break;
            if (!(e.directions & (1u << direction)) || port < e.port_first || port > e.port_last) continue;
            if (e.process != 0 && ((processes >> (e.process - 1)) & 1) == 0) continue;
            bool inside = e.family == TK_FAMILY_ANY;
            if (!inside && peer != nullptr && e.family == (peer->family == Family::v4 ? TK_FAMILY_V4 : TK_FAMILY_V6)) {
                inside = true;
                for (int w = 0; w < 4; ++w) inside = inside && (words[w] & e.mask[w]) == e.net[w];
            }
            if (inside) {
                slot = e.slot;
                break;
            }
        }
    }
    return maps.verdicts.at(slot);
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
                const tk_verdict& got = map_decide(*maps, d, port, &*peer);
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
            EXPECT_EQ(map_decide(*maps, d, port, nullptr).idle_s, listener.settings.idle_s);
        }
    }
    EXPECT_EQ(checked, 2 * 12 * 7);
    // One entry per (block, port range) of each rule with peers, in rule order.
    ASSERT_EQ(maps->candidates.size(), 3u);
    EXPECT_EQ(maps->candidates[0].net[0], htonl(0x0a000000));
    EXPECT_EQ(maps->candidates[0].mask[0], htonl(0xff000000));
    EXPECT_EQ(maps->candidates[1].family, TK_FAMILY_V6);
    EXPECT_EQ(maps->candidates[1].mask[0], htonl(0xff000000));
    EXPECT_EQ(maps->candidates[1].mask[1], 0u);
    EXPECT_EQ(maps->candidates[2].directions, 2);
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
                    const tk_verdict& got = map_decide(*maps, d, port, &*peer, mask);
                    SCOPED_TRACE(fmt::format("{} direction {} port {} peer {}", who.exe_name, d, port, text));
                    EXPECT_EQ(got.idle_s, want.settings.idle_s);
                    EXPECT_EQ(got.interval_s, want.settings.interval_s);
                    EXPECT_EQ(got.count, want.settings.count);
                    EXPECT_EQ(got.mask, want.settings.mask);
                    ++checked;
                }
                const Verdict& listener = compiled.decide(d ? Direction::inbound : Direction::outbound, port, nullptr);
                EXPECT_EQ(map_decide(*maps, d, port, nullptr, mask).count, listener.settings.count);
            }
        }
    }
    EXPECT_EQ(checked, 4 * 2 * 3 * 4);
    // Inbound on 5432: a rule with process and peers comes first, so accepted sockets are decided by their peer.
    EXPECT_NE(maps->ports[65536 + 5432] & TK_PEER_CANDIDATES, 0u);
    EXPECT_NE(maps->ports[5432] & TK_PROCESS_CANDIDATES, 0u);
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
