#include "tools/inspection/target_credentials.h"

#include <linux/capability.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <string>

namespace tcpkeep::cli {
namespace {

// The text after "NAME:" on the line that starts with it, or nullopt.
std::optional<std::string_view> field(std::string_view status, std::string_view name) {
    for (std::size_t at = 0; at < status.size();) {
        const std::size_t end = std::min(status.find('\n', at), status.size());
        const std::string_view line = status.substr(at, end - at);
        if (line.size() > name.size() && line.starts_with(name) && line[name.size()] == ':') return line.substr(name.size() + 1);
        at = end + 1;
    }
    return std::nullopt;
}

// The whitespace-separated numbers of a field, in `base`.
std::optional<std::vector<std::uint64_t>> numbers(std::string_view text, int base) {
    std::vector<std::uint64_t> out;
    for (std::size_t at = 0; at < text.size();) {
        while (at < text.size() && (text[at] == ' ' || text[at] == '\t')) ++at;
        if (at == text.size()) break;
        std::uint64_t value = 0;
        const auto [end, ec] = std::from_chars(text.data() + at, text.data() + text.size(), value, base);
        if (ec != std::errc{} || (end != text.data() + text.size() && *end != ' ' && *end != '\t')) return std::nullopt;
        out.push_back(value);
        at = static_cast<std::size_t>(end - text.data());
    }
    return out;
}

}  // namespace

Result<TargetCredentials> parse_credentials(std::string_view status) {
    TargetCredentials who;
    const auto ids = [&](std::string_view name) -> Result<std::vector<std::uint64_t>> {
        const std::optional<std::string_view> text = field(status, name);
        std::optional<std::vector<std::uint64_t>> values = text ? numbers(*text, 10) : std::nullopt;
        if (!values || values->size() != 4) return Error{std::string("no valid ") + std::string(name) + " line"};
        return std::move(*values);
    };
    const Result<std::vector<std::uint64_t>> uids = ids("Uid");
    if (!uids) return uids.error();
    const Result<std::vector<std::uint64_t>> gids = ids("Gid");
    if (!gids) return gids.error();
    who.effective_uid = static_cast<uid_t>((*uids)[1]);
    who.uid = static_cast<uid_t>((*uids)[3]);
    who.gid = static_cast<gid_t>((*gids)[3]);
    const std::optional<std::string_view> groups_text = field(status, "Groups");
    const std::optional<std::vector<std::uint64_t>> groups = groups_text ? numbers(*groups_text, 10) : std::nullopt;
    if (!groups) return Error{"no valid Groups line"};
    for (const std::uint64_t g : *groups) who.groups.push_back(static_cast<gid_t>(g));
    const std::optional<std::string_view> caps_text = field(status, "CapEff");
    const std::optional<std::vector<std::uint64_t>> caps = caps_text ? numbers(*caps_text, 16) : std::nullopt;
    if (!caps || caps->size() != 1) return Error{"no valid CapEff line"};
    who.capabilities = (*caps)[0];
    return who;
}

Result<void> become(const TargetCredentials& who) {
    const auto failed = [] { return Error{std::strerror(errno), errno}; };
    if (::syscall(SYS_setgroups, who.groups.size(), who.groups.data()) != 0) return failed();
    if (::syscall(SYS_setresgid, who.gid, who.gid, who.gid) != 0) return failed();
    if (::syscall(SYS_setresuid, who.uid, who.uid, who.uid) != 0) return failed();
    if (who.uid != 0) return {};  // the change of uid has cleared every capability
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2]{};
    for (int i = 0; i < 2; ++i) {
        const auto word = static_cast<std::uint32_t>(who.capabilities >> (32 * i));
        data[i].effective = data[i].permitted = word;
    }
    if (::syscall(SYS_capset, &header, data) != 0) return failed();
    return {};
}

}  // namespace tcpkeep::cli
