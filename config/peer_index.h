// Which rules' peer blocks contain an address, in time that does not grow with the number of
// rules: one slot read per distinct (family, prefix length) in use (a policy with /8, /16 and /24
// blocks reads three slots, whether it has 3 rules or 30,000). No allocation when looking up.
//
// The blocks are known when the policy is compiled, so each table is a perfect hash ("hash and
// displace"): a key's hash gives a bucket and a base slot, the bucket's one-byte displacement (chosen
// at build time) moves its keys to slots no other key uses, and a lookup reads exactly one slot. No
// probe sequence, so no branch whose outcome depends on collisions: with linear probing a
// 10,000-rule policy decided ~8 % slower than a 1-rule one even with its tables in cache. The base
// slot is computed while the displacement loads: the chain is one small load and an add longer.
// Slots hold only the key's significant 32-bit words and a 32-bit reference (a /24 slot is 8 bytes,
// a /48 slot 12), at a load of ~4/5.
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

    struct Table {                      // the blocks of one family and prefix length
        std::uint32_t first_word = 0;   // where its slots start in slots_
        std::uint32_t capacity = 0;     // slots
        std::uint32_t first_shift = 0;  // where its displacements start in shifts_
        std::uint32_t seed = 0;         // of the key hash (the next one when the keys do not fit)
        std::uint32_t key_words = 0;    // significant words of a key: the prefix length rounded up to 32 bits
        std::uint32_t last_mask = 0;    // the bits of the last key word inside the prefix
        std::uint8_t bucket_bits = 1;   // 2^bucket_bits buckets, by the hash's top bits
        std::uint8_t bits = 0;          // the prefix length
    };
    struct Pending {  // one (block, rule) pair while building
        std::uint8_t family;
        std::uint8_t bits;
        Words key;
        std::uint32_t rule;
    };
    struct Block {  // one distinct block while building: its key and its reference
        Words key;
        std::uint32_t ref;
    };

    std::vector<Pending> pending_;
    std::vector<Table> tables_[2];      // by family
    std::vector<std::uint32_t> slots_;  // every table's slots, each key_words words of key then the reference
    std::vector<std::uint8_t> shifts_;  // every table's displacements, one per bucket
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

    static constexpr std::uint64_t golden = 0x9e3779b97f4a7c15ull;

    // Multiplicative hashing of the key, 64 bits at a time (a bijection for keys of up to two words).
    template <std::uint32_t KeyWords>
    static std::uint64_t hash(const std::uint32_t* key, std::uint32_t seed) noexcept {
        std::uint64_t h = seed;
        for (std::uint32_t i = 0; i < KeyWords; i += 2) {
            const std::uint64_t x = i + 1 < KeyWords ? std::uint64_t{key[i]} << 32 | key[i + 1] : key[i];
            h = (h ^ x) * golden;
        }
        return h;
    }
    // The bucket: the hash's top bits. The base slot: the bits below them scaled to the capacity
    // (any capacity works, no rounding up to a power of two). Displacements are below 256, and the
    // table has that many slots more than its capacity, so a slot never wraps around.
    static std::uint32_t bucket_of(const Table& t, std::uint64_t h) noexcept { return static_cast<std::uint32_t>(h >> (64 - t.bucket_bits)); }
    static std::uint32_t base_of(const Table& t, std::uint64_t h) noexcept {
        __extension__ using u128 = unsigned __int128;
        return static_cast<std::uint32_t>((static_cast<u128>(h << t.bucket_bits) * t.capacity) >> 64);
    }

    // The reference of the slot holding `key`, or null. KeyWords is a constant, so the key stays in
    // registers and the compare is unrolled.
    template <std::uint32_t KeyWords>
    [[nodiscard]] const std::uint32_t* lookup(const Table& t, Words key) const noexcept {
        if constexpr (KeyWords > 0) key[KeyWords - 1] &= t.last_mask;
        const std::uint64_t h = hash<KeyWords>(key.data(), t.seed);
        const std::uint32_t i = base_of(t, h) + shifts_[t.first_shift + bucket_of(t, h)];
        const std::uint32_t* slot = slots_.data() + t.first_word + std::size_t{i} * (KeyWords + 1);
        bool same = slot[KeyWords] != empty_slot;
        for (std::uint32_t k = 0; k < KeyWords; ++k) same &= slot[k] == key[k];
        return same ? slot + KeyWords : nullptr;
    }

    [[nodiscard]] const std::uint32_t* find(const Table& t, const Words& address) const noexcept {
        switch (t.key_words) {
            case 0: return lookup<0>(t, address);
            case 1: return lookup<1>(t, address);
            case 2: return lookup<2>(t, address);
            case 3: return lookup<3>(t, address);
            default: return lookup<4>(t, address);
        }
    }

    static std::uint64_t hash_of(const Table& t, const Words& key) noexcept;  // hash<t.key_words>, for building
    void build(Table& t, const std::vector<Block>& blocks);
    // Displacements and slots for keys with these hashes in t; false if some bucket fits nowhere.
    static bool place(const Table& t, const std::vector<std::uint64_t>& hashes, std::vector<std::uint8_t>& shifts, std::vector<std::uint32_t>& slot);
};

}  // namespace tcpkeep
