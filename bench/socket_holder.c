/* socket_holder PROCESSES SOCKETS: the host an audit benchmark scans. Forks PROCESSES children,
 * each holding exactly SOCKETS loopback TCP sockets of its own: a listener, connections to it with
 * their accepted ends, and (SOCKETS even) one more connection left in the listener's queue. The
 * children keep them until stdin closes; the parent prints "ready" once every child has its
 * sockets, then waits for them. No keepalive code, as the programs tcpkeep is for. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static int connect_to(const struct sockaddr_in* addr) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (const struct sockaddr*)addr, sizeof *addr) != 0) {
        perror("socket_holder: connect");
        exit(1);
    }
    return fd;
}

/* The child's sockets; returns only when they all exist. */
static void hold(int sockets) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr*)&addr, len) != 0 || listen(listener, 8) != 0 ||
        getsockname(listener, (struct sockaddr*)&addr, &len) != 0) {
        perror("socket_holder: listen");
        exit(1);
    }
    int pairs = (sockets - 1) / 2;
    for (int i = 0; i < pairs; i++) {
        connect_to(&addr);
        if (accept(listener, NULL, NULL) < 0) {
            perror("socket_holder: accept");
            exit(1);
        }
    }
    if ((sockets - 1) % 2 == 1) connect_to(&addr); /* established, waiting in the accept queue */
}

int main(int argc, char** argv) {
    int processes = argc == 3 ? atoi(argv[1]) : 0;
    int sockets = argc == 3 ? atoi(argv[2]) : 0;
    if (processes < 1 || sockets < 1 || sockets > 17) {
        fprintf(stderr, "usage: %s PROCESSES SOCKETS (1..17 sockets each)\n", argv[0]);
        return 2;
    }
    int ready[2];
    if (pipe(ready) != 0) return 1;
    for (int i = 0; i < processes; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            perror("socket_holder: fork");
            return 1;
        }
        if (pid == 0) {
            close(ready[0]);
            hold(sockets);
            if (write(ready[1], "x", 1) != 1) return 1;
            close(ready[1]);
            char c;
            while (read(0, &c, 1) > 0) {
            }
            return 0;
        }
    }
    close(ready[1]);
    char c;
    for (int i = 0; i < processes; i++)
        if (read(ready[0], &c, 1) != 1) {
            fprintf(stderr, "socket_holder: a child failed\n");
            return 1;
        }
    printf("ready\n");
    fflush(stdout);
    while (wait(NULL) > 0) {
    }
    return 0;
}
