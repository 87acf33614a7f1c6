#include "config/peer_index.h"

#include <algorithm>
#include <bit>

namespace tcpkeep {
namespace {

int width(Family f) { return f == Family::v4 ? 32 : 128; }

int host_bits(const Cidr& c) {
    const AddressKey span = c.last - c.first;  // 2^host_bits - 1
    return std::popcount(static_cast<std::uint64_t>(span)) + std::popcount(static_cast<std::uint64_t>(span >> 64));
}

AddressKey mask_for(Family f, int bits) {
    const AddressKey all = width(f) == 128 ? ~AddressKey{0} : ((AddressKey{1} << 32) - 1);
    const int host = width(f) - bits;
    return host == 128 ? 0 : all & ~((AddressKey{1} << host) - 1);
}

}  // namespace

void PeerIndex::add(const Cidr& block, std::uint32_t rule) {
    const int bits = width(block.family) - host_bits(block);
    building_[{static_cast<int>(block.family), bits, block.first}].push_back(rule);
}

void PeerIndex::finish() {
    std::size_t capacity = 16;
    while (capacity < building_.size() * 2) capacity *= 2;
    slots_.assign(building_.empty() ? 0 : capacity, Slot{});
    for (auto& [where, rules] : building_) {
        auto [family, bits, key] = where;
        std::sort(rules.begin(), rules.end());
        rules.erase(std::unique(rules.begin(), rules.end()), rules.end());
        Slot slot{key, static_cast<std::uint8_t>(bits), static_cast<std::uint8_t>(family), static_cast<std::uint32_t>(rules_.size()),
                  static_cast<std::uint32_t>(rules.size())};
        rules_.insert(rules_.end(), rules.begin(), rules.end());
        std::size_t i = home(key, slot.bits);
        while (slots_[i].family != 0xff) i = (i + 1) & (slots_.size() - 1);
        slots_[i] = slot;
        auto& lengths = lengths_[family];
        // An init-capture, not [&]: clang before 16 cannot capture a structured binding (the fuzz targets build with clang).
        if (std::none_of(lengths.begin(), lengths.end(), [b = bits](const Length& l) { return l.bits == b; }))
            lengths.push_back({static_cast<std::uint8_t>(bits), mask_for(static_cast<Family>(family), bits)});
    }
    building_.clear();
}

std::size_t PeerIndex::home(AddressKey key, std::uint8_t bits) const noexcept {
    std::uint64_t h = static_cast<std::uint64_t>(key) ^ (static_cast<std::uint64_t>(key >> 64) * 0x9e3779b97f4a7c15ull) ^ bits;
    h *= 0xff51afd7ed558ccdull;
    return static_cast<std::size_t>(h ^ (h >> 29)) & (slots_.size() - 1);
}

const PeerIndex::Slot* PeerIndex::find(Family family, AddressKey key, std::uint8_t bits) const noexcept {
    const auto f = static_cast<std::uint8_t>(family);
    for (std::size_t i = home(key, bits);; i = (i + 1) & (slots_.size() - 1)) {
        const Slot& s = slots_[i];
        if (s.family == 0xff) return nullptr;
        if (s.key == key && s.bits == bits && s.family == f) return &s;
    }
}

}  // namespace tcpkeep
