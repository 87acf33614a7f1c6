#include "bpf/compiler/cgroup_policy.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <optional>
#include <string_view>
#include <utility>

#include "config/compiled_policy.h"
#include "config/resolve_verdict.h"

namespace tcpkeep {
namespace {

std::string where(const Rule& rule) {
    if (rule.name.empty()) return fmt::format("{} (line {})", rule.display_name(), rule.pos.line);  // "rule #3 (line 12)"
    return fmt::format("rule \"{}\" (line {})", rule.name, rule.pos.line);
}

constexpr const char* auto_timeout_refusal =
    ": user_timeout = \"auto\" with idle, interval or count unset depends on each network namespace's tcp_keepalive_* sysctls, which "
    "cgroup mode cannot read; set all three, or a user_timeout in milliseconds";

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
    // Each tk_verdict field has its Settings field's name (tests/unit/option_abi_test.cpp).
#define TK_COPY_OPTION(NAME, field, type, ...) out.field = static_cast<type>(v.settings.field);
    TK_OPTIONS(TK_COPY_OPTION)
#undef TK_COPY_OPTION
    return out;
}

constexpr std::string_view glob_characters = "*?[\\";

// Why cgroup mode cannot match this `process` pattern exactly, or nothing.
std::optional<std::string> pattern_refusal(const std::string& pattern) {
    if (pattern.find('/') != std::string::npos) {
        const std::string name = pattern.substr(pattern.rfind('/') + 1);
        const bool literal_name = !name.empty() && pattern.find_first_of(glob_characters) == std::string::npos;
        return fmt::format("process pattern \"{}\" is a path: cgroup mode sees the executable's file name and the command name, not the path; {}",
                           pattern,
                           literal_name ? fmt::format("match the file name (\"{}\") or use the shim", name) : "list file names, or use the shim");
    }
    if (pattern.find_first_of(glob_characters) != std::string::npos)
        return fmt::format("process pattern \"{}\" has glob characters (* ? [ \\): cgroup mode compares whole names; list the names, or use the shim",
                           pattern);
    if (pattern.size() >= TK_NAME_BYTES)
        return fmt::format("process pattern \"{}\" is longer than {} characters, the longest name cgroup mode compares; use the shim", pattern,
                           TK_NAME_BYTES - 1);
    return std::nullopt;
}

std::size_t count_process_rules(const Policy& policy) {
    return static_cast<std::size_t>(std::count_if(policy.rules.begin(), policy.rules.end(), [](const Rule& r) { return !r.process.empty(); }));
}

// Each literal name of the process rules to the mask of the rules it selects (bit i: i-th process rule).
std::map<std::string, std::uint64_t> process_names(const Policy& policy) {
    std::map<std::string, std::uint64_t> names;
    std::uint32_t bit = 0;
    for (const Rule& rule : policy.rules) {
        if (rule.process.empty()) continue;
        for (const std::string& pattern : rule.process) names[pattern] |= std::uint64_t{1} << (bit % 64);
        ++bit;
    }
    return names;
}

std::uint8_t direction_bits(Direction direction) {
    std::uint8_t bits = 0;
    if (direction != Direction::inbound) bits |= 1;
    if (direction != Direction::outbound) bits |= 2;
    return bits;
}

// Rules in file order, each covering the ports of a direction no earlier one took: the first
// that matches each port (0: none). A chain of next free ports skips the taken ones, so the cost
// follows the ports and ranges, not their product.
class FirstRuleFill {
public:
    FirstRuleFill() : next_(65537) {
        for (std::uint32_t p = 0; p < next_.size(); ++p) next_[p] = p;
    }
    void add(const std::vector<PortRange>& ranges, std::uint32_t slot) {
        static const std::vector<PortRange> any_port{{0, 65535}};
        for (const PortRange& r : ranges.empty() ? any_port : ranges)
            for (std::uint32_t p = free_from(r.first); p <= r.last; p = free_from(p + 1)) {
                first_[p] = slot;
                next_[p] = p + 1;
            }
    }
    [[nodiscard]] std::uint32_t at(std::uint32_t port) const { return first_[port]; }

private:
    std::vector<std::uint32_t> next_;  // next_[p] == p: free
    std::vector<std::uint32_t> first_ = std::vector<std::uint32_t>(65536, 0);
    std::uint32_t free_from(std::uint32_t p) {
        std::uint32_t root = p;
        while (next_[root] != root) root = next_[root];
        while (next_[p] != root) p = std::exchange(next_[p], root);  // path compression
        return root;
    }
};

// Each rule's ports as sorted disjoint ranges (any port: one range), so filling a port map costs
// at most the ports.
std::vector<PortRange> merged(const std::vector<PortRange>& ports) {
    if (ports.empty()) return {{0, 65535}};
    std::vector<PortRange> ranges = ports;
    std::sort(ranges.begin(), ranges.end(), [](const PortRange& a, const PortRange& b) { return a.first < b.first; });
    std::vector<PortRange> out;
    for (const PortRange& r : ranges) {
        if (!out.empty() && r.first <= std::uint32_t{out.back().last} + 1)
            out.back().last = std::max(out.back().last, r.last);
        else
            out.push_back(r);
    }
    return out;
}

bool class_less(const tk_port_class& a, const tk_port_class& b) { return std::memcmp(&a, &b, sizeof a) < 0; }

// The verdict of every slot (0: [defaults] or untouched, r + 1: rule r), each resolved once: those
// `compiled` resolved (the rules without process) taken from it, the others resolved here.
std::vector<Verdict> slot_verdicts(const Policy& policy, const CompiledPolicy* compiled) {
    const KernelDefaults any_namespace;  // what no verdict of an accepted policy reads
    const SettingsSpec* defaults = policy.defaults ? &*policy.defaults : nullptr;
    std::vector<Verdict> out(policy.rules.size() + 1);
    std::vector<bool> known(out.size(), false);
    for (std::size_t i = 0; compiled != nullptr && i <= compiled->active_rules(); ++i) {
        const Verdict& v = compiled->active_verdict(i);
        out[static_cast<std::size_t>(v.rule_index + 1)] = v;  // the defaults' rule_index is -1
        known[static_cast<std::size_t>(v.rule_index + 1)] = true;
    }
    if (!known[0] && defaults) out[0] = resolve_verdict(nullptr, defaults, any_namespace);
    for (const Rule& rule : policy.rules)
        if (!known[rule.index + 1]) out[rule.index + 1] = rule_verdict(rule, defaults, any_namespace);
    return out;
}

std::vector<std::string> refusals(const Policy& policy, const std::vector<Verdict>& verdicts) {
    std::vector<std::string> why;
    if (auto_timeout_reads_sysctls(verdicts[0])) why.push_back(std::string("[defaults]") + auto_timeout_refusal);
    for (const Rule& rule : policy.rules) {
        for (const std::string& pattern : rule.process)
            if (std::optional<std::string> refused = pattern_refusal(pattern)) why.push_back(where(rule) + ": " + *refused);
        if (rule.action == Action::apply && auto_timeout_reads_sysctls(verdicts[rule.index + 1]))
            why.push_back(where(rule) + auto_timeout_refusal);
    }
    if (const std::size_t n = count_process_rules(policy); n > TK_MAX_PROCESS_RULES)
        why.push_back(fmt::format("{} rules with `process`: cgroup mode matches at most {}", n, TK_MAX_PROCESS_RULES));
    if (const std::size_t n = process_names(policy).size(); n > TK_MAX_NAMES)
        why.push_back(fmt::format("{} distinct process names: cgroup mode holds at most {}", n, TK_MAX_NAMES));
    if (policy.rules.size() + 1 > TK_MAX_VERDICTS)
        why.push_back(fmt::format("{} rules: cgroup mode holds at most {}", policy.rules.size(), TK_MAX_VERDICTS - 1));
    return why;
}

// One direction's port classes, port by port: the fallback of CompiledPolicy's run holding the
// port, the first rule with peers (no process) before it, and the process rules before it.
std::vector<tk_port_class> port_classes(const Policy& policy, const CompiledPolicy& compiled, Direction d, const std::vector<int>& process_bit) {
    const std::uint8_t bit = d == Direction::inbound ? 2 : 1;
    std::vector<tk_port_class> classes(65536);
    const std::vector<CompiledPolicy::PortRun> runs = compiled.port_runs(d);
    for (std::size_t r = 0; r < runs.size(); ++r) {
        const auto slot = static_cast<std::uint32_t>(compiled.active_verdict(runs[r].fallback).rule_index + 1);  // defaults: 0
        const std::uint32_t end = r + 1 < runs.size() ? runs[r + 1].first : 65536;
        for (std::uint32_t port = runs[r].first; port < end; ++port) classes[port].fallback = slot;
    }
    FirstRuleFill first_peer;
    for (const Rule& rule : policy.rules)
        if (!rule.peers.empty() && rule.process.empty() && (direction_bits(rule.direction) & bit)) first_peer.add(rule.ports, static_cast<std::uint32_t>(rule.index) + 1);
    for (std::uint32_t port = 0; port < 65536; ++port) {
        const std::uint32_t peer = first_peer.at(port);
        classes[port].first_peer = peer != 0 && (classes[port].fallback == 0 || peer < classes[port].fallback) ? peer : TK_NO_SLOT;
    }
    for (const Rule& rule : policy.rules) {
        if (rule.process.empty() || !(direction_bits(rule.direction) & bit)) continue;
        const std::uint32_t slot = static_cast<std::uint32_t>(rule.index) + 1;
        const std::uint64_t mask = std::uint64_t{1} << process_bit[rule.index];
        for (const PortRange& range : merged(rule.ports))
            for (std::uint32_t port = range.first; port <= range.last; ++port) {
                tk_port_class& c = classes[port];
                if (c.fallback == 0 || slot < c.fallback) (rule.peers.empty() ? c.process_plain : c.process_peers) |= mask;
            }
    }
    return classes;
}

}  // namespace

