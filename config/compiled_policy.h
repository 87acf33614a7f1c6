// A policy compiled for one process: rules whose `process` does not match are gone, and
// (direction, port, peer) -> Verdict is three array reads (port map page, table, verdict) plus, only
// where a rule with `peers` could win, one hash slot read per distinct prefix length. No allocation and
// no syscall when deciding.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/kernel_defaults.h"
#include "config/net_address.h"
#include "config/peer_index.h"
#include "config/policy.h"
#include "config/port_map.h"
#include "config/process_identity.h"
#include "config/verdict.h"

namespace tcpkeep {

class CompiledPolicy {
public:
    static CompiledPolicy compile(const Policy& policy, const ProcessIdentity& who, const KernelDefaults& kernel);

    // direction: outbound or inbound. port: remote port (outbound) or local port (inbound).
    // peer == nullptr: rules with `peers` do not match (e.g. configuring a listener).
    [[nodiscard]] const Verdict& decide(Direction direction, std::uint16_t port, const PeerAddress* peer) const noexcept;

    // Whether the decision for this direction and port depends on the peer address.
    [[nodiscard]] bool depends_on_peer(Direction direction, std::uint16_t port) const noexcept;

    // False when nothing can ever be applied (no defaults, every active rule skips): the shim can
    // then pass every call straight through.
    [[nodiscard]] bool applies_anything() const noexcept;
    [[nodiscard]] std::size_t active_rules() const noexcept { return rules_.size() - 1; }
    [[nodiscard]] const std::string& source() const noexcept { return source_; }

    // Bytes the compiled policy holds: the object itself and everything it allocated.
    [[nodiscard]] std::size_t footprint_bytes() const noexcept;

    // What compile() resolved, read back whole by cgroup mode's compiler (bpf/compiler/) instead of
    // resolving and deciding again. active_verdict(0): the defaults (or untouched); i >= 1: the i-th
    // active rule in file order, Verdict::rule_index saying which rule it is.
    [[nodiscard]] const Verdict& active_verdict(std::size_t i) const noexcept { return rules_[i].verdict; }
    // Ports from `first` up to the next run's first (the last run: to 65535) share their first
    // matching active rule without peers (`fallback`, an active_verdict index; 0: none) and whether
    // a rule with peers comes before it. In ascending order, the first at port 0, each as long as it goes.
    struct PortRun {
        std::uint32_t first;
        std::uint32_t fallback;
        bool peer_candidates;
    };
    [[nodiscard]] std::vector<PortRun> port_runs(Direction direction) const;

private:
    struct Table {
        std::uint32_t fallback = 0;    // rules_ index of the first matching rule without peers (0: defaults)
        bool peer_candidates = false;  // a rule with peers before it matches this port
    };
    // A rule's directions and ports, re-checked when its peer block contains the peer. 8 bytes,
    // and the usual single port range inline, so the check reads nothing else.
    struct PortCheck {
        std::uint8_t directions = 0;   // bit(outbound) | bit(inbound)
        std::uint16_t ranges = 1;      // disjoint port ranges (any port: one, 0-65535)
        std::uint32_t where = 0xffff;  // 1 range: first << 16 | last; more: index of the first in ranges_

        static constexpr std::uint8_t bit(Direction d) { return d == Direction::inbound ? 2 : 1; }
    };
    // The verdict and its port check side by side: deciding for a rule with peers reads one place.
    // 48 bytes, so half the records straddle two cache lines; aligning them to 64 saved ~0.5 ns per
    // spread decision at 10,000 rules but cost 16 bytes per rule, 160 KiB of every process's memory
    // for 10,000 rules (BENCHMARKS.md).
    struct ActiveRule {
        Verdict verdict;
        PortCheck ports;
    };
    std::string source_;
    std::unique_ptr<char[]> names_;  // NUL-separated rule names; Verdict::name points here (stable across moves)
    std::size_t names_bytes_ = 0;
    std::vector<ActiveRule> rules_;  // [0]: defaults (or untouched); then one per active rule, in file order
    PortMap ports_;                  // [direction][port] -> index into tables_[direction]
    std::vector<Table> tables_[2];
    std::vector<PortRange> ranges_;  // of the rules with several disjoint ranges
    PeerIndex peers_;                // blocks of the active rules with peers, by rules_ index

    [[nodiscard]] bool port_matches(const PortCheck& check, Direction direction, std::uint16_t port) const noexcept;
    [[nodiscard]] bool in_ranges(const PortCheck& check, std::uint16_t port) const noexcept;  // several ranges

    friend class PolicyCompiler;
};

}  // namespace tcpkeep
