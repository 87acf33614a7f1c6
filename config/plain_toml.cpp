#include "config/plain_toml.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <vector>

namespace tcpkeep {
namespace {

using Type = DocumentNode::Type;

// How many bytes are '=', ',' or '[', eight at a time: a count_if branching on each byte
// mispredicts every few bytes, which costs ~8 % of a 10,000-rule load.
std::size_t count_node_starts(std::string_view text) {
    constexpr std::uint64_t ones = 0x0101'0101'0101'0101u;
    constexpr std::uint64_t low7 = 0x7f7f'7f7f'7f7f'7f7fu;
    // The high bit of each byte of w that is zero, and no other bit (no borrow crosses bytes).
    auto zero_bytes = [](std::uint64_t w) { return ~(((w & low7) + low7) | w | low7); };
    std::size_t count = 0;
    std::size_t i = 0;
    for (; i + 8 <= text.size(); i += 8) {
        std::uint64_t w = 0;
        std::memcpy(&w, text.data() + i, sizeof w);
        const std::uint64_t hits = zero_bytes(w ^ ('=' * ones)) | zero_bytes(w ^ (',' * ones)) | zero_bytes(w ^ ('[' * ones));
        count += static_cast<std::size_t>((hits >> 7) * ones >> 56);  // the bytes' 0/1 summed (no popcnt in baseline x86-64)
    }
    for (; i < text.size(); ++i) count += static_cast<std::size_t>(text[i] == '=' || text[i] == ',' || text[i] == '[');
    return count;
}

class PlainParser {
public:
    explicit PlainParser(std::string_view text) : text_(text), document_(text) {
        // Every node but the root starts after a '=', a ',' or a '[': room for all of them up front,
        // so the arrays never move while growing.
        document_.reserve(count_node_starts(text) + 1);
    }

    // False: not plain (the caller falls back to toml++).
    bool parse() {
        while (!at_end()) {
            skip_spaces();
            if (at_end()) break;
            const char c = peek();
            if (c == '[') {
                if (!header()) return false;
            } else if (bare_key_char(c)) {
                if (!key_value()) return false;
            } else if (c != '#' && c != '\n' && c != '\r') {
                return false;
            }
            if (!end_of_line()) return false;
        }
        close_table();
        document_.set_entries(0, root_);
        for (const TableArray& a : arrays_) document_.set_entries(a.node, a.elements);
        return true;
    }

    Document take() { return std::move(document_); }

private:
    struct TableArray {  // a [[name]] array: its tables in order
        std::string_view name;
        std::uint32_t node;
        std::vector<DocumentEntry> elements;
    };

    std::string_view text_;
    std::size_t at_ = 0;
    std::uint32_t line_ = 1;
    std::size_t line_start_ = 0;
    Document document_;
    std::vector<DocumentEntry> root_;
    std::vector<TableArray> arrays_;
    std::uint32_t table_ = 0;  // the table keys go to: 0 (the root) until the first header
    std::vector<DocumentEntry> table_entries_;
    std::vector<DocumentEntry> array_entries_;

