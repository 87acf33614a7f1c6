// Any TOML text through toml++ (the only code that includes it), into the reader's Document; for
// what the plain parser declines. Inputs toml++ 3.3.0 cannot be given safely are refused first
// (config/nesting_scan.h).
#pragma once
#include <string>
#include <string_view>

#include "config/document.h"
#include "config/result.h"

namespace tcpkeep {

// Where the text stops being TOML, and why.
struct TomlError {
    SourcePos pos;
    std::string message;
};

// The document (its strings are its own), or the first place the text is not TOML.
Result<Document, TomlError> parse_toml(std::string_view text);

}  // namespace tcpkeep
