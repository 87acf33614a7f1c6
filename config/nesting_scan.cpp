#include "config/nesting_scan.h"

#include <fmt/format.h>
#include <array>
#include <string>
#include <utility>

namespace tcpkeep {
namespace {

class NestingScan {
public:
    explicit NestingScan(std::string_view text) : t_(text) {}

    std::optional<ScanProblem> problem() {
        while (i_ < t_.size()) {
            const char c = t_[i_];
            if (const std::size_t n = non_ascii_character(); n > 0)
                return ScanProblem{pos_, i_, fmt::format("character '{}' outside a string or a comment (quote it)", t_.substr(i_, n))};
            if (bare_ && is_value_terminator(c)) bare_ = false;
            if (bare_) {  // toml++ reads a bare value (number, date, true ...) to a terminator: quotes and brackets too
                next();
            } else if (c == '\n') {
                if (open_ == 0) start_key(header_depth_);  // a new top-level line: a key or a [header]
                next();
            } else if (c == '#') {
                while (i_ < t_.size() && t_[i_] != '\n') next();
            } else if ((c == '"' || c == '\'') && (in_key_ ? string_can_start() : value_start_)) {
                if (in_key_ && !key_segment()) return too_deep();
                value_start_ = false;
                if (std::optional<ScanProblem> p = skip_string(c)) return p;
            } else if (c == '}' || (c == ']' && !(in_key_ && header_))) {  // closes a value, even "{}" where a key could be
                if (c == '}' && open_ > 0 && stack_[open_ - 1].kind == '[')
                    return ScanProblem{pos_, i_, "'}' inside an array (an array ends with ']')"};
                if (open_ > 0) --open_;  // unbalanced otherwise: toml++ reports it
                value_depth_ = open_ > 0 ? stack_[open_ - 1].depth : key_depth_;
                in_key_ = value_start_ = false;
                next();
            } else if (in_key_) {
                if (std::optional<ScanProblem> p = key_char(c)) return p;
            } else if (c == '[' || c == '{') {
                // Each open array or table is a level of its own, whatever the keys before it (even none).
                if (++value_depth_ > max_nesting || open_ == max_nesting) return too_deep();
                stack_[open_++] = {c, value_depth_};
                value_start_ = c == '[';
                next();
                if (c == '{') start_key(value_depth_);
            } else if (c == ',' && open_ > 0) {
                if (stack_[open_ - 1].kind == '{') start_key(stack_[open_ - 1].depth);
                value_start_ = stack_[open_ - 1].kind == '[';
                next();
            } else {
                if (value_start_ && c != ' ' && c != '\t' && c != '\r') {
                    bare_ = true, value_start_ = false;
                    const auto [chars, end] = bare_value(12);
                    if (date_then_one_digit(chars, end)) return ScanProblem{pos_, i_, "a date followed by a one-digit time (a time is HH:MM:SS)"};
                    if (date_then_t_without_time(chars, end)) return ScanProblem{pos_, i_, "a date followed by 'T' and no time (a time is HH:MM:SS)"};
                }
                next();
            }
        }
        return std::nullopt;
    }

private:
    struct Open {
        char kind;  // '[' array or '{' inline table
        int depth;
    };
    std::string_view t_;
    std::size_t i_ = 0;
    char prev_ = '\n';          // the character before i_
    bool value_start_ = false;  // where a value starts: after "=", "[" or "," in an array
    bool bare_ = false;         // inside a value that is not a string, array or inline table
    SourcePos pos_{1, 1};
    std::array<Open, max_nesting> stack_{};
    int open_ = 0;          // arrays and inline tables open at i_
    bool in_key_ = true;    // reading a key or a table header (else a value)
    bool header_ = false;   // the key is a [table] or [[array]] header
    bool started_ = false;  // the key has its first segment
    int base_ = 0;          // depth the key builds on
    int key_depth_ = 0;     // depth the key has reached
    int header_depth_ = 0;  // depth of the current [table]: its keys build on it
    int value_depth_ = 0;

