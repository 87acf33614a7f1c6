// A 64-bit digest of bytes, eight at a time: what keys a compiled policy to the exact text it was
// made from, and what seals the compiled form against damage. Not cryptographic: it detects
// accidental change (an edited, truncated or corrupted file), not a forger, who could as well
// write the compiled file itself.
#pragma once
#include <cstdint>
#include <string_view>

namespace tcpkeep {

std::uint64_t digest64(std::string_view bytes) noexcept;

}  // namespace tcpkeep
