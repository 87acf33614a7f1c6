// Which rules' peer blocks contain an address, in time that does not grow with the number of
// rules: one hash probe per distinct (family, prefix length) in use (a policy with /8, /16 and /24
// blocks probes three times, whether it has 3 rules or 30,000). No allocation when looking up.
//
// Sized for the cache: one table per prefix length, whose slots hold only the key's significant
// 32-bit words and a 32-bit reference (a /24 slot is 8 bytes, a /48 slot 12), with any capacity
// (no rounding up to a power of two). Load <= 1/2: against 2/3, 70 KiB more for the benchmark's
// 10,000 rules, and probes short enough that a process talking to a few peers decides as fast
// with 10,000 rules as with one (the branch on the probe length stays predictable).
#pragma once
#include <array>
#include <cstdint>
#include <cstring>
#include <vector>

#include "config/net_address.h"

namespace tcpkeep {

class PeerIndex {
public:
    // Build: rule ids are the caller's priorities (lower = earlier in the file), below 2^31 - 1.
    void add(const Cidr& block, std::uint32_t rule);
    void finish();

    [[nodiscard]] bool empty() const noexcept { return slots_.empty(); }
    [[nodiscard]] std::size_t footprint_bytes() const noexcept;  // heap bytes held

    // Calls visit(rules, count) for each block containing `a`; each list is in ascending rule order.
    template <typename Visit>
    void for_each_block(const PeerAddress& a, Visit visit) const noexcept {
        const int f = a.family == Family::v4 ? 0 : 1;
        if (tables_[f].empty()) return;
        const Words address = words_of(a);
        for (const Table& t : tables_[f]) {
            const std::uint32_t* ref = find(t, address);
            if (ref == nullptr) continue;
            if ((*ref & list_tag) == 0) {
                visit(ref, 1);  // the block's only rule, in the slot itself
            } else {
                const std::uint32_t* list = lists_.data() + (*ref & ~list_tag);
                visit(list + 1, *list);
            }
        }
    }

private:
    using Words = std::array<std::uint32_t, 4>;  // an address as big-endian 32-bit words (v4: the first)

    // A reference: the block's rule, or (list_tag set) where its rules start in lists_.
    static constexpr std::uint32_t list_tag = 0x8000'0000u;
    static constexpr std::uint32_t empty_slot = 0xffff'ffffu;

    struct Table {  // the blocks of one family and prefix length
        std::uint32_t first_word = 0;  // where its slots start in slots_
        std::uint32_t capacity = 0;    // slots
        std::uint32_t key_words = 0;   // significant words of a key: the prefix length rounded up to 32 bits
        std::uint32_t last_mask = 0;   // the bits of the last key word inside the prefix
        std::uint8_t bits = 0;         // the prefix length
    };
    struct Pending {  // one (block, rule) pair while building
        std::uint8_t family;
        std::uint8_t bits;
        Words key;
        std::uint32_t rule;
    };

    std::vector<Pending> pending_;
    std::vector<Table> tables_[2];     // by family
    std::vector<std::uint32_t> slots_;  // every table's slots, each key_words words of key then the reference
    std::vector<std::uint32_t> lists_;  // blocks with several rules: count, then the rules in ascending order

    // Word by word, in registers (byte-swapping in place in memory and then reading two words as
    // one 64-bit value stalls store forwarding).
    static Words words_of(const PeerAddress& a) noexcept {
        auto word = [&](std::size_t i) {
            std::uint32_t x = 0;
            std::memcpy(&x, a.bytes.data() + 4 * i, sizeof x);
            return __builtin_bswap32(x);  // network order: the first byte is the most significant
        };
        if (a.family == Family::v4) return {word(0), 0, 0, 0};
        return {word(0), word(1), word(2), word(3)};
    }

    // Multiplicative hashing of the key words; the slot is the hash's high bits scaled to the
    // capacity ("fastrange"), so any capacity works.
    template <std::uint32_t KeyWords>
    static std::uint32_t home(const std::uint32_t* key, std::uint32_t capacity) noexcept {
        std::uint64_t h = 0;
        for (std::uint32_t i = 0; i < KeyWords; ++i) h = (h ^ key[i]) * 0x9e3779b97f4a7c15ull;
        __extension__ using u128 = unsigned __int128;
        return static_cast<std::uint32_t>((static_cast<u128>(h) * capacity) >> 64);
    }

    // The reference of the slot holding `key`, or null. KeyWords is a constant, so the key stays in
    // registers and the compare is unrolled.
    template <std::uint32_t KeyWords>
    [[nodiscard]] const std::uint32_t* probe(const Table& t, Words key) const noexcept {
        if constexpr (KeyWords > 0) key[KeyWords - 1] &= t.last_mask;
        const std::uint32_t* base = slots_.data() + t.first_word;
        for (std::uint32_t i = home<KeyWords>(key.data(), t.capacity);; i = i + 1 == t.capacity ? 0 : i + 1) {
            const std::uint32_t* slot = base + std::size_t{i} * (KeyWords + 1);
            if (slot[KeyWords] == empty_slot) return nullptr;
            bool same = true;
            for (std::uint32_t k = 0; k < KeyWords; ++k) same &= slot[k] == key[k];
            if (same) return slot + KeyWords;
        }
    }

    static std::uint32_t home_of(const Table& t, const std::uint32_t* key) noexcept;  // home<t.key_words>, for building

    [[nodiscard]] const std::uint32_t* find(const Table& t, const Words& address) const noexcept {
        switch (t.key_words) {
            case 0: return probe<0>(t, address);
            case 1: return probe<1>(t, address);
            case 2: return probe<2>(t, address);
            case 3: return probe<3>(t, address);
            default: return probe<4>(t, address);
        }
    }
};

}  // namespace tcpkeep