std::vector<std::string> cgroup_refusals(const Policy& policy) { return refusals(policy, slot_verdicts(policy, nullptr)); }

std::vector<std::string> cgroup_process_notes(const Policy& policy) {
    std::vector<std::string> notes;
    for (const Rule& rule : policy.rules) {
        if (rule.process.empty()) continue;
        std::string text = where(rule) +
                           ": `process` is matched against the executable's file name and the command name (comm) of the process "
                           "when it connects";
        if (rule.direction != Direction::outbound)
            text +=
                " or listens (its accepted connections are matched by the listening process; with `attach --new-only`, those of a "
                "listener older than the attachment match no process rule)";
        text +=
            "; unlike the shim, not against argv[0], which differs from both when a program is started under another name "
            "(exec -a, a script's #! interpreter), and by the names at that moment, where the shim keeps those the process had when it "
            "first loaded the policy";
        notes.push_back(std::move(text));
    }
    return notes;
}

Result<CgroupPolicy> compile_cgroup_policy(const Policy& policy) {
    // Compiled for no process: its rules are those without process, first per port, each verdict resolved.
    const CompiledPolicy compiled = CompiledPolicy::compile(policy, ProcessIdentity{}, KernelDefaults{});
    const std::vector<Verdict> verdicts = slot_verdicts(policy, &compiled);
    if (const std::vector<std::string> why = refusals(policy, verdicts); !why.empty()) return Error{fmt::format("{}", fmt::join(why, "\n")), 0};
    CgroupPolicy out;
    out.verdicts.reserve(verdicts.size());
    for (const Verdict& v : verdicts) out.verdicts.push_back(to_map_verdict(v));
    std::vector<int> process_bit(policy.rules.size(), -1);
    std::vector<std::uint32_t> slot_of_bit;
    out.process_slots.assign(TK_MAX_PROCESS_RULES, TK_NO_SLOT);
    for (const Rule& rule : policy.rules) {
        if (rule.process.empty()) continue;
        const std::uint64_t bit = std::uint64_t{1} << out.process_rules;
        process_bit[rule.index] = static_cast<int>(out.process_rules++);
        slot_of_bit.push_back(static_cast<std::uint32_t>(rule.index) + 1);
        out.process_slots[TK_PROCESS_INDEX(bit)] = slot_of_bit.back();
    }
    out.ports.resize(TK_PORT_ENTRIES);
    std::map<tk_port_class, std::uint32_t, decltype(&class_less)> class_ids(&class_less);
    for (Direction d : {Direction::outbound, Direction::inbound}) {
        const std::vector<tk_port_class> classes = port_classes(policy, compiled, d, process_bit);
        const std::uint32_t base = d == Direction::inbound ? 65536 : 0;
        for (std::uint32_t port = 0; port < 65536; ++port) {
            if (port > 0 && std::memcmp(&classes[port], &classes[port - 1], sizeof classes[port]) == 0) {  // most ports: as the one before
                out.ports[base + port] = out.ports[base + port - 1];
                continue;
            }
            const auto [it, added] = class_ids.emplace(classes[port], static_cast<std::uint32_t>(out.classes.size()));
            if (added) out.classes.push_back(classes[port]);
            out.ports[base + port] = it->second;
        }
    }
    for (const auto& [name, mask] : process_names(policy)) {
        tk_name key{};
        std::memcpy(key.name, name.data(), name.size());  // shorter than TK_NAME_BYTES: refused otherwise
        out.names.emplace_back(key, mask);
    }
    out.peers = compile_peer_blocks(policy, process_bit, slot_of_bit);
    if (out.peers.keys.size() > TK_MAX_PEER_KEYS || out.peers.runs.size() > TK_MAX_PORT_RUNS)
        return Error{fmt::format("{} peer blocks by direction, {} port runs of them: cgroup mode holds at most {} and {}", out.peers.keys.size(),
                                 out.peers.runs.size(), TK_MAX_PEER_KEYS, TK_MAX_PORT_RUNS),
                     0};
    return out;
}

}  // namespace tcpkeep
