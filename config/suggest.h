// "did you mean" for misspelled keys.
#pragma once
#include <span>
#include <string_view>

namespace tcpkeep {

// The candidate closest to `word` by edit distance, if close enough to be a likely typo; else empty.
std::string_view closest_match(std::string_view word, std::span<const std::string_view> candidates);

}  // namespace tcpkeep
