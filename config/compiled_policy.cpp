#include "config/compiled_policy.h"

#include <algorithm>
#include <cstring>
#include <map>

#include "config/resolve_verdict.h"
#include "config/rule_set.h"

namespace tcpkeep {
namespace {

constexpr std::uint32_t no_rule = RuleSet::none;

// Sorts sweep events (port << 32 | ...) by port, stable: two passes of a radix sort on the port's
// 17 bits, linear where std::sort compared 20,000 events ~15 times each.
void sort_by_port(std::vector<std::uint64_t>& events) {
    std::vector<std::uint64_t> other(events.size());
    for (const int shift : {32, 41}) {
        std::uint32_t start[513] = {};
        for (const std::uint64_t e : events) ++start[(e >> shift & 511) + 1];
        for (std::size_t i = 1; i < 513; ++i) start[i] += start[i - 1];
        for (const std::uint64_t e : events) other[start[e >> shift & 511]++] = e;
        events.swap(other);
    }
}

bool selects_process(const Rule& rule, const ProcessIdentity& who) {
    if (rule.process.empty()) return true;
    return std::any_of(rule.process.begin(), rule.process.end(), [&](const std::string& p) { return process_matches(p, who); });
}

bool applies_to(const Rule& r, Direction d) { return r.direction == Direction::any || r.direction == d; }

}  // namespace

// Builds a CompiledPolicy: the active rules' verdicts and port checks, the peer index, and a port
// sweep per direction.
class PolicyCompiler {
public:
    PolicyCompiler(const Policy& policy, const ProcessIdentity& who, const KernelDefaults& kernel, CompiledPolicy& out) : out_(out) {
        out_.source_ = policy.source;
        for (const Rule& rule : policy.rules)
            if (selects_process(rule, who)) active_.push_back(&rule);
        const SettingsSpec* defaults = policy.defaults ? &*policy.defaults : nullptr;
        Verdict fallback = defaults ? resolve_verdict(nullptr, defaults, kernel) : Verdict{};
        fallback.name = defaults ? "[defaults]" : "";
        out_.rules_.reserve(active_.size() + 1);
        out_.rules_.push_back({fallback, {}});
        for (const Rule* rule : active_) {
            const Verdict v = rule_verdict(*rule, defaults, kernel);
            const auto id = static_cast<std::uint32_t>(out_.rules_.size());
            out_.rules_.push_back({v, port_check(*rule)});
            for (const Cidr& block : rule->peers) out_.peers_.add(block, id);
            has_peers_.push_back(!rule->peers.empty());
        }
        out_.ranges_.shrink_to_fit();
        out_.peers_.finish();
        store_names();
    }

