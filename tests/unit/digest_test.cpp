// The digest that keys a compiled policy to its text: every one-bit change of a text, and every
// change of length (zero bytes included, which the word-wise reading pads with), changes it.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "config/digest.h"

namespace tcpkeep::test {
namespace {

TEST(Digest, EveryOneBitChangeChangesIt) {
    const std::string text = "version = 1\n[defaults]\nidle = \"30s\"\n[[rule]]\nports = [5432]\n";  // 2 words + a tail
    const std::uint64_t original = digest64(text);
    for (std::size_t bit = 0; bit < text.size() * 8; ++bit) {
        std::string flipped = text;
        flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
        EXPECT_NE(digest64(flipped), original) << bit;
    }
}

TEST(Digest, LengthCountsEvenForZeroBytes) {
    std::set<std::uint64_t> seen;
    for (std::size_t n = 0; n <= 40; ++n) EXPECT_TRUE(seen.insert(digest64(std::string(n, '\0'))).second) << n;
}

TEST(Digest, SameBytesSameDigest) {
    const std::string a(100'000, 'x');
    EXPECT_EQ(digest64(a), digest64(std::string(a)));
    EXPECT_NE(digest64(a), digest64(a.substr(0, a.size() - 1) + "y"));
}

}  // namespace
}  // namespace tcpkeep::test
