/* A library whose constructor makes a TCP connection: loaded next to the shim, it calls connect()
 * before (or after) the shim's own constructor has run, depending on the preload order. Prints the
 * socket's options on stderr as "early ka=.. idle=.." for the test to read. Port: TCPKEEP_EARLY_PORT. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

__attribute__((constructor)) static void connect_early(void) {
    const char* port = getenv("TCPKEEP_EARLY_PORT");
    if (port == NULL) return;
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port))};
    inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        fprintf(stderr, "early socket: %s\n", strerror(errno));
        return;
    }
    int rc = connect(fd, (struct sockaddr*)&to, sizeof to);
    int ka = -1, idle = -1;
    socklen_t ka_len = sizeof ka, idle_len = sizeof idle;
    if (getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &ka, &ka_len) != 0 || getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &idle_len) != 0)
        fprintf(stderr, "early getsockopt: %s\n", strerror(errno));
    else
        fprintf(stderr, "early connect=%d ka=%d idle=%d\n", rc, ka, idle);
    close(fd);
}
