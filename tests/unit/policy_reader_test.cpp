// TOML text -> Policy model: every field of format v1, defaults absent vs present, list shorthands,
// and how errors are located and ordered.
#include <gtest/gtest.h>

#include "config/suggest.h"
#include "tests/unit/test_support.h"

namespace tcpkeep {
namespace {

using test::errors_of;
using test::first_error_text;
using test::must_read;

// The policy format's annotated example, comments included, as users will copy it.
constexpr std::string_view format_example = R"(version = 1                       # required; any other value is an error

[defaults]                        # optional: what TCP sockets no rule matches get. Absent: left untouched.
keepalive = true                  # SO_KEEPALIVE (bool)
idle = "60s"                      # TCP_KEEPIDLE   — whole seconds, 1 s .. 32767 s
interval = "10s"                  # TCP_KEEPINTVL  — whole seconds, 1 s .. 32767 s
count = 6                         # TCP_KEEPCNT    — integer 1 .. 127
user_timeout = "auto"             # TCP_USER_TIMEOUT — duration (ms precision, up to 2147483647 ms),
                                  #   "off" (sets 0), or "auto" = idle + interval × count

[[rule]]                          # evaluated in file order; the first match wins
name = "postgres clients"         # optional; shown by logs, verify and explain
direction = "outbound"            # "outbound" (the program connect()s), "inbound" (it accept()s), "any" (default)
ports = [5432, "6000-6100"]       # remote port when outbound, local (listening) port when inbound; absent = any
process = ["psql", "/opt/app/bin/*"]  # absent = any (see matching)
peers = ["10.0.0.0/8", "fd00::/8"]    # peer address CIDRs, IPv4 and IPv6; v4-mapped IPv6 peers match IPv4 CIDRs
action = "apply"                  # "apply" (default) or "skip": leave the socket exactly as the program made it
idle = "30s"                      # any of the five settings; those not given come from [defaults];
                                  #   absent there too → the option is not set at all
)";

template <typename T>
void expect_at(const std::optional<Located<T>>& field, T value, std::uint32_t line, std::uint32_t column) {
    ASSERT_TRUE(field.has_value());
    EXPECT_EQ(field->value, value);
    EXPECT_EQ(field->pos.line, line);
    EXPECT_EQ(field->pos.column, column);
}

TEST(ReadPolicy, FormatExampleDefaults) {
    const PolicyLoad load = read_policy(format_example, "policy.toml");
    ASSERT_TRUE(load.ok()) << first_error_text(load);
    EXPECT_TRUE(load.diagnostics.empty());
    const Policy& p = *load.policy;
    EXPECT_EQ(p.source, "policy.toml");
    ASSERT_TRUE(p.defaults.has_value());
    const SettingsSpec& d = *p.defaults;
    expect_at(d.keepalive, true, 4, 13);
    expect_at(d.idle_s, 60, 5, 8);
    expect_at(d.interval_s, 10, 6, 12);
    expect_at(d.count, 6, 7, 9);
    ASSERT_TRUE(d.user_timeout.has_value());
    EXPECT_TRUE(d.user_timeout->value.automatic);
    EXPECT_EQ(d.user_timeout->pos.line, 8u);
    EXPECT_EQ(d.user_timeout->pos.column, 16u);
    EXPECT_FALSE(d.enforce.has_value());
}

TEST(ReadPolicy, FormatExampleRule) {
    const Policy p = must_read(format_example);
    ASSERT_EQ(p.rules.size(), 1u);
    const Rule& r = p.rules[0];
    EXPECT_EQ(r.name, "postgres clients");
    EXPECT_EQ(r.display_name(), "postgres clients");
    EXPECT_EQ(r.index, 0u);
    EXPECT_EQ(r.pos.line, 11u);
    EXPECT_EQ(r.pos.column, 1u);
    EXPECT_EQ(r.direction, Direction::outbound);
    ASSERT_EQ(r.ports.size(), 2u);
    EXPECT_EQ(r.ports[0].first, 5432);
    EXPECT_EQ(r.ports[0].last, 5432);
    EXPECT_EQ(r.ports[1].first, 6000);
    EXPECT_EQ(r.ports[1].last, 6100);
    EXPECT_EQ(r.process, (std::vector<std::string>{"psql", "/opt/app/bin/*"}));
    ASSERT_EQ(r.peers.size(), 2u);
    EXPECT_EQ(r.peers[0].family, Family::v4);
    EXPECT_EQ(r.peers[0].first, AddressKey{0x0A000000});
    EXPECT_EQ(r.peers[0].last, AddressKey{0x0AFFFFFF});
    EXPECT_EQ(r.peers[1].family, Family::v6);
    EXPECT_EQ(r.peers[1].first, AddressKey{0xFD} << 120);
    EXPECT_EQ(r.action, Action::apply);
    expect_at(r.settings.idle_s, 30, 18, 8);
    // Only idle is the rule's own: the rest comes from [defaults] when compiled, not at read time.
    EXPECT_FALSE(r.settings.keepalive || r.settings.interval_s || r.settings.count || r.settings.user_timeout || r.settings.enforce);
    EXPECT_FALSE(r.matches_everything());
}

TEST(ReadPolicy, DefaultsAbsentVersusEmpty) {
    EXPECT_FALSE(must_read("version = 1\n").defaults.has_value());
    EXPECT_TRUE(must_read("version = 1\n").rules.empty());

    const Policy empty = must_read("version = 1\n[defaults]\n");
    ASSERT_TRUE(empty.defaults.has_value());  // present even with no keys: "apply nothing" is a choice
    EXPECT_FALSE(empty.defaults->keepalive || empty.defaults->idle_s || empty.defaults->interval_s || empty.defaults->count ||
                 empty.defaults->user_timeout || empty.defaults->enforce);
}

TEST(ReadPolicy, UserTimeoutForms) {
    auto ut = [](std::string_view value) {
        const Policy p = must_read(fmt::format("version = 1\n[defaults]\nuser_timeout = {}\n", value));
        return p.defaults && p.defaults->user_timeout ? p.defaults->user_timeout->value : UserTimeoutSpec{true, -1};
    };
    EXPECT_TRUE(ut("\"auto\"").automatic);
    EXPECT_FALSE(ut("\"off\"").automatic);
    EXPECT_EQ(ut("\"off\"").ms, 0);
    EXPECT_EQ(ut("\"0s\"").ms, 0);
    EXPECT_EQ(ut("\"1min 30s\"").ms, 90'000);
    EXPECT_EQ(ut("\"250ms\"").ms, 250);
    EXPECT_EQ(ut("\"2147483647ms\"").ms, 2'147'483'647);
    EXPECT_FALSE(ut("\"2147483647ms\"").automatic);
}

TEST(ReadPolicy, KeepaliveSecondsLimits) {
    const Policy low = must_read("version = 1\n[defaults]\nidle = \"1s\"\ninterval = \"1000ms\"\ncount = 1\n");
    ASSERT_TRUE(low.defaults);
    EXPECT_EQ(low.defaults->idle_s->value, 1);
    EXPECT_EQ(low.defaults->interval_s->value, 1);  // whole seconds written in ms are fine
    EXPECT_EQ(low.defaults->count->value, 1);
    const Policy high = must_read("version = 1\n[defaults]\nidle = \"9h 6min 7s\"\ninterval = \"32767s\"\ncount = 127\n");
    ASSERT_TRUE(high.defaults);
    EXPECT_EQ(high.defaults->idle_s->value, 32767);
    EXPECT_EQ(high.defaults->interval_s->value, 32767);
    EXPECT_EQ(high.defaults->count->value, 127);
}

TEST(ReadPolicy, EnforceInDefaultsAndRules) {
    const Policy p = must_read(R"(version = 1
[defaults]
enforce = true
[[rule]]
ports = [22]
enforce = false
[[rule]]
ports = [23]
)");
    ASSERT_TRUE(p.defaults);
    expect_at(p.defaults->enforce, true, 3, 11);
    ASSERT_EQ(p.rules.size(), 2u);
    expect_at(p.rules[0].settings.enforce, false, 6, 11);
    EXPECT_FALSE(p.rules[1].settings.enforce.has_value());
}

TEST(ReadPolicy, RuleDefaultsAndSingleValueShorthands) {
    const Policy p = must_read(R"(version = 1
[[rule]]
ports = 80
process = "nginx"
peers = "192.168.0.0/16"
[[rule]]
direction = "inbound"
action = "skip"
ports = ["443", "1-1", 65535]
[[rule]]
direction = "any"
peers = ["::ffff:10.0.0.0/104"]
)");
    ASSERT_EQ(p.rules.size(), 3u);
    const Rule& a = p.rules[0];
    EXPECT_EQ(a.direction, Direction::any);  // default
    EXPECT_EQ(a.action, Action::apply);      // default
    EXPECT_EQ(a.name, "");
    EXPECT_EQ(a.display_name(), "rule #1");
    ASSERT_EQ(a.ports.size(), 1u);
    EXPECT_EQ(a.ports[0].first, 80);
    EXPECT_EQ(a.ports[0].last, 80);
    EXPECT_EQ(a.process, std::vector<std::string>{"nginx"});
    ASSERT_EQ(a.peers.size(), 1u);
    EXPECT_EQ(a.peers[0].first, AddressKey{0xC0A80000});

    const Rule& b = p.rules[1];
    EXPECT_EQ(b.index, 1u);
    EXPECT_EQ(b.display_name(), "rule #2");
    EXPECT_EQ(b.direction, Direction::inbound);
    EXPECT_EQ(b.action, Action::skip);
    ASSERT_EQ(b.ports.size(), 3u);
    EXPECT_EQ(b.ports[0].first, 443);  // a number written as a string
    EXPECT_EQ(b.ports[0].last, 443);
    EXPECT_EQ(b.ports[1].first, 1);
    EXPECT_EQ(b.ports[1].last, 1);
    EXPECT_EQ(b.ports[2].first, 65535);

    const Rule& c = p.rules[2];
    EXPECT_EQ(c.direction, Direction::any);
    ASSERT_EQ(c.peers.size(), 1u);
    EXPECT_EQ(c.peers[0].family, Family::v4);  // v4-mapped CIDR folded
    EXPECT_EQ(c.peers[0].last, AddressKey{0x0AFFFFFF});
}

TEST(ReadPolicy, InlineTableRulesAreRules) {
    const Policy p = must_read("version = 1\nrule = [{ name = \"a\", ports = [1] }, { name = \"b\", direction = \"inbound\", ports = [2] }]\n");
    ASSERT_EQ(p.rules.size(), 2u);
    EXPECT_EQ(p.rules[0].name, "a");
    EXPECT_EQ(p.rules[1].name, "b");
    EXPECT_EQ(p.rules[1].index, 1u);
    EXPECT_EQ(p.rules[1].direction, Direction::inbound);
}

// toml++ walks keys sorted by name; diagnostics must come out in file order nonetheless.
TEST(ReadPolicy, AllErrorsReportedInFileOrder) {
    const PolicyLoad load = read_policy(R"(version = 1
[defaults]
idle = 5
count = 0
[[rule]]
ports = [0]
zebra = 1
action = "maybe"
)",
                                        "x.toml");
    EXPECT_FALSE(load.ok());
    EXPECT_EQ(errors_of(load), (std::vector<std::string>{
                                   R"(3:8: idle needs a unit; did you mean "5s"?)",
                                   "4:9: count must be between 1 and 127, got 0",
                                   "6:10: port 0 is out of range (ports are 1..65535)",
                                   R"(7:1: unknown key "zebra" in [[rule]])",
                                   R"(8:10: action must be one of "apply", "skip", got "maybe")",
                               }));
    for (const Diagnostic& d : load.diagnostics) EXPECT_EQ(d.file, "x.toml");
    EXPECT_EQ(load.diagnostics.front().to_string(), R"(x.toml:3:8: error: idle needs a unit; did you mean "5s"?)");
}

// TCP_USER_TIMEOUT and PostgreSQL's tcp_user_timeout are milliseconds: a bare 30000 means 30 s,
// and suggesting "30000s" (8 h 20 min) would turn a typo into a silently wrong setting.
TEST(ReadPolicy, UserTimeoutBareNumberSuggestsMilliseconds) {
    const PolicyLoad load = read_policy("version = 1\n[defaults]\nuser_timeout = 30000\n", "x.toml");
    EXPECT_FALSE(load.ok());
    EXPECT_EQ(first_error_text(load), R"(3:16: user_timeout needs a unit; did you mean "30000ms"?)");
}

TEST(ReadPolicy, ChecksRunOnlyOnAnOtherwiseValidPolicy) {
    // With a reader error, the pitfall warnings (here: a catch-all rule) are not computed.
    const PolicyLoad load = read_policy("version = 1\n[[rule]]\n[[rule]]\nports = [0]\n", "x.toml");
    EXPECT_FALSE(load.ok());
    ASSERT_EQ(load.diagnostics.size(), 1u);
    EXPECT_EQ(first_error_text(load), "4:10: port 0 is out of range (ports are 1..65535)");
}

TEST(ReadPolicy, TomlSyntaxErrorIsLocated) {
    const PolicyLoad load = read_policy("version = 1\n[defaults\n", "x.toml");
    EXPECT_FALSE(load.ok());
    ASSERT_EQ(load.diagnostics.size(), 1u);
    EXPECT_EQ(load.diagnostics[0].line, 2u);
    EXPECT_EQ(load.diagnostics[0].column, 10u);
    EXPECT_EQ(load.diagnostics[0].severity, Severity::error);
}

TEST(ReadPolicy, BinaryGarbageIsAnErrorNotACrash) {
    const std::string garbage("\x00\xff\xfe version = 1 \x01\x02", 17);
    const PolicyLoad load = read_policy(garbage, "bin");
    EXPECT_FALSE(load.ok());
    EXPECT_TRUE(first_error(load.diagnostics) != nullptr);
}

// A dotted key two million levels deep (4 MB, under the size limit) would overflow the stack
// inside toml++; nesting past 16 levels is an error found before toml++ parses anything.
TEST(ReadPolicy, DeepNestingIsAnErrorNotAStackOverflow) {
    constexpr std::string_view deep = "nested deeper than 16 levels of tables, arrays and dotted keys (a policy needs at most 4)";
    std::string key = "version = 1\nx";
    for (int i = 0; i < 2'000'000; ++i) key += ".a";
    EXPECT_EQ(first_error_text(read_policy(key + " = 1\n", "k")), fmt::format("2:32: {}", deep));  // the 16th dot
    std::string header = "version = 1\n[a";
    for (int i = 0; i < 2'000'000; ++i) header += ".a";
    EXPECT_EQ(first_error_text(read_policy(header + "]\n", "h")), fmt::format("2:33: {}", deep));
    // Levels add up across a [table], its dotted keys, inline tables and arrays.
    EXPECT_EQ(first_error_text(read_policy("version = 1\n[a.b.c.d.e.f.g.h]\ni.j.k.l.m.n.o.p = 1\nx = [[[[[[[[1]]]]]]]]\n", "m")),
              fmt::format("4:12: {}", deep));
    EXPECT_EQ(first_error_text(read_policy("version = 1\nx = {a = {b = {c = {d = {e = {f = {g = {h = 1}}}}}}}}\n", "i")),
              fmt::format("2:41: {}", deep));  // key h: 8 inline tables and 9 keys
    // Exactly 16 levels are left to the reader; dots and brackets inside strings and comments do not count.
    EXPECT_EQ(first_error_text(read_policy("version = 1\na.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p = 1\n", "16")), "2:1: unknown key \"a\" at the top level");
    const Policy p = must_read(
        "version = 1 # [[[[[[[[[[[[[[[[[ a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a\n"
        "[[rule]]\n"
        "name = \"[[[[[[[[[[[[[[[[[ \\\" {{{{{{{{{{{{{{{{{\"\n"
        "process = ['a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a', \"\"\"[[[[[[[[[[[[[[[[[\n]]\"\"\", '''{{{{{{{{{{{{{{{{{''']\n");
    ASSERT_EQ(p.rules.size(), 1u);
    EXPECT_EQ(p.rules[0].process.size(), 3u);
}

// Found by tests/fuzz: toml++ 3.3.0 reaches __builtin_unreachable() when it asks whether many
// non-ASCII characters are whitespace (here after a bare key and after an integer), and asserts
// (abort in debug builds) on a table name starting with a character no key can start with, and on
// '}' where an array's element would start.
// Both are refused before toml++ sees them; strings and comments may hold any character.
TEST(ReadPolicy, TextTomlCannotBeGivenIsRefusedFirst) {
    EXPECT_EQ(first_error_text(read_policy("version = 1\n[defaults]\nidl\u00e9 = \"30s\"\n", "k")),
              "3:4: character '\u00e9' outside a string or a comment (quote it)");
    EXPECT_EQ(first_error_text(read_policy("version = 1\n[[rule]]\nports = [141\u03e2]\n", "v")),
              "3:13: character '\u03e2' outside a string or a comment (quote it)");
    EXPECT_EQ(first_error_text(read_policy("version = 1\n[[[rule]]]\n", "h")), "2:3: expected a table name after \"[[\", saw '['");
    EXPECT_EQ(first_error_text(read_policy("version = 1\n[ $x]\n", "h")), "2:3: expected a table name after \"[\", saw '$'");
    EXPECT_EQ(first_error_text(read_policy("version = 1\n[\n", "h")), "2:2: expected a table name after \"[\", saw the end of the line");
    EXPECT_EQ(first_error_text(read_policy("version = 1\n[[rule]]\nports = [80, }\n", "a")), "3:14: '}' inside an array (an array ends with ']')");
    // Where toml++ reads a bare value to its end (a quote or bracket there is no string or array),
    // and after a backslash in a multi-line string, it asks about whitespace too.
    // (toml++ is given only the text before that character, and reports its own earlier error.)
    EXPECT_EQ(first_error_text(read_policy("version = 1\nx = 0[\"a\ufed7\"\n", "b")),
              "2:6: Error while parsing decimal integer: expected digit, saw '['");
    EXPECT_EQ(first_error_text(read_policy("version = 1\nx = [0, 1\ufed7]\n", "b")),
              "2:10: character '\ufed7' outside a string or a comment (quote it)");
    EXPECT_EQ(first_error_text(read_policy("version = 1\nx = \"\"\"a\\\n  \u00fc\"\"\"\n", "m")),
              "3:3: character '\u00fc' after a backslash in a multi-line string (write it as a \\u escape)");
    // Arrays and tables are levels even after a "=" that names no key (found by fuzzing: the scan overran).
    EXPECT_EQ(first_error_text(read_policy("=[[[{=[[[[[[[[[[[[[[]", "s")),
              "1:1: Error while parsing root table: expected keys, tables, whitespace or comments, saw '='");
    // A date, a space, one digit: toml++ scans for the rest of a time from the terminator (found by fuzzing).
    EXPECT_EQ(first_error_text(read_policy("version = 1\nx = 4444-06-5= 0\n", "d")), "2:5: a date followed by a one-digit time (a time is HH:MM:SS)");
    EXPECT_EQ(first_error_text(read_policy("version = 1\nx = [1979-05-27 7]\n", "d")),
              "2:6: a date followed by a one-digit time (a time is HH:MM:SS)");
    EXPECT_EQ(first_error_text(read_policy("version = 1\nx = 19_79-05-27 7\n", "d")),
              "2:5: a date followed by a one-digit time (a time is HH:MM:SS)");
    EXPECT_EQ(first_error_text(read_policy("version = 1\nx = 1979-05-27 7\v", "d")), "2:5: a date followed by a one-digit time (a time is HH:MM:SS)");
    EXPECT_EQ(first_error_text(read_policy("version = 1\nx = 1979-05-27 07:32:00\n", "d")), "2:1: unknown key \"x\" at the top level");
    // A date, 'T', no digit: toml++ asks for the time's first digit (found by fuzzing).
    EXPECT_EQ(first_error_text(read_policy("version = 1\nx = 0989-05-27t: 4:9:\n", "d")),
              "2:5: a date followed by 'T' and no time (a time is HH:MM:SS)");
    EXPECT_EQ(first_error_text(read_policy("version = 1\nx = [1979-05-27T,]\n", "d")),
              "2:6: a date followed by 'T' and no time (a time is HH:MM:SS)");
    EXPECT_EQ(first_error_text(read_policy("version = 1\nx = 1979-05-27T\n", "d")), "2:5: a date followed by 'T' and no time (a time is HH:MM:SS)");
    EXPECT_EQ(first_error_text(read_policy("version = 1\nx = 1979-05-27T07:32:00Z\n", "d")), "2:1: unknown key \"x\" at the top level");
    // An earlier error toml++ finds in the text before the problem comes first, like any first error.
    EXPECT_EQ(first_error_text(read_policy("version = 1\n[defaults\nidl\u00e9 = 1\n", "e")),
              "2:10: Error while parsing table header: expected ']', saw '\\n'");
    const Policy p = must_read("version = 1 # caf\u00e9 \u2603\n[[rule]]\nname = \"caf\u00e9 \u3001\"\nprocess = ['\u00e9t\u00e9']\n");
    ASSERT_EQ(p.rules.size(), 1u);
    EXPECT_EQ(p.rules[0].name, "caf\u00e9 \u3001");
}

TEST(ClosestMatch, SuggestsLikelyTypos) {
    constexpr std::string_view keys[] = {"keepalive", "idle", "interval", "count", "user_timeout", "enforce"};
    EXPECT_EQ(closest_match("intervall", keys), "interval");
    EXPECT_EQ(closest_match("idel", keys), "idle");
    EXPECT_EQ(closest_match("keepalives", keys), "keepalive");
    EXPECT_EQ(closest_match("usertimeout", keys), "user_timeout");
    EXPECT_EQ(closest_match("cnt", keys), "count");
    EXPECT_EQ(closest_match("zebra", keys), "");
    EXPECT_EQ(closest_match("timeout", keys), "");  // too far from user_timeout to be a typo
}

}  // namespace
}  // namespace tcpkeep
