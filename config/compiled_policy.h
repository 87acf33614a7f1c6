// A policy compiled for one process: rules whose `process` does not match are gone, and
// (direction, port, peer) -> Verdict is two array reads plus, only where a rule with `peers` could
// win, one hash probe per distinct prefix length. No allocation and no syscall when deciding.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/kernel_defaults.h"
#include "config/net_address.h"
#include "config/peer_index.h"
#include "config/policy.h"
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
    [[nodiscard]] std::size_t active_rules() const noexcept { return verdicts_.size() - 1; }
    [[nodiscard]] const std::string& source() const noexcept { return source_; }

private:
    struct Table {
        std::uint32_t fallback = 0;    // verdict of the first matching rule without peers (0: defaults)
        bool peer_candidates = false;  // a rule with peers before it matches this port
    };
    struct RuleMatch {  // enough of a rule to re-check direction and port at decision time
        bool outbound = false;
        bool inbound = false;
        std::uint32_t ranges_begin = 0, ranges_end = 0;  // into ranges_; empty: any port
    };
    std::string source_;
    std::unique_ptr<char[]> names_;  // NUL-separated rule names; Verdict::name points here (stable across moves)
    std::vector<Verdict> verdicts_;  // [0]: defaults (or untouched); then one per active rule
    std::vector<std::uint16_t> port_table_[2];  // [direction][port] -> index into tables_[direction]
    std::vector<Table> tables_[2];
    std::vector<RuleMatch> rule_match_;  // per active rule
    std::vector<PortRange> ranges_;
    PeerIndex peers_;  // blocks of the active rules with peers, by active rule number

    [[nodiscard]] bool port_matches(std::uint32_t rule, bool inbound, std::uint16_t port) const noexcept;

    friend class PolicyCompiler;
};

}  // namespace tcpkeep
