// Every libc call the shim intercepts, listed once: HOOK(return type, name, parameter list, argument names).
// real_calls.cpp expands it into the real-function resolvers.
#pragma once
#include <sys/socket.h>
#include <sys/types.h>

#define TCPKEEP_HOOKED_CALLS(HOOK)                                                                                                             \
    HOOK(int, socket, (int domain, int type, int protocol), (domain, type, protocol))                                                          \
    HOOK(int, connect, (int fd, const sockaddr* addr, socklen_t len), (fd, addr, len))                                                         \
    HOOK(int, listen, (int fd, int backlog), (fd, backlog))                                                                                    \
    HOOK(int, accept, (int fd, sockaddr* addr, socklen_t* len), (fd, addr, len))                                                               \
    HOOK(int, accept4, (int fd, sockaddr* addr, socklen_t* len, int flags), (fd, addr, len, flags))                                            \
    HOOK(int, setsockopt, (int fd, int level, int name, const void* value, socklen_t len), (fd, level, name, value, len))                      \
    HOOK(ssize_t, sendto, (int fd, const void* buf, size_t n, int flags, const sockaddr* addr, socklen_t len), (fd, buf, n, flags, addr, len)) \
    HOOK(ssize_t, sendmsg, (int fd, const msghdr* msg, int flags), (fd, msg, flags))                                                           \
    HOOK(int, close, (int fd), (fd))                                                                                                           \
    HOOK(int, dup, (int fd), (fd))                                                                                                             \
    HOOK(int, dup2, (int fd, int new_fd), (fd, new_fd))                                                                                        \
    HOOK(int, dup3, (int fd, int new_fd, int flags), (fd, new_fd, flags))
