#include "config/compiled_policy.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "config/resolve_verdict.h"

namespace tcpkeep {
namespace {

constexpr std::uint32_t no_rule = UINT32_MAX;

bool selects_process(const Rule& rule, const ProcessIdentity& who) {
    if (rule.process.empty()) return true;
    return std::any_of(rule.process.begin(), rule.process.end(), [&](const std::string& p) { return process_matches(p, who); });
}

bool applies_to(const Rule& r, Direction d) { return r.direction == Direction::any || r.direction == d; }

}  // namespace

// Builds a CompiledPolicy: the active rules' verdicts, a port sweep per direction, and the peer index.
class PolicyCompiler {
public:
    PolicyCompiler(const Policy& policy, const ProcessIdentity& who, const KernelDefaults& kernel, CompiledPolicy& out) : out_(out) {
        out_.source_ = policy.source;
        const SettingsSpec* defaults = policy.defaults ? &*policy.defaults : nullptr;
        Verdict fallback = defaults ? resolve_verdict(nullptr, defaults, kernel) : Verdict{};
        fallback.name = defaults ? "[defaults]" : "";
        out_.verdicts_.push_back(fallback);
        for (const Rule& rule : policy.rules) {
            if (!selects_process(rule, who)) continue;
            Verdict v = resolve_verdict(&rule.settings, defaults, kernel);
            if (rule.action == Action::skip) v.kind = Verdict::Kind::skip;
            v.rule_index = static_cast<int>(rule.index);
            const auto id = static_cast<std::uint32_t>(active_.size());
            active_.push_back(&rule);
            out_.verdicts_.push_back(v);
            CompiledPolicy::RuleMatch m{applies_to(rule, Direction::outbound), applies_to(rule, Direction::inbound),
                                        static_cast<std::uint32_t>(out_.ranges_.size()), 0};
            append_disjoint(rule.ports);
            m.ranges_end = static_cast<std::uint32_t>(out_.ranges_.size());
            out_.rule_match_.push_back(m);
            for (const Cidr& block : rule.peers) out_.peers_.add(block, id);
        }
        out_.peers_.finish();
        store_names();
    }

    // One sweep over the ports: at each port, the first active rule without peers, and whether a
    // rule with peers comes before it.
    void build(Direction direction) {
        struct Event {
            std::uint32_t port;
            std::uint32_t rule;
            int delta;
        };
        std::vector<Event> events;
        std::vector<int> cover(active_.size(), 0);
        std::set<std::uint32_t> without_peers;
        std::set<std::uint32_t> with_peers;
        auto add = [&](std::uint32_t r, int delta) {
            cover[r] += delta;
            auto& set = active_[r]->peers.empty() ? without_peers : with_peers;
            if (cover[r] == 0) set.erase(r);
            else set.insert(r);
        };
        for (std::uint32_t r = 0; r < active_.size(); ++r) {
            if (!applies_to(*active_[r], direction)) continue;
            if (active_[r]->ports.empty()) add(r, 1);
            for (const PortRange& range : active_[r]->ports) {
                events.push_back({range.first, r, 1});
                events.push_back({std::uint32_t{range.last} + 1, r, -1});
            }
        }
        std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.port < b.port; });
        const int d = direction == Direction::inbound ? 1 : 0;
        std::vector<std::uint16_t>& ports = out_.port_table_[d];
        ports.assign(65536, 0);
        table_ids_.clear();
        std::size_t e = 0;
        for (std::uint32_t port = 0; port < 65536;) {
            for (; e < events.size() && events[e].port == port; ++e) add(events[e].rule, events[e].delta);
            const std::uint32_t next = e < events.size() ? events[e].port : 65536;
            const std::uint32_t first = without_peers.empty() ? no_rule : *without_peers.begin();
            const bool peer_candidates = !with_peers.empty() && *with_peers.begin() < first;
            std::fill(ports.begin() + port, ports.begin() + next, table_for(d, first == no_rule ? 0 : first + 1, peer_candidates));
            port = next;
        }
    }

