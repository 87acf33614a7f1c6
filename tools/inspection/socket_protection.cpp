#include "tools/inspection/socket_protection.h"

#include "config/option_table.h"
#include "tools/inspection/host_audit.h"

namespace tcpkeep::cli {
namespace {

// `over`'s options replace `base`'s.
Settings laid_over(const Settings& base, const Settings& over) {
    Settings out = base;
    for (const OptionSpec& spec : option_table)
        if (over.has(spec.option)) spec.store(out, spec.value(over));
    out.mask = static_cast<std::uint8_t>(base.mask | over.mask);
    return out;
}

bool policy_turns_keepalive_on(const SocketReport& s) { return s.expected.has(Option::keepalive) && s.expected.keepalive; }

}  // namespace

const char* protection_name(Protection p) {
    switch (p) {
        case Protection::shim: return "shim";
        case Protection::cgroup: return "cgroup";
        case Protection::program: return "program";
        case Protection::skipped: return "skipped";
        case Protection::unprotected: return "unprotected";
        case Protection::unknown: break;
    }
    return "unknown";
}

Protection protection_of(const ProcessReport& process, const SocketReport& s) {
    if (s.action == Verdict::Kind::skip) return Protection::skipped;
    if (!s.actual) return Protection::unknown;
    if (!s.actual->keepalive) return Protection::unprotected;
    // Keepalive is on. The program's own: the policy asks for none, or the program chose values
    // of its own over the policy's.
    if (!policy_turns_keepalive_on(s) || s.program_chose() != 0) return Protection::program;
    if (s.direction_source == DirectionSource::shim) return Protection::shim;  // the shim recorded deciding this very socket
    if (process.cgroup_attachment) return Protection::cgroup;
    // An inherited socket (sshd's session, an inetd child) or one opened before the shim's record:
    // the shim's when it is at work here, or loaded and the values are the policy's; a shim that
    // cannot act (a Go program) set nothing, so other values are the program's own.
    const bool policy_values = s.ok().value_or(false);
    return process.shim.loaded && (policy_values || !process.shim_inactive) ? Protection::shim : Protection::program;
}

std::optional<std::int64_t> policy_idle_detection_ms(const SocketReport& s) {
    if (!policy_turns_keepalive_on(s) || !s.actual) return std::nullopt;
    return idle_detection_ms(laid_over(*s.actual, s.expected));
}

}  // namespace tcpkeep::cli
