#include "tools/launch/preload_environment.h"

#include <fmt/format.h>
#include <algorithm>

#include "tools/inspection/shim_presence.h"

namespace tcpkeep::cli {
namespace {

bool plain(std::string_view v) {
    return std::all_of(v.begin(), v.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               std::string_view("/._-+:,=@").find(c) != std::string_view::npos;
    });
}

// systemd reads Environment= words with C escapes inside double quotes, and expands '%'
// specifiers everywhere: "%%" is a literal '%'. A line break would end the line, so it is "\n".
std::string systemd_line(std::string_view key, std::string_view value) {
    if (plain(value)) return fmt::format("Environment={}={}\n", key, value);
    std::string out = fmt::format("Environment=\"{}=", key);
    for (char c : value) {
        switch (c) {
            case '%': out += "%%"; break;
            case '\\': out += "\\\\"; break;
            case '"': out += "\\\""; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            default: out += c;
        }
    }
    return out + "\"\n";
}

// Inside single quotes a shell takes every character as it is, line breaks included; a quote
// itself ends the quoting, is written escaped, and the quoting starts again.
std::string shell_line(std::string_view key, std::string_view value) {
    if (plain(value)) return fmt::format("export {}={}\n", key, value);
    std::string out = fmt::format("export {}='", key);
    for (char c : value) out += c == '\'' ? std::string_view("'\\''") : std::string_view(&c, 1);
    return out + "'\n";
}

// Dockerfile double quotes: a backslash escapes '"', '$' and itself; '$' unescaped would expand.
Result<std::string> docker_line(std::string_view key, std::string_view value) {
    if (plain(value)) return fmt::format("ENV {}={}\n", key, value);
    if (value.find_first_of("\n\r") != std::string_view::npos) return Error{"a Dockerfile ENV line cannot hold a line break"};
    std::string out = fmt::format("ENV {}=\"", key);
    for (char c : value) {
        if (c == '\\' || c == '"' || c == '$') out += '\\';
        out += c;
    }
    return out + "\"\n";
}

}  // namespace

std::string prepend_shim(const std::string& shim, const std::optional<std::string>& existing) {
    std::string out = shim;
    if (!existing) return out;
    for (const std::string& entry : preload_entries(*existing))
        if (!is_shim_path(entry)) out += ":" + entry;
    return out;
}

Result<std::string> environment_line(EnvFormat format, std::string_view key, std::string_view value) {
    switch (format) {
        case EnvFormat::systemd: return systemd_line(key, value);
        case EnvFormat::shell: return shell_line(key, value);
        case EnvFormat::docker: break;
    }
    return docker_line(key, value);
}

}  // namespace tcpkeep::cli
