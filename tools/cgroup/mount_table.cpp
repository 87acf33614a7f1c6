#include "tools/cgroup/mount_table.h"

#include <fstream>
#include <sstream>

namespace tcpkeep {
namespace {

std::string decode_octal_escapes(std::string_view field) {
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        const bool escape = field[i] == '\\' && i + 3 < field.size();
        if (escape && field.substr(i + 1, 3).find_first_not_of("01234567") == std::string_view::npos) {
            out += static_cast<char>((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0'));
            i += 3;
        } else {
            out += field[i];
        }
    }
    return out;
}

}  // namespace

std::optional<std::string> find_mount(std::string_view proc_mounts, std::string_view type) {
    std::istringstream lines{std::string(proc_mounts)};
    std::string line;
    while (std::getline(lines, line)) {
        std::istringstream fields(line);
        std::string device, point, fs_type;
        if (fields >> device >> point >> fs_type && fs_type == type) return decode_octal_escapes(point);
    }
    return std::nullopt;
}

std::optional<std::string> find_mount_now(std::string_view type) {
    std::ifstream in("/proc/self/mounts");
    std::stringstream text;
    text << in.rdbuf();
    return find_mount(text.str(), type);
}

}  // namespace tcpkeep
