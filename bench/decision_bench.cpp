// Decision cost of the compiled policy for 1, 100 and 10,000 rules: the budget is that 10,000 rules
// decide within 5 % of 1 rule. Queries hit a rule's port and peer block (the full path: port table,
// peer index, port re-check), half IPv4 and half IPv6, outbound. Two traffic shapes:
//  - spread: 4,096 destinations drawn from all the policy's rules, each query elsewhere in memory
//    (the worst case: with 10,000 rules, cache misses in tables larger than L1/L2);
//  - service: 16 destinations, as a service talking to its few backends sees it (the tables it
//    touches stay in cache: what is left is the work of the lookup itself).
#include <benchmark/benchmark.h>
#include <random>
#include <vector>

#include "bench/generator/policy_generator.h"
#include "config/compiled_policy.h"
#include "config/policy_reader.h"

namespace tcpkeep::bench {
namespace {

struct Query {
    std::uint16_t port;
    PeerAddress peer;
};

std::vector<Query> queries_for(const SyntheticPolicy& p, std::size_t destinations) {
    std::mt19937 rng(777);
    std::vector<Query> out;
    while (out.size() < destinations) {
        const SyntheticRule& r = p.rules[rng() % p.rules.size()];
        if (!r.active) continue;
        out.push_back({static_cast<std::uint16_t>(r.port), *PeerAddress::parse(out.size() % 2 ? r.v4_peer : r.v6_peer)});
    }
    return out;
}

void decide_loop(benchmark::State& state, std::size_t destinations) {
    const SyntheticPolicy synthetic = synthetic_policy(static_cast<int>(state.range(0)));
    const PolicyLoad load = read_policy(synthetic.text, "bench");
    if (!load.ok()) {
        state.SkipWithError("synthetic policy does not load");
        return;
    }
    const std::string path = benchmark_process;
    const ProcessIdentity who{path, "server", "server", "server"};
    const CompiledPolicy policy = CompiledPolicy::compile(*load.policy, who, KernelDefaults{});
    const std::vector<Query> queries = queries_for(synthetic, destinations);
    std::size_t i = 0;
    int rule_hits = 0;
    for (auto _ : state) {
        const Query& q = queries[i++ & (queries.size() - 1)];
        const Verdict& v = policy.decide(Direction::outbound, q.port, &q.peer);
        rule_hits += v.rule_index >= 0;
        benchmark::DoNotOptimize(v);
    }
    state.counters["active_rules"] = static_cast<double>(policy.active_rules());
    state.counters["rule_hit_ratio"] = static_cast<double>(rule_hits) / static_cast<double>(state.iterations());
}
void BM_Decide(benchmark::State& state) { decide_loop(state, 4096); }
void BM_DecideService(benchmark::State& state) { decide_loop(state, 16); }
BENCHMARK(BM_Decide)->Arg(1)->Arg(100)->Arg(10000);
BENCHMARK(BM_DecideService)->Arg(1)->Arg(100)->Arg(10000);

}  // namespace
}  // namespace tcpkeep::bench

BENCHMARK_MAIN();
