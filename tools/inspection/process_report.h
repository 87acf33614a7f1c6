// What `verify` and `apply` found in one process: per TCP socket the values the kernel holds and
// the values the policy wants, and whether the shim is there for sockets yet to come. The model
// the inspection fills; rendered by tools/report/ (a table, JSON: schema in tools/README.md).
#pragma once
#include <sys/types.h>
#include <optional>
#include <string>
#include <vector>

#include "config/kernel_defaults.h"
#include "config/live_prediction.h"
#include "config/policy.h"
#include "config/verdict.h"
#include "shim/published_state.h"
#include "tools/cgroup/attachment.h"
#include "tools/inspection/process_sockets.h"
#include "tools/inspection/shim_presence.h"

namespace tcpkeep::cli {

// How a socket's direction is known: recorded by the shim when it decided the socket; from the
// namespace's listeners (the socket listens, or a listener holds its local address and port: an
// accepted connection); or only inferred from its ports (see tools/README.md, Direction).
enum class DirectionSource { shim, listener, inferred };

struct OptionChange {
    Option option = Option::keepalive;
    std::int32_t from = 0;
    std::int32_t to = 0;
    int error = 0;  // errno of a setsockopt that failed; 0 when set (or only planned)
};

struct SocketReport {
    TcpSocket socket;
    Direction direction = Direction::outbound;
    DirectionSource direction_source = DirectionSource::inferred;
    // The direction is only inferred and the policy decides the other direction differently: apply
    // leaves the socket as it is rather than act on a guess a neighbour's listener could steer.
    bool direction_ambiguous = false;
    // Options the program set itself (the shim saw its setsockopt; not enforced): a value of the
    // program's own choice is not a failure. Unknown without the shim's record.
    std::optional<std::uint8_t> program_set;
    std::uint8_t enforced = 0;  // options the rule enforces (`enforce = true`): the program's own value does not count
    // The shim is loaded but never saw this socket made: inherited from the process that started
    // this one (an inetd-style child, sshd's session), or made with raw system calls.
    bool made_outside_shim = false;
    Verdict::Kind action = Verdict::Kind::untouched;
    std::string rule;                   // rule display name or "[defaults]"; empty when nothing matched
    Settings expected;                  // mask: the options the policy sets (none for skip/untouched)
    std::optional<Settings> actual;     // unknown when pidfd_getfd was refused
    std::vector<OptionChange> changes;  // apply: set (or, dry run, to be set)
    // When a peer dying now would be noticed, from the actual values and TCP_INFO; unknown for
    // listeners and when the socket could not be read.
    std::optional<LivePrediction> prediction;

    // Expected options whose actual value differs because the program chose it (Settings bits).
    [[nodiscard]] std::uint8_t program_chose() const;
    // Every expected option equals the actual one or is the program's own choice; nullopt when
    // something is expected but the actual values are unknown.
    [[nodiscard]] std::optional<bool> ok() const;
};

struct ProcessReport {
    pid_t pid = 0;
    std::optional<std::string> executable;
    std::optional<std::string> runs_as;  // comm, when it differs from the executable's file name
    ShimPresence shim;
    std::optional<EngineStatus> engine;  // the loaded shim's engine, when its state could be read
    // The shim is loaded but cannot act on the process's sockets (e.g. a Go program), and why.
    std::optional<std::string> shim_inactive;
    // The tcpkeep attachment on the process's cgroup or an ancestor: the kernel gives its policy to
    // the sockets the process opens, shim or not.
    std::optional<Attachment> cgroup_attachment;
    std::string policy;                      // file, or "<embedded default>"
    std::string policy_origin;               // command_line, shim or discovery (a fallback)
    bool policy_process_view = false;        // the file was read in the process's mount namespace
    std::string policy_note;                 // how the policy was found, when it is a fallback
    bool policy_applies = false;             // the policy sets values on some sockets of this process
    KernelDefaults kernel;                   // the sysctls of the process's network namespace...
    std::optional<std::string> kernel_note;  // ...or, when it could not be entered, the tool's, and why
    bool judge_shim = true;                  // verify: a missing shim is a finding; after apply only sockets count
    std::vector<SocketReport> sockets;
    std::optional<std::string> missing;  // what could not be read and why

    // A process the policy wants values in, with neither a working shim nor a cgroup attachment to
    // give them to new sockets.
    [[nodiscard]] bool shim_missing() const { return judge_shim && (!shim.loaded || shim_inactive) && policy_applies && !cgroup_attachment; }
    [[nodiscard]] std::optional<bool> ok() const;
    // 0 all agree, 1 a mismatch or the shim missing, 2 something could not be read.
    [[nodiscard]] int exit_status() const;
};

}  // namespace tcpkeep::cli
