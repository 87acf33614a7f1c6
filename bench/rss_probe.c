/* What a policy costs a real program at its first TCP connection, where the shim loads its engine and
 * the policy: the resident memory (VmRSS, RssAnon, RssFile, KiB) before and after it, and the time the
 * connect() call took (ms). The connection goes to 127.0.0.1:PORT and may be refused: the policy is
 * applied before it is made.
 *   rss_probe PORT   ->   "before RSS ANON FILE after RSS ANON FILE ms MS" */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static int resident(long kib[3]) {
    static const char* const keys[3] = {"VmRSS:", "RssAnon:", "RssFile:"};
    FILE* status = fopen("/proc/self/status", "r");
    if (status == NULL) return -1;
    char line[256];
    int found = 0;
    while (fgets(line, sizeof line, status) != NULL)
        for (int i = 0; i < 3; i++)
            if (strncmp(line, keys[i], strlen(keys[i])) == 0 && sscanf(line + strlen(keys[i]), "%ld", &kib[i]) == 1) found++;
    fclose(status);
    return found == 3 ? 0 : -1;
}

int main(int argc, char** argv) {
    if (argc != 2 || atoi(argv[1]) < 1 || atoi(argv[1]) > 65535) {
        fprintf(stderr, "usage: rss_probe PORT\n");
        return 2;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    long before[3], after[3];
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || resident(before) != 0) return 1;
    struct timespec start, end;
    clock_gettime(CLOCK_MONOTONIC, &start);
    connect(fd, (struct sockaddr*)&to, sizeof to); /* refused or not: the shim has decided */
    clock_gettime(CLOCK_MONOTONIC, &end);
    if (resident(after) != 0) return 1;
    printf("before %ld %ld %ld after %ld %ld %ld ms %.3f\n", before[0], before[1], before[2], after[0], after[1], after[2],
           (double)(end.tv_sec - start.tv_sec) * 1e3 + (double)(end.tv_nsec - start.tv_nsec) / 1e6);
    return close(fd) == 0 ? 0 : 1;
}
