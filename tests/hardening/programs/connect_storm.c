/* connect_storm: THREADS threads, each with its own loopback listener, each making PER_THREAD
 * connections to it: socket, connect, accept, read back the five options of both ends with
 * getsockopt (every SAMPLE-th connection; getsockopt is never intercepted, so this reads the
 * kernel), then abortive close of both ends (SO_LINGER 0: no TIME_WAIT, so ports never run out).
 * Every 7th connection the program sets TCP_KEEPIDLE=5 itself before connect: the program's own
 * choice must win over the policy under load too.
 * Usage: connect_storm THREADS PER_THREAD SAMPLE "OUT" "IN"
 *   OUT, IN: the values expected on client and accepted sockets, "ka idle interval count user_timeout".
 * Prints "connections=N failures=F mismatches=M sampled=S seconds=T per_second=R" (N: connections
 * made, connected and accepted); exits 0 when F and M are 0 and N is THREADS x PER_THREAD. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { options = 5, own_idle = 5, own_every = 7 };
static const int levels[options] = {SOL_SOCKET, IPPROTO_TCP, IPPROTO_TCP, IPPROTO_TCP, IPPROTO_TCP};
static const int names[options] = {SO_KEEPALIVE, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT};
static int expected_out[options], expected_in[options];
static int per_thread, sample;
static long failures, mismatches, sampled, made; /* made: connections connected and accepted */
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;

static void fail(const char* what, int thread, int i) {
    pthread_mutex_lock(&report_lock);
    if (failures++ < 10) fprintf(stderr, "connect_storm: thread %d connection %d: %s: %s\n", thread, i, what, strerror(errno));
    pthread_mutex_unlock(&report_lock);
}

static void check(int fd, const int* expected, int own, const char* side, int thread, int i) {
    int got[options];
    for (int o = 0; o < options; o++) {
        socklen_t len = sizeof got[o];
        if (getsockopt(fd, levels[o], names[o], &got[o], &len) != 0) got[o] = -1;
    }
    int want[options];
    memcpy(want, expected, sizeof want);
    if (own) want[1] = own_idle;
    __atomic_add_fetch(&sampled, 1, __ATOMIC_RELAXED);
    if (memcmp(got, want, sizeof got) == 0) return;
    pthread_mutex_lock(&report_lock);
    if (mismatches++ < 10)
        fprintf(stderr, "connect_storm: thread %d connection %d %s: %d %d %d %d %d, expected %d %d %d %d %d\n", thread, i, side, got[0], got[1],
                got[2], got[3], got[4], want[0], want[1], want[2], want[3], want[4]);
    pthread_mutex_unlock(&report_lock);
}

static void abort_close(int fd, int thread, int i) {
    const struct linger now = {1, 0};
    if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &now, sizeof now) != 0) fail("SO_LINGER", thread, i);
    if (close(fd) != 0) fail("close", thread, i);
}

static void* storm(void* arg) {
    const int thread = (int)(long)arg;
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof addr;
    const int listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr*)&addr, len) != 0 || listen(listener, 64) != 0 ||
        getsockname(listener, (struct sockaddr*)&addr, &len) != 0) {
        fail("listen", thread, -1);
        return NULL;
    }
    for (int i = 0; i < per_thread; i++) {
        const int own = i % own_every == 0;
        const int c = socket(AF_INET, SOCK_STREAM, 0);
        if (c < 0) {
            fail("socket", thread, i);
            continue;
        }
        const int idle = own_idle;
        if (own && setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) != 0) fail("setsockopt", thread, i);
        if (connect(c, (struct sockaddr*)&addr, sizeof addr) != 0) {
            fail("connect", thread, i);
            close(c);
            continue;
        }
        const int a = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        if (a < 0) {
            fail("accept", thread, i);
        } else {
            __atomic_add_fetch(&made, 1, __ATOMIC_RELAXED);
            if (i % sample == 0) {
                check(c, expected_out, own, "client", thread, i);
                check(a, expected_in, 0, "accepted", thread, i);
            }
            abort_close(a, thread, i);
        }
        abort_close(c, thread, i);
    }
    close(listener);
    return NULL;
}

static int parse_values(const char* text, int* out) {
    return sscanf(text, "%d %d %d %d %d", &out[0], &out[1], &out[2], &out[3], &out[4]) == options ? 0 : -1;
}

int main(int argc, char** argv) {
    if (argc != 6 || parse_values(argv[4], expected_out) != 0 || parse_values(argv[5], expected_in) != 0) {
        fprintf(stderr, "usage: connect_storm THREADS PER_THREAD SAMPLE \"OUT\" \"IN\"\n");
        return 2;
    }
    const int threads = atoi(argv[1]);
    per_thread = atoi(argv[2]);
    sample = atoi(argv[3]) > 0 ? atoi(argv[3]) : 1;
    pthread_t* ids = calloc((size_t)(threads > 0 ? threads : 1), sizeof *ids);
    if (ids == NULL) {
        perror("connect_storm: calloc");
        return 2;
    }
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (int t = 0; t < threads; t++) {
        const int e = pthread_create(&ids[t], NULL, storm, (void*)(long)t);
        if (e != 0) {
            fprintf(stderr, "connect_storm: pthread_create: %s\n", strerror(e));
            return 2;
        }
    }
    for (int t = 0; t < threads; t++) pthread_join(ids[t], NULL);
    clock_gettime(CLOCK_MONOTONIC, &end);
    const double seconds = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    printf("connections=%ld failures=%ld mismatches=%ld sampled=%ld seconds=%.2f per_second=%.0f\n", made, failures, mismatches, sampled, seconds,
           (double)made / seconds);
    free(ids);
    return failures == 0 && mismatches == 0 && made == (long)threads * per_thread ? 0 : 1;
}
