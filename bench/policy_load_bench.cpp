// Load cost of a 10,000-rule policy, as the shim's engine pays it at the first TCP decision:
// parse + validate + compile from TOML, and deserialize + compile from the compiled form that
// `tcpkeep check --compile` writes; wall time (median of runs) and the resident memory it adds.
// The RSS added is split: anonymous memory (the compiled policy and what the heap keeps around it)
// and file pages (the parser's code, and libc's, mapped on first use in 64 KiB fault-around
// blocks: shared with the page cache, no memory of the policy's own). compiled_rss_added_kib: the
// same from the compiled form (measured after the TOML path, so the compiler's code is mapped already).
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

struct Resident {
    long total_kib = 0;
    long anon_kib = 0;
    long file_kib = 0;
};

Resident resident() {
    std::ifstream status("/proc/self/status");
    Resident r;
    std::string key;
    while (status >> key) {
        long* field = key == "VmRSS:" ? &r.total_kib : key == "RssAnon:" ? &r.anon_kib : key == "RssFile:" ? &r.file_kib : nullptr;
        if (field != nullptr) status >> *field;
        status.ignore(4096, '\n');
    }
    return r;
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
    Resident added;
    long added_from_compiled_kib = 0;
    std::size_t footprint = 0;
    for (int run = 0; run < 7; ++run) {
        ::malloc_trim(0);  // the baseline without the generator's freed memory, which the load would otherwise reuse unseen
        const Resident before = resident();
        auto start = clock::now();
        PolicyLoad load = read_policy(text, "bench");
        auto* compiled = new CompiledPolicy(CompiledPolicy::compile(*load.policy, who, KernelDefaults{}));
        load = PolicyLoad{};  // the shim keeps only the compiled policy
        ::malloc_trim(0);     // as the engine does: give the parse's transient memory back
        from_toml.push_back(elapsed_ms(start));
        if (run == 0) {
            const Resident after = resident();  // first run: nothing reused from earlier runs
            added = {after.total_kib - before.total_kib, after.anon_kib - before.anon_kib, after.file_kib - before.file_kib};
            footprint = compiled->footprint_bytes();
            compiled_form = serialize_policy(*read_policy(text, "bench").policy, FileIdentity{});
        }
        delete compiled;
        Resident before_cached;
        if (run == 0) {
            ::malloc_trim(0);
            before_cached = resident();
        }
        start = clock::now();  // the engine's path when `tcpkeep check --compile` wrote FILE.compiled
        std::optional<Policy> cached = deserialize_policy(compiled_form, FileIdentity{});
        const CompiledPolicy from_cache = CompiledPolicy::compile(*cached, who, KernelDefaults{});
        from_compiled.push_back(elapsed_ms(start));
        if (run == 0) {
            cached.reset();  // as the engine does
            ::malloc_trim(0);
            added_from_compiled_kib = resident().total_kib - before_cached.total_kib;
        }
    }
    std::sort(from_toml.begin(), from_toml.end());
    std::sort(from_compiled.begin(), from_compiled.end());
    std::printf("rules %d policy_bytes %zu load_ms_median %.2f compiled_bytes %zu compiled_load_ms_median %.2f rss_added_kib %ld "
                "rss_anon_added_kib %ld rss_file_added_kib %ld footprint_kib %.1f compiled_rss_added_kib %ld\n",
                rules, text.size(), from_toml[from_toml.size() / 2], compiled_form.size(), from_compiled[from_compiled.size() / 2], added.total_kib,
                added.anon_kib, added.file_kib, static_cast<double>(footprint) / 1024, added_from_compiled_kib);
    return 0;
}
