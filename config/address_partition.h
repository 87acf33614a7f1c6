// For one set of candidate rules: the address space cut into segments, each with the verdict of
// the first rule whose peers contain it. CIDR blocks nest or are disjoint, so one sorted sweep
// with a stack builds it; lookups are a binary search.
#pragma once
#include <algorithm>
#include <cstdint>
#include <limits>
#include <vector>

namespace tcpkeep {

template <typename Key>
struct PeerBlock {
    Key first;
    Key last;
    std::uint32_t priority;  // lower wins (position among the candidates)
    std::uint32_t verdict;
};

template <typename Key>
struct Segments {
    std::vector<Key> starts;              // ascending; starts[0] == 0
    std::vector<std::uint32_t> verdicts;  // verdict for [starts[i], starts[i+1])

    void emit(Key start, std::uint32_t verdict) {
        if (!starts.empty() && starts.back() == start) {
            verdicts.back() = verdict;
        } else {
            starts.push_back(start);
            verdicts.push_back(verdict);
        }
        if (verdicts.size() >= 2 && verdicts[verdicts.size() - 2] == verdict) {  // merge equal neighbours
            starts.pop_back();
            verdicts.pop_back();
        }
    }
};

template <typename Key>
Segments<Key> partition_addresses(std::vector<PeerBlock<Key>> blocks, std::uint32_t fallback) {
    std::sort(blocks.begin(), blocks.end(), [](const PeerBlock<Key>& a, const PeerBlock<Key>& b) {
        return a.first != b.first ? a.first < b.first : a.last > b.last;  // outer block first
    });
    struct Open {
        Key last;
        std::uint32_t best_priority;
        std::uint32_t best_verdict;
    };
    std::vector<Open> stack;
    Segments<Key> out;
    auto winner = [&] { return stack.empty() ? fallback : stack.back().best_verdict; };
    auto close_until = [&](auto keep_open) {
        while (!stack.empty() && !keep_open(stack.back())) {
            const Key end = stack.back().last;
            stack.pop_back();
            if (end != std::numeric_limits<Key>::max()) out.emit(end + 1, winner());
        }
    };
    out.starts.push_back(0);
    out.verdicts.push_back(fallback);
    for (const PeerBlock<Key>& b : blocks) {
        close_until([&](const Open& o) { return o.last >= b.first; });
        Open open{b.last, b.priority, b.verdict};
        if (!stack.empty() && stack.back().best_priority < b.priority) {
            open.best_priority = stack.back().best_priority;
            open.best_verdict = stack.back().best_verdict;
        }
        stack.push_back(open);
        out.emit(b.first, winner());
    }
    close_until([](const Open&) { return false; });
    return out;
}

template <typename Key>
std::uint32_t lookup_segment(const Key* starts, const std::uint32_t* verdicts, std::size_t n, Key key) {
    const Key* it = std::upper_bound(starts, starts + n, key);
    return verdicts[(it - starts) - 1];
}

}  // namespace tcpkeep
