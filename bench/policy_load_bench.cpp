// Load cost of a 10,000-rule policy, as the shim's engine pays it at the first TCP decision:
// read + validate + compile, wall time (median of runs) and the resident memory it adds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <malloc.h>
#include <string>
#include <vector>

#include "bench/policy_generator.h"
#include "config/compiled_policy.h"
#include "config/policy_reader.h"

namespace {

long resident_kib() {
    std::ifstream status("/proc/self/status");
    std::string key;
    long value = 0;
    while (status >> key) {
        if (key == "VmRSS:") {
            status >> value;
            return value;
        }
        status.ignore(4096, '\n');
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace tcpkeep;
    const int rules = argc > 1 ? std::atoi(argv[1]) : 10000;
    const std::string text = bench::synthetic_policy(rules).text;
    const ProcessIdentity who{bench::benchmark_process, "server", "server", "server"};
    std::vector<double> ms;
    long added_kib = 0;
    for (int run = 0; run < 7; ++run) {
        const long before = resident_kib();
        const auto start = std::chrono::steady_clock::now();
        PolicyLoad load = read_policy(text, "bench");
        auto* compiled = new CompiledPolicy(CompiledPolicy::compile(*load.policy, who, KernelDefaults{}));
        load = PolicyLoad{};  // the shim keeps only the compiled policy
        ::malloc_trim(0);     // as the engine does: give the parse's transient memory back
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
        if (run == 0) added_kib = resident_kib() - before;  // first run: nothing reused from earlier runs
        delete compiled;
    }
    std::sort(ms.begin(), ms.end());
    std::printf("rules %d policy_bytes %zu load_ms_median %.2f rss_added_kib %ld\n", rules, text.size(), ms[ms.size() / 2], added_kib);
    return 0;
}
