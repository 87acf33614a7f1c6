// What `tcpkeep attach` spends compiling a policy into cgroup mode's maps (compile_cgroup_policy),
// parsing excluded: wall time, median of 7 runs, for three synthetic policies of RULES rules
// (default 10,000): the benchmarks' policy (bench/policy_generator.h, every rule with two peer
// blocks), the same without its peers (port rules only), and that with every RULES/60-th rule
// naming a process.   Usage: cgroup_compile_bench [RULES]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/generator/policy_generator.h"
#include "config/policy_reader.h"
#include "bpf/compiler/cgroup_policy.h"

namespace {

// The policy's lines, less those starting with `drop`, and a process after every `every`-th rule header.
std::string edited(const std::string& text, const std::string& drop, int every) {
    std::istringstream in(text);
    std::string out;
    int rule = 0;
    for (std::string line; std::getline(in, line);) {
        if (!drop.empty() && line.rfind(drop, 0) == 0) continue;
        out += line + "\n";
        if (line == "[[rule]]" && every > 0 && rule++ % every == 0) out += "process = [\"app-" + std::to_string(rule) + "\"]\n";
    }
    return out;
}

double median_compile_ms(const std::string& text) {
    using clock = std::chrono::steady_clock;
    const tcpkeep::PolicyLoad load = tcpkeep::read_policy(text, "bench");
    if (!load.ok()) throw std::runtime_error("the synthetic policy does not load");
    std::vector<double> runs;
    for (int run = 0; run < 7; ++run) {
        const auto start = clock::now();
        const tcpkeep::Result<tcpkeep::CgroupPolicy> maps = tcpkeep::compile_cgroup_policy(*load.policy);
        runs.push_back(std::chrono::duration<double, std::milli>(clock::now() - start).count());
        if (!maps) throw std::runtime_error("cgroup mode refuses the synthetic policy: " + maps.error().message);
    }
    std::sort(runs.begin(), runs.end());
    return runs[runs.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
    const int rules = argc > 1 ? std::atoi(argv[1]) : 10000;
    if (rules < 60) {
        std::fprintf(stderr, "usage: cgroup_compile_bench [RULES >= 60]\n");
        return 2;
    }
    const std::string with_peers = tcpkeep::bench::synthetic_policy(rules, true).text;
    const std::string ports_only = edited(with_peers, "peers = ", 0);
    const std::string with_processes = edited(ports_only, "", rules / 60);
    std::printf("rules %d cgroup_compile_ms_median peers %.2f ports_only %.2f ports_and_processes %.2f\n", rules, median_compile_ms(with_peers),
                median_compile_ms(ports_only), median_compile_ms(with_processes));
    return 0;
}
