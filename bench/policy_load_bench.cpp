// Load cost of a 10,000-rule policy, as the shim's engine pays it at the first TCP decision:
// parse + validate + compile from TOML, and deserialize + compile from the compiled form that
// `tcpkeep check --compile` writes; wall time (median of runs) and the resident memory it adds.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <malloc.h>
#include <string>
#include <vector>

#include "bench/policy_generator.h"
#include "config/compiled_policy.h"
#include "config/policy_cache.h"
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
    using clock = std::chrono::steady_clock;
    const int rules = argc > 1 ? std::atoi(argv[1]) : 10000;
    const std::string text = bench::synthetic_policy(rules).text;
    const ProcessIdentity who{bench::benchmark_process, "server", "server", "server"};
    std::string compiled_form;  // made after the first run, so it does not disturb the RSS measured there
    auto elapsed_ms = [](clock::time_point start) { return std::chrono::duration<double, std::milli>(clock::now() - start).count(); };
    std::vector<double> from_toml;
    std::vector<double> from_compiled;
    long added_kib = 0;
    for (int run = 0; run < 7; ++run) {
        const long before = resident_kib();
        auto start = clock::now();
        PolicyLoad load = read_policy(text, "bench");
        auto* compiled = new CompiledPolicy(CompiledPolicy::compile(*load.policy, who, KernelDefaults{}));
        load = PolicyLoad{};  // the shim keeps only the compiled policy
        ::malloc_trim(0);     // as the engine does: give the parse's transient memory back
        from_toml.push_back(elapsed_ms(start));
        if (run == 0) {
            added_kib = resident_kib() - before;  // first run: nothing reused from earlier runs
            compiled_form = serialize_policy(*read_policy(text, "bench").policy, FileIdentity{});
        }
        delete compiled;
        start = clock::now();  // the engine's path when `tcpkeep check --compile` wrote FILE.compiled
        const std::optional<Policy> cached = deserialize_policy(compiled_form, FileIdentity{});
        const CompiledPolicy from_cache = CompiledPolicy::compile(*cached, who, KernelDefaults{});
        from_compiled.push_back(elapsed_ms(start));
    }
    std::sort(from_toml.begin(), from_toml.end());
    std::sort(from_compiled.begin(), from_compiled.end());
    std::printf("rules %d policy_bytes %zu load_ms_median %.2f compiled_bytes %zu compiled_load_ms_median %.2f rss_added_kib %ld\n", rules,
                text.size(), from_toml[from_toml.size() / 2], compiled_form.size(), from_compiled[from_compiled.size() / 2], added_kib);
    return 0;
}
