#include "tools/launch/shim_location.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <unistd.h>
#include <cstdlib>
#include <filesystem>
#include <vector>

namespace tcpkeep::cli {

Result<std::string> locate_shim() {
    namespace fs = std::filesystem;
    std::vector<std::string> tried;  // every candidate looked at, for the message
    std::vector<fs::path> candidates;
    if (const char* env = std::getenv("TCPKEEP_SHIM"); env != nullptr && *env != '\0') {
        candidates.emplace_back(env);
    } else {
        std::error_code ec;
        const fs::path tool_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
        candidates.push_back(tool_dir / TCPKEEP_INSTALL_SHIM_RELATIVE);  // relative paths from CMake
        // The build tree's layout, unless it is the same path (an install under <prefix>/lib).
        if (fs::path build = tool_dir / TCPKEEP_BUILD_SHIM_RELATIVE; build.lexically_normal() != candidates.back().lexically_normal())
            candidates.push_back(build);
    }
    for (const fs::path& c : candidates) {
        std::error_code ec;
        const fs::path canonical = fs::canonical(c, ec);
        tried.push_back(ec ? c.lexically_normal().string() : canonical.string());
        if (!ec && fs::is_regular_file(canonical, ec) && ::access(canonical.c_str(), R_OK) == 0) return canonical.string();
    }
    return Error{fmt::format("cannot find {} (looked at {}); set TCPKEEP_SHIM=PATH", TCPKEEP_SHIM_FILE_NAME, fmt::join(tried, ", "))};
}

}  // namespace tcpkeep::cli
