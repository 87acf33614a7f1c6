/* sockprobe: a plain C program with no knowledge of tcpkeep, driven by its arguments, that
 * reports exactly what the kernel and libc return. The shim tests run it under LD_PRELOAD.
 *
 * Commands (each acts on the "current" socket):
 *   socket FAMILY TYPE [PROTO]  FAMILY inet|inet6|unix, TYPE stream|dgram|seqpacket|raw, PROTO number
 *   set OPT VALUE               OPT keepalive|idle|interval|count|user_timeout
 *   connect HOST PORT           prints "connect rc=R errno=E"
 *   connectlen HOST PORT LEN    connect with address length LEN (a wrong one: EINVAL); prints "connect rc=R errno=E"
 *   connectnull LEN             connect with a NULL address of length LEN (EFAULT); prints "connect rc=R errno=E"
 *   bind HOST PORT / listen     listen prints "listen rc=R errno=E port=P" (port=none: no address with a port)
 *   accept | accept4            accept on the current listener; the accepted socket becomes current
 *   accept-close                accept and close at once; the listener stays current
 *   nonblock                    set O_NONBLOCK on the current socket
 *   fastopen HOST PORT          sendto(MSG_FASTOPEN) of "x"; prints "fastopen rc=R errno=E"
 *   use FD                      make FD current (e.g. an inherited socket)
 *   close                       close(current); prints "close rc=R errno=E"
 *   dup                         dup(current) becomes current; prints "dup fd=N errno=E"
 *   dup2 FD | dup3 FD           dup2(current, FD) / dup3(current, FD, O_CLOEXEC); FD becomes current; prints "dup2 rc=R errno=E"
 *   show                        prints "ka=K idle=I interval=N count=C user_timeout=U" (or errno)
 *   alarm MS                    SIGALRM in MS milliseconds, without SA_RESTART (blocking calls get EINTR)
 *   wait                        prints "ready" and blocks until stdin closes
 * Each command's result is one line on stdout. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

static int current = -1;

static void on_alarm(int sig) { (void)sig; }

/* A step that sets the scene for the next command failed: what follows would not test what it says. */
static void die(const char* what) {
    fprintf(stderr, "sockprobe: %s: %s\n", what, strerror(errno));
    exit(2);
}

static int parse_address(const char* host, const char* port, struct sockaddr_storage* ss, socklen_t* len) {
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in* in4 = (struct sockaddr_in*)ss;
    struct sockaddr_in6* in6 = (struct sockaddr_in6*)ss;
    if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((unsigned short)atoi(port));
        *len = sizeof *in4;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((unsigned short)atoi(port));
        *len = sizeof *in6;
        return 0;
    }
    struct sockaddr_un* un = (struct sockaddr_un*)ss;
    un->sun_family = AF_UNIX;
    snprintf(un->sun_path, sizeof un->sun_path, "%s", host);
    *len = sizeof *un;
    return 0;
}

static const char* errno_name(int e) {
    switch (e) {
        case 0: return "0";
        case EINPROGRESS: return "EINPROGRESS";
        case ECONNREFUSED: return "ECONNREFUSED";
        case EBADF: return "EBADF";
        case ENOTSOCK: return "ENOTSOCK";
        case EAFNOSUPPORT: return "EAFNOSUPPORT";
        case EINVAL: return "EINVAL";
        case EAGAIN: return "EAGAIN";
        case EINTR: return "EINTR";
        case EFAULT: return "EFAULT";
        case EISCONN: return "EISCONN";
        case EALREADY: return "EALREADY";
        case ETIMEDOUT: return "ETIMEDOUT";
        case EOPNOTSUPP: return "EOPNOTSUPP";
        case ENOPROTOOPT: return "ENOPROTOOPT";
        case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
        default: return strerror(e);
    }
}

