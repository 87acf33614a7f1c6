// Load cost of a 10,000-rule policy, as the shim's engine pays it at the first TCP decision, through
// the engine's own loading function: read + parse + validate + compile from TOML, and read the text
// + check its digest + deserialize + compile from the compiled form that `tcpkeep check --compile`
// writes next to it; wall time (median of runs) and the resident memory it adds.
// The RSS added is split: anonymous memory (the compiled policy and what the heap keeps around it)
// and file pages (the parser's code, and libc's, mapped on first use in 64 KiB fault-around
// blocks: shared with the page cache, no memory of the policy's own). compiled_rss_added_kib: the
// same from the compiled form (measured after the TOML path, so the compiler's code is mapped already).
#include <malloc.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/generator/policy_generator.h"
#include "config/compiled_policy.h"
#include "config/policy_cache.h"
#include "config/policy_reader.h"
#include "system/policy_file.h"

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

void write_file(const std::string& path, const std::string& bytes) {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    if (!out.flush()) throw std::runtime_error("cannot write " + path);
}

// The engine's load: the policy at `path` (its compiled form when one is current), then compiled.
tcpkeep::CompiledPolicy* engine_load(const std::string& path, const tcpkeep::ProcessIdentity& who, bool& from_compiled_form) {
    using namespace tcpkeep;
    PolicyLoad load = load_policy_preferring_compiled({PolicyLocation::Kind::environment, path}, false);
    if (!load.ok()) throw std::runtime_error("the policy does not load: " + path);
    from_compiled_form = load.from_compiled_form;
    auto* compiled = new CompiledPolicy(CompiledPolicy::compile(*load.policy, who, KernelDefaults{}));
    load = PolicyLoad{};  // the shim keeps only the compiled policy
    ::malloc_trim(0);     // as the engine does: give the parse's transient memory back
    return compiled;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace tcpkeep;
    using clock = std::chrono::steady_clock;
    const int rules = argc > 1 ? std::atoi(argv[1]) : 10000;
    const std::string text = bench::synthetic_policy(rules, true).text;  // every rule applies: the largest compiled form
    const ProcessIdentity who{bench::benchmark_process, "server", "server", "server"};
    char dir_template[] = "/tmp/tcpkeep-load-bench.XXXXXX";
    const std::string dir = ::mkdtemp(dir_template);
    const std::string toml_only = dir + "/plain.toml";
    const std::string with_compiled = dir + "/compiled.toml";
    write_file(toml_only, text);
    write_file(with_compiled, text);
    std::size_t compiled_bytes = 0;
    auto elapsed_ms = [](clock::time_point start) { return std::chrono::duration<double, std::milli>(clock::now() - start).count(); };
    std::vector<double> from_toml;
    std::vector<double> from_compiled;
    Resident added;
    long added_from_compiled_kib = 0;
    std::size_t footprint = 0;
    for (int run = 0; run < 7; ++run) {
        ::malloc_trim(0);  // the baseline without the generator's freed memory, which the load would otherwise reuse unseen
        const Resident before = resident();
        bool from_compiled_form = true;
        auto start = clock::now();
        CompiledPolicy* compiled = engine_load(toml_only, who, from_compiled_form);
        from_toml.push_back(elapsed_ms(start));
        if (from_compiled_form) throw std::logic_error("no compiled form was written for the TOML path");
        if (run == 0) {
            const Resident after = resident();  // first run: nothing reused from earlier runs
            added = {after.total_kib - before.total_kib, after.anon_kib - before.anon_kib, after.file_kib - before.file_kib};
            footprint = compiled->footprint_bytes();
            const std::string form = serialize_policy(*read_policy(text, "bench").policy, text);  // what `check --compile` writes
            compiled_bytes = form.size();
            write_file(compiled_path_for(with_compiled), form);
        }
        delete compiled;
        ::malloc_trim(0);
        const Resident before_cached = resident();
        start = clock::now();
        compiled = engine_load(with_compiled, who, from_compiled_form);
        from_compiled.push_back(elapsed_ms(start));
        if (!from_compiled_form) throw std::logic_error("the compiled form was not used");
        if (run == 0) added_from_compiled_kib = resident().total_kib - before_cached.total_kib;
        delete compiled;
    }
    for (const std::string& f : {toml_only, with_compiled, compiled_path_for(with_compiled)}) std::remove(f.c_str());
    ::rmdir(dir.c_str());
    std::sort(from_toml.begin(), from_toml.end());
    std::sort(from_compiled.begin(), from_compiled.end());
    std::printf(
        "rules %d policy_bytes %zu load_ms_median %.2f compiled_bytes %zu compiled_load_ms_median %.2f rss_added_kib %ld "
        "rss_anon_added_kib %ld rss_file_added_kib %ld footprint_kib %.1f compiled_rss_added_kib %ld\n",
        rules, text.size(), from_toml[from_toml.size() / 2], compiled_bytes, from_compiled[from_compiled.size() / 2], added.total_kib, added.anon_kib,
        added.file_kib, static_cast<double>(footprint) / 1024, added_from_compiled_kib);
    return 0;
}
