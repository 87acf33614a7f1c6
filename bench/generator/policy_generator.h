// Synthetic policies for the benchmarks: N rules mixing single ports and ranges, directions,
// process patterns (a quarter of them name other programs) and IPv4 and IPv6 peer blocks.
#pragma once
#include <string>
#include <vector>

namespace tcpkeep::bench {

struct SyntheticRule {
    int port;             // a port the rule covers
    std::string v4_peer;  // an address inside its IPv4 block
    std::string v6_peer;  // an address inside its IPv6 block
    bool active;          // false when its process pattern does not match the benchmark's process
};

struct SyntheticPolicy {
    std::string text;
    std::vector<SyntheticRule> rules;
};

// Deterministic for a given rule count: the same policy every run. Every size uses the same
// prefix lengths (/24 and /48), so lookups take the same path whatever the rule count.
// every_rule_active: no rule names another program (the largest compiled policy for the count).
SyntheticPolicy synthetic_policy(int rules, bool every_rule_active = false);

inline constexpr const char* benchmark_process = "/opt/bench/bin/server";

}  // namespace tcpkeep::bench
