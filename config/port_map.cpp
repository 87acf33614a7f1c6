#include "config/port_map.h"

#include <algorithm>
#include <cstring>

namespace tcpkeep {
namespace {

// Where run r ends: the next run's first port, or past the last port.
std::uint32_t end_of(const std::vector<PortMap::Run>& runs, std::size_t r) { return r + 1 < runs.size() ? runs[r + 1].first : PortMap::ports; }

// A sum of independent products: cheap (no dependency chain), and a collision only costs a compare.
template <typename Page>
std::uint64_t hash_of(const Page& page) {
    std::uint64_t h = 0;
    for (std::size_t i = 0; i < page.size(); i += 4) {
        std::uint64_t four = 0;
        std::memcpy(&four, page.data() + i, sizeof four);
        h += (four + i) * 0x9e3779b97f4a7c15ull;
    }
    return h;
}

}  // namespace

PortMap::PortMap(const std::vector<Run>& outbound, const std::vector<Run>& inbound) {
    const std::vector<Run>* runs_of[2] = {&outbound, &inbound};
    std::vector<std::uint64_t> hashes;  // of each distinct page in pages_ (at most 512)
    Page page{};
    for (std::size_t d = 0; d < 2; ++d) {
        const std::vector<Run>& runs = *runs_of[d];
        std::size_t run = 0;  // the run holding the page's first port
        for (std::uint32_t p = 0; p < directory_[d].size(); ++p) {
            const std::uint32_t begin = p * page_size;
            while (end_of(runs, run) <= begin) ++run;
            if (p > 0 && runs[run].first + page_size <= begin && end_of(runs, run) >= begin + page_size) {
                directory_[d][p] = directory_[d][p - 1];  // one run covers this page and the one before: the usual case
                continue;
            }
            for (std::size_t r = run; r < runs.size() && runs[r].first < begin + page_size; ++r) {
                const std::uint32_t from = std::max(runs[r].first, begin) - begin;
                const std::uint32_t to = std::min<std::uint32_t>(end_of(runs, r) - begin, page_size);
                std::fill(page.begin() + from, page.begin() + to, runs[r].value);
            }
            const std::uint64_t h = hash_of(page);
            auto same = [&](std::size_t n) { return hashes[n] == h && std::equal(page.begin(), page.end(), pages_.begin() + n * page_size); };
            std::size_t n = 0;
            while (n < hashes.size() && !same(n)) ++n;
            if (n == hashes.size()) {
                hashes.push_back(h);
                pages_.insert(pages_.end(), page.begin(), page.end());
            }
            directory_[d][p] = static_cast<std::uint16_t>(n);
        }
    }
    pages_.shrink_to_fit();
}

std::vector<PortMap::Run> PortMap::runs(int direction) const {
    std::vector<Run> out;
    auto extend = [&](std::uint32_t port, std::uint16_t value) {
        if (out.empty() || out.back().value != value) out.push_back({port, value});
    };
    std::vector<std::int8_t> uniform(pages_.size() / page_size, -1);  // per stored page: -1 unknown, 0 no, 1 yes
    for (std::uint32_t p = 0; p < directory_[0].size(); ++p) {
        const std::size_t n = directory_[static_cast<std::size_t>(direction)][p];
        const std::uint16_t* page = pages_.data() + n * page_size;
        if (uniform[n] < 0) uniform[n] = std::all_of(page, page + page_size, [&](std::uint16_t v) { return v == page[0]; }) ? 1 : 0;
        if (uniform[n] == 1) {
            extend(p * page_size, page[0]);
            continue;
        }
        for (std::uint32_t i = 0; i < page_size; ++i) extend(p * page_size + i, page[i]);
    }
    return out;
}

}  // namespace tcpkeep
