// The fast path for reading a policy: a parser for the plain TOML policies are written in —
// [table] and [[array]] headers and bare `key = value` lines with basic strings, decimal integers,
// booleans and one-level arrays of them, comments, LF or CRLF, ASCII only. It builds the same
// Document toml++ would (values, positions, file order) at a fraction of the cost (no DOM of
// heap nodes, no UTF-8 decoding). Anything else — other syntax, or anything toml++ would call an
// error — it declines, and the caller parses the text with toml++: it never decides what is valid.
#pragma once
#include <optional>
#include <string_view>

#include "config/document.h"

namespace tcpkeep {

// The document, or nullopt when the text is not plain. Its strings point into `text`.
std::optional<Document> parse_plain_toml(std::string_view text);

}  // namespace tcpkeep
