// The only translation unit that includes toml++ (header-only, exceptions off).
#include "config/toml_document.h"

#include <toml++/toml.h>
#include <algorithm>
#include <tuple>
#include <vector>

#include "config/nesting_scan.h"

namespace tcpkeep {
namespace {

SourcePos pos_of(const toml::source_region& r) { return {r.begin.line, r.begin.column}; }

DocumentNode::Type type_of(const toml::node& n) {
    using Type = DocumentNode::Type;
    switch (n.type()) {
        case toml::node_type::array: return Type::array;
        case toml::node_type::string: return Type::string;
        case toml::node_type::integer: return Type::integer;
        case toml::node_type::floating_point: return Type::floating_point;
        case toml::node_type::boolean: return Type::boolean;
        case toml::node_type::date: return Type::date;
        case toml::node_type::time: return Type::time;
        case toml::node_type::date_time: return Type::date_time;
        default: return Type::table;
    }
}

// A table's entries in file order (toml++ keeps them sorted by key), each converted first.
std::vector<DocumentEntry> table_entries(const toml::table& t, Document& doc);

std::uint32_t convert(const toml::node& n, Document& doc) {
    DocumentNode d{type_of(n), false, pos_of(n.source()), 0, 0};
    if (const auto* s = n.as_string()) std::tie(d.a, d.b) = doc.keep(s->get());
    if (const auto* i = n.as_integer()) d = Document::integer_node(d, i->get());
    if (const auto* b = n.as_boolean()) d.b = b->get();
    if (const auto* a = n.as_array()) d.array_of_tables = a->is_array_of_tables();
    const std::uint32_t id = doc.add_node(d);
    if (const auto* t = n.as_table()) {
        doc.set_entries(id, table_entries(*t, doc));
    } else if (const auto* a = n.as_array()) {
        std::vector<DocumentEntry> elements;
        for (const toml::node& element : *a) elements.push_back({0, 0, {}, convert(element, doc)});
        doc.set_entries(id, elements);
    }
    return id;
}

std::vector<DocumentEntry> table_entries(const toml::table& t, Document& doc) {
    std::vector<DocumentEntry> entries;
    for (auto&& [key, node] : t) {
        const auto [offset, length] = doc.keep(key.str());
        entries.push_back({offset, length, pos_of(key.source()), convert(node, doc)});
    }
    std::stable_sort(entries.begin(), entries.end(), [](const DocumentEntry& a, const DocumentEntry& b) {
        return a.key_pos.line != b.key_pos.line ? a.key_pos.line < b.key_pos.line : a.key_pos.column < b.key_pos.column;
    });
    return entries;
}

}  // namespace

Result<Document, TomlError> parse_toml(std::string_view text) {
    if (std::optional<ScanProblem> problem = scan_before_toml(text)) {
        // The text before the problem is safe for toml++, which reports an earlier error first.
        const toml::parse_result before = toml::parse(text.substr(0, problem->offset));
        const toml::source_position at = before ? toml::source_position{} : before.error().source().begin;
        if (!before && (at.line < problem->pos.line || (at.line == problem->pos.line && at.column < problem->pos.column)))
            return TomlError{{at.line, at.column}, std::string(before.error().description())};
        return TomlError{problem->pos, std::move(problem->message)};
    }
    toml::parse_result parsed = toml::parse(text);
    if (!parsed) return TomlError{pos_of(parsed.error().source()), std::string(parsed.error().description())};
    Document doc;
    doc.set_entries(0, table_entries(parsed.table(), doc));
    return doc;
}

}  // namespace tcpkeep