static int option(const char* name, int* level, int* opt) {
    static const struct {
        const char* name;
        int level, opt;
    } table[] = {{"keepalive", SOL_SOCKET, SO_KEEPALIVE},
                 {"idle", IPPROTO_TCP, TCP_KEEPIDLE},
                 {"interval", IPPROTO_TCP, TCP_KEEPINTVL},
                 {"count", IPPROTO_TCP, TCP_KEEPCNT},
                 {"user_timeout", IPPROTO_TCP, TCP_USER_TIMEOUT}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(name, table[i].name) == 0) {
            *level = table[i].level;
            *opt = table[i].opt;
            return 0;
        }
    return -1;
}

static void show(void) {
    const char* names[] = {"ka", "idle", "interval", "count", "user_timeout"};
    const char* keys[] = {"keepalive", "idle", "interval", "count", "user_timeout"};
    for (int i = 0; i < 5; i++) {
        int level = 0, opt = 0, value = 0;
        socklen_t len = sizeof value;
        option(keys[i], &level, &opt);
        if (getsockopt(current, level, opt, &value, &len) == 0)
            printf("%s%s=%d", i ? " " : "", names[i], value);
        else
            printf("%s%s=%s", i ? " " : "", names[i], errno_name(errno));
    }
    printf("\n");
}

static int type_of(const char* t) {
    if (strcmp(t, "stream") == 0) return SOCK_STREAM;
    if (strcmp(t, "dgram") == 0) return SOCK_DGRAM;
    if (strcmp(t, "seqpacket") == 0) return SOCK_SEQPACKET;
    return SOCK_RAW;
}