    void next() {
        prev_ = t_[i_];
        // Columns count characters: a UTF-8 continuation byte belongs to the character before it.
        if (t_[i_] == '\n') {
            ++pos_.line;
            pos_.column = 1;
        } else if ((static_cast<unsigned char>(t_[i_]) & 0xC0) != 0x80) {
            ++pos_.column;
        }
        ++i_;
    }

    // toml++'s terminators: its whitespace (ASCII: space, tab, and \n \v \f \r) and , ] } #.
    static bool is_value_terminator(char c) {
        return c == ' ' || c == '\t' || (c >= '\n' && c <= '\r') || c == ',' || c == ']' || c == '}' || c == '#';
    }

    // The bare value at i_ as toml++ reads it to tell what it is: up to `most` characters before a
    // terminator, without the '_' it skips; and where they end. (Both date checks read the first 12.)
    [[nodiscard]] std::pair<std::string, std::size_t> bare_value(std::size_t most) const {
        std::size_t j = i_;
        std::string chars;
        for (; j < t_.size() && !is_value_terminator(t_[j]) && chars.size() < most; ++j)
            if (t_[j] != '_') chars += t_[j];
        return {chars, j};
    }
    [[nodiscard]] bool digit_at(std::size_t k) const { return k < t_.size() && t_[k] >= '0' && t_[k] <= '9'; }
    // Ten characters shaped like a date ("1979-05-27"), the first a digit.
    [[nodiscard]] bool date_shaped(const std::string& chars) const {
        return chars.size() >= 10 && digit_at(i_) && chars[4] == '-' && chars[7] == '-';
    }

    // At the start of a bare value: a date, a space, one digit, then a terminator. toml++ reads on
    // after the space for a time and scans from the terminator against its own precondition: an
    // assert, or __builtin_assume in a release build (found by tests/fuzz).
    [[nodiscard]] bool date_then_one_digit(const std::string& chars, std::size_t j) const {
        return chars.size() == 10 && date_shaped(chars) && j + 2 < t_.size() && t_[j] == ' ' && digit_at(j + 1) && is_value_terminator(t_[j + 2]);
    }

    // At the start of a bare value: a date, 'T' or 't', then no digit where the time starts
    // ("1979-05-27t:", or 'T' then the end of the line). toml++ asks for the time's first digit
    // against its precondition, the same assert (found by tests/fuzz); at the end of the text it stops first.
    [[nodiscard]] bool date_then_t_without_time(const std::string& chars, std::size_t j) const {
        if (chars.size() < 11 || !date_shaped(chars) || (chars[10] != 'T' && chars[10] != 't')) return false;
        return chars.size() == 11 ? j < t_.size() : !(chars[11] >= '0' && chars[11] <= '9');
    }

    void start_key(int base) {
        in_key_ = true;
        value_start_ = bare_ = false;
        header_ = false;
        started_ = false;
        base_ = base;
    }

    bool key_segment() {
        if (!started_) {
            started_ = true;
            key_depth_ = base_ + 1;
        }
        return key_depth_ <= max_nesting;
    }

    [[nodiscard]] ScanProblem too_deep() const {
        return {pos_, i_, fmt::format("nested deeper than {} levels of tables, arrays and dotted keys (a policy needs at most 4)", max_nesting)};
    }

    // The length of the UTF-8 character at i_ when it is a well-formed non-ASCII one (ill-formed
    // bytes are toml++'s to report), else 0.
    [[nodiscard]] std::size_t non_ascii_character() const {
        if (i_ >= t_.size()) return 0;
        const auto lead = static_cast<unsigned char>(t_[i_]);
        const std::size_t n = lead >= 0xC2 && lead <= 0xDF ? 2 : lead >= 0xE0 && lead <= 0xEF ? 3 : lead >= 0xF0 && lead <= 0xF4 ? 4 : 0;
        if (n == 0 || i_ + n > t_.size()) return 0;
        for (std::size_t k = 1; k < n; ++k)
            if ((static_cast<unsigned char>(t_[i_ + k]) & 0xC0) != 0x80) return 0;
        return n;
    }

