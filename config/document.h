// A TOML document as the policy reader sees it: typed values with their positions, tables and
// arrays as lists of entries in file order. Two parsers produce it — the fast one for the plain
// TOML policies are written in (config/plain_toml.h) and toml++ for everything else
// (config/toml_document.h) — and must produce the same document for the same text, positions
// included, so the reader and its diagnostics cannot tell which one ran.
//
// Compact, because a 10,000-rule policy has ~100,000 values and the memory is touched once: a
// node is 20 bytes and an entry 20, strings are (offset, length) into one buffer.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "config/source_pos.h"

namespace tcpkeep {

struct DocumentNode {
    enum class Type : std::uint8_t { table, array, string, integer, floating_point, boolean, date, time, date_time };
    Type type = Type::table;
    bool array_of_tables = false;  // an array whose elements are all tables ([[x]] headers)
    SourcePos pos;                 // where the value starts ('[' of a header for its table)
    // Tables and arrays: their entries are [a, a + b). Strings: offset a, length b in the
    // document's strings. Integers: the value's high and low 32 bits. Booleans: b is 0 or 1.
    std::uint32_t a = 0;
    std::uint32_t b = 0;
};

struct DocumentEntry {
    std::uint32_t key_offset = 0;  // in the document's strings; length 0 for array elements
    std::uint32_t key_length = 0;
    SourcePos key_pos;
    std::uint32_t node = 0;
};

class Document {
public:
    // `strings`: where string offsets point (the text parsed, which must outlive the document),
    // or empty for a document that keeps its own (see keep()).
    explicit Document(std::string_view strings = {});

    [[nodiscard]] const DocumentNode& root() const noexcept { return nodes_.front(); }
    [[nodiscard]] const DocumentNode& node(const DocumentEntry& e) const noexcept { return nodes_[e.node]; }
    [[nodiscard]] std::span<const DocumentEntry> entries(const DocumentNode& n) const noexcept { return std::span(entries_).subspan(n.a, n.b); }
    [[nodiscard]] std::string_view key(const DocumentEntry& e) const noexcept { return strings().substr(e.key_offset, e.key_length); }
    [[nodiscard]] std::string_view string(const DocumentNode& n) const noexcept { return strings().substr(n.a, n.b); }
    [[nodiscard]] static std::int64_t integer(const DocumentNode& n) noexcept { return static_cast<std::int64_t>(std::uint64_t{n.a} << 32 | n.b); }
    // The table's value for `key`, or null.
    [[nodiscard]] const DocumentNode* find(const DocumentNode& table, std::string_view key) const noexcept;
    // Structure, values and positions; not where the strings are stored.
    [[nodiscard]] bool same_as(const Document& other) const;

    // Building: nodes first, then each table's or array's entries in one contiguous run.
    std::uint32_t add_node(const DocumentNode& n);
    void set_entries(std::uint32_t node, std::span<const DocumentEntry> entries);
    void reserve(std::size_t nodes);  // room for about this many nodes and as many entries
    static DocumentNode integer_node(DocumentNode n, std::int64_t value) noexcept;
    // A copy of `s` in the document's own strings, as (offset, length).
    std::pair<std::uint32_t, std::uint32_t> keep(std::string_view s);

private:
    std::string_view outside_;  // the parsed text, when strings point into it
    std::string own_;           // else the document's strings, one after the other
    std::vector<DocumentNode> nodes_;
    std::vector<DocumentEntry> entries_;

    [[nodiscard]] std::string_view strings() const noexcept { return outside_.data() != nullptr ? outside_ : std::string_view(own_); }
    bool same_node(const DocumentNode& x, const Document& other, const DocumentNode& y) const;
};

}  // namespace tcpkeep
