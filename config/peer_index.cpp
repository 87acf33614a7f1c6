#include "config/peer_index.h"

#include <algorithm>
#include <bit>
#include <tuple>

namespace tcpkeep {
namespace {

int width(Family f) { return f == Family::v4 ? 32 : 128; }

int host_bits(const Cidr& c) {
    const AddressKey span = c.last - c.first;  // 2^host_bits - 1
    return std::popcount(static_cast<std::uint64_t>(span)) + std::popcount(static_cast<std::uint64_t>(span >> 64));
}

// Calls f(first, count) for each run of pending entries naming the same block (sorted input).
template <typename Pending, typename F>
void each_block(const std::vector<Pending>& pending, F f) {
    auto same_block = [](const Pending& a, const Pending& b) { return a.family == b.family && a.bits == b.bits && a.key == b.key; };
    for (std::size_t i = 0, j = 0; i < pending.size(); i = j) {
        for (j = i + 1; j < pending.size() && same_block(pending[i], pending[j]); ++j) {}
        f(&pending[i], j - i);
    }
}

}  // namespace

void PeerIndex::add(const Cidr& block, std::uint32_t rule) {
    Pending p{static_cast<std::uint8_t>(block.family), static_cast<std::uint8_t>(width(block.family) - host_bits(block)), {}, rule};
    if (block.family == Family::v4) {
        p.key[0] = static_cast<std::uint32_t>(block.first);
    } else {
        for (int i = 0; i < 4; ++i) p.key[static_cast<std::size_t>(i)] = static_cast<std::uint32_t>(block.first >> (96 - 32 * i));
    }
    pending_.push_back(p);
}

void PeerIndex::finish() {
    auto order = [](const Pending& p) { return std::tie(p.family, p.bits, p.key, p.rule); };
    std::sort(pending_.begin(), pending_.end(), [&](const Pending& a, const Pending& b) { return order(a) < order(b); });
    pending_.erase(std::unique(pending_.begin(), pending_.end(), [&](const Pending& a, const Pending& b) { return order(a) == order(b); }),
                   pending_.end());

    // First pass: the tables and their block counts, so every array is allocated once, at its final size.
    std::size_t list_words = 0;
    each_block(pending_, [&](const Pending* block, std::size_t rules) {
        std::vector<Table>& tables = tables_[block->family];
        if (tables.empty() || tables.back().bits != block->bits) {
            const unsigned tail = block->bits % 32u;
            tables.push_back({0, 0, (block->bits + 31u) / 32u, tail == 0 ? ~0u : ~0u << (32u - tail), block->bits});
        }
        ++tables.back().capacity;
        if (rules > 1) list_words += 1 + rules;
    });
    std::size_t words = 0;
    for (std::vector<Table>& tables : tables_) {
        for (Table& t : tables) {
            t.capacity += t.capacity + 1;  // load < 1/2, and always an empty slot to end a probe
            t.first_word = static_cast<std::uint32_t>(words);
            words += std::size_t{t.capacity} * (t.key_words + 1);
        }
    }
    slots_.assign(words, empty_slot);
    lists_.reserve(list_words);

    std::size_t table[2] = {0, 0};
    each_block(pending_, [&](const Pending* block, std::size_t rules) {
        std::size_t& at = table[block->family];
        while (tables_[block->family][at].bits != block->bits) ++at;
        const Table& t = tables_[block->family][at];
        std::uint32_t ref = block->rule;
        if (rules > 1) {
            ref = list_tag | static_cast<std::uint32_t>(lists_.size());
            lists_.push_back(static_cast<std::uint32_t>(rules));
            for (std::size_t r = 0; r < rules; ++r) lists_.push_back(block[r].rule);
        }
        const std::size_t stride = t.key_words + 1;
        std::uint32_t i = home_of(t, block->key.data());
        while (slots_[t.first_word + i * stride + t.key_words] != empty_slot) i = i + 1 == t.capacity ? 0 : i + 1;
        std::uint32_t* slot = slots_.data() + t.first_word + i * stride;
        std::copy_n(block->key.begin(), t.key_words, slot);
        slot[t.key_words] = ref;
    });
    std::vector<Pending>().swap(pending_);  // not `= {}`: that keeps the capacity
}

std::size_t PeerIndex::footprint_bytes() const noexcept {
    return pending_.capacity() * sizeof(Pending) + (tables_[0].capacity() + tables_[1].capacity()) * sizeof(Table) +
           (slots_.capacity() + lists_.capacity()) * sizeof(std::uint32_t);
}

std::uint32_t PeerIndex::home_of(const Table& t, const std::uint32_t* key) noexcept {
    switch (t.key_words) {
        case 0: return home<0>(key, t.capacity);
        case 1: return home<1>(key, t.capacity);
        case 2: return home<2>(key, t.capacity);
        case 3: return home<3>(key, t.capacity);
        default: return home<4>(key, t.capacity);
    }
}

}  // namespace tcpkeep