private:
    CompiledPolicy& out_;
    std::vector<const Rule*> active_;  // active rule r is verdict r + 1
    std::map<std::pair<std::uint32_t, bool>, std::uint16_t> table_ids_;

    // The rule's port ranges sorted and merged, so one binary search answers "does it cover port".
    void append_disjoint(std::vector<PortRange> ranges) {
        std::sort(ranges.begin(), ranges.end(), [](const PortRange& a, const PortRange& b) { return a.first < b.first; });
        const std::size_t begin = out_.ranges_.size();
        for (const PortRange& r : ranges) {
            if (out_.ranges_.size() > begin && r.first <= std::uint32_t{out_.ranges_.back().last} + 1) {
                out_.ranges_.back().last = std::max(out_.ranges_.back().last, r.last);
            } else {
                out_.ranges_.push_back(r);
            }
        }
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
        char* at = out_.names_.get();
        for (std::size_t r = 0; r < active_.size(); ++r) {
            const std::string name = active_[r]->display_name();
            std::memcpy(at, name.c_str(), name.size() + 1);
            out_.verdicts_[r + 1].name = at;
            at += name.size() + 1;
        }
    }
};

CompiledPolicy CompiledPolicy::compile(const Policy& policy, const ProcessIdentity& who, const KernelDefaults& kernel) {
    CompiledPolicy out;
    PolicyCompiler compiler(policy, who, kernel, out);
    compiler.build(Direction::outbound);
    compiler.build(Direction::inbound);
    return out;
}

bool CompiledPolicy::port_matches(std::uint32_t rule, bool inbound, std::uint16_t port) const noexcept {
    const RuleMatch& m = rule_match_[rule];
    if (!(inbound ? m.inbound : m.outbound)) return false;
    if (m.ranges_begin == m.ranges_end) return true;
    const PortRange* begin = ranges_.data() + m.ranges_begin;
    const PortRange* end = ranges_.data() + m.ranges_end;
    // Disjoint and sorted: only the last range starting at or before `port` can cover it.
    const PortRange* it = std::upper_bound(begin, end, port, [](std::uint16_t p, const PortRange& r) { return p < r.first; });
    return it != begin && port <= (it - 1)->last;
}

const Verdict& CompiledPolicy::decide(Direction direction, std::uint16_t port, const PeerAddress* peer) const noexcept {
    const bool inbound = direction == Direction::inbound;
    const std::vector<std::uint16_t>& ports = port_table_[inbound ? 1 : 0];
    if (ports.empty()) return verdicts_.front();
    const Table& t = tables_[inbound ? 1 : 0][ports[port]];
    if (peer == nullptr || !t.peer_candidates) return verdicts_[t.fallback];
    // The first rule with peers that contains the peer and matches the port, if it comes before the fallback.
    std::uint32_t best = t.fallback == 0 ? no_rule : t.fallback - 1;
    peers_.for_each_block(*peer, [&](const std::uint32_t* rules, std::uint32_t count) {
        for (std::uint32_t i = 0; i < count && rules[i] < best; ++i) {
            if (port_matches(rules[i], inbound, port)) {
                best = rules[i];
                break;
            }
        }
    });
    return verdicts_[best == no_rule ? 0 : best + 1];
}

bool CompiledPolicy::depends_on_peer(Direction direction, std::uint16_t port) const noexcept {
    const int d = direction == Direction::inbound ? 1 : 0;
    return !port_table_[d].empty() && tables_[d][port_table_[d][port]].peer_candidates;
}

bool CompiledPolicy::applies_anything() const noexcept {
    return std::any_of(verdicts_.begin(), verdicts_.end(), [](const Verdict& v) { return v.kind == Verdict::Kind::apply; });
}

}  // namespace tcpkeep
