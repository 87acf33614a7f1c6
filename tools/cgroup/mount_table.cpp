#include "tools/cgroup/mount_table.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "system/small_file.h"

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

struct Mount {
    std::string root, point, type;
};

// One line of mountinfo: "ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE ...".
std::optional<Mount> parse_line(const std::string& line) {
    std::istringstream fields(line);
    std::string id, parent, device, root, point, field;
    if (!(fields >> id >> parent >> device >> root >> point)) return std::nullopt;
    while (fields >> field)
        if (field == "-") {
            std::string type;
            if (!(fields >> type)) return std::nullopt;
            return Mount{decode_octal_escapes(root), decode_octal_escapes(point), type};
        }
    return std::nullopt;
}

// Whether a mount on `later` hides `point`: the same directory or one above it.
bool hides(const std::string& later, const std::string& point) {
    return later == "/" || later == point || (point.compare(0, later.size(), later) == 0 && point[later.size()] == '/');
}

}  // namespace

std::optional<std::string> find_mount(std::string_view mountinfo, std::string_view type) {
    std::vector<Mount> mounts;
    std::istringstream lines{std::string(mountinfo)};
    for (std::string line; std::getline(lines, line);)
        if (std::optional<Mount> m = parse_line(line)) mounts.push_back(std::move(*m));
    for (std::size_t i = 0; i < mounts.size(); ++i) {
        if (mounts[i].type != type || mounts[i].root != "/") continue;
        const auto hidden = std::any_of(mounts.begin() + static_cast<std::ptrdiff_t>(i) + 1, mounts.end(),
                                        [&](const Mount& later) { return hides(later.point, mounts[i].point); });
        if (!hidden) return mounts[i].point;
    }
    return std::nullopt;
}

std::optional<std::string> find_mount_now(std::string_view type) {
    const Result<std::string> text = read_small_file(proc_path(0, "mountinfo"));
    return find_mount(text ? *text : std::string(), type);
}

}  // namespace tcpkeep
