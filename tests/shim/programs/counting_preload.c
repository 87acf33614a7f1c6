/* A second preload, like the wrappers programs are run under next to ours (torsocks, proxychains,
 * sanitizers): it counts socket, connect, setsockopt and close calls, passes each on to the next
 * definition with dlsym(RTLD_NEXT), and reports the counts on stderr at exit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

#define EXPORTED __attribute__((visibility("default")))

static int sockets, connects, setsockopts, closes;

/* The next definition of a call; none would make the call jump to address 0. */
static void* next_of(const char* name) {
    void* next = dlsym(RTLD_NEXT, name);
    if (next == NULL) {
        fprintf(stderr, "counting_preload: no next definition of %s: %s\n", name, dlerror());
        abort();
    }
    return next;
}

EXPORTED int socket(int domain, int type, int protocol) {
    ++sockets;
    int (*next)(int, int, int) = (int (*)(int, int, int))next_of("socket");
    return next(domain, type, protocol);
}

EXPORTED int connect(int fd, const struct sockaddr* addr, socklen_t len) {
    ++connects;
    int (*next)(int, const struct sockaddr*, socklen_t) = (int (*)(int, const struct sockaddr*, socklen_t))next_of("connect");
    return next(fd, addr, len);
}

EXPORTED int setsockopt(int fd, int level, int name, const void* value, socklen_t len) {
    ++setsockopts;
    int (*next)(int, int, int, const void*, socklen_t) = (int (*)(int, int, int, const void*, socklen_t))next_of("setsockopt");
    return next(fd, level, name, value, len);
}

EXPORTED int close(int fd) {
    ++closes;
    int (*next)(int) = (int (*)(int))next_of("close");
    return next(fd);
}

__attribute__((destructor)) static void report(void) {
    fprintf(stderr, "counted socket=%d connect=%d setsockopt=%d close=%d\n", sockets, connects, setsockopts, closes);
}
