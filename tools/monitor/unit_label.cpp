#include "tools/monitor/unit_label.h"

#include <array>

namespace tcpkeep::cli {

std::string unit_of_cgroup(std::string_view cgroup) {
    // Slices only group units: a path of slices alone names no unit.
    constexpr std::array<std::string_view, 3> unit_suffixes{".service", ".scope", ".socket"};
    std::string_view rest = cgroup;
    std::string_view deepest;
    while (!rest.empty()) {
        const std::size_t slash = rest.find('/');
        const std::string_view part = rest.substr(0, slash);
        for (const std::string_view suffix : unit_suffixes)
            if (part.size() > suffix.size() && part.ends_with(suffix)) deepest = part;
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    }
    return std::string(deepest.empty() ? cgroup : deepest);
}

std::string program_of(std::string_view executable) {
    constexpr std::string_view deleted = " (deleted)";  // the kernel's mark on a replaced executable
    if (executable.ends_with(deleted)) executable.remove_suffix(deleted.size());
    const std::size_t slash = executable.rfind('/');
    return std::string(slash == std::string_view::npos ? executable : executable.substr(slash + 1));
}

}  // namespace tcpkeep::cli
