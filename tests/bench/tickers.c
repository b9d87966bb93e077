/*
 * tickers: processes that all run a little between any two samples, for the
 * benchmark's "every process ran" measurement.
 *   tickers N PERIOD_MS SECONDS
 * Forks N children; each wakes every PERIOD_MS, does a few microseconds of
 * work, and exits after SECONDS or when the parent dies. The parent waits
 * for them all.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: tickers N PERIOD_MS SECONDS\n");
        return 2;
    }
    int n = atoi(argv[1]), period = atoi(argv[2]), seconds = atoi(argv[3]);
    if (n < 1 || period < 1 || seconds < 1) {
        fprintf(stderr, "tickers: N, PERIOD_MS and SECONDS must be positive\n");
        return 2;
    }
    pid_t parent = getpid();
    for (int i = 0; i < n; i++) {
        pid_t c = fork();
        if (c < 0) {
            perror("tickers: fork");
            break;
        }
        if (c > 0)
            continue;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(0);
        struct timespec ts = {period / 1000, (period % 1000) * 1000000L};
        volatile unsigned x = 1;
        for (long k = 0; k < (long)seconds * 1000 / period; k++) {
            nanosleep(&ts, NULL);
            for (int j = 0; j < 1000; j++)
                x = x * 1664525u + 1013904223u;
        }
        _exit(0);
    }
    while (wait(NULL) > 0)
        ;
    return 0;
}
