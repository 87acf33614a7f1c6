#include "tools/process_inspection.h"

#include <cerrno>
#include <fmt/format.h>
#include <set>
#include <sys/stat.h>

#include "config/compiled_policy.h"
#include "system/read_kernel_defaults.h"
#include "system/read_process_identity.h"
#include "tools/option_values.h"
#include "tools/process_facts.h"
#include "tools/remote_socket.h"
#include "tools/target_error.h"
#include "tools/target_policy.h"

namespace tcpkeep::cli {
namespace {

Policy policy_for(pid_t pid, const InspectRequest& request, std::string& name) {
    const ChosenPolicy chosen = policy_of_process(pid, request.policy_path);
    name = chosen.path_or_name();
    if (!chosen.load.ok()) {
        const Diagnostic* e = first_error(chosen.load.diagnostics);
        throw TargetError(fmt::format("process {}: {}: the shim leaves its sockets unchanged", pid,
                                      e != nullptr ? e->location_and_message() : name + ": cannot load policy"));
    }
    Policy policy = *chosen.load.policy;
    if (request.overrides != nullptr) apply_overrides(policy, *request.overrides);
    return policy;
}

void decide(const CompiledPolicy& policy, const std::set<std::uint16_t>& listen_ports, SocketReport& s) {
    const TcpEntry& e = s.socket.entry;
    const bool inbound = s.socket.listening() || listen_ports.contains(e.local.port);
    s.direction = inbound ? Direction::inbound : Direction::outbound;
    const PeerAddress peer = e.remote.peer();
    const Verdict& v = policy.decide(s.direction, inbound ? e.local.port : e.remote.port, s.socket.listening() ? nullptr : &peer);
    s.action = v.kind;
    s.rule = v.name;
    if (v.kind == Verdict::Kind::apply) s.expected = v.settings;
}

// Sets (or, dry run, only lists) every expected option the socket does not have yet.
void apply_policy(int fd, bool dry_run, SocketReport& s) {
    for (int i = 0; i < option_count; ++i) {
        const auto o = static_cast<Option>(i);
        if (!s.expected.has(o) || option_value(o, s.expected) == option_value(o, *s.actual)) continue;
        OptionChange c{o, option_value(o, *s.actual), option_value(o, s.expected), 0};
        if (!dry_run) c.error = write_option(fd, o, s.expected);
        s.changes.push_back(c);
    }
    if (!dry_run && !s.changes.empty() && !read_options(fd, *s.actual)) s.actual.reset();
}

}  // namespace

ProcessReport inspect_process(pid_t pid, const InspectRequest& request) {
    ProcessReport report;
    report.pid = pid;
    report.judge_shim = request.mode == InspectMode::verify;
    report.shim = shim_presence(pid);  // first: says "no such process" / "permission denied" plainly
    report.executable = executable_of(pid);
    const Policy policy = policy_for(pid, request, report.policy);
    const CompiledPolicy compiled = CompiledPolicy::compile(policy, read_process_identity(pid), read_kernel_defaults());
    report.policy_applies = compiled.applies_anything();

    const ProcessTcp tcp = tcp_sockets_of(pid);

    const RemoteProcess remote(pid);
    for (const TcpSocket& socket : tcp.sockets) {
        SocketReport s;
        s.socket = socket;
        decide(compiled, tcp.namespace_listen_ports, s);
        if (report.missing) {  // pidfd_getfd already refused: list what /proc shows
            report.sockets.push_back(std::move(s));
            continue;
        }
        int error = 0;
        const OwnedFd fd = remote.duplicate(socket.fd, error);
        struct stat st {};
        if (error == EBADF || (fd.valid() && (::fstat(fd.get(), &st) != 0 || st.st_ino != socket.entry.inode)))
            continue;  // closed (or replaced) since /proc listed it: no longer this process's socket
        if (error == ESRCH) throw TargetError(fmt::format("process {}: exited during the scan", pid));
        if (error == ENOSYS) throw TargetError("this kernel has no pidfd_getfd (Linux >= 5.6 is needed to read another process's sockets)");
        if (error == EPERM || error == EACCES) {
            report.missing = fmt::format("option values: pidfd_getfd refused: {}; sockets and states come from /proc", ptrace_requirement);
        } else if (error != 0) {
            report.missing = fmt::format("option values: pidfd_getfd: {}", std::strerror(error));
        } else if (Settings actual; read_options(fd.get(), actual)) {
            s.actual = actual;
            if (request.mode != InspectMode::verify && s.action == Verdict::Kind::apply)
                apply_policy(fd.get(), request.mode == InspectMode::dry_run, s);
        } else {
            report.missing = fmt::format("option values of fd {}: getsockopt: {}", socket.fd, std::strerror(errno));
        }
        report.sockets.push_back(std::move(s));
    }
    return report;
}

}  // namespace tcpkeep::cli
