// Writing a file that readers (node_exporter's textfile collector) see whole or not at all: a
// temporary file in the same directory, then rename().
#pragma once
#include <sys/types.h>

#include <string>
#include <string_view>

#include "config/result.h"

namespace tcpkeep::cli {

Result<void> replace_file(const std::string& path, std::string_view text, mode_t mode);

}  // namespace tcpkeep::cli
