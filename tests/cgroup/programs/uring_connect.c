/* Connects with io_uring (IORING_OP_CONNECT), so no connect() system call is ever made, then holds
 * the connection until stdin closes. Usage: uring_connect HOST PORT (IPv4). Prints "ready". */
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: uring_connect HOST PORT\n");
        return 2;
    }
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(argv[2]));
    if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
        fprintf(stderr, "uring_connect: bad address %s\n", argv[1]);
        return 2;
    }
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct io_uring ring;
    if (fd < 0 || io_uring_queue_init(4, &ring, 0) != 0) {
        perror("uring_connect: setup");
        return 1;
    }
    struct io_uring_sqe* sqe = io_uring_get_sqe(&ring);
    io_uring_prep_connect(sqe, fd, (struct sockaddr*)&addr, sizeof addr);
    struct io_uring_cqe* cqe;
    if (io_uring_submit(&ring) != 1 || io_uring_wait_cqe(&ring, &cqe) != 0) {
        perror("uring_connect: submit");
        return 1;
    }
    if (cqe->res != 0) {
        fprintf(stderr, "uring_connect: connect: %s\n", strerror(-cqe->res));
        return 1;
    }
    io_uring_cqe_seen(&ring, cqe);
    printf("ready\n");
    fflush(stdout);
    char buf[64];
    while (read(0, buf, sizeof buf) > 0) {
    }
    io_uring_queue_exit(&ring);
    return 0;
}
