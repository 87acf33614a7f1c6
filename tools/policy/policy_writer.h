// A Policy model written back as policy v1 TOML: how `tcpkeep run -s` hands a changed policy to
// the shim, which reads only files. Reading the output gives the same policy.
#pragma once
#include <string>
#include <string_view>

#include "config/policy.h"

namespace tcpkeep::cli {

// `comment` becomes the file's first lines, each prefixed with "# ".
std::string to_toml(const Policy& policy, std::string_view comment);

// A TOML basic string: "..." with quote, backslash and control characters escaped.
std::string toml_string(std::string_view text);

}  // namespace tcpkeep::cli
