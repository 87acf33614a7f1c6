/* Exec tax: the time a preload adds to every exec of a program. Alternates the variants exec by
 * exec (A B C A B C ...), ROUNDS x REPS execs per variant, and prints each variant's median
 * microseconds per exec.
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

static int compare(const void* a, const void* b) {
    double x = *(const double*)a, y = *(const double*)b;
    return (x > y) - (x < y);
}

/* One exec of PROGRAM under PRELOAD ("none": no preload), in microseconds. */
static double one_exec_us(const char* program, const char* preload) {
    char variable[4096];
    snprintf(variable, sizeof variable, "LD_PRELOAD=%s", preload);
    char* with[] = {variable, NULL};
    char* without[] = {NULL};
    char* argv[] = {(char*)program, NULL};
    double start = now();
    pid_t pid;
    if (posix_spawn(&pid, program, NULL, NULL, argv, strcmp(preload, "none") ? with : without) != 0) {
        perror("posix_spawn");
        exit(1);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "exec_tax: %s under %s did not exit with status 0\n", program, preload);
        exit(1);
    }
    return (now() - start) * 1e6;
}

int main(int argc, char** argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s PROGRAM ROUNDS REPS VARIANT...\n", argv[0]);
        return 2;
    }
    const char* program = argv[1];
    int rounds = atoi(argv[2]), reps = atoi(argv[3]), variants = argc - 4;
    if (rounds < 1 || reps < 1) {
        fprintf(stderr, "%s: ROUNDS and REPS must be at least 1\n", argv[0]);
        return 2;
    }
    size_t samples = (size_t)rounds * (size_t)reps;
    double* times = calloc(samples * (size_t)variants, sizeof(double));
    if (times == NULL) {
        perror("calloc");
        return 1;
    }
    /* The variants alternate exec by exec, so a slow spell of the machine (another tenant, a
     * frequency change) lands on all of them alike; the median per exec ignores the outliers. */
    for (size_t i = 0; i < samples; i++)
        for (int v = 0; v < variants; v++) times[(size_t)v * samples + i] = one_exec_us(program, argv[4 + v]);
    for (int v = 0; v < variants; v++) {
        qsort(times + (size_t)v * samples, samples, sizeof(double), compare);
        printf("%s %.2f\n", argv[4 + v], times[(size_t)v * samples + samples / 2]);
    }
    free(times);
    return 0;
}
