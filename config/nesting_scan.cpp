#include "config/nesting_scan.h"

#include <array>
#include <fmt/format.h>

namespace tcpkeep {
namespace {

class NestingScan {
public:
    explicit NestingScan(std::string_view text) : t_(text) {}

    std::optional<ScanProblem> problem() {
        while (i_ < t_.size()) {
            const char c = t_[i_];
            if (const std::size_t n = non_ascii_character(); n > 0) {
                return ScanProblem{pos_, fmt::format("character '{}' outside a string or a comment (quote it)", t_.substr(i_, n))};
            } else if (c == '\n') {
                if (open_ == 0) start_key(header_depth_);  // a new top-level line: a key or a [header]
                next();
            } else if (c == '#') {
                while (i_ < t_.size() && t_[i_] != '\n') next();
            } else if (c == '"' || c == '\'') {
                if (in_key_ && !key_segment()) return too_deep();
                if (!skip_string(c)) return std::nullopt;  // unterminated: toml++ reports it
            } else if (in_key_) {
                if (std::optional<ScanProblem> p = key_char(c)) return p;
            } else if (c == '[' || c == '{') {
                if (++value_depth_ > max_nesting) return too_deep();
                stack_[open_++] = {c, value_depth_};
                next();
                if (c == '{') start_key(value_depth_);
            } else if (c == ']' || c == '}') {
                if (open_ > 0) --open_;  // unbalanced: toml++ reports it
                value_depth_ = open_ > 0 ? stack_[open_ - 1].depth : key_depth_;
                next();
            } else if (c == ',' && open_ > 0 && stack_[open_ - 1].kind == '{') {
                start_key(stack_[open_ - 1].depth);
                next();
            } else {
                next();  // a value's own characters: digits, dots of floats and times, true, ...
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
    SourcePos pos_{1, 1};
    std::array<Open, max_nesting + 1> stack_{};
    int open_ = 0;          // arrays and inline tables open at i_
    bool in_key_ = true;    // reading a key or a table header (else a value)
    bool header_ = false;   // the key is a [table] or [[array]] header
    bool started_ = false;  // the key has its first segment
    int base_ = 0;          // depth the key builds on
    int key_depth_ = 0;     // depth the key has reached
    int header_depth_ = 0;  // depth of the current [table]: its keys build on it
    int value_depth_ = 0;

    void next() {
        // Columns count characters: a UTF-8 continuation byte belongs to the character before it.
        if (t_[i_] == '\n') {
            ++pos_.line;
            pos_.column = 1;
        } else if ((static_cast<unsigned char>(t_[i_]) & 0xC0) != 0x80) {
            ++pos_.column;
        }
        ++i_;
    }

    void start_key(int base) {
        in_key_ = true;
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
        return {pos_, fmt::format("nested deeper than {} levels of tables, arrays and dotted keys (a policy needs at most 4)", max_nesting)};
    }

    // The length of the UTF-8 character at i_ when it is a well-formed non-ASCII one (ill-formed
    // bytes are toml++'s to report), else 0.
    [[nodiscard]] std::size_t non_ascii_character() const {
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
            value_depth_ = key_depth_;
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
        const bool key_start = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
                               c == '-' || c == '"' || c == '\'';
        if (key_start || non_ascii_character() > 0) return std::nullopt;  // a non-ASCII one is reported next
        const std::string saw = c == '\n' || c == '\r' ? "the end of the line" : fmt::format("'{}'", c);
        return ScanProblem{pos_, fmt::format("expected a table name after \"{}\", saw {}", base_ == 1 ? "[[" : "[", saw)};
    }

    // Skips a basic, literal or multi-line string; false when it never ends.
    bool skip_string(char quote) {
        const std::string_view triple_quote = quote == '"' ? R"(""")" : "'''";
        const bool triple = t_.substr(i_, 3) == triple_quote;
        const auto skip = [this](int n) {
            for (int k = 0; k < n && i_ < t_.size(); ++k) next();
        };
        skip(triple ? 3 : 1);
        while (i_ < t_.size()) {
            const char c = t_[i_];
            if (c == '\\' && quote == '"') {
                skip(2);
            } else if (c == '\n' && !triple) {
                return true;  // toml++ reports the newline
            } else if (c == quote && (!triple || t_.substr(i_, 3) == triple_quote)) {
                skip(triple ? 3 : 1);
                return true;
            } else {
                next();
            }
        }
        return false;
    }
};

}  // namespace

std::optional<ScanProblem> scan_before_toml(std::string_view text) { return NestingScan(text).problem(); }

}  // namespace tcpkeep
