// A program run as tcpkeep's child instead of in tcpkeep's place: what `tcpkeep run` does when it
// puts the program into a transient cgroup, since someone has to wait for the program to remove
// the cgroup afterwards. The child enters the cgroup before it execs, so the program's first
// instruction, and every process it starts, already runs inside.
#pragma once
#include <string>

namespace tcpkeep::cli {

struct ChildEnd {
    enum class Kind {
        ran,           // value: the wait status
        not_entered,   // value: the errno of writing to cgroup.procs; nothing was executed
        not_executed,  // value: the errno of execve
    };
    Kind kind;
    int value;
};

// Forks; the child writes itself into the cgroup through `procs_fd` (its cgroup.procs, open for
// writing), takes back the signal mask and execs `path` as exec_program() does. Until the child
// ends, a signal sent to tcpkeep by a process (kill, sigqueue: a supervisor that knows only
// tcpkeep's pid) is passed on to it; one the kernel sends to the terminal's foreground process
// group (Ctrl-C, Ctrl-\, a hangup, a window resize) reaches the child by itself and is not sent
// twice. Stopping and continuing (Ctrl-Z, fg) stop and continue both, as for any process group.
// When the program ran, those signals stay blocked on return, so that none cuts the caller's
// clean-up short; a signal that came meanwhile is dropped at exit. Otherwise the mask is restored.
ChildEnd run_child_in_cgroup(int procs_fd, const std::string& path, char* const argv[]);

// The exit status for a child's wait status: its exit code; for a death by a signal, tcpkeep dies
// of the same signal (without a core dump of its own), so that whoever started tcpkeep sees what it
// would have seen had the program run in tcpkeep's place. 128 + the signal if tcpkeep survives it.
int pass_on_status(int wait_status);

}  // namespace tcpkeep::cli
