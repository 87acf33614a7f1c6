// Durations as users write them (systemd spans, a unit always required) and as tcpkeep prints them.
#include <gtest/gtest.h>
#include <cstdint>

#include "config/duration.h"

namespace tcpkeep {
namespace {

std::int64_t ms_of(std::string_view text) {
    const Result<std::int64_t> d = parse_duration(text);
    const std::string error = d ? "" : d.error().message;
    EXPECT_TRUE(d.ok()) << '"' << text << "\" failed: " << error;
    EXPECT_EQ(error, "") << text;
    return d.value_or(-1);
}

std::string error_of(std::string_view text) {
    const Result<std::int64_t> d = parse_duration(text);
    EXPECT_FALSE(d.ok()) << '"' << text << "\" parsed as " << d.value_or(0) << " ms";
    return d ? "" : d.error().message;
}

TEST(ParseDuration, EverySingleUnit) {
    EXPECT_EQ(ms_of("30s"), 30'000);
    EXPECT_EQ(ms_of("30sec"), 30'000);
    EXPECT_EQ(ms_of("250ms"), 250);
    EXPECT_EQ(ms_of("1m"), 60'000);
    EXPECT_EQ(ms_of("1min"), 60'000);
    EXPECT_EQ(ms_of("2h"), 7'200'000);
    EXPECT_EQ(ms_of("0s"), 0);
}

TEST(ParseDuration, SpansAreSummed) {
    EXPECT_EQ(ms_of("1min 30s"), 90'000);
    EXPECT_EQ(ms_of("1h 2min 3s 4ms"), 3'723'004);
    EXPECT_EQ(ms_of("1min30s"), 90'000);    // no space between components
    EXPECT_EQ(ms_of("1s 1s"), 2'000);       // repeated units add up, as in systemd
    EXPECT_EQ(ms_of("2m 500ms"), 120'500);  // "m" is minutes, never confused with "ms"
}

TEST(ParseDuration, SpacesAndTabsAnywhere) {
    EXPECT_EQ(ms_of("  30s  "), 30'000);
    EXPECT_EQ(ms_of("\t1min\t30s\t"), 90'000);
    EXPECT_EQ(ms_of("30 s"), 30'000);  // space between number and unit
    EXPECT_EQ(ms_of("1 h 2 min"), 3'720'000);
}

TEST(ParseDuration, BareNumberSuggestsSeconds) {
    EXPECT_EQ(error_of("30"), R"("30" has no unit; write "30s" (units: ms, s, min, h))");
    EXPECT_EQ(error_of("1min 30"), R"("30" has no unit; write "30s" (units: ms, s, min, h))");
}

TEST(ParseDuration, UnknownUnit) {
    EXPECT_EQ(error_of("30x"), R"(unknown unit "x" (units: ms, s, min, h))");
    EXPECT_EQ(error_of("5 hours"), R"(unknown unit "hours" (units: ms, s, min, h))");
    EXPECT_EQ(error_of("1min 5secs"), R"(unknown unit "secs" (units: ms, s, min, h))");
    EXPECT_EQ(error_of("30S"), R"(unknown unit "S" (units: ms, s, min, h))");  // units are case-sensitive
}

TEST(ParseDuration, EmptyAndMissingNumbers) {
    EXPECT_EQ(error_of(""), "empty duration");
    EXPECT_EQ(error_of(" \t "), "empty duration");
    EXPECT_EQ(error_of("s"), R"(expected a number at "s")");
    EXPECT_EQ(error_of("-1s"), R"(expected a number at "-1s")");
    EXPECT_EQ(error_of("1s,2s"), R"(unknown unit "s," (units: ms, s, min, h))");
    EXPECT_FALSE(parse_duration("1.5s").ok());  // no fractions
}

TEST(ParseDuration, LargestAcceptedValue) {
    EXPECT_EQ(ms_of("1125899906842624ms"), std::int64_t{1} << 50);  // the documented internal limit
    EXPECT_EQ(ms_of("2147483647ms"), 2'147'483'647);
}

TEST(ParseDuration, OverflowIsAnError) {
    EXPECT_EQ(error_of("1125899906842625ms"), "duration is too large");
    EXPECT_EQ(error_of("99999999999999999999ms"), "duration is too large");  // beyond int64
    EXPECT_EQ(error_of("1125899906843s"), "duration is too large");
    EXPECT_EQ(error_of("1125899906842624ms 1ms"), "duration is too large");  // the sum, not one part
}

// value x unit must not wrap around: these numbers are below the per-number limit but their
// product with the unit exceeds int64 and wraps to a small, plausible value (448 s and 8.384 s).
TEST(ParseDuration, OverflowInUnitMultiplicationIsAnError) {
    EXPECT_EQ(error_of("640511947003804h"), "duration is too large");
    EXPECT_EQ(error_of("307445734561826min"), "duration is too large");
    EXPECT_EQ(error_of("1125899906842624h"), "duration is too large");  // wraps negative
}

TEST(FormatDuration, ShortestExactSpelling) {
    EXPECT_EQ(format_duration(0), "0s");
    EXPECT_EQ(format_duration(1), "1ms");
    EXPECT_EQ(format_duration(1'500), "1s 500ms");
    EXPECT_EQ(format_duration(30'000), "30s");
    EXPECT_EQ(format_duration(60'000), "1min");
    EXPECT_EQ(format_duration(90'000), "1min 30s");
    EXPECT_EQ(format_duration(3'600'000), "1h");
    EXPECT_EQ(format_duration(3'723'004), "1h 2min 3s 4ms");
    EXPECT_EQ(format_duration(3'600'001), "1h 1ms");
    EXPECT_EQ(format_duration(2'147'483'647), "596h 31min 23s 647ms");
}

TEST(FormatDuration, RoundTripsThroughParse) {
    for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1}, std::int64_t{999}, std::int64_t{1'000}, std::int64_t{59'999}, std::int64_t{60'000},
                            std::int64_t{3'599'999}, std::int64_t{86'400'000}, std::int64_t{2'147'483'647}}) {
        EXPECT_EQ(parse_duration(format_duration(ms)).value_or(-1), ms) << format_duration(ms);
    }
}

TEST(FormatSeconds, UpToThreeDecimals) {
    EXPECT_EQ(format_seconds(0), "0s");
    EXPECT_EQ(format_seconds(5), "0.005s");
    EXPECT_EQ(format_seconds(50), "0.05s");
    EXPECT_EQ(format_seconds(4'080), "4.08s");
    EXPECT_EQ(format_seconds(924'600), "924.6s");
    EXPECT_EQ(format_seconds(120'000), "120s");
    EXPECT_EQ(format_seconds(1'234'567), "1234.567s");
}

}  // namespace
}  // namespace tcpkeep
