#include "tools/inspection/socket_decision.h"

#include "config/option_table.h"
#include "tools/inspection/remote_socket.h"

namespace tcpkeep::cli {
namespace {

const Verdict& verdict_for(const CompiledPolicy& policy, const TcpSocket& socket, Direction direction) {
    const TcpEntry& e = socket.entry;
    const PeerAddress peer = e.remote.peer();
    return policy.decide(direction, direction == Direction::inbound ? e.local.port : e.remote.port, socket.listening() ? nullptr : &peer);
}

bool same_decision(const Verdict& a, const Verdict& b) {
    if (a.kind != b.kind) return false;
    if (a.kind != Verdict::Kind::apply) return true;
    for (const OptionSpec& spec : option_table) {
        const bool has = a.settings.has(spec.option);
        if (has != b.settings.has(spec.option) || (has && spec.value(a.settings) != spec.value(b.settings))) return false;
    }
    return true;
}

}  // namespace

void decide_socket(const CompiledPolicy& policy, SocketReport& s, bool guessed) {
    const Verdict& v = verdict_for(policy, s.socket, s.direction);
    s.action = v.kind;
    s.rule = v.name;
    if (v.kind == Verdict::Kind::apply) s.expected = v.settings;
    if (v.enforce) s.enforced = v.settings.mask;  // whichever policy: the shim's, a named one, an attachment's
    s.direction_ambiguous = guessed && !same_decision(v, verdict_for(policy, s.socket, Direction::outbound));
}

void apply_expected(int fd, bool dry_run, SocketReport& s) {
    const std::uint8_t program_own = s.program_chose();
    for (const OptionSpec& spec : option_table) {
        const Option o = spec.option;
        if (!s.expected.has(o) || (program_own & bit(o)) != 0 || spec.value(s.expected) == spec.value(*s.actual)) continue;
        OptionChange c{o, spec.value(*s.actual), spec.value(s.expected), 0};
        if (!dry_run) {
            const Result<void> written = write_option(fd, o, s.expected);
            c.error = written ? 0 : written.error().code;
        }
        s.changes.push_back(c);
    }
    if (!dry_run && !s.changes.empty()) {
        const Result<Settings> after = read_options(fd);
        s.actual = after ? std::optional<Settings>(*after) : std::nullopt;
    }
}

}  // namespace tcpkeep::cli
