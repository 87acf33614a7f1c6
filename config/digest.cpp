#include "config/digest.h"

#include <charconv>
#include <cstdio>
#include <cstring>

namespace tcpkeep {
namespace {

// A 64-bit finaliser that spreads every input bit over the whole word (xor-shift, multiply).
std::uint64_t mix(std::uint64_t h) noexcept {
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    return h ^ (h >> 32);
}

// Two independent lanes, so the multiplies of consecutive words overlap.
struct Lanes {
    std::uint64_t a = 0x9e3779b97f4a7c15ull;
    std::uint64_t b = 0xc2b2ae3d27d4eb4full;

    void take(const char* sixteen) noexcept {
        std::uint64_t x = 0;
        std::uint64_t y = 0;
        std::memcpy(&x, sixteen, 8);
        std::memcpy(&y, sixteen + 8, 8);
        a = (a ^ x) * 0xff51afd7ed558ccdull;
        b = (b ^ y) * 0xc4ceb9fe1a85ec53ull;
        a ^= a >> 29;
        b ^= b >> 31;
    }
};

}  // namespace

std::uint64_t digest64(std::string_view bytes) noexcept {
    Lanes lanes;
    const char* p = bytes.data();
    std::size_t left = bytes.size();
    for (; left >= 16; p += 16, left -= 16) lanes.take(p);
    char tail[16] = {};  // the last 0-15 bytes, zero-padded: the length below tells the padding apart
    std::memcpy(tail, p, left);
    lanes.take(tail);
    return mix(lanes.a ^ mix(lanes.b ^ bytes.size()));
}

std::string digest_hex(std::uint64_t digest) {
    char text[17];
    std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(digest));
    return text;
}

std::optional<std::uint64_t> parse_digest_hex(std::string_view text) {
    if (text.size() != 16 || text.find_first_not_of("0123456789abcdef") != std::string_view::npos) return std::nullopt;
    std::uint64_t digest = 0;
    std::from_chars(text.data(), text.data() + text.size(), digest, 16);
    return digest;
}

}  // namespace tcpkeep