int main(int argc, char** argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int i = 1; i < argc; i++) {
        const char* cmd = argv[i];
        struct sockaddr_storage ss;
        socklen_t len;
        int rc;
        if (strcmp(cmd, "socket") == 0 && i + 2 < argc) {
            int family = strcmp(argv[i + 1], "inet") == 0 ? AF_INET : strcmp(argv[i + 1], "inet6") == 0 ? AF_INET6 : AF_UNIX;
            int type = type_of(argv[i + 2]);
            int proto = 0;
            i += 2;
            if (i + 1 < argc && argv[i + 1][0] >= '0' && argv[i + 1][0] <= '9') proto = atoi(argv[++i]);
            current = socket(family, type, proto);
            printf("socket fd=%d errno=%s\n", current, errno_name(current < 0 ? errno : 0));
        } else if (strcmp(cmd, "set") == 0 && i + 2 < argc) {
            int level, opt, value = atoi(argv[i + 2]);
            if (option(argv[i + 1], &level, &opt) != 0) return 2;
            errno = 0;
            rc = setsockopt(current, level, opt, &value, sizeof value);
            printf("set rc=%d errno=%s\n", rc, errno_name(rc ? errno : 0));
            i += 2;
        } else if ((strcmp(cmd, "connect") == 0 || strcmp(cmd, "bind") == 0 || strcmp(cmd, "fastopen") == 0) && i + 2 < argc) {
            parse_address(argv[i + 1], argv[i + 2], &ss, &len);
            errno = 0;
            if (strcmp(cmd, "connect") == 0)
                rc = connect(current, (struct sockaddr*)&ss, len);
            else if (strcmp(cmd, "bind") == 0)
                rc = bind(current, (struct sockaddr*)&ss, len);
            else
                rc = (int)sendto(current, "x", 1, MSG_FASTOPEN, (struct sockaddr*)&ss, len);
            printf("%s rc=%d errno=%s\n", cmd, rc, errno_name(rc < 0 ? errno : 0));
            i += 2;
        } else if (strcmp(cmd, "connectlen") == 0 && i + 3 < argc) {
            parse_address(argv[i + 1], argv[i + 2], &ss, &len);
            errno = 0;
            rc = connect(current, (struct sockaddr*)&ss, (socklen_t)atoi(argv[i + 3]));
            printf("connect rc=%d errno=%s\n", rc, errno_name(rc < 0 ? errno : 0));
            i += 3;
        } else if (strcmp(cmd, "connectnull") == 0 && i + 1 < argc) {
            errno = 0;
            rc = connect(current, NULL, (socklen_t)atoi(argv[++i]));
            printf("connect rc=%d errno=%s\n", rc, errno_name(rc < 0 ? errno : 0));
        } else if (strcmp(cmd, "listen") == 0) {
            errno = 0;
            rc = listen(current, 16);
            const int listen_errno = rc ? errno : 0; /* before getsockname() may change errno */
            struct sockaddr_storage local;
            socklen_t local_len = sizeof local;
            int port = -1; /* none: getsockname failed, or the address has no port */
            if (getsockname(current, (struct sockaddr*)&local, &local_len) == 0) {
                if (local.ss_family == AF_INET) port = ntohs(((struct sockaddr_in*)&local)->sin_port);
                if (local.ss_family == AF_INET6) port = ntohs(((struct sockaddr_in6*)&local)->sin6_port);
            }
            if (port < 0)
                printf("listen rc=%d errno=%s port=none\n", rc, errno_name(listen_errno));
            else
                printf("listen rc=%d errno=%s port=%d\n", rc, errno_name(listen_errno), port);
        } else if (strcmp(cmd, "accept") == 0 || strcmp(cmd, "accept4") == 0) {
            errno = 0;
            rc = strcmp(cmd, "accept") == 0 ? accept(current, NULL, NULL) : accept4(current, NULL, NULL, SOCK_CLOEXEC);
            printf("%s rc=%s errno=%s\n", cmd, rc >= 0 ? "fd" : "-1", errno_name(rc < 0 ? errno : 0));
            if (rc >= 0) current = rc;
        } else if (strcmp(cmd, "accept-close") == 0) {
            rc = accept(current, NULL, NULL);
            printf("accept-close rc=%s errno=%s\n", rc >= 0 ? "fd" : "-1", errno_name(rc < 0 ? errno : 0));
            if (rc >= 0 && close(rc) != 0) die("accept-close: close");
        } else if (strcmp(cmd, "nonblock") == 0) {
            const int flags = fcntl(current, F_GETFL);
            if (flags < 0 || fcntl(current, F_SETFL, flags | O_NONBLOCK) != 0) die("nonblock");
        } else if (strcmp(cmd, "alarm") == 0 && i + 1 < argc) {
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_alarm; /* no SA_RESTART */
            if (sigaction(SIGALRM, &sa, NULL) != 0) die("alarm: sigaction");
            int ms = atoi(argv[++i]);
            struct itimerval t = {{0, 0}, {ms / 1000, (ms % 1000) * 1000}};
            if (setitimer(ITIMER_REAL, &t, NULL) != 0) die("alarm: setitimer");
        } else if (strcmp(cmd, "use") == 0 && i + 1 < argc) {
            current = atoi(argv[++i]);
        } else if (strcmp(cmd, "close") == 0) {
            errno = 0;
            rc = close(current);
            printf("close rc=%d errno=%s\n", rc, errno_name(rc < 0 ? errno : 0));
        } else if (strcmp(cmd, "dup") == 0) {
            errno = 0;
            rc = dup(current);
            printf("dup fd=%d errno=%s\n", rc, errno_name(rc < 0 ? errno : 0));
            if (rc >= 0) current = rc;
        } else if ((strcmp(cmd, "dup2") == 0 || strcmp(cmd, "dup3") == 0) && i + 1 < argc) {
            const int to = atoi(argv[++i]);
            errno = 0;
            rc = strcmp(cmd, "dup2") == 0 ? dup2(current, to) : dup3(current, to, O_CLOEXEC);
            printf("%s rc=%d errno=%s\n", cmd, rc, errno_name(rc < 0 ? errno : 0));
            if (rc >= 0) current = to;
        } else if (strcmp(cmd, "show") == 0) {
            show();
        } else if (strcmp(cmd, "wait") == 0) {
            printf("ready\n");
            char c;
            while (read(0, &c, 1) > 0) {
            }
        } else {
            fprintf(stderr, "sockprobe: bad command %s\n", cmd);
            return 2;
        }
    }
    return 0;
}
