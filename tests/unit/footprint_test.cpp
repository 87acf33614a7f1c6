// The compiled policy's memory (the budget: a 10,000-rule policy adds at most 1 MiB of resident
// memory to the process). footprint_bytes() counts every byte the compiled policy holds, so the
// bounds here are exact, not timings; bench/policy_load_bench prints the RSS actually added.
#include <gtest/gtest.h>

#include "bench/generator/policy_generator.h"
#include "tests/unit/test_support.h"

namespace tcpkeep {
namespace {

CompiledPolicy compile_synthetic(int rules, bool every_rule_active = false) {
    const ProcessIdentity who = test::identity(bench::benchmark_process, "server", "server");
    return CompiledPolicy::compile(test::must_read(bench::synthetic_policy(rules, every_rule_active).text, "bench"), who, KernelDefaults{});
}

// The benchmark's 10,000 rules, every one applying to this process (the largest compiled form of
// 10,000 rules), each with a /24 and a /48 peer block. Per rule: verdict and port check (48 bytes),
// its /24 slot (8 bytes) and /48 slot (12) at a load of ~4/5 (25), a share of the displacements
// (< 1), its name ("rule 1234": <= 11) = ~85 bytes; 88 leaves a little room. Plus the port map's
// shared pages and the object: 16 KiB. 10,000 x 88 B + 16 KiB = 875 KiB, which with the heap's
// residue after a load (~40 KiB measured) stays inside the 1 MiB budget. (Records aligned to 64
// bytes needed 104 per rule: 1,032 KiB. The layout before that, 16-byte-aligned 128-bit keys in a
// power-of-two table, 48-byte verdicts, full port tables: 1.9 MiB for 7,500 rules.)
TEST(Footprint, TenThousandRulesAllApplying) {
    const CompiledPolicy p = compile_synthetic(10000, true);
    ASSERT_EQ(p.active_rules(), 10000u);
    EXPECT_LE(p.footprint_bytes(), p.active_rules() * 88 + 16 * 1024);
}

// One rule must not pay for 65,536 ports twice: the port map shares its identical pages.
TEST(Footprint, OneRuleTakesAFewKiB) {
    const CompiledPolicy p = compile_synthetic(1);
    ASSERT_EQ(p.active_rules(), 1u);
    EXPECT_LE(p.footprint_bytes(), 8u * 1024);
}

}  // namespace
}  // namespace tcpkeep
