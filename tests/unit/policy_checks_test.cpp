// Whole-policy checks: the kernel's user_timeout/keepalive pitfalls, shadowing catch-all rules,
// duplicate rule names.
#include <gtest/gtest.h>

#include "tests/unit/test_support.h"

namespace tcpkeep {
namespace {

using test::errors_of;
using test::warnings_of;
using strings = std::vector<std::string>;

PolicyLoad load(std::string_view text) { return read_policy(text, "p.toml"); }

TEST(PolicyChecks, UserTimeoutBelowIdle) {
    const PolicyLoad l = load(R"(version = 1
[defaults]
keepalive = true
idle = "60s"
interval = "10s"
count = 6
user_timeout = "30s"
)");
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(warnings_of(l),
              strings{"7:16: [defaults]: user_timeout 30s is below idle 1min: an idle dead peer is detected only at idle + interval = 1min 10s"});
    EXPECT_EQ(l.diagnostics[0].to_string(),
              "p.toml:7:16: warning: [defaults]: user_timeout 30s is below idle 1min: an idle dead peer is detected only at idle + "
              "interval = 1min 10s");
}

TEST(PolicyChecks, UserTimeoutAboveIdlePlusCountTimesInterval) {
    const PolicyLoad l = load(R"(version = 1
[defaults]
keepalive = true
idle = "60s"
interval = "10s"
count = 3
user_timeout = "2min 5s"
)");
    ASSERT_TRUE(l.ok());
    // 60 + 3 x 10 = 90 s; firings at 70, 80, ... the first >= 125 s is 130 s.
    EXPECT_EQ(warnings_of(l), strings{"7:16: [defaults]: user_timeout 2min 5s is above idle + count x interval = 1min 30s: count is "
                                      "ignored while user_timeout is set; an idle dead peer is detected at 2min 10s"});
}

TEST(PolicyChecks, NoWarningWhenUserTimeoutFits) {
    for (std::string_view ut : {"\"auto\"", "\"off\"", "\"90s\"", "\"1min\"", "\"75s\""}) {
        const PolicyLoad l =
            load(fmt::format("version = 1\n[defaults]\nkeepalive = true\nidle = \"60s\"\ninterval = \"10s\"\ncount = 3\n"
                             "user_timeout = {}\n",
                             ut));
        ASSERT_TRUE(l.ok()) << ut;
        EXPECT_EQ(warnings_of(l), strings{}) << ut;
    }
}

TEST(PolicyChecks, RuleWarnedForWhatItContributes) {
    const PolicyLoad l = load(R"(version = 1
[defaults]
keepalive = true
idle = "60s"
interval = "10s"
count = 6
[[rule]]
name = "db"
ports = [5432]
user_timeout = "10s"
[[rule]]
ports = [80]
)");
    ASSERT_TRUE(l.ok());
    // Only the rule that writes user_timeout is warned about; rule #2 inherits nothing risky.
    EXPECT_EQ(warnings_of(l),
              strings{"10:16: db: user_timeout 10s is below idle 1min: an idle dead peer is detected only at idle + interval = 1min 10s"});
}

TEST(PolicyChecks, DefaultsProblemReportedOnce) {
    const PolicyLoad l = load(R"(version = 1
[defaults]
idle = "60s"
interval = "10s"
count = 6
user_timeout = "5s"
[[rule]]
ports = [1]
[[rule]]
ports = [2]
)");
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(warnings_of(l).size(), 1u);
}

TEST(PolicyChecks, TimingFieldsWithKeepaliveOff) {
    const PolicyLoad l = load(R"(version = 1
[defaults]
keepalive = false
idle = "60s"
interval = "10s"
count = 6
[[rule]]
ports = [1]
keepalive = true
)");
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(warnings_of(l), (strings{"4:8: [defaults]: idle has no effect because keepalive = false",
                                       "5:12: [defaults]: interval has no effect because keepalive = false",
                                       "6:9: [defaults]: count has no effect because keepalive = false"}));
}

TEST(PolicyChecks, RuleTurningKeepaliveOffWithItsOwnTimings) {
    const PolicyLoad l = load(R"(version = 1
[defaults]
idle = "60s"
[[rule]]
name = "batch"
ports = [1]
keepalive = false
interval = "5s"
)");
    ASSERT_TRUE(l.ok());
    // idle belongs to [defaults] (where keepalive is not off): only the rule's own field is reported.
    EXPECT_EQ(warnings_of(l), strings{"8:12: batch: interval has no effect because keepalive = false"});
}

// With keepalive off there are no probes: "detected only at idle + interval" would be false.
TEST(PolicyChecks, NoKeepaliveDetectionClaimWhenKeepaliveIsOff) {
    const PolicyLoad l = load(R"(version = 1
[defaults]
keepalive = false
idle = "60s"
interval = "10s"
user_timeout = "30s"
)");
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(warnings_of(l), (strings{"4:8: [defaults]: idle has no effect because keepalive = false",
                                       "5:12: [defaults]: interval has no effect because keepalive = false"}));
}

// interval left to the namespace's sysctl does not make user_timeout < idle any less of a pitfall.
TEST(PolicyChecks, UserTimeoutBelowIdleWithoutInterval) {
    const PolicyLoad l = load("version = 1\n[defaults]\nkeepalive = true\nidle = \"60s\"\nuser_timeout = \"30s\"\n");
    ASSERT_TRUE(l.ok());
    const strings w = warnings_of(l);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_EQ(w[0].rfind("5:16: [defaults]: user_timeout 30s is below idle 1min", 0), 0u) << w[0];
}

TEST(PolicyChecks, CatchAllRuleShadowsLaterRules) {
    PolicyLoad l = load("version = 1\n[[rule]]\nname = \"everything\"\nidle = \"5s\"\n[[rule]]\nports = [80]\n");
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(warnings_of(l),
              strings{"2:1: everything has no direction, ports, process or peers, so it matches every socket and the rule after it never applies"});

    l = load("version = 1\n[[rule]]\nports = [1]\n[[rule]]\ndirection = \"any\"\n[[rule]]\nports = [2]\n[[rule]]\npeers = \"::/0\"\n");
    ASSERT_TRUE(l.ok());
    EXPECT_EQ(warnings_of(l),
              strings{"4:1: rule #2 has no direction, ports, process or peers, so it matches every socket and the 2 rules after it never apply"});
}

TEST(PolicyChecks, CatchAllAsLastRuleOrNarrowedIsFine) {
    EXPECT_EQ(warnings_of(load("version = 1\n[[rule]]\nports = [1]\n[[rule]]\nname = \"rest\"\n")), strings{});
    EXPECT_EQ(warnings_of(load("version = 1\n[[rule]]\ndirection = \"inbound\"\n[[rule]]\nports = [1]\n")), strings{});
    EXPECT_EQ(warnings_of(load("version = 1\n[[rule]]\nprocess = \"x\"\n[[rule]]\nports = [1]\n")), strings{});
}

TEST(PolicyChecks, DuplicateRuleNamesAreAnError) {
    const PolicyLoad l = load(R"(version = 1
[[rule]]
name = "web"
ports = [80]

[[rule]]
name = "other"
ports = [81]

[[rule]]
name = "web"
ports = [443]
)");
    EXPECT_FALSE(l.ok());
    EXPECT_EQ(errors_of(l), strings{R"(10:1: duplicate rule name "web" (first used by the rule at line 2))"});
}

TEST(PolicyChecks, UnnamedRulesAreNeverDuplicates) { EXPECT_TRUE(load("version = 1\n[[rule]]\nports = [1]\n[[rule]]\nports = [2]\n").ok()); }

}  // namespace
}  // namespace tcpkeep
