/* Holds a loopback TCP connection to itself (listener, client, accepted socket) until stdin
 * closes, without any keepalive code of its own. Built dynamically and with -static.
 * Usage: tcp_hold 4|6. Prints "ready PORT" once the three sockets exist. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
    const int v6 = argc > 1 && strcmp(argv[1], "6") == 0;
    struct sockaddr_storage ss;
    socklen_t len;
    memset(&ss, 0, sizeof ss);
    if (v6) {
        struct sockaddr_in6* a = (struct sockaddr_in6*)&ss;
        a->sin6_family = AF_INET6;
        a->sin6_addr = in6addr_loopback;
        len = sizeof *a;
    } else {
        struct sockaddr_in* a = (struct sockaddr_in*)&ss;
        a->sin_family = AF_INET;
        a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        len = sizeof *a;
    }
    int listener = socket(ss.ss_family, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr*)&ss, len) != 0 || listen(listener, 8) != 0 ||
        getsockname(listener, (struct sockaddr*)&ss, &len) != 0) {
        perror("tcp_hold: listen");
        return 1;
    }
    int client = socket(ss.ss_family, SOCK_STREAM, 0);
    if (client < 0 || connect(client, (struct sockaddr*)&ss, len) != 0) {
        perror("tcp_hold: connect");
        return 1;
    }
    int accepted = accept(listener, NULL, NULL);
    if (accepted < 0) {
        perror("tcp_hold: accept");
        return 1;
    }
    int port = ntohs(v6 ? ((struct sockaddr_in6*)&ss)->sin6_port : ((struct sockaddr_in*)&ss)->sin_port);
    printf("ready %d\n", port);
    fflush(stdout);
    char buf[256];
    while (read(0, buf, sizeof buf) > 0) {
    }
    return 0;
}
