/* close_race: one thread connects a TCP socket while another closes it, ITERATIONS times, the
 * close landing anywhere from before connect() to after it (the shim's decision included).
 * Connections go to a listener in a child process that accepts and drops them: accepted in this
 * process, a connection could take the number of the fd being raced the moment it is closed, and
 * connect() would then meet that socket (EISCONN) instead of the race's own outcomes.
 * Usage: close_race ITERATIONS. Prints "connected=N ebadf=M other=K" and each other errno seen;
 * exits 0 unless something fails that is not the race's own outcome. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

static struct sockaddr_in server;
static int listener;
static int racing_fd;
static int ready; /* the closing thread is running */
static int go;    /* set by the connecting thread just before connect() */
static unsigned spin;
static int close_errno; /* the closing thread's close() failed: it had nothing to race with */

static void start_thread(pthread_t* id, void* (*run)(void*)) {
    const int e = pthread_create(id, NULL, run, NULL);
    if (e != 0) {
        fprintf(stderr, "close_race: pthread_create: %s\n", strerror(e));
        exit(2);
    }
}

/* The child: accepts and drops (a reset: no TIME_WAIT) until killed, or until this process dies. */
static pid_t start_acceptor(void) {
    const pid_t parent = getpid();
    const pid_t pid = fork();
    if (pid < 0) {
        perror("close_race: fork");
        exit(2);
    }
    if (pid > 0) {
        close(listener);
        return pid;
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(2);
    const struct linger abort_close = {1, 0};
    for (;;) {
        const int fd = accept(listener, NULL, NULL);
        if (fd < 0) _exit(1); /* connections are refused from now on: the parent reports them */
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &abort_close, sizeof abort_close);
        close(fd);
    }
}

static void* closer(void* unused) {
    (void)unused;
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&go, __ATOMIC_ACQUIRE)) sched_yield(); /* 2 busy cores may be all there are */
    for (volatile unsigned i = 0; i < spin; i++) {
    }
    if (close(racing_fd) != 0) close_errno = errno;
    return NULL;
}

int main(int argc, char** argv) {
    const int iterations = argc > 1 ? atoi(argv[1]) : 2000;
    server.sin_family = AF_INET;
    server.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof server;
    listener = socket(AF_INET, SOCK_STREAM, 0);
    if (listener < 0 || bind(listener, (struct sockaddr*)&server, len) != 0 || listen(listener, 4096) != 0 ||
        getsockname(listener, (struct sockaddr*)&server, &len) != 0) {
        perror("close_race: listen");
        return 2;
    }
    const pid_t acceptor = start_acceptor();

    int connected = 0, ebadf = 0, other = 0;
    unsigned seed = 1;
    for (int i = 0; i < iterations; i++) {
        racing_fd = socket(AF_INET, SOCK_STREAM, 0);
        if (racing_fd < 0) {
            perror("close_race: socket");
            return 2;
        }
        spin = (unsigned)rand_r(&seed) % 8000;
        __atomic_store_n(&ready, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&go, 0, __ATOMIC_RELEASE);
        pthread_t t;
        start_thread(&t, closer);
        while (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) sched_yield();
        __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
        const int rc = connect(racing_fd, (struct sockaddr*)&server, sizeof server);
        const int e = errno;
        pthread_join(t, NULL);
        if (close_errno != 0) {
            fprintf(stderr, "close_race: close: %s\n", strerror(close_errno));
            return 2;
        }
        if (rc == 0) {
            connected++;
        } else if (e == EBADF) {
            ebadf++;
        } else {
            other++;
            printf("errno %d %s\n", e, strerror(e));
        }
    }
    printf("connected=%d ebadf=%d other=%d\n", connected, ebadf, other);
    kill(acceptor, SIGKILL);
    waitpid(acceptor, NULL, 0);
    return 0;
}
