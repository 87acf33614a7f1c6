// `-s KEY=VALUE` (tools/policy/settings_overrides): every [defaults] key is taken with the value the
// policy reader gives it, a later -s of a key wins, a bad one is refused with the reader's own
// message, and the overrides reach [defaults] only (rules keep what they set) and survive the
// round trip through the TOML the shim is handed (policy_writer).
#include <gtest/gtest.h>
#include <string>
#include <vector>

#include "config/policy_reader.h"
#include "tools/policy/policy_writer.h"
#include "tools/policy/settings_overrides.h"

namespace tcpkeep::cli {
namespace {

Overrides must_parse(const std::vector<std::string>& args) {
    Result<Overrides> parsed = parse_overrides(args);
    if (!parsed) ADD_FAILURE() << parsed.error().message;
    return parsed ? *parsed : Overrides{};
}

std::string refusal(const std::vector<std::string>& args) {
    Result<Overrides> parsed = parse_overrides(args);
    return parsed ? std::string("(accepted)") : parsed.error().message;
}

Policy must_read(std::string_view text) {
    PolicyLoad load = read_policy(text, "test.toml");
    if (!load.ok()) {
        ADD_FAILURE() << text;
        return {};
    }
    return *load.policy;
}

TEST(SettingsOverrides, EveryKeyTakesTheReadersValue) {
    const Overrides o = must_parse({"keepalive=false", "idle=90s", "interval=2min", "count=4", "user_timeout=1500ms", "enforce=true"});
    const SettingsSpec& s = o.settings;
    ASSERT_TRUE(s.keepalive && s.idle_s && s.interval_s && s.count && s.user_timeout && s.enforce);
    EXPECT_FALSE(s.keepalive->value);
    EXPECT_EQ(s.idle_s->value, 90);
    EXPECT_EQ(s.interval_s->value, 120);
    EXPECT_EQ(s.count->value, 4);
    EXPECT_FALSE(s.user_timeout->value.automatic);
    EXPECT_EQ(s.user_timeout->value.ms, 1500);
    EXPECT_TRUE(s.enforce->value);
    EXPECT_EQ(o.written,
              (std::vector<std::string>{"keepalive=false", "idle=90s", "interval=2min", "count=4", "user_timeout=1500ms", "enforce=true"}));
}

TEST(SettingsOverrides, TheLaterOfOneKeyWinsAndOthersStayUnset) {
    const Overrides o = must_parse({"user_timeout=auto", "idle=30s", "user_timeout=off"});
    ASSERT_TRUE(o.settings.user_timeout && o.settings.idle_s);
    EXPECT_FALSE(o.settings.user_timeout->value.automatic);
    EXPECT_EQ(o.settings.user_timeout->value.ms, 0);
    EXPECT_EQ(o.settings.idle_s->value, 30);
    EXPECT_FALSE(o.settings.keepalive || o.settings.interval_s || o.settings.count || o.settings.enforce);
}

TEST(SettingsOverrides, RefusesWithTheReadersMessage) {
    EXPECT_EQ(refusal({"idle=30"}), "-s idle=30: idle needs a unit; did you mean \"30s\"?");
    EXPECT_EQ(refusal({"count=three"}), "-s count=three: count must be an integer (probes), not a string");
    EXPECT_EQ(refusal({"count=128"}), "-s count=128: count must be between 1 and 127, got 128");
    EXPECT_EQ(refusal({"interval=32768s"}), "-s interval=32768s: interval must be between 1s and 32767s, got \"32768s\"");
    EXPECT_EQ(refusal({"user_timeout=2147483648ms"}),
              "-s user_timeout=2147483648ms: user_timeout must be at most 2147483647ms, got \"2147483648ms\"");
    EXPECT_EQ(refusal({"keepalive=1"}), "-s keepalive=1: keepalive must be true or false, not an integer");
    EXPECT_EQ(refusal({"idel=5s"}), "-s idel=5s: unknown key \"idel\" in [defaults]; did you mean \"idle\"?");
    EXPECT_EQ(refusal({"ports=22"}), "-s ports=22: unknown key \"ports\" in [defaults]");
    EXPECT_EQ(refusal({"idle=5s", "idle"}),
              "-s idle: expected KEY=VALUE with a [defaults] key (keepalive, idle, interval, count, user_timeout, enforce)");
    EXPECT_EQ(refusal({"a.b=1"}), "-s a.b=1: expected KEY=VALUE with a [defaults] key (keepalive, idle, interval, count, user_timeout, enforce)");
}

TEST(SettingsOverrides, ChangeDefaultsOnlyAndSurviveTheWrittenPolicy) {
    Policy policy = must_read("version = 1\n[defaults]\nidle = \"1h\"\ncount = 9\n[[rule]]\nname = \"db\"\nports = [5432]\nidle = \"10s\"\n");
    apply_overrides(policy, must_parse({"idle=45s", "user_timeout=auto", "keepalive=true"}));
    ASSERT_TRUE(policy.defaults);
    EXPECT_EQ(policy.defaults->idle_s->value, 45);
    EXPECT_EQ(policy.defaults->count->value, 9);  // not overridden: kept
    EXPECT_TRUE(policy.defaults->user_timeout->value.automatic);
    EXPECT_EQ(policy.rules.at(0).settings.idle_s->value, 10);  // a rule keeps its own key
    EXPECT_FALSE(policy.rules.at(0).settings.user_timeout);

    const std::string written = to_toml(policy, "made by a test");
    EXPECT_EQ(written,
              "# made by a test\nversion = 1\n\n[defaults]\nkeepalive = true\nidle = \"45s\"\ncount = 9\nuser_timeout = \"auto\"\n\n"
              "[[rule]]\nname = \"db\"\nports = [5432]\nidle = \"10s\"\n");
    EXPECT_EQ(to_toml(must_read(written), "made by a test"), written);
}

TEST(SettingsOverrides, NoneLeavesAPolicyWithoutDefaultsUntouched) {
    Policy policy = must_read("version = 1\n[[rule]]\nports = [22]\naction = \"skip\"\n");
    apply_overrides(policy, Overrides{});
    EXPECT_FALSE(policy.defaults);  // an empty [defaults] would decide every unmatched socket
    apply_overrides(policy, must_parse({"enforce=true"}));
    ASSERT_TRUE(policy.defaults && policy.defaults->enforce);
    EXPECT_TRUE(policy.defaults->enforce->value);
    EXPECT_FALSE(policy.defaults->idle_s);
}

}  // namespace
}  // namespace tcpkeep::cli
