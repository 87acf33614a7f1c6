// The embedded default policy (config/embedded_default): keepalive on, 60 s / 10 s / 6, user_timeout
// auto = 120 s, whatever the namespace's sysctls.
#include <gtest/gtest.h>

#include "config/compiled_policy.h"
#include "config/embedded_default.h"
#include "config/policy_reader.h"
#include "tests/unit/test_support.h"

namespace tcpkeep {
namespace {


TEST(EmbeddedDefault, ParsesToTheDocumentedValues) {
    const PolicyLoad load = read_policy(embedded_default_policy(), embedded_source_name);
    ASSERT_TRUE(load.ok()) << test::first_error_text(load);
    EXPECT_TRUE(load.diagnostics.empty());
    const Policy& p = *load.policy;
    EXPECT_TRUE(p.rules.empty());
    ASSERT_TRUE(p.defaults.has_value());
    EXPECT_EQ(p.defaults->keepalive->value, true);
    EXPECT_EQ(p.defaults->idle_s->value, 60);
    EXPECT_EQ(p.defaults->interval_s->value, 10);
    EXPECT_EQ(p.defaults->count->value, 6);
    EXPECT_TRUE(p.defaults->user_timeout->value.automatic);
    EXPECT_FALSE(p.defaults->enforce.has_value());

    // Whatever the namespace says, every TCP socket gets exactly these values.
    KernelDefaults odd;
    odd.keepalive_time_s = 1;
    odd.keepalive_intvl_s = 1;
    odd.keepalive_probes = 1;
    const CompiledPolicy c = CompiledPolicy::compile(p, ProcessIdentity{}, odd);
    for (Direction d : {Direction::outbound, Direction::inbound}) {
        const Verdict& v = c.decide(d, 443, nullptr);
        EXPECT_EQ(v.kind, Verdict::Kind::apply);
        EXPECT_EQ(v.settings, (Settings{0x1F, true, 60, 10, 6, 120'000}));
        EXPECT_TRUE(v.user_timeout_auto);
        EXPECT_FALSE(v.enforce);
    }
}

}  // namespace
}  // namespace tcpkeep
