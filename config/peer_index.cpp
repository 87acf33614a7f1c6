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
        for (j = i + 1; j < pending.size() && same_block(pending[i], pending[j]); ++j) {
        }
        f(&pending[i], j - i);
    }
}

// Displacements a table of this capacity may use: below 256 (one byte), and below the capacity so a
// small table is not mostly padding.
std::uint32_t window(std::uint32_t capacity) { return std::min<std::uint32_t>(256, capacity); }

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

    // The distinct blocks of each (family, prefix length), in order; each table built when complete.
    std::vector<Block> blocks;
    Table* table = nullptr;
    each_block(pending_, [&](const Pending* block, std::size_t rules) {
        std::vector<Table>& tables = tables_[block->family];
        if (tables.empty() || tables.back().bits != block->bits) {
            if (table != nullptr) build(*table, blocks);
            blocks.clear();
            const unsigned tail = block->bits % 32u;
            tables.push_back({});
            table = &tables.back();
            table->key_words = (block->bits + 31u) / 32u;
            table->last_mask = tail == 0 ? ~0u : ~0u << (32u - tail);
            table->bits = block->bits;
        }
        std::uint32_t ref = block->rule;
        if (rules > 1) {
            ref = list_tag | static_cast<std::uint32_t>(lists_.size());
            lists_.push_back(static_cast<std::uint32_t>(rules));
            for (std::size_t r = 0; r < rules; ++r) lists_.push_back(block[r].rule);
        }
        blocks.push_back({block->key, ref});
    });
    if (table != nullptr) build(*table, blocks);
    slots_.shrink_to_fit();
    shifts_.shrink_to_fit();
    lists_.shrink_to_fit();
    std::vector<Pending>().swap(pending_);  // not `= {}`: that keeps the capacity
}

// Builds one table (largest buckets first, each taking the first displacement that sends all its
// keys to free slots) and appends its slots and displacements.
void PeerIndex::build(Table& t, const std::vector<Block>& blocks) {
    const auto n = static_cast<std::uint32_t>(blocks.size());
    t.bucket_bits = static_cast<std::uint8_t>(std::max(1, static_cast<int>(std::bit_width(n / 3))));  // ~3 keys per bucket
    t.capacity = n + n / 4 + 1;                                                                       // load ~4/5
    std::vector<std::uint64_t> hashes(n);
    std::vector<std::uint8_t> shifts(std::size_t{1} << t.bucket_bits);
    std::vector<std::uint32_t> slot(n);
    // Rarely a bucket fits nowhere (or, for keys longer than 64 bits, two hashes are equal): then
    // another seed and a little more room.
    for (;; ++t.seed, t.capacity += t.capacity / 16 + 1) {
        for (std::uint32_t i = 0; i < n; ++i) hashes[i] = hash_of(t, blocks[i].key);
        if (place(t, hashes, shifts, slot)) break;
    }

    t.first_shift = static_cast<std::uint32_t>(shifts_.size());
    shifts_.insert(shifts_.end(), shifts.begin(), shifts.end());
    t.first_word = static_cast<std::uint32_t>(slots_.size());
    const std::size_t stride = t.key_words + 1;
    slots_.resize(slots_.size() + std::size_t{t.capacity + window(t.capacity) - 1} * stride, empty_slot);
    for (std::uint32_t i = 0; i < n; ++i) {
        std::uint32_t* s = slots_.data() + t.first_word + slot[i] * stride;
        std::copy_n(blocks[i].key.begin(), t.key_words, s);
        s[t.key_words] = blocks[i].ref;
    }
}

bool PeerIndex::place(const Table& t, const std::vector<std::uint64_t>& hashes, std::vector<std::uint8_t>& shifts, std::vector<std::uint32_t>& slot) {
    const auto n = static_cast<std::uint32_t>(hashes.size());
    const auto buckets = static_cast<std::uint32_t>(shifts.size());
    // Keys grouped by bucket (counting sort), then buckets from the largest down.
    std::vector<std::uint32_t> start(buckets + 1, 0);
    for (std::uint64_t h : hashes) ++start[bucket_of(t, h) + 1];
    for (std::uint32_t b = 0; b < buckets; ++b) start[b + 1] += start[b];
    std::vector<std::uint32_t> members(n);
    std::vector<std::uint32_t> next(start.begin(), start.end() - 1);
    for (std::uint32_t i = 0; i < n; ++i) members[next[bucket_of(t, hashes[i])]++] = i;
    std::vector<std::uint32_t> order(buckets);
    for (std::uint32_t b = 0; b < buckets; ++b) order[b] = b;
    auto size = [&](std::uint32_t b) { return start[b + 1] - start[b]; };
    std::stable_sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) { return size(a) > size(b); });

    std::fill(shifts.begin(), shifts.end(), 0);
    std::vector<bool> taken(t.capacity + window(t.capacity) - 1, false);
    for (std::uint32_t b : order) {
        const std::uint32_t* keys = members.data() + start[b];
        const std::uint32_t count = size(b);
        if (count == 0) break;  // sorted by size: the rest are empty too
        for (std::uint32_t j = 0; j < count; ++j) slot[keys[j]] = base_of(t, hashes[keys[j]]);
        auto fits = [&](std::uint32_t d) {
            for (std::uint32_t j = 0; j < count; ++j) {
                const std::uint32_t s = slot[keys[j]] + d;
                if (taken[s]) return false;
                for (std::uint32_t k = 0; k < j; ++k)
                    if (slot[keys[k]] + d == s) return false;  // two keys of the bucket on one base
            }
            return true;
        };
        std::uint32_t d = 0;
        while (d < window(t.capacity) && !fits(d)) ++d;
        if (d == window(t.capacity)) return false;
        shifts[b] = static_cast<std::uint8_t>(d);
        for (std::uint32_t j = 0; j < count; ++j) taken[slot[keys[j]] += d] = true;
    }
    return true;
}

std::size_t PeerIndex::footprint_bytes() const noexcept {
    return pending_.capacity() * sizeof(Pending) + (tables_[0].capacity() + tables_[1].capacity()) * sizeof(Table) +
           (slots_.capacity() + lists_.capacity()) * sizeof(std::uint32_t) + shifts_.capacity();
}

std::uint64_t PeerIndex::hash_of(const Table& t, const Words& key) noexcept {
    switch (t.key_words) {
        case 0: return hash<0>(key.data(), t.seed);
        case 1: return hash<1>(key.data(), t.seed);
        case 2: return hash<2>(key.data(), t.seed);
        case 3: return hash<3>(key.data(), t.seed);
        default: return hash<4>(key.data(), t.seed);
    }
}

}  // namespace tcpkeep
