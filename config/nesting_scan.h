// A scan of policy text for nesting deeper than any policy needs, before toml++ sees it.
//
// toml++ recurses once per level of nesting (while parsing, and again over the finished tree), and
// dotted keys nest without its own limit: "x.a.a.a... = 1" in a 4 MB file overflowed the stack of the
// tool and of any program running the shim. A policy needs 4 levels ([[rule]], its table, a key, an
// array); text nesting deeper than max_nesting is refused.
#pragma once
#include <optional>
#include <string_view>

#include "config/policy.h"

namespace tcpkeep {

inline constexpr int max_nesting = 16;

// Where the text first nests deeper than max_nesting, if it does.
std::optional<SourcePos> too_deeply_nested(std::string_view text);

}  // namespace tcpkeep
