#include "bpf/compiler/peer_blocks.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <set>

namespace tcpkeep {
namespace {

int prefix_bits(const Cidr& block) {
    const AddressKey host = block.first ^ block.last;  // 2^host_bits - 1
    int bits = 0;
    for (AddressKey h = host; h != 0; h >>= 1) ++bits;
    return (block.family == Family::v4 ? 32 : 128) - bits;
}

// The block as network-order words: v4 in word 0, v6 most significant word first.
tk_peer_key key_of(const Cidr& block, std::uint8_t direction) {
    tk_peer_key key{};
    key.family = block.family == Family::v4 ? TK_FAMILY_V4 : TK_FAMILY_V6;
    key.prefix = static_cast<std::uint8_t>(prefix_bits(block));
    key.direction = direction;
    const int words = block.family == Family::v4 ? 1 : 4;
    for (int w = 0; w < words; ++w) key.addr[w] = htonl(static_cast<std::uint32_t>(block.first >> (32 * (words - 1 - w))));
    return key;
}

struct KeyLess {
    bool operator()(const tk_peer_key& a, const tk_peer_key& b) const { return std::memcmp(&a, &b, sizeof a) < 0; }
};

// A rule holding a block: its slot, process bit (-1: none) and ports.
struct Member {
    std::uint32_t slot;
    int bit;
    const std::vector<PortRange>* ports;
};

// The runs of one block: a sweep over its members' range starts and ends, with the rules without
// process that cover the port in a set (the first wins) and the process rules counted by bit.
void add_runs(const std::vector<Member>& members, const std::vector<std::uint32_t>& slot_of_bit, std::vector<tk_port_run>& runs) {
    const std::size_t first_run = runs.size();
    struct Event {
        std::uint32_t port;
        int delta;
        const Member* member;
    };
    static const std::vector<PortRange> any_port{{0, 65535}};
    std::vector<Event> events;
    for (const Member& m : members)
        for (const PortRange& r : m.ports->empty() ? any_port : *m.ports) {
            events.push_back({r.first, +1, &m});
            events.push_back({std::uint32_t{r.last} + 1, -1, &m});
        }
    std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.port < b.port; });
    std::multiset<std::uint32_t> plain;
    std::array<int, TK_MAX_PROCESS_RULES> process{};
    for (std::size_t i = 0; i < events.size();) {
        const std::uint32_t port = events[i].port;
        for (; i < events.size() && events[i].port == port; ++i) {
            const Member& m = *events[i].member;
            if (m.bit >= 0) {
                process[static_cast<std::size_t>(m.bit)] += events[i].delta;
            } else if (events[i].delta > 0) {
                plain.insert(m.slot);
            } else {
                plain.erase(plain.find(m.slot));
            }
        }
        if (port > 65535 || i == events.size()) break;
        const std::uint32_t slot = plain.empty() ? TK_NO_SLOT : *plain.begin();
        std::uint64_t bits = 0;
        for (std::size_t b = 0; b < process.size(); ++b)
            if (process[b] > 0 && slot_of_bit[b] < slot) bits |= std::uint64_t{1} << b;
        if (slot == TK_NO_SLOT && bits == 0) continue;
        const auto last = static_cast<std::uint16_t>(events[i].port - 1);
        if (runs.size() > first_run && runs.back().slot == slot && runs.back().processes == bits && std::uint32_t{runs.back().port_last} + 1 == port) {
            runs.back().port_last = last;  // the rule that ended or began had no say here
        } else {
            runs.push_back({static_cast<std::uint16_t>(port), last, slot, bits});
        }
    }
}

}  // namespace

PeerBlocks compile_peer_blocks(const Policy& policy, const std::vector<int>& process_bit, const std::vector<std::uint32_t>& slot_of_bit) {
    // Every (block, rule) pair, then sorted by block: the members of a block side by side, in file
    // order (stable), with one sort where a map of vectors allocated per block.
    std::vector<std::pair<tk_peer_key, Member>> pairs;
    std::set<std::pair<int, int>> lengths;
    for (const Rule& rule : policy.rules) {
        for (const Cidr& block : rule.peers) {
            for (const Direction d : {Direction::outbound, Direction::inbound}) {
                const std::uint8_t direction = d == Direction::inbound ? 1 : 0;
                if (rule.direction != Direction::any && rule.direction != d) continue;
                const tk_peer_key key = key_of(block, direction);
                pairs.push_back({key, {static_cast<std::uint32_t>(rule.index) + 1, process_bit[rule.index], &rule.ports}});
                lengths.emplace(key.family == TK_FAMILY_V4 ? 0 : 1, key.prefix);
            }
        }
    }
    std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return KeyLess{}(a.first, b.first); });
    PeerBlocks out;
    for (const auto& [family, bits] : lengths) {
        tk_prefix_lengths& l = out.prefixes[static_cast<std::size_t>(family)];
        l.length[l.count++] = static_cast<std::uint8_t>(bits);
    }
    std::vector<Member> members;
    for (std::size_t i = 0; i < pairs.size();) {
        const tk_peer_key& key = pairs[i].first;
        members.clear();
        for (; i < pairs.size() && std::memcmp(&pairs[i].first, &key, sizeof key) == 0; ++i) members.push_back(pairs[i].second);
        const auto first = static_cast<std::uint32_t>(out.runs.size());
        add_runs(members, slot_of_bit, out.runs);
        const auto count = static_cast<std::uint32_t>(out.runs.size()) - first;
        if (count > 0) out.keys.push_back({key, {first, count}});
    }
    return out;
}

}  // namespace tcpkeep
