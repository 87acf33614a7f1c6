#include "config/duration.h"

#include <fmt/format.h>
#include <array>
#include <charconv>

namespace tcpkeep {
namespace {

struct Unit {
    std::string_view name;
    std::int64_t ms;
};
// Longest names first so "min" is not read as "m" followed by garbage.
constexpr std::array units{Unit{"min", 60'000}, Unit{"sec", 1'000}, Unit{"ms", 1}, Unit{"h", 3'600'000}, Unit{"m", 60'000}, Unit{"s", 1'000}};
constexpr std::int64_t limit_ms = std::int64_t{1} << 50;  // far above any option; stops overflow

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t'; }

}  // namespace

Result<std::int64_t> parse_duration(std::string_view text) {
    std::int64_t total = 0;
    std::size_t i = 0;
    bool any = false;
    while (true) {
        while (i < text.size() && is_space(text[i])) ++i;
        if (i == text.size()) break;
        std::size_t start = i;
        while (i < text.size() && is_digit(text[i])) ++i;
        if (start == i) return Error{fmt::format("expected a number at \"{}\"", text.substr(start))};
        std::int64_t value = 0;
        auto [ptr, ec] = std::from_chars(text.data() + start, text.data() + i, value);
        if (ec != std::errc{} || value > limit_ms) return Error{"duration is too large"};
        while (i < text.size() && is_space(text[i])) ++i;
        std::size_t unit_start = i;
        while (i < text.size() && !is_space(text[i]) && !is_digit(text[i])) ++i;
        std::string_view unit = text.substr(unit_start, i - unit_start);
        if (unit.empty())
            return Error{fmt::format("\"{}\" has no unit; write \"{}s\" (units: ms, s, min, h)", text.substr(start, unit_start - start), value)};
        const Unit* found = nullptr;
        for (const Unit& u : units)
            if (u.name == unit) found = &u;
        if (found == nullptr) return Error{fmt::format("unknown unit \"{}\" (units: ms, s, min, h)", unit)};
        // Before multiplying: the product could overflow.
        if (value > limit_ms / found->ms) return Error{"duration is too large"};
        total += value * found->ms;
        if (total > limit_ms) return Error{"duration is too large"};
        any = true;
    }
    if (!any) return Error{"empty duration"};
    return total;
}

std::string format_duration(std::int64_t ms) {
    if (ms == 0) return "0s";
    std::string out;
    for (Unit u : {Unit{"h", 3'600'000}, Unit{"min", 60'000}, Unit{"s", 1'000}, Unit{"ms", 1}}) {
        if (ms >= u.ms) {
            if (!out.empty()) out += ' ';
            out += fmt::format("{}{}", ms / u.ms, u.name);
            ms %= u.ms;
        }
    }
    return out;
}

std::string format_seconds(std::int64_t ms) {
    std::string out = fmt::format("{}.{:03}", ms / 1000, ms % 1000);
    while (out.back() == '0') out.pop_back();
    if (out.back() == '.') out.pop_back();
    return out + "s";
}

}  // namespace tcpkeep