    // One sweep over the ports: at each port, the first active rule without peers, and whether a
    // rule with peers comes before it. Returns the runs of ports with the same table.
    std::vector<PortMap::Run> build(Direction direction) {
        // A rule's range starts (delta +1) or ends (-1) at a port: port << 32 | rule << 1 | ends.
        std::vector<std::uint64_t> events;
        std::vector<int> cover(active_.size(), 0);
        RuleSet without_peers(active_.size());
        RuleSet with_peers(active_.size());
        auto add = [&](std::uint32_t r, int delta) {
            cover[r] += delta;
            RuleSet& set = has_peers_[r] ? with_peers : without_peers;
            if (cover[r] == 0)
                set.erase(r);
            else
                set.insert(r);
        };
        for (std::uint32_t r = 0; r < active_.size(); ++r) {
            if (!applies_to(*active_[r], direction)) continue;
            if (active_[r]->ports.empty()) add(r, 1);
            for (const PortRange& range : active_[r]->ports) {
                events.push_back(std::uint64_t{range.first} << 32 | r << 1);
                events.push_back((std::uint64_t{range.last} + 1) << 32 | r << 1 | 1);
            }
        }
        sort_by_port(events);
        const int d = direction == Direction::inbound ? 1 : 0;
        std::vector<PortMap::Run> runs;
        table_ids_.clear();
        std::size_t e = 0;
        auto port_of = [&](std::size_t i) { return static_cast<std::uint32_t>(events[i] >> 32); };
        for (std::uint32_t port = 0; port < PortMap::ports;) {
            for (; e < events.size() && port_of(e) == port; ++e)
                add(static_cast<std::uint32_t>(events[e] >> 1 & 0x7fff'ffff), (events[e] & 1) != 0 ? -1 : 1);
            const std::uint32_t first = without_peers.first();  // RuleSet::none == no_rule
            const bool peer_candidates = with_peers.first() < first;
            runs.push_back({port, table_for(d, first == no_rule ? 0 : first + 1, peer_candidates)});
            port = e < events.size() ? port_of(e) : PortMap::ports;
        }
        out_.tables_[d].shrink_to_fit();
        return runs;
    }

private:
    CompiledPolicy& out_;
    std::vector<const Rule*> active_;  // active rule r is rules_[r + 1]
    std::vector<bool> has_peers_;      // of active rule r: asked at every event of the sweep, kept apart from the Rules
    std::map<std::pair<std::uint32_t, bool>, std::uint16_t> table_ids_;

    // The rule's directions, and its port ranges sorted and merged (several: into ranges_, so one
    // binary search answers "does it cover port").
    CompiledPolicy::PortCheck port_check(const Rule& rule) {
        CompiledPolicy::PortCheck check;
        for (Direction d : {Direction::outbound, Direction::inbound})
            if (applies_to(rule, d)) check.directions |= CompiledPolicy::PortCheck::bit(d);
        if (rule.ports.empty()) return check;
        std::vector<PortRange> ranges = rule.ports;
        std::sort(ranges.begin(), ranges.end(), [](const PortRange& a, const PortRange& b) { return a.first < b.first; });
        std::vector<PortRange> disjoint;
        for (const PortRange& r : ranges) {
            if (!disjoint.empty() && r.first <= std::uint32_t{disjoint.back().last} + 1) {
                disjoint.back().last = std::max(disjoint.back().last, r.last);
            } else {
                disjoint.push_back(r);
            }
        }
        check.ranges = static_cast<std::uint16_t>(disjoint.size());  // at most 32768 disjoint ranges in 65536 ports
        if (disjoint.size() == 1) {
            check.where = std::uint32_t{disjoint[0].first} << 16 | disjoint[0].last;
        } else {
            check.where = static_cast<std::uint32_t>(out_.ranges_.size());
            out_.ranges_.insert(out_.ranges_.end(), disjoint.begin(), disjoint.end());
        }
        return check;
    }

    // At most one table per port of a direction, so at most 65536 per direction: uint16_t ids suffice.
    std::uint16_t table_for(int direction, std::uint32_t fallback, bool peer_candidates) {
        std::vector<CompiledPolicy::Table>& tables = out_.tables_[direction];
        auto [it, inserted] = table_ids_.emplace(std::pair{fallback, peer_candidates}, static_cast<std::uint16_t>(tables.size()));
        if (inserted) tables.push_back({fallback, peer_candidates});
        return it->second;
    }

    void store_names() {
        std::size_t bytes = 0;
        for (const Rule* r : active_) bytes += r->display_name().size() + 1;
        out_.names_ = std::make_unique<char[]>(bytes + 1);
        out_.names_bytes_ = bytes + 1;
        char* at = out_.names_.get();
        for (std::size_t r = 0; r < active_.size(); ++r) {
            const std::string name = active_[r]->display_name();
            std::memcpy(at, name.c_str(), name.size() + 1);
            out_.rules_[r + 1].verdict.name = at;
            at += name.size() + 1;
        }
    }
};

CompiledPolicy CompiledPolicy::compile(const Policy& policy, const ProcessIdentity& who, const KernelDefaults& kernel) {
    CompiledPolicy out;
    PolicyCompiler compiler(policy, who, kernel, out);
    const std::vector<PortMap::Run> outbound = compiler.build(Direction::outbound);
    const std::vector<PortMap::Run> inbound = compiler.build(Direction::inbound);
    out.ports_ = PortMap(outbound, inbound);
    return out;
}

bool CompiledPolicy::in_ranges(const PortCheck& check, std::uint16_t port) const noexcept {
    const PortRange* begin = ranges_.data() + check.where;
    const PortRange* end = begin + check.ranges;
    // Disjoint and sorted: only the last range starting at or before `port` can cover it.
    const PortRange* it = std::upper_bound(begin, end, port, [](std::uint16_t p, const PortRange& r) { return p < r.first; });
    return it != begin && port <= (it - 1)->last;
}

// Small, so decide() inlines it; the search through several ranges stays out of line.
inline bool CompiledPolicy::port_matches(const PortCheck& check, Direction direction, std::uint16_t port) const noexcept {
    if ((check.directions & PortCheck::bit(direction)) == 0) return false;
    if (check.ranges == 1) return port >= check.where >> 16 && port <= (check.where & 0xffff);
    return in_ranges(check, port);
}

const Verdict& CompiledPolicy::decide(Direction direction, std::uint16_t port, const PeerAddress* peer) const noexcept {
    const int d = direction == Direction::inbound ? 1 : 0;
    if (ports_.empty()) return rules_.front().verdict;
    const Table& t = tables_[d][ports_.at(d, port)];
    if (peer == nullptr || !t.peer_candidates) return rules_[t.fallback].verdict;
    // The first rule with peers that contains the peer and matches the port, if it comes before the fallback.
    std::uint32_t best = t.fallback == 0 ? no_rule : t.fallback;
    peers_.for_each_block(*peer, [&](const std::uint32_t* rules, std::uint32_t count) {
        for (std::uint32_t i = 0; i < count && rules[i] < best; ++i) {
            if (port_matches(rules_[rules[i]].ports, direction, port)) {
                best = rules[i];
                break;
            }
        }
    });
    return rules_[best == no_rule ? 0 : best].verdict;
}

bool CompiledPolicy::depends_on_peer(Direction direction, std::uint16_t port) const noexcept {
    const int d = direction == Direction::inbound ? 1 : 0;
    return !ports_.empty() && tables_[d][ports_.at(d, port)].peer_candidates;
}

std::vector<CompiledPolicy::PortRun> CompiledPolicy::port_runs(Direction direction) const {
    if (ports_.empty()) return {{0, 0, false}};
    const int d = direction == Direction::inbound ? 1 : 0;
    std::vector<PortRun> out;
    for (const PortMap::Run& run : ports_.runs(d)) {  // one table per (fallback, peer_candidates): runs of tables are runs of both
        const Table& t = tables_[d][run.value];
        out.push_back({run.first, t.fallback, t.peer_candidates});
    }
    return out;
}

bool CompiledPolicy::applies_anything() const noexcept {
    return std::any_of(rules_.begin(), rules_.end(), [](const ActiveRule& r) { return r.verdict.kind == Verdict::Kind::apply; });
}

std::size_t CompiledPolicy::footprint_bytes() const noexcept {
    return sizeof *this + source_.capacity() + names_bytes_ + rules_.capacity() * sizeof(ActiveRule) + ports_.footprint_bytes() +
           (tables_[0].capacity() + tables_[1].capacity()) * sizeof(Table) + ranges_.capacity() * sizeof(PortRange) + peers_.footprint_bytes();
}

}  // namespace tcpkeep
