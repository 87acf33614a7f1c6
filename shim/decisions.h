// When and to what each TCP socket is configured. Called by the hooks around the real calls;
// none of these change errno or report anything to the program.
#pragma once
#include <sys/socket.h>

#include "shim/listener_reload.h"

namespace tcpkeep::shim {

// connect(), or sendto/sendmsg with MSG_FASTOPEN: decide by remote port and address, then set.
void configure_outbound(int fd, const sockaddr* remote, socklen_t len);

// listen(): configure the listening socket once, so accepted sockets inherit every option.
// Returns true when the local port was unknown (unbound socket) and must be read after listen.
bool configure_listener_before_listen(int fd);
void configure_listener_after_listen(int fd);

// accept()/accept4(): prepare before the real call, then after_accept with its result.
struct AcceptPlan {
    enum Kind {
        pass,               // not a TCP listener, or nothing to do
        inherit,            // configured listener: the accepted socket inherited everything (no syscall)
        inherit_and_apply,  // listener configured just now: the accepted one may predate it, set it too
        per_peer,           // rules with peers: decide for each accepted socket by its peer address
    };
    Kind kind = pass;
    ListenerEpoch epoch;  // the listeners' policy before the real call: a reload may overtake it
};
AcceptPlan prepare_accept(int fd);
// peer: the address accept() returned into the shim's own buffer, or null (read with getpeername).
// At most once a second, the policy file is checked: when it changed, every listener is decided
// again, and the accepted socket (made with the old values) is set too.
void after_accept(int listener, int accepted, const AcceptPlan& plan, const sockaddr* peer, socklen_t peer_len);

// The program's own setsockopt of a managed option: returns true when it must be swallowed
// (enforce), else records after a successful real call via note_program_setsockopt.
bool program_setsockopt_is_enforced(int fd, int level, int name);
void note_program_setsockopt(int fd, int level, int name);

void note_new_socket(int fd, int domain, int type, int protocol);
void note_close(int fd);
// A successful dup/dup2/dup3 (copy >= 0): copy now names fd's socket, and has its record.
void note_dup(int fd, int copy);

}  // namespace tcpkeep::shim
