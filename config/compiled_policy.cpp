#include "config/compiled_policy.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "config/resolve_verdict.h"

namespace tcpkeep {

// Builds a CompiledPolicy: one port sweep per direction, tables shared by ports that see the same
// candidate rules.
class PolicyCompiler {
public:
    PolicyCompiler(const Policy& policy, const ProcessIdentity& who, const KernelDefaults& kernel, CompiledPolicy& out)
        : out_(out) {
        out_.source_ = policy.source;
        const SettingsSpec* defaults = policy.defaults ? &*policy.defaults : nullptr;
        Verdict fallback = defaults ? resolve_verdict(nullptr, defaults, kernel) : Verdict{};
        fallback.name = defaults ? "[defaults]" : "";
        out_.verdicts_.push_back(fallback);
        for (const Rule& rule : policy.rules) {
            if (!process_selected(rule, who)) continue;
            Verdict v = resolve_verdict(&rule.settings, defaults, kernel);
            if (rule.action == Action::skip) v.kind = Verdict::Kind::skip;
            v.rule_index = static_cast<int>(rule.index);
            active_.push_back(&rule);
            out_.verdicts_.push_back(v);
        }
        store_names();
    }

    void build(Direction direction) {
        struct Event {
            std::uint32_t port;
            std::uint32_t candidate;
            int delta;
        };
        std::vector<Event> events;
        std::vector<int> cover(active_.size(), 0);
        std::set<std::uint32_t> peerless;
        std::set<std::uint32_t> with_peers;
        auto add = [&](std::uint32_t c, int delta) {
            cover[c] += delta;
            auto& set = active_[c]->peers.empty() ? peerless : with_peers;
            if (cover[c] == 0) set.erase(c);
            else set.insert(c);
        };
        for (std::uint32_t c = 0; c < active_.size(); ++c) {
            const Rule& r = *active_[c];
            if (r.direction != Direction::any && r.direction != direction) continue;
            if (r.ports.empty()) add(c, 1);
            for (const PortRange& range : r.ports) {
                events.push_back({range.first, c, 1});
                events.push_back({std::uint32_t{range.last} + 1, c, -1});
            }
        }
        std::sort(events.begin(), events.end(), [](const Event& a, const Event& b) { return a.port < b.port; });
        std::vector<std::uint16_t>& ports = out_.port_table_[direction == Direction::inbound ? 1 : 0];
        ports.assign(65536, 0);
        std::size_t e = 0;
        for (std::uint32_t port = 0; port < 65536;) {
            while (e < events.size() && events[e].port == port) {
                add(events[e].candidate, events[e].delta);
                ++e;
            }
            const std::uint32_t next = e < events.size() ? events[e].port : 65536;
            const std::uint16_t table = table_for(peerless, with_peers);
            std::fill(ports.begin() + port, ports.begin() + next, table);
            port = next;
        }
    }

private:
    CompiledPolicy& out_;
    std::vector<const Rule*> active_;  // candidate c is verdict c + 1
    std::map<std::vector<std::uint32_t>, std::uint16_t> table_ids_;

    static bool process_selected(const Rule& rule, const ProcessIdentity& who) {
        if (rule.process.empty()) return true;
        return std::any_of(rule.process.begin(), rule.process.end(), [&](const std::string& p) { return process_matches(p, who); });
    }

    void store_names() {
        std::size_t bytes = 0;
        for (const Rule* r : active_) bytes += r->display_name().size() + 1;
        out_.names_ = std::make_unique<char[]>(bytes + 1);
        char* at = out_.names_.get();
        for (std::size_t c = 0; c < active_.size(); ++c) {
            const std::string name = active_[c]->display_name();
            std::memcpy(at, name.c_str(), name.size() + 1);
            out_.verdicts_[c + 1].name = at;
            at += name.size() + 1;
        }
    }

