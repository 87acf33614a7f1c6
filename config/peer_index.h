// Which rules' peer blocks contain an address, in time that does not grow with the number of
// rules: one hash probe per distinct prefix length in use (a policy with /8, /16 and /24 blocks
// probes three times, whether it has 3 rules or 30,000). No allocation when looking up.
#pragma once
#include <cstdint>
#include <map>
#include <tuple>
#include <vector>

#include "config/net_address.h"

namespace tcpkeep {

class PeerIndex {
public:
    // Build: rule ids are the caller's priorities (lower = earlier in the file).
    void add(const Cidr& block, std::uint32_t rule);
    void finish();

    [[nodiscard]] bool empty() const noexcept { return slots_.empty(); }

    // Calls visit(rules, count) for each block containing `a`; each list is in ascending rule order.
    template <typename Visit>
    void for_each_block(const PeerAddress& a, Visit visit) const noexcept {
        if (slots_.empty()) return;
        const AddressKey key = address_key(a);
        for (const Length& l : lengths_[a.family == Family::v4 ? 0 : 1]) {
            const Slot* s = find(a.family, key & l.mask, l.bits);
            if (s != nullptr) visit(rules_.data() + s->first, s->count);
        }
    }

private:
    struct Slot {
        AddressKey key = 0;
        std::uint8_t bits = 0;
        std::uint8_t family = 0xff;  // 0xff: empty slot
        std::uint32_t first = 0;
        std::uint32_t count = 0;
    };
    struct Length {
        std::uint8_t bits;
        AddressKey mask;
    };
    std::map<std::tuple<int, int, AddressKey>, std::vector<std::uint32_t>> building_;
    std::vector<Length> lengths_[2];
    std::vector<Slot> slots_;  // open addressing, power-of-two size
    std::vector<std::uint32_t> rules_;

    [[nodiscard]] const Slot* find(Family family, AddressKey key, std::uint8_t bits) const noexcept;
    [[nodiscard]] std::size_t home(AddressKey key, std::uint8_t bits) const noexcept;
};

}  // namespace tcpkeep
