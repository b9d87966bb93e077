/*
 * tickers: processes that all run a little between any two samples, for the
 * benchmark's "every process ran" measurement.
 *   tickers N PERIOD_MS SECONDS
 * Forks N children; each wakes every PERIOD_MS, takes a page fault and does
 * a few microseconds of work, and exits after SECONDS or when the parent
 * dies. The fault is what makes every one of them count as having run: a
 * few microseconds of CPU rarely reach stat's 10 ms clock ticks, and the
 * machine has far fewer ticks a second to give than there are tickers. The
 * parent prints "started N" (the children it forked) once all are forked,
 * then waits for them all.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
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
    int started = 0;
    for (int i = 0; i < n; i++) {
        pid_t c = fork();
        if (c < 0) {
            perror("tickers: fork");
            break;
        }
        if (c > 0) {
            started++;
            continue;
        }
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(0);
        struct timespec ts = {period / 1000, (period % 1000) * 1000000L};
        volatile unsigned x = 1;
        volatile char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
                                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (page == MAP_FAILED)
            _exit(1);
        for (long k = 0; k < (long)seconds * 1000 / period; k++) {
            nanosleep(&ts, NULL);
            madvise((void *)page, 4096, MADV_DONTNEED);
            page[0] = (char)k; /* a minor fault */
            for (int j = 0; j < 1000; j++)
                x = x * 1664525u + 1013904223u;
        }
        _exit(0);
    }
    printf("started %d\n", started);
    fflush(stdout);
    while (wait(NULL) > 0)
        ;
    return 0;
}
