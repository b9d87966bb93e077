/*
 * churn: starts RATE short processes a second for SECONDS, on a timer
 * (absolute CLOCK_MONOTONIC deadlines), so that the rate does not depend on
 * how loaded the machine is, unlike a shell loop.
 *   churn RATE SECONDS [PROGRAM]
 * Each process is PROGRAM (default /bin/true) exec'd from a fork. Children
 * are reaped as they exit. Prints "started N late L": L counts the ticks
 * that were already past when the previous fork returned (the machine could
 * not keep up; the bench reports it).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: churn RATE SECONDS [PROGRAM]\n");
        return 2;
    }
    long rate = atol(argv[1]);
    double secs = atof(argv[2]);
    const char *prog = argc > 3 ? argv[3] : "/bin/true";
    if (rate <= 0 || secs <= 0) {
        fprintf(stderr, "churn: RATE and SECONDS must be positive\n");
        return 2;
    }
    long long step = 1000000000LL / rate, t0 = mono_ns();
    long total = (long)(rate * secs), started = 0, late = 0;
    for (long i = 0; i < total; i++) {
        long long at = t0 + i * step;
        if (mono_ns() > at + step)
            late++;
        struct timespec ts = {at / 1000000000LL, at % 1000000000LL};
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        pid_t p = fork();
        if (p == 0) {
            execl(prog, prog, (char *)NULL);
            _exit(127);
        }
        if (p > 0)
            started++;
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
    }
    while (wait(NULL) > 0)
        ;
    printf("started %ld late %ld\n", started, late);
    return 0;
}
