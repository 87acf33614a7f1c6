// A scan of policy text before toml++ sees it, for what toml++ (3.3.0, Debian 12) must not be given:
//  - nesting deeper than any policy needs. toml++ recurses once per level (while parsing, and again
//    over the finished tree), and dotted keys nest without its own limit: "x.a.a.a... = 1" in a
//    4 MB file overflowed the stack of the tool and of any program running the shim. A policy needs
//    4 levels ([[rule]], its table, a key, an array); more than max_nesting is refused.
//  - a non-ASCII character outside strings and comments, never valid TOML there: toml++ asks whether
//    it is whitespace, and for most of U+00A1..U+0499, U+2C00..U+33F9 and U+FAC0..U+FEFE reaches
//    __builtin_unreachable() doing so (found by tests/fuzz): undefined behaviour.
//  - a table header whose name starts with a character no key can start with ("[$a]", "[[[a]]]"):
//    toml++ calls parse_key() against its precondition, an assert (abort) in debug builds and
//    __builtin_assume in clang release builds (found by tests/fuzz; marzer/tomlplusplus#301).
//  - '}' where an array's next element would start ("[}", "[1, }"): parse_value()'s precondition,
//    the same assert (found by tests/fuzz); a date followed by a one-digit time ("1979-05-27 7"),
//    which makes parse_value() scan from a terminator, the same precondition; and a date followed
//    by 'T' and no digit ("1979-05-27t:"), where parse_time() expects one, the same again.
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "config/source_pos.h"

namespace tcpkeep {

inline constexpr int max_nesting = 16;

struct ScanProblem {
    SourcePos pos;
    std::size_t offset = 0;  // of pos in the text: what comes before can be given to toml++
    std::string message;
};

// The first of those problems in the text, if any.
std::optional<ScanProblem> scan_before_toml(std::string_view text);

}  // namespace tcpkeep
