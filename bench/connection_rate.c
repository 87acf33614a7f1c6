/* Connection rate: one process, loopback, an accept thread and a connect loop; abortive close
 * (SO_LINGER 0) so no TIME_WAIT piles up. Prints the wall time of N connections in seconds.
 * Run it under each preload being compared.
 *   connection_rate N                    N connections to 127.0.0.1, an ephemeral port
 *   connection_rate -x BYTES N ...       each connection first carries a request of BYTES and a
 *                                        reply of BYTES (1-4096), as a service's would
 *   connection_rate N DESTINATIONS PORT  N connections spread over DESTINATIONS loopback addresses,
 *                                        127.A.B.1 for k = A * 256 + B < DESTINATIONS (the listener
 *                                        takes PORT on every address); one connection is made before
 *                                        the clock starts, so a policy's load is not counted here. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int listener;
static long total;
static size_t exchange; /* request and reply bytes; 0: none */

/* Moves `length` bytes in or out of fd; 0 when all of them were. */
static int transfer(int fd, char* buffer, size_t length, int out) {
    for (size_t done = 0; done < length;) {
        const ssize_t n = out ? write(fd, buffer + done, length - done) : read(fd, buffer + done, length - done);
        if (n <= 0) return -1;
        done += (size_t)n;
    }
    return 0;
}

static void* accept_loop(void* arg) {
    (void)arg;
    for (long i = 0; i < total; i++) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            perror("accept");
            exit(1);
        }
        char buffer[4096];
        if (exchange && (transfer(fd, buffer, exchange, 0) != 0 || transfer(fd, buffer, exchange, 1) != 0)) {
            perror("serve");
            exit(1);
        }
        close(fd);
    }
    return NULL;
}

static int connect_once(struct sockaddr_in* to) {
    static const struct linger abortive = {1, 0};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) {
        perror("socket");
        return -1;
    }
    if (connect(fd, (struct sockaddr*)to, sizeof *to) != 0 || setsockopt(fd, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive) != 0) {
        perror("connect");
        close(fd);
        return -1;
    }
    char buffer[4096] = {0};
    if (exchange && (transfer(fd, buffer, exchange, 1) != 0 || transfer(fd, buffer, exchange, 0) != 0)) {
        perror("exchange");
        close(fd);
        return -1;
    }
    return close(fd);
}

int main(int argc, char** argv) {
    if (argc > 2 && strcmp(argv[1], "-x") == 0) {
        exchange = (size_t)atol(argv[2]);
        if (exchange < 1 || exchange > 4096) {
            fprintf(stderr, "connection_rate: -x takes 1-4096 bytes\n");
            return 2;
        }
        argc -= 2;
        argv += 2;
    }
    const long connections = argc > 1 ? atol(argv[1]) : 20000;
    const long destinations = argc == 4 ? atol(argv[2]) : 1;
    if (argc == 3 || argc > 4 || connections < 1 || destinations < 1 || destinations > 65536) {
        fprintf(stderr, "usage: connection_rate [-x BYTES] N [DESTINATIONS(1-65536) PORT]\n");
        return 2;
    }
    const int warm_up = argc == 4;
    total = connections + warm_up;
    struct sockaddr_in addr = {.sin_family = AF_INET};
    addr.sin_addr.s_addr = htonl(warm_up ? INADDR_ANY : INADDR_LOOPBACK);
    addr.sin_port = htons(warm_up ? (unsigned short)atoi(argv[3]) : 0);
    socklen_t len = sizeof addr;
    listener = socket(AF_INET, SOCK_STREAM, 0);
    const int reuse = 1;
    if (listener < 0 || setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse) != 0 ||
        bind(listener, (struct sockaddr*)&addr, len) != 0 || listen(listener, 4096) != 0 ||
        getsockname(listener, (struct sockaddr*)&addr, &len) != 0) {
        perror("listen");
        return 1;
    }
    pthread_t thread;
    const int error = pthread_create(&thread, NULL, accept_loop, NULL);
    if (error != 0) {
        fprintf(stderr, "pthread_create: %s\n", strerror(error));
        return 1;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = addr.sin_port, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (warm_up && connect_once(&to) != 0) return 1;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (long i = 0; i < connections; i++) {
        const long k = i % destinations;
        if (destinations > 1) to.sin_addr.s_addr = htonl(0x7f000001u | (unsigned)(k >> 8) << 16 | (unsigned)(k & 255) << 8);
        if (connect_once(&to) != 0) return 1;
    }
    pthread_join(thread, NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    printf("%.6f\n", (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9);
    return 0;
}
