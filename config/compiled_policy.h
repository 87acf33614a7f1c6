// A policy compiled for one process: rules whose `process` does not match are gone, and
// (direction, port, peer) -> Verdict is two array reads plus, only where some candidate rule has
// `peers`, one binary search. No allocation and no syscall when deciding.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/address_partition.h"
#include "config/kernel_defaults.h"
#include "config/net_address.h"
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
        std::uint32_t fallback = 0;  // verdict when no peer-rule candidate matches
        std::uint32_t v4_begin = 0, v4_end = 0, v6_begin = 0, v6_end = 0;  // segment ranges
    };
    std::string source_;
    std::unique_ptr<char[]> names_;  // NUL-separated rule names; Verdict::name points here (stable across moves)
    std::vector<Verdict> verdicts_;  // [0]: defaults (or untouched); then one per active rule
    std::vector<std::uint16_t> port_table_[2];  // [direction][port] -> index into tables_
    std::vector<Table> tables_;
    std::vector<std::uint32_t> v4_starts_;
    std::vector<std::uint32_t> v4_verdicts_;
    std::vector<AddressKey> v6_starts_;
    std::vector<std::uint32_t> v6_verdicts_;

    friend class PolicyCompiler;
};

}  // namespace tcpkeep
