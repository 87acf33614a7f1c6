// Text from a target process (its executable path, comm, environment, the paths it names) and the
// messages that quote it are printed escaped: a newline or a terminal escape in them must not add
// a forged row to root's report or reach root's terminal. JSON output needs no such step (the
// encoder escapes control characters; invalid UTF-8 is replaced: see json_text).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace tcpkeep::cli {

// `text` with every control character (C0, DEL, C1), backslash-free \n \t \r, and every byte that
// is not part of valid UTF-8 written as an escape ("\n", "\t", "\r", "\x1b"); valid UTF-8 text kept.
std::string printable(std::string_view text);

// `j` as indented text; a string that is not valid UTF-8 (a path from another process) has its
// bad bytes replaced by U+FFFD instead of aborting the whole report.
std::string json_text(const nlohmann::ordered_json& j);

}  // namespace tcpkeep::cli
