// The compiled form of a policy: exactly the same decisions as the TOML it came from, and never
// used when it is stale (made from another text), truncated, corrupted or of another format.
#include <gtest/gtest.h>

#include "config/policy_cache.h"
#include "test_support.h"

namespace tcpkeep::test {
namespace {

constexpr const char* text = R"(version = 1
[defaults]
keepalive = true
idle = "60s"
user_timeout = "auto"
enforce = true
[[rule]]
name = "db"
direction = "outbound"
ports = [5432, "6000-6100"]
peers = ["10.0.0.0/8", "fd00::/8", "::ffff:192.168.0.0/112"]
idle = "30s"
count = 4
[[rule]]
process = ["psql", "/opt/app/bin/*"]
action = "skip"
[[rule]]
direction = "inbound"
ports = [22]
user_timeout = "off"
interval = "5s"
keepalive = false
)";

const std::string_view source = "/etc/tcpkeep/policy.toml";

std::optional<Policy> round_trip(const Policy& policy) { return deserialize_policy(serialize_policy(policy, text), text, source); }

TEST(PolicyCache, RoundTripKeepsEveryDecision) {
    const Policy original = must_read(text);
    const std::optional<Policy> cached = round_trip(original);
    ASSERT_TRUE(cached.has_value());
    ASSERT_EQ(cached->rules.size(), original.rules.size());
    EXPECT_EQ(cached->source, source);  // where it was loaded, not where it was compiled
    for (const ProcessIdentity& who : {ProcessIdentity{}, ProcessIdentity{"/opt/app/bin/x", "x", "x", "x"}}) {
        const CompiledPolicy a = CompiledPolicy::compile(original, who, KernelDefaults{});
        const CompiledPolicy b = CompiledPolicy::compile(*cached, who, KernelDefaults{});
        for (const char* peer : {"10.1.2.3", "192.168.3.4", "fd00::1", "2001:db8::1", "127.0.0.1"}) {
            const PeerAddress address = *PeerAddress::parse(peer);
            for (Direction d : {Direction::outbound, Direction::inbound}) {
                for (std::uint16_t port : {std::uint16_t{22}, std::uint16_t{5432}, std::uint16_t{6050}, std::uint16_t{8080}}) {
                    const Verdict& va = a.decide(d, port, &address);
                    const Verdict& vb = b.decide(d, port, &address);
                    EXPECT_EQ(va.kind, vb.kind);
                    EXPECT_EQ(va.settings, vb.settings);
                    EXPECT_EQ(va.enforce, vb.enforce);
                    EXPECT_EQ(va.rule_index, vb.rule_index);
                    EXPECT_STREQ(va.name, vb.name);
                }
            }
        }
    }
}

// Any other text: each byte changed, one byte more or less, and a same-size edit.
TEST(PolicyCache, ACompiledFormOfAnotherTextIsIgnored) {
    const std::string bytes = serialize_policy(must_read(text), text);
    const std::string original = text;
    ASSERT_TRUE(deserialize_policy(bytes, original, source).has_value());
    for (std::size_t i = 0; i < original.size(); ++i) {
        std::string edited = original;
        edited[i] = static_cast<char>(edited[i] ^ 0x01);
        EXPECT_FALSE(deserialize_policy(bytes, edited, source).has_value()) << i;
    }
    EXPECT_FALSE(deserialize_policy(bytes, original + "\n", source).has_value());
    EXPECT_FALSE(deserialize_policy(bytes, original.substr(0, original.size() - 1), source).has_value());
    std::string same_size = original;
    same_size.replace(same_size.find("\"30s\""), 5, "\"31s\"");
    EXPECT_FALSE(deserialize_policy(bytes, same_size, source).has_value());
}

TEST(PolicyCache, DamageIsNeverTrusted) {
    const std::string bytes = serialize_policy(must_read(text), text);
    for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_FALSE(deserialize_policy(bytes.substr(0, n), text, source).has_value()) << n;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        std::string flipped = bytes;
        flipped[i] = static_cast<char>(flipped[i] ^ 0x20);
        EXPECT_FALSE(deserialize_policy(flipped, text, source).has_value()) << i;
    }
    EXPECT_FALSE(deserialize_policy(bytes + "x", text, source).has_value());
    EXPECT_FALSE(deserialize_policy("version = 1\n", text, source).has_value());
}

TEST(PolicyCache, CompiledPathSitsNextToThePolicy) { EXPECT_EQ(compiled_path_for("/etc/tcpkeep/policy.toml"), "/etc/tcpkeep/policy.toml.compiled"); }

// A cache whose checksum is right but whose values the reader would have refused is not used: the
// shim must never give the kernel a value it rejects (found by tests/fuzz/cache_fuzzer).
TEST(PolicyCache, ValuesOutsideTheKernelsRangesAreRefused) {
    const auto refused = [](auto&& spoil) {
        Policy policy = must_read(text);
        spoil(policy.rules.front());
        return !round_trip(policy).has_value();
    };
    EXPECT_TRUE(refused([](Rule& r) { r.settings.idle_s = Located<std::int32_t>{0, {}}; }));
    EXPECT_TRUE(refused([](Rule& r) { r.settings.idle_s = Located<std::int32_t>{max_keepalive_seconds + 1, {}}; }));
    EXPECT_TRUE(refused([](Rule& r) { r.settings.interval_s = Located<std::int32_t>{-5, {}}; }));
    EXPECT_TRUE(refused([](Rule& r) { r.settings.count = Located<std::int32_t>{max_keepalive_count + 1, {}}; }));
    EXPECT_TRUE(refused([](Rule& r) { r.settings.user_timeout = Located<UserTimeoutSpec>{{false, -1}, {}}; }));
    EXPECT_TRUE(refused([](Rule& r) { r.ports.front() = PortRange{6100, 6000}; }));
    EXPECT_FALSE(refused([](Rule& r) { r.settings.count = Located<std::int32_t>{max_keepalive_count, {}}; }));
}

}  // namespace
}  // namespace tcpkeep::test
