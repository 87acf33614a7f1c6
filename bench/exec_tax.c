/* Exec tax: the time a preload adds to every exec of a program. Alternates the variants round by
 * round (A B C A B C ...), REPS execs per variant per round, and prints each variant's median
 * microseconds per exec over the rounds.
 * Usage: exec_tax PROGRAM ROUNDS REPS VARIANT... (VARIANT: "none" or a library path) */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int compare(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double per_exec_us(const char *program, const char *preload, int reps) {
    char variable[4096];
    snprintf(variable, sizeof variable, "LD_PRELOAD=%s", preload);
    char *with[] = {variable, NULL};
    char *without[] = {NULL};
    char *argv[] = {(char *)program, NULL};
    double start = now();
    for (int i = 0; i < reps; i++) {
        pid_t pid;
        if (posix_spawn(&pid, program, NULL, NULL, argv, strcmp(preload, "none") ? with : without) != 0) {
            perror("posix_spawn");
            exit(1);
        }
        int status;
        waitpid(pid, &status, 0);
    }
    return (now() - start) / reps * 1e6;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s PROGRAM ROUNDS REPS VARIANT...\n", argv[0]);
        return 2;
    }
    const char *program = argv[1];
    int rounds = atoi(argv[2]), reps = atoi(argv[3]), variants = argc - 4;
    double *times = calloc((size_t)(rounds * variants), sizeof(double));
    for (int r = 0; r < rounds; r++)
        for (int v = 0; v < variants; v++) times[v * rounds + r] = per_exec_us(program, argv[4 + v], reps);
    for (int v = 0; v < variants; v++) {
        qsort(times + v * rounds, (size_t)rounds, sizeof(double), compare);
        printf("%s %.2f\n", argv[4 + v], times[v * rounds + rounds / 2]);
    }
    free(times);
    return 0;
}
