#include "tools/cgroup/cgroup_policy.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include "config/compiled_policy.h"
#include "config/resolve_verdict.h"

namespace tcpkeep {
namespace {

std::string where(const Rule& rule) {
    if (rule.name.empty()) return fmt::format("{} (line {})", rule.display_name(), rule.pos.line);  // "rule #3 (line 12)"
    return fmt::format("rule \"{}\" (line {})", rule.name, rule.pos.line);
}

// Whether user_timeout = "auto" takes a value from the network namespace's sysctls, which the
// shim reads in each process's own namespace and an attachment cannot.
bool auto_timeout_reads_sysctls(const Verdict& v) {
    if (!v.user_timeout_auto) return false;
    for (Option o : {Option::idle, Option::interval, Option::count})
        if (!v.settings.has(o)) return true;
    return false;
}

tk_verdict to_map_verdict(const Verdict& v) {
    tk_verdict out{};
    out.kind = v.kind == Verdict::Kind::apply ? TK_KIND_APPLY : v.kind == Verdict::Kind::skip ? TK_KIND_SKIP : TK_KIND_UNTOUCHED;
    out.enforce = v.enforce ? 1 : 0;
    out.mask = v.settings.mask;  // Option bits are the TK_OPT_* bits
    out.keepalive = v.settings.keepalive ? 1 : 0;
    out.idle_s = v.settings.idle_s;
    out.interval_s = v.settings.interval_s;
    out.count = v.settings.count;
    out.user_timeout_ms = v.settings.user_timeout_ms;
    return out;
}

// The block as network-order words and mask: v4 in word 0, v6 most significant word first.
void store_block(const Cidr& block, tk_peer_entry& e) {
    const AddressKey host_bits = block.first ^ block.last;
    const int words = block.family == Family::v4 ? 1 : 4;
    e.family = block.family == Family::v4 ? TK_FAMILY_V4 : TK_FAMILY_V6;
    for (int w = 0; w < words; ++w) {
        const int shift = 32 * (words - 1 - w);
        e.net[w] = htonl(static_cast<std::uint32_t>(block.first >> shift));
        e.mask[w] = htonl(~static_cast<std::uint32_t>(host_bits >> shift));
    }
}

}  // namespace

std::vector<std::string> cgroup_refusals(const Policy& policy) {
    std::vector<std::string> why;
    const KernelDefaults any_namespace;
    const SettingsSpec* defaults = policy.defaults ? &*policy.defaults : nullptr;
    if (defaults && auto_timeout_reads_sysctls(resolve_verdict(nullptr, defaults, any_namespace)))
        why.push_back(
            "[defaults]: user_timeout = \"auto\" with idle, interval or count unset depends on each network namespace's "
            "tcp_keepalive_* sysctls, which cgroup mode cannot read; set all three, or a user_timeout in milliseconds");
    for (const Rule& rule : policy.rules) {
        if (!rule.process.empty())
            why.push_back(where(rule) +
                          ": `process` cannot be matched in cgroup mode: the kernel shows only the 15-character command name when "
                          "a socket connects, not the executable path and argv[0] the shim matches; attach this rule's processes' "
                          "own cgroup without `process`, or use the shim");
        if (rule.action == Action::apply && auto_timeout_reads_sysctls(rule_verdict(rule, defaults, any_namespace)))
            why.push_back(where(rule) +
                          ": user_timeout = \"auto\" with idle, interval or count unset depends on each network namespace's "
                          "tcp_keepalive_* sysctls, which cgroup mode cannot read; set all three, or a user_timeout in milliseconds");
    }
    if (policy.rules.size() + 1 > TK_MAX_VERDICTS)
        why.push_back(fmt::format("{} rules: cgroup mode holds at most {}", policy.rules.size(), TK_MAX_VERDICTS - 1));
    return why;
}

Result<CgroupPolicy> compile_cgroup_policy(const Policy& policy) {
    if (const std::vector<std::string> why = cgroup_refusals(policy); !why.empty()) return Error{fmt::format("{}", fmt::join(why, "\n")), 0};
    const KernelDefaults any_namespace;  // unused: no verdict of an accepted policy reads it
    const CompiledPolicy compiled = CompiledPolicy::compile(policy, ProcessIdentity{}, any_namespace);
    const SettingsSpec* defaults = policy.defaults ? &*policy.defaults : nullptr;
    CgroupPolicy out;
    out.verdicts.reserve(policy.rules.size() + 1);
    out.verdicts.push_back(defaults ? to_map_verdict(resolve_verdict(nullptr, defaults, any_namespace)) : tk_verdict{});
    for (const Rule& rule : policy.rules) out.verdicts.push_back(to_map_verdict(rule_verdict(rule, defaults, any_namespace)));
    out.ports.resize(TK_PORT_ENTRIES);
    for (Direction d : {Direction::outbound, Direction::inbound}) {
        const std::uint32_t base = d == Direction::inbound ? 65536 : 0;
        for (std::uint32_t port = 0; port < 65536; ++port) {
            const auto p = static_cast<std::uint16_t>(port);
            const int rule = compiled.decide(d, p, nullptr).rule_index;
            const std::uint32_t slot = rule < 0 ? 0 : static_cast<std::uint32_t>(rule) + 1;
            out.ports[base + port] = slot | (compiled.depends_on_peer(d, p) ? TK_PEER_CANDIDATES : 0);
        }
    }
    for (const Rule& rule : policy.rules) {
        if (rule.peers.empty()) continue;
        const std::vector<PortRange> all{{0, 65535}};
        const std::vector<PortRange>& ranges = rule.ports.empty() ? all : rule.ports;
        std::uint8_t directions = 0;
        if (rule.direction != Direction::inbound) directions |= 1;
        if (rule.direction != Direction::outbound) directions |= 2;
        for (const Cidr& block : rule.peers) {
            for (const PortRange& range : ranges) {
                tk_peer_entry e{};
                e.slot = static_cast<std::uint32_t>(rule.index) + 1;
                e.directions = directions;
                e.port_first = range.first;
                e.port_last = range.last;
                store_block(block, e);
                out.peers.push_back(e);
            }
        }
    }
    if (out.peers.size() > TK_MAX_PEER_ENTRIES)
        return Error{fmt::format("{} peer blocks times port ranges: cgroup mode holds at most {}", out.peers.size(), TK_MAX_PEER_ENTRIES), 0};
    return out;
}

}  // namespace tcpkeep
