#include "config/document.h"

namespace tcpkeep {
namespace {

bool same_pos(SourcePos a, SourcePos b) { return a.line == b.line && a.column == b.column; }
bool has_children(const DocumentNode& n) { return n.type == DocumentNode::Type::table || n.type == DocumentNode::Type::array; }

}  // namespace

Document::Document(std::string_view strings) : outside_(strings) { nodes_.push_back(DocumentNode{DocumentNode::Type::table, false, {1, 1}, 0, 0}); }

const DocumentNode* Document::find(const DocumentNode& table, std::string_view k) const noexcept {
    for (const DocumentEntry& e : entries(table))
        if (key(e) == k) return &node(e);
    return nullptr;
}

std::uint32_t Document::add_node(const DocumentNode& n) {
    nodes_.push_back(n);
    return static_cast<std::uint32_t>(nodes_.size() - 1);
}

void Document::set_entries(std::uint32_t node, std::span<const DocumentEntry> entries) {
    nodes_[node].a = static_cast<std::uint32_t>(entries_.size());
    nodes_[node].b = static_cast<std::uint32_t>(entries.size());
    entries_.insert(entries_.end(), entries.begin(), entries.end());
}

void Document::reserve(std::size_t nodes) {
    nodes_.reserve(nodes);
    entries_.reserve(nodes);
}

DocumentNode Document::integer_node(DocumentNode n, std::int64_t value) noexcept {
    n.a = static_cast<std::uint32_t>(static_cast<std::uint64_t>(value) >> 32);
    n.b = static_cast<std::uint32_t>(value);
    return n;
}

std::pair<std::uint32_t, std::uint32_t> Document::keep(std::string_view s) {
    const auto at = static_cast<std::uint32_t>(own_.size());
    own_.append(s);
    return {at, static_cast<std::uint32_t>(s.size())};
}

bool Document::same_as(const Document& other) const { return same_node(root(), other, other.root()); }

bool Document::same_node(const DocumentNode& x, const Document& other, const DocumentNode& y) const {
    if (x.type != y.type || x.array_of_tables != y.array_of_tables || !same_pos(x.pos, y.pos)) return false;
    if (x.type == DocumentNode::Type::string) return string(x) == other.string(y);
    if (!has_children(x)) return x.a == y.a && x.b == y.b;
    const std::span<const DocumentEntry> ex = entries(x);
    const std::span<const DocumentEntry> ey = other.entries(y);
    if (ex.size() != ey.size()) return false;
    for (std::size_t i = 0; i < ex.size(); ++i) {
        if (key(ex[i]) != other.key(ey[i]) || !same_pos(ex[i].key_pos, ey[i].key_pos)) return false;
        if (!same_node(node(ex[i]), other, other.node(ey[i]))) return false;
    }
    return true;
}

}  // namespace tcpkeep