    // Key: the fallback verdict, then the peer-rule candidates that precede it, in priority order.
    std::uint16_t table_for(const std::set<std::uint32_t>& peerless, const std::set<std::uint32_t>& with_peers) {
        const std::uint32_t first_peerless = peerless.empty() ? UINT32_MAX : *peerless.begin();
        std::vector<std::uint32_t> key{first_peerless == UINT32_MAX ? 0 : first_peerless + 1};
        for (std::uint32_t c : with_peers) {
            if (c > first_peerless) break;
            key.push_back(c);
        }
        auto [it, inserted] = table_ids_.emplace(std::move(key), static_cast<std::uint16_t>(out_.tables_.size()));
        if (inserted) out_.tables_.push_back(make_table(it->first));
        return it->second;
    }

    CompiledPolicy::Table make_table(const std::vector<std::uint32_t>& key) {
        CompiledPolicy::Table t;
        t.fallback = key[0];
        std::vector<PeerBlock<std::uint32_t>> v4;
        std::vector<PeerBlock<AddressKey>> v6;
        for (std::size_t i = 1; i < key.size(); ++i) {
            const std::uint32_t priority = static_cast<std::uint32_t>(i);
            for (const Cidr& cidr : active_[key[i]]->peers) {
                if (cidr.family == Family::v4) {
                    v4.push_back({static_cast<std::uint32_t>(cidr.first), static_cast<std::uint32_t>(cidr.last), priority, key[i] + 1});
                } else {
                    v6.push_back({cidr.first, cidr.last, priority, key[i] + 1});
                }
            }
        }
        auto append = [&](auto& blocks, auto& starts, auto& verdicts, std::uint32_t& begin, std::uint32_t& end) {
            begin = end = static_cast<std::uint32_t>(starts.size());
            if (blocks.empty()) return;
            auto segments = partition_addresses(std::move(blocks), t.fallback);
            starts.insert(starts.end(), segments.starts.begin(), segments.starts.end());
            verdicts.insert(verdicts.end(), segments.verdicts.begin(), segments.verdicts.end());
            end = static_cast<std::uint32_t>(starts.size());
        };
        append(v4, out_.v4_starts_, out_.v4_verdicts_, t.v4_begin, t.v4_end);
        append(v6, out_.v6_starts_, out_.v6_verdicts_, t.v6_begin, t.v6_end);
        return t;
    }
};

CompiledPolicy CompiledPolicy::compile(const Policy& policy, const ProcessIdentity& who, const KernelDefaults& kernel) {
    CompiledPolicy out;
    PolicyCompiler compiler(policy, who, kernel, out);
    compiler.build(Direction::outbound);
    compiler.build(Direction::inbound);
    return out;
}

const Verdict& CompiledPolicy::decide(Direction direction, std::uint16_t port, const PeerAddress* peer) const noexcept {
    const std::vector<std::uint16_t>& ports = port_table_[direction == Direction::inbound ? 1 : 0];
    if (ports.empty()) return verdicts_.front();
    const Table& t = tables_[ports[port]];
    if (peer == nullptr) return verdicts_[t.fallback];
    if (peer->family == Family::v4) {
        if (t.v4_begin == t.v4_end) return verdicts_[t.fallback];
        const auto key = static_cast<std::uint32_t>(address_key(*peer));
        return verdicts_[lookup_segment(v4_starts_.data() + t.v4_begin, v4_verdicts_.data() + t.v4_begin, t.v4_end - t.v4_begin, key)];
    }
    if (t.v6_begin == t.v6_end) return verdicts_[t.fallback];
    return verdicts_[lookup_segment(v6_starts_.data() + t.v6_begin, v6_verdicts_.data() + t.v6_begin, t.v6_end - t.v6_begin,
                                    address_key(*peer))];
}

bool CompiledPolicy::depends_on_peer(Direction direction, std::uint16_t port) const noexcept {
    const std::vector<std::uint16_t>& ports = port_table_[direction == Direction::inbound ? 1 : 0];
    if (ports.empty()) return false;
    const Table& t = tables_[ports[port]];
    return t.v4_begin != t.v4_end || t.v6_begin != t.v6_end;
}

bool CompiledPolicy::applies_anything() const noexcept {
    return std::any_of(verdicts_.begin(), verdicts_.end(), [](const Verdict& v) { return v.kind == Verdict::Kind::apply; });
}

}  // namespace tcpkeep
