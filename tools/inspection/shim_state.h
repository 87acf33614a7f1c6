// What the shim inside a running process has published about itself (shim/published_state.h),
// read from outside: the policy it loaded (path, digest, the identity it matched) and what it
// knows of each fd (direction, options the program set itself). Read with process_vm_readv, which
// needs the same ptrace permission as pidfd_getfd.
#pragma once
#include <sys/types.h>
#include <cstdint>
#include <optional>
#include <string>

#include "config/result.h"
#include "shim/fd_state.h"
#include "shim/published_state.h"
#include "tools/inspection/shim_presence.h"

namespace tcpkeep::cli {

class ShimState {
public:
    EngineStatus engine = EngineStatus::idle;
    DisabledReason disabled_reason = DisabledReason::none;
    std::optional<PublishedPolicy> policy;          // once the engine has tried to load one
    std::optional<std::string> environment_policy;  // TCPKEEP_POLICY as the shim captured it at start

    // What the shim knows of `fd` (all unknown when it never recorded it); nullopt when it cannot
    // be read (the process exited).
    [[nodiscard]] std::optional<shim::FdState> fd_state(int fd) const;

private:
    friend Result<ShimState> read_shim_state(pid_t pid, const ShimPresence& shim);
    pid_t pid_ = 0;
    PublishedState raw_{};
};

// Reads the published state of the libtcpkeep.so `shim` found mapped in process `pid`, locating
// its symbol in the very file mapped (/proc/PID/map_files). Never guesses: a shim of another
// layout, a file that is not the one mapped, or a refused read come back as the error, a sentence
// for the report.
Result<ShimState> read_shim_state(pid_t pid, const ShimPresence& shim);

// The text of the reason a shim disabled itself.
const char* disabled_reason_text(DisabledReason reason);

}  // namespace tcpkeep::cli
