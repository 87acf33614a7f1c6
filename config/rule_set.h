// A set of rule indices that answers "which is the first (lowest)?" in a few word reads: one bit
// per rule, and one summary bit per 64-rule word, so the first rule is two count-trailing-zeros
// away. The compiler's port sweep keeps the rules covering the current port here: a std::set
// allocated a node per insertion, 40,000 of them for a 10,000-rule policy.
#pragma once
#include <bit>
#include <cstdint>
#include <vector>

namespace tcpkeep {

class RuleSet {
public:
    static constexpr std::uint32_t none = UINT32_MAX;

    explicit RuleSet(std::size_t rules) : words_((rules + 63) / 64), summary_((words_.size() + 63) / 64) {}

    void insert(std::uint32_t rule) {
        words_[rule / 64] |= std::uint64_t{1} << (rule % 64);
        summary_[rule / 4096] |= std::uint64_t{1} << (rule / 64 % 64);
    }
    void erase(std::uint32_t rule) {
        std::uint64_t& word = words_[rule / 64];
        word &= ~(std::uint64_t{1} << (rule % 64));
        if (word == 0) summary_[rule / 4096] &= ~(std::uint64_t{1} << (rule / 64 % 64));
    }
    // The lowest rule in the set, or none.
    [[nodiscard]] std::uint32_t first() const {
        for (std::size_t s = 0; s < summary_.size(); ++s) {
            if (summary_[s] == 0) continue;
            const std::size_t w = s * 64 + static_cast<std::size_t>(std::countr_zero(summary_[s]));
            return static_cast<std::uint32_t>(w * 64 + static_cast<std::size_t>(std::countr_zero(words_[w])));
        }
        return none;
    }

private:
    std::vector<std::uint64_t> words_;    // bit r % 64 of word r / 64: rule r is in the set
    std::vector<std::uint64_t> summary_;  // bit w % 64 of summary w / 64: word w is not zero
};

}  // namespace tcpkeep
