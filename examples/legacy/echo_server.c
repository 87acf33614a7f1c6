/* A legacy-style TCP echo server with no keepalive code of its own: the kind of program tcpkeep
 * is for. Usage: echo_server PORT [ADDRESS]  (default address 127.0.0.1; "::" for IPv6; port 0: any). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s PORT [ADDRESS]\n", argv[0]);
        return 2;
    }
    const char* address = argc > 2 ? argv[2] : "127.0.0.1";
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    int family;
    struct sockaddr_in* in4 = (struct sockaddr_in*)&ss;
    struct sockaddr_in6* in6 = (struct sockaddr_in6*)&ss;
    if (inet_pton(AF_INET, address, &in4->sin_addr) == 1) {
        family = in4->sin_family = AF_INET;
        in4->sin_port = htons((unsigned short)atoi(argv[1]));
        len = sizeof *in4;
    } else if (inet_pton(AF_INET6, address, &in6->sin6_addr) == 1) {
        family = in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((unsigned short)atoi(argv[1]));
        len = sizeof *in6;
    } else {
        fprintf(stderr, "echo_server: bad address %s\n", address);
        return 2;
    }
    int listener = socket(family, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (listener < 0 || bind(listener, (struct sockaddr*)&ss, len) != 0 || listen(listener, 16) != 0) {
        perror("echo_server");
        return 1;
    }
    socklen_t bound_len = sizeof ss;
    getsockname(listener, (struct sockaddr*)&ss, &bound_len);
    unsigned port = ntohs(family == AF_INET ? in4->sin_port : in6->sin6_port);
    printf("echo_server: listening on %s port %u\n", address, port); /* port 0 asks for any free port */
    fflush(stdout);
    for (;;) {
        int conn = accept(listener, NULL, NULL);
        if (conn < 0) continue;
        if (fork() == 0) {
            close(listener);
            char buf[4096];
            ssize_t n;
            while ((n = recv(conn, buf, sizeof buf, 0)) > 0) send(conn, buf, (size_t)n, 0);
            _exit(0);
        }
        close(conn);
    }
}
