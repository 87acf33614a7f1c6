#include "shim/decision_log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <cstdio>

#include "config/option_table.h"
#include "shim/log.h"

namespace tcpkeep::shim {
namespace {

void format_host(const sockaddr* addr, char (&host)[INET6_ADDRSTRLEN]) {
    if (addr != nullptr && addr->sa_family == AF_INET)
        ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(addr)->sin_addr, host, sizeof host);
    else if (addr != nullptr && addr->sa_family == AF_INET6)
        ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(addr)->sin6_addr, host, sizeof host);
}

// Appends printf output to a fixed buffer, stopping quietly when it is full.
struct LineBuffer {
    char text[240] = "";
    std::size_t used = 0;
    template <typename... Args>
    void add(const char* format, Args... args) {
        if (used >= sizeof text) return;
        const int n = std::snprintf(text + used, sizeof text - used, format, args...);
        if (n > 0) used += static_cast<std::size_t>(n);
    }
};

}  // namespace

void log_decision(int fd, const char* what, const sockaddr* addr, const char* port_label, std::uint16_t port, const Verdict& v, std::uint8_t leave,
                  std::uint8_t set) {
    if (!log_enabled(LogLevel::debug)) return;
    char host[INET6_ADDRSTRLEN] = "*";
    format_host(addr, host);
    if (v.kind != Verdict::Kind::apply) {
        log_line(LogLevel::debug, "fd %d %s %s %s %u: %s", fd, what, host, port_label, port,
                 v.kind == Verdict::Kind::skip ? "skip rule, left unchanged" : "no rule and no [defaults], left unchanged");
        return;
    }
    const Settings& s = v.settings;
    const std::uint8_t program_own = v.enforce ? 0 : s.mask & leave;
    const std::uint8_t failed = s.mask & ~program_own & ~set;
    LineBuffer line;
    line.add(set != 0 ? "set" : "set nothing");
    for (const OptionSpec& o : option_table)
        if ((set & bit(o.option)) != 0) line.add(" %s=%d%s", o.key, o.value(s), o.unit);
    auto list = [&](std::uint8_t mask, const char* title) {
        if (mask == 0) return;
        line.add("; %s:", title);
        for (const OptionSpec& o : option_table)
            if ((mask & bit(o.option)) != 0) line.add(" %s", o.key);
    };
    list(program_own, "left as the program set them");
    list(failed, "setsockopt failed");
    log_line(LogLevel::debug, "fd %d %s %s %s %u: rule \"%s\": %s%s", fd, what, host, port_label, port, v.name, line.text,
             v.enforce ? " (enforced)" : "");
}

void log_restored(int fd, std::uint8_t restored) {
    if (restored == 0 || !log_enabled(LogLevel::debug)) return;
    LineBuffer line;
    for (const OptionSpec& o : option_table)
        if ((restored & bit(o.option)) != 0) line.add(" %s", o.key);
    log_line(LogLevel::debug, "fd %d: back to the kernel's defaults, which the policy no longer changes:%s", fd, line.text);
}

}  // namespace tcpkeep::shim
