// Any TOML text through toml++ (the only code that includes it), into the reader's Document; for
// what the plain parser declines. Inputs toml++ 3.3.0 cannot be given safely are refused first
// (config/nesting_scan.h).
#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "config/document.h"

namespace tcpkeep {

struct TomlParse {
    std::optional<Document> document;  // its strings are its own
    SourcePos error_pos;               // else: where the text stops being TOML, and why
    std::string error;
};

TomlParse parse_toml(std::string_view text);

}  // namespace tcpkeep
