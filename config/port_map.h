// port -> 16-bit value, for each direction, in two levels: 256 pages of 256 ports each, identical
// pages stored once (also across directions). A policy naming a few ports holds a few pages
// instead of 2 x 128 KiB, and a lookup reads the 1 KiB directory (always hot) and one page.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

namespace tcpkeep {

class PortMap {
public:
    static constexpr std::uint32_t ports = 65536;
    struct Run {  // ports from `first` up to the next run's first (the last run: to 65535) map to `value`
        std::uint32_t first;
        std::uint16_t value;
    };

    PortMap() = default;
    // Each direction's runs in ascending order, the first at port 0. Built page by page: no array
    // of 65,536 values is ever allocated.
    PortMap(const std::vector<Run>& outbound, const std::vector<Run>& inbound);

    [[nodiscard]] bool empty() const noexcept { return pages_.empty(); }
    [[nodiscard]] std::uint16_t at(int direction, std::uint16_t port) const noexcept {
        return pages_[std::size_t{directory_[static_cast<std::size_t>(direction)][port >> 8]} * page_size + (port & 0xffu)];
    }
    [[nodiscard]] std::size_t footprint_bytes() const noexcept { return pages_.capacity() * sizeof(std::uint16_t); }  // heap bytes held

    // The direction's runs back, each as long as it goes (a run continuing its predecessor's value is
    // merged into it): for a reader of every port, such as cgroup mode's compiler. A page all of one
    // value costs one comparison per use, so a policy of few ports reads a few pages.
    [[nodiscard]] std::vector<Run> runs(int direction) const;

private:
    static constexpr std::uint32_t page_size = 256;
    using Page = std::array<std::uint16_t, page_size>;
    std::array<std::array<std::uint16_t, ports / page_size>, 2> directory_{};  // [direction][port / 256] -> page
    std::vector<std::uint16_t> pages_;
};

}  // namespace tcpkeep
