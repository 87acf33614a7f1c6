/* blocking_client: a plain program with no keepalive code of its own, the kind tcpkeep is for.
 * The netns tests run it under the shim, make its peer vanish, and time how long its blocked call
 * takes to fail.
 *
 *   blocking_client idle HOST PORT     connect, send "ping\n", read the echo (T0), print "ready",
 *                                      wait for a byte on stdin (the peer has vanished), block in recv()
 *   blocking_client busy HOST PORT     the same exchange and "ready"; after the stdin byte send a
 *                                      chunk (T0) the peer never acknowledges, then block in recv()
 *   blocking_client connect HOST PORT  connect() (T0 = the call starts) to a peer that never answers
 *   blocking_client serve HOST PORT    listen, print "listening", accept one connection, read one
 *                                      line (T0), print "ready", wait for the stdin byte, block in recv()
 *
 * T0 is the moment each kernel timer counts from, which is also explain's time zero:
 *  - idle: the keepalive timer counts from the last segment received (keepalive_time_elapsed() in
 *    include/net/tcp.h). After the echo (serve: after the line) the peer sends nothing more, so T0
 *    is taken when recv() returns it. The test makes the peer vanish right after "ready", long
 *    before the first probe; vanished_ms says when that was.
 *  - busy: the retransmission timer counts from the first transmission of the oldest unacknowledged
 *    segment (tp->retrans_stamp): the chunk, sent at T0 after the peer vanished.
 *  - connect: SYN retransmissions and the user timeout count from the first SYN, sent in connect().
 *
 * Output, one line on stdout:
 *   result errno=NAME elapsed_ms=E vanished_ms=V
 * E = when the blocked call returned - T0, V = when the stdin byte arrived - T0 (CLOCK_MONOTONIC,
 * milliseconds). NAME is the errno name, or EOF / DATA / OK when the call did not fail. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void fail(const char* what) {
    fprintf(stderr, "blocking_client: %s: %s\n", what, strerror(errno));
    exit(1);
}

/* strerrorname_np() knows no name for some values. */
static const char* errno_name(int e) {
    const char* name = strerrorname_np(e);
    return name != NULL ? name : "unknown";
}

static void report(const char* outcome, double t0, double failed, double vanished) {
    printf("result errno=%s elapsed_ms=%.1f vanished_ms=%.1f\n", outcome, failed - t0, vanished - t0);
}

/* How the blocked recv() ended: the errno name, or why it did not fail. */
static const char* recv_outcome(int fd) {
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0) return errno_name(errno);
    return n == 0 ? "EOF" : "DATA";
}

static void read_line(int fd) {
    char c;
    do {
        if (recv(fd, &c, 1, 0) != 1) fail("reading the first line");
    } while (c != '\n');
}

static double wait_for_go(void) {
    char c;
    printf("ready\n");
    if (read(0, &c, 1) != 1) fail("waiting for the byte on stdin");
    return now_ms();
}

static int known_mode(const char* mode) {
    static const char* const modes[] = {"idle", "busy", "connect", "serve"};
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
        if (strcmp(mode, modes[i]) == 0) return 1;
    return 0;
}

int main(int argc, char** argv) {
    if (argc != 4 || !known_mode(argv[1])) {
        fprintf(stderr, "usage: %s idle|busy|connect|serve HOST PORT\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char* mode = argv[1];
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[3]))};
    if (inet_pton(AF_INET, argv[2], &addr.sin_addr) != 1) {
        fprintf(stderr, "blocking_client: bad IPv4 address %s\n", argv[2]);
        return 2;
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) fail("socket");

    if (strcmp(mode, "serve") == 0) {
        int one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0) fail("SO_REUSEADDR");
        if (bind(fd, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(fd, 1) != 0) fail("listen");
        printf("listening\n");
        int conn = accept(fd, NULL, NULL);
        if (conn < 0) fail("accept");
        read_line(conn);
        double t0 = now_ms();
        double vanished = wait_for_go();
        const char* outcome = recv_outcome(conn);
        report(outcome, t0, now_ms(), vanished);
        return 0;
    }

    double t0 = now_ms();
    int rc = connect(fd, (struct sockaddr*)&addr, sizeof addr);
    if (strcmp(mode, "connect") == 0) {
        const char* outcome = rc == 0 ? "OK" : errno_name(errno);
        report(outcome, t0, now_ms(), t0);
        return 0;
    }
    if (rc != 0) fail("connect");
    if (send(fd, "ping\n", 5, 0) != 5) fail("send");
    read_line(fd);
    t0 = now_ms();
    double vanished = wait_for_go();
    if (strcmp(mode, "busy") == 0) {
        static char chunk[1000]; /* small enough to leave at once: one segment, within the window */
        t0 = now_ms();
        if (send(fd, chunk, sizeof chunk, 0) != (ssize_t)sizeof chunk) fail("send chunk");
    }
    const char* outcome = recv_outcome(fd);
    report(outcome, t0, now_ms(), vanished);
    return 0;
}
