/* The floor: the least any keepalive preload must do, as a reference for libtcpkeep. In connect(),
 * check SO_TYPE, then set the five options; nothing else (no policy, no socket() tracking). Like a
 * shim, it fails open: a refused option leaves the connect as the program made it. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <sys/socket.h>

__attribute__((visibility("default"))) int connect(int fd, const struct sockaddr* addr, socklen_t len) {
    static int (*real_connect)(int, const struct sockaddr*, socklen_t);
    if (real_connect == NULL) real_connect = (int (*)(int, const struct sockaddr*, socklen_t))dlsym(RTLD_NEXT, "connect");
    if (real_connect == NULL) {
        errno = ENOSYS;
        return -1;
    }
    int type = 0;
    socklen_t type_len = sizeof type;
    if (addr != NULL && (addr->sa_family == AF_INET || addr->sa_family == AF_INET6) && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &type_len) == 0 &&
        type == SOCK_STREAM) {
        const int on = 1, idle = 60, interval = 10, count = 6, user_timeout = 120000;
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
        setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof count);
        setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &user_timeout, sizeof user_timeout);
    }
    return real_connect(fd, addr, len);
}
