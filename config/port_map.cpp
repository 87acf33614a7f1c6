#include "config/port_map.h"

#include <algorithm>
#include <cstring>

namespace tcpkeep {
namespace {

// A sum of independent products: cheap (no dependency chain), and a collision only costs a compare.
std::uint64_t hash_of(const std::uint16_t* page, std::size_t size) {
    std::uint64_t h = 0;
    for (std::size_t i = 0; i < size; i += 4) {
        std::uint64_t four = 0;
        std::memcpy(&four, page + i, sizeof four);
        h += (four + i) * 0x9e3779b97f4a7c15ull;
    }
    return h;
}

}  // namespace

PortMap::PortMap(const std::vector<std::uint16_t>& outbound, const std::vector<std::uint16_t>& inbound) {
    constexpr std::size_t per_direction = ports / page_size;
    const std::uint16_t* values[2] = {outbound.data(), inbound.data()};
    struct Distinct {
        std::uint64_t hash;
        const std::uint16_t* values;
    };
    std::vector<Distinct> distinct;  // at most 512; pages compared only when their hashes are equal
    for (std::size_t d = 0; d < 2; ++d) {
        for (std::size_t p = 0; p < per_direction; ++p) {
            const std::uint16_t* page = values[d] + p * page_size;
            if (p > 0 && std::equal(page, page + page_size, page - page_size)) {  // runs of equal pages are the usual case: no hashing
                directory_[d][p] = directory_[d][p - 1];
                continue;
            }
            const std::uint64_t h = hash_of(page, page_size);
            auto same = [&](const Distinct& x) { return x.hash == h && std::equal(page, page + page_size, x.values); };
            auto it = std::find_if(distinct.begin(), distinct.end(), same);
            if (it == distinct.end()) it = distinct.insert(it, {h, page});
            directory_[d][p] = static_cast<std::uint16_t>(it - distinct.begin());
        }
    }
    pages_.resize(distinct.size() * page_size);
    for (std::size_t i = 0; i < distinct.size(); ++i)
        std::copy_n(distinct[i].values, page_size, pages_.begin() + static_cast<std::ptrdiff_t>(i * page_size));
}

}  // namespace tcpkeep
