/* A legacy-style TCP client with no keepalive code of its own: sends one line, prints the echo,
 * then waits for the server forever, like a program holding an idle connection. When the
 * connection dies it says after how long and why.
 * Usage: echo_client HOST PORT [MESSAGE] */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s HOST PORT [MESSAGE]\n", argv[0]);
        return 2;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *ai;
    int rc = getaddrinfo(argv[1], argv[2], &hints, &ai);
    if (rc != 0) {
        fprintf(stderr, "echo_client: %s\n", gai_strerror(rc));
        return 2;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    if (fd < 0 || connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        perror("echo_client: connect");
        return 1;
    }
    const char* message = argc > 3 ? argv[3] : "hello";
    send(fd, message, strlen(message), 0);
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    if (n > 0) {
        buf[n] = '\0';
        printf("echo_client: got \"%s\"; now idle, waiting for the server\n", buf);
        fflush(stdout);
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    n = recv(fd, buf, sizeof buf, 0);
    int err = errno;
    clock_gettime(CLOCK_MONOTONIC, &end);
    double elapsed = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    printf("echo_client: connection ended after %.2f s: %s\n", elapsed, n == 0 ? "closed by peer" : strerror(err));
    return n == 0 ? 0 : 1;
}
