#include "tools/launch/child_supervision.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <optional>

#include "tools/launch/program_search.h"

namespace tcpkeep::cli {
namespace {

// What the child reports through its close-on-exec pipe when it does not get as far as the program.
struct Failure {
    ChildEnd::Kind kind;
    int error;
};

sigset_t watched_signals() {
    sigset_t set;
    ::sigemptyset(&set);
    for (int sig : {SIGCHLD, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGALRM}) ::sigaddset(&set, sig);
    return set;
}

[[noreturn]] void become_program(int procs_fd, int report_fd, const sigset_t& mask, const std::string& path, char* const argv[]) {
    Failure failure{ChildEnd::Kind::not_entered, 0};
    if (::write(procs_fd, "0", 1) != 1) {
        failure.error = errno;
    } else {
        ::sigprocmask(SIG_SETMASK, &mask, nullptr);
        failure = {ChildEnd::Kind::not_executed, exec_program(path, argv)};
    }
    [[maybe_unused]] const ssize_t n = ::write(report_fd, &failure, sizeof failure);
    ::_exit(127);
}

// What the child said before its pipe closed: nothing when it executed the program.
std::optional<Failure> read_failure(int report_fd) {
    Failure failure{};
    ssize_t n;
    do n = ::read(report_fd, &failure, sizeof failure);
    while (n < 0 && errno == EINTR);
    if (n != static_cast<ssize_t>(sizeof failure)) return std::nullopt;
    return failure;
}

// Passes signals on until the child ends; returns its wait status.
int supervise(pid_t child, const sigset_t& watched) {
    while (true) {
        siginfo_t info{};
        if (::sigwaitinfo(&watched, &info) < 0) continue;  // EINTR: a signal outside the set, say SIGCONT
        if (info.si_signo != SIGCHLD) {
            if (info.si_code != SI_KERNEL) ::kill(child, info.si_signo);  // SI_KERNEL: the terminal's, the child has it too
            continue;
        }
        int status = 0;
        const pid_t ended = ::waitpid(child, &status, WNOHANG);
        if (ended == child) return status;
        if (ended < 0 && errno == ECHILD) return status;
    }
}

}  // namespace

ChildEnd run_child_in_cgroup(int procs_fd, const std::string& path, char* const argv[]) {
    int report[2];
    if (::pipe2(report, O_CLOEXEC) != 0) return {ChildEnd::Kind::not_entered, errno};
    const sigset_t watched = watched_signals();
    sigset_t previous;
    ::sigprocmask(SIG_BLOCK, &watched, &previous);  // from before the fork: no signal is missed
    const pid_t child = ::fork();
    if (child == 0) become_program(procs_fd, report[1], previous, path, argv);
    ChildEnd end{ChildEnd::Kind::not_entered, errno};  // kept when the fork failed
    ::close(report[1]);
    if (child > 0) {
        const std::optional<Failure> failure = read_failure(report[0]);
        const int status = supervise(child, watched);
        end = failure ? ChildEnd{failure->kind, failure->error} : ChildEnd{ChildEnd::Kind::ran, status};
    }
    ::close(report[0]);
    // Once the program ran, a signal arriving now must not stop the clean-up: it stays blocked.
    if (end.kind != ChildEnd::Kind::ran) ::sigprocmask(SIG_SETMASK, &previous, nullptr);
    return end;
}

int pass_on_status(int wait_status) {
    if (WIFEXITED(wait_status)) return WEXITSTATUS(wait_status);
    if (!WIFSIGNALED(wait_status)) return 128;
    const int sig = WTERMSIG(wait_status);
    std::fflush(nullptr);
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);
    ::signal(sig, SIG_DFL);
    sigset_t only;
    ::sigemptyset(&only);
    ::sigaddset(&only, sig);
    ::sigprocmask(SIG_UNBLOCK, &only, nullptr);
    ::raise(sig);
    return 128 + sig;
}

}  // namespace tcpkeep::cli