    // One character of a key or a header: a problem where it nests too deep or names no key.
    std::optional<ScanProblem> key_char(char c) {
        if (c == '[' && !started_ && !header_ && open_ == 0) {  // [table] or [[array of tables]]
            header_ = true;
            base_ = 0;
            if (i_ + 1 < t_.size() && t_[i_ + 1] == '[') {
                base_ = 1;
                next();
            }
            next();
            return header_name_start();
        }
        if (c == '.' && started_) {
            if (++key_depth_ > max_nesting) return too_deep();
        } else if (c == ']' && header_) {
            header_depth_ = key_depth_;
            in_key_ = false;  // the rest of the line: "]" of [[...]], a comment, nothing
        } else if (c == '=') {
            in_key_ = false;
            value_start_ = true;
            value_depth_ = started_ ? key_depth_ : base_;  // "= 1" names no key: toml++ reports it
        } else if (c != ' ' && c != '\t' && c != '\r' && !key_segment()) {
            return too_deep();
        }
        next();
        return std::nullopt;
    }

    // After "[" or "[[" and any blanks: a bare key character or a quote.
    std::optional<ScanProblem> header_name_start() {
        while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t')) next();
        const char c = i_ < t_.size() ? t_[i_] : '\n';
        const bool key_start =
            (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '"' || c == '\'';
        if (key_start || non_ascii_character() > 0) return std::nullopt;  // a non-ASCII one is reported next
        const std::string saw = c == '\n' || c == '\r' ? "the end of the line" : fmt::format("'{}'", c);
        return ScanProblem{pos_, i_, fmt::format("expected a table name after \"{}\", saw {}", base_ == 1 ? "[[" : "[", saw)};
    }

    // A quote starts a string only where a key or a value starts, as toml++ reads it ("+'x'" is no string).
    [[nodiscard]] bool string_can_start() const {
        return prev_ == ' ' || prev_ == '\t' || prev_ == '\n' || prev_ == '\r' || prev_ == '=' || prev_ == '[' || prev_ == '{' || prev_ == ',' ||
               prev_ == '.';
    }

    // Skips a basic, literal or multi-line string (to the end of the text when it never ends). In a
    // multi-line basic string, toml++ asks whether the character after a backslash, and after the
    // blanks and newlines a line-ending backslash trims, is whitespace: a non-ASCII one is a problem.
    std::optional<ScanProblem> skip_string(char quote) {
        const std::string_view triple_quote = quote == '"' ? R"(""")" : "'''";
        const bool triple = t_.substr(i_, 3) == triple_quote;
        const auto skip = [this](int n) {
            for (int k = 0; k < n && i_ < t_.size(); ++k) next();
        };
        skip(triple ? 3 : 1);
        while (i_ < t_.size()) {
            const char c = t_[i_];
            if (c == '\\' && quote == '"' && triple) {
                next();
                const std::size_t after_backslash = i_;
                while (i_ < t_.size() && (t_[i_] == ' ' || t_[i_] == '\t' || t_[i_] == '\r' || t_[i_] == '\n')) next();
                if (const std::size_t n = non_ascii_character(); n > 0)
                    return ScanProblem{
                        pos_, i_,
                        fmt::format("character '{}' after a backslash in a multi-line string (write it as a \\u escape)", t_.substr(i_, n))};
                if (i_ == after_backslash && i_ < t_.size()) next();  // an escape (\" \\ \n \uXXXX): its first character
            } else if (c == '\\' && quote == '"') {
                skip(2);
            } else if (c == '\n' && !triple) {
                return std::nullopt;  // toml++ reports the newline
            } else if (c == quote && (!triple || t_.substr(i_, 3) == triple_quote)) {
                skip(triple ? 3 : 1);
                return std::nullopt;
            } else {
                next();
            }
        }
        return std::nullopt;
    }
};

}  // namespace

std::optional<ScanProblem> scan_before_toml(std::string_view text) { return NestingScan(text).problem(); }

}  // namespace tcpkeep
