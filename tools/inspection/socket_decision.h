// What the policy decides for one socket of an inspected process, and, for apply, the
// setsockopt calls that make the socket hold it.
#pragma once
#include "config/compiled_policy.h"
#include "tools/inspection/process_report.h"

namespace tcpkeep::cli {

// Fills the socket's action, rule, expected and enforced options. `guessed`: its direction is a
// guess, which matters when the policy decides the other direction differently
// (direction_ambiguous: apply then leaves the socket alone).
void decide_socket(const CompiledPolicy& policy, SocketReport& s, bool guessed);

// Sets (or, dry run, only lists) every expected option the socket `fd` does not hold yet, except
// those the program set itself: the shim leaves them too, unless the rule enforces them. The
// socket's actual values are read again after a change.
void apply_expected(int fd, bool dry_run, SocketReport& s);

}  // namespace tcpkeep::cli