    bool at_end() const { return at_ >= text_.size(); }
    char peek(std::size_t ahead = 0) const { return at_ + ahead < text_.size() ? text_[at_ + ahead] : '\0'; }
    SourcePos pos() const { return {line_, static_cast<std::uint32_t>(at_ - line_start_ + 1)}; }
    static bool bare_key_char(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-'; }
    static bool printable(char c) { return c == '\t' || (c >= 0x20 && c <= 0x7e); }  // ASCII, no control character

    void skip_spaces() {
        while (peek() == ' ' || peek() == '\t') ++at_;
    }
    bool newline() {  // consumes LF or CRLF
        if (peek() == '\r' && peek(1) == '\n') ++at_;
        if (peek() != '\n') return false;
        ++at_;
        ++line_;
        line_start_ = at_;
        return true;
    }
    bool comment() {  // from '#' up to the line's end
        for (++at_; !at_end() && peek() != '\n' && !(peek() == '\r' && peek(1) == '\n'); ++at_)
            if (!printable(peek())) return false;
        return true;
    }
    // After a header or a key's value: spaces, perhaps a comment, then a line end.
    bool end_of_line() {
        skip_spaces();
        if (peek() == '#' && !comment()) return false;
        return at_end() || newline();
    }
    // Spaces, line ends and comments between an array's elements.
    bool skip_array_space() {
        for (;;) {
            skip_spaces();
            if (peek() == '#') {
                if (!comment()) return false;
            } else if (!newline()) {
                return !(peek() == '\r');
            }
        }
    }
    std::string_view bare_key() {
        const std::size_t start = at_;
        while (bare_key_char(peek())) ++at_;
        return text_.substr(start, at_ - start);
    }
    bool has_key(const std::vector<DocumentEntry>& entries, std::string_view key) const {
        return std::any_of(entries.begin(), entries.end(), [&](const DocumentEntry& e) { return document_.key(e) == key; });
    }
    DocumentEntry entry(std::string_view key, SourcePos key_pos, std::uint32_t node) const {
        return {static_cast<std::uint32_t>(key.data() - text_.data()), static_cast<std::uint32_t>(key.size()), key_pos, node};
    }

    void close_table() {
        if (table_ != 0) document_.set_entries(table_, table_entries_);
        table_entries_.clear();
    }

    // [name] or [[name]], with nothing else inside the brackets.
    bool header() {
        const SourcePos header_pos = pos();
        const bool array = peek(1) == '[';
        at_ += array ? 2 : 1;
        const SourcePos key_pos = pos();
        const std::string_view name = bare_key();
        if (name.empty() || peek() != ']' || (array && peek(1) != ']')) return false;
        at_ += array ? 2 : 1;
        close_table();
        table_ = document_.add_node({Type::table, false, header_pos, 0, 0});
        if (!array) {
            if (has_key(root_, name)) return false;  // defined twice, or a key of that name: toml++ says what is wrong
            root_.push_back(entry(name, key_pos, table_));
            return true;
        }
        auto same = std::find_if(arrays_.begin(), arrays_.end(), [&](const TableArray& a) { return a.name == name; });
        if (same == arrays_.end()) {
            if (has_key(root_, name)) return false;
            const std::uint32_t node = document_.add_node({Type::array, true, header_pos, 0, 0});
            root_.push_back(entry(name, key_pos, node));
            same = arrays_.insert(arrays_.end(), TableArray{name, node, {}});
        }
        same->elements.push_back({0, 0, {}, table_});
        return true;
    }

    bool key_value() {
        const SourcePos key_pos = pos();
        const std::string_view key = bare_key();
        skip_spaces();
        if (peek() != '=') return false;  // a dotted or quoted key, or no value
        ++at_;
        skip_spaces();
        std::vector<DocumentEntry>& entries = table_ == 0 ? root_ : table_entries_;
        if (has_key(entries, key)) return false;  // toml++ reports the duplicate
        std::uint32_t node = 0;
        if (peek() == '[') {
            if (!array(node)) return false;
        } else if (!scalar(node)) {
            return false;
        }
        entries.push_back(entry(key, key_pos, node));
        return true;
    }

    // [ value, value, ... ] over any number of lines, a trailing comma allowed; no nested arrays.
    bool array(std::uint32_t& node) {
        const SourcePos start = pos();
        ++at_;
        array_entries_.clear();
        if (!skip_array_space()) return false;
        while (peek() != ']') {
            std::uint32_t element = 0;
            if (!scalar(element)) return false;
            array_entries_.push_back({0, 0, {}, element});
            if (!skip_array_space()) return false;
            if (peek() == ',') {
                ++at_;
                if (!skip_array_space()) return false;
            } else if (peek() != ']') {
                return false;
            }
        }
        ++at_;
        node = document_.add_node({Type::array, false, start, 0, 0});
        document_.set_entries(node, array_entries_);
        return true;
    }

    // What may follow a value on its line or in an array.
    bool value_ends_here() const {
        const char c = peek();
        return at_end() || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '#' || c == ',' || c == ']';
    }

    bool scalar(std::uint32_t& node) {
        const SourcePos start = pos();
        DocumentNode n{Type::string, false, start, 0, 0};
        const char c = peek();
        if (c == '"') {
            if (peek(1) == '"' && peek(2) == '"') return false;  // a multi-line string
            const std::size_t first = ++at_;
            const std::size_t close = text_.find('"', first);
            if (close == std::string_view::npos) return false;
            const std::string_view value = text_.substr(first, close - first);
            // Escapes, line ends, control or non-ASCII characters: not plain.
            if (!std::all_of(value.begin(), value.end(), [](char ch) { return ch != '\\' && printable(ch); })) return false;
            n.a = static_cast<std::uint32_t>(first);
            n.b = static_cast<std::uint32_t>(value.size());
            at_ = close + 1;
        } else if ((c == 't' && text_.substr(at_, 4) == "true") || (c == 'f' && text_.substr(at_, 5) == "false")) {
            n.type = Type::boolean;
            n.b = c == 't';
            at_ += c == 't' ? 4 : 5;
        } else if (!integer(n)) {
            return false;
        }
        if (!value_ends_here()) return false;
        node = document_.add_node(n);
        return true;
    }

    // Decimal, an optional sign, no leading zero, no '_', at most 18 digits (no overflow to check).
    bool integer(DocumentNode& n) {
        const bool negative = peek() == '-';
        if (peek() == '-' || peek() == '+') ++at_;
        const std::size_t first = at_;
        std::int64_t value = 0;
        while (peek() >= '0' && peek() <= '9') {
            if (at_ - first == 18) return false;  // a 19th digit: toml++ decides (and no overflow here)
            value = value * 10 + (text_[at_++] - '0');
        }
        const std::size_t digits = at_ - first;
        if (digits == 0 || (digits > 1 && text_[first] == '0')) return false;
        n.type = Type::integer;
        n = Document::integer_node(n, negative ? -value : value);
        return true;
    }
};

}  // namespace

std::optional<Document> parse_plain_toml(std::string_view text) {
    if (text.size() >= UINT32_MAX) return std::nullopt;  // offsets into the text are 32-bit (policies are at most 4 MiB)
    PlainParser parser(text);
    if (!parser.parse()) return std::nullopt;
    return parser.take();
}

}  // namespace tcpkeep
