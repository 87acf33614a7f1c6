// A 64-bit digest of bytes, eight at a time: what keys a compiled policy to the exact text it was
// made from, and what seals the compiled form against damage. Not cryptographic: it detects
// accidental change (an edited, truncated or corrupted file), not a forger, who could as well
// write the compiled file itself.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tcpkeep {

std::uint64_t digest64(std::string_view bytes) noexcept;

// The digest as people and an attachment's record see it: 16 lowercase hex digits.
std::string digest_hex(std::uint64_t digest);

// The digest in `text` when it is exactly that form; nullopt otherwise.
std::optional<std::uint64_t> parse_digest_hex(std::string_view text);

}  // namespace tcpkeep
