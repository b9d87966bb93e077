/*
 * forks: a fork storm with known costs. Forks N children, PER_SEC a second,
 * without exec; each burns BURN_US microseconds of CPU and exits. The parent
 * reaps them as they end (wait4) and prints, per child, what the kernel
 * measured: "pid=P cpu_ns=N", then "total_ns=T children=N". With
 * REAP_EVERY_MS, it reaps only that often: the children wait as zombies.
 * Usage: forks N PER_SEC BURN_US [REAP_EVERY_MS]
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long long tv_ns(struct timeval tv)
{
    return (long long)tv.tv_sec * 1000000000LL + (long long)tv.tv_usec * 1000LL;
}

static void burn(long long ns)
{
    volatile unsigned long long x = 1;
    while (now_ns(CLOCK_PROCESS_CPUTIME_ID) < ns)
        for (int i = 0; i < 2000; i++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
}

static long long total;
static int reaped;

static void reap(int options)
{
    struct rusage ru;
    int status;
    pid_t pid;
    while ((pid = wait4(-1, &status, options, &ru)) > 0) {
        long long used = tv_ns(ru.ru_utime) + tv_ns(ru.ru_stime);
        printf("pid=%d cpu_ns=%lld\n", (int)pid, used);
        total += used;
        reaped++;
    }
}

int main(int argc, char **argv)
{
    if (argc != 4 && argc != 5) {
        fprintf(stderr, "usage: forks N PER_SEC BURN_US [REAP_EVERY_MS]\n");
        return 2;
    }
    long long reap_every = argc == 5 ? atoll(argv[4]) * 1000000LL : 0, reaped_at = 0;
    int n = atoi(argv[1]);
    double per_sec = atof(argv[2]);
    long long burn_ns = atoll(argv[3]) * 1000LL;
    long long start = now_ns(CLOCK_MONOTONIC);
    reaped_at = start;
    for (int i = 0; i < n; i++) {
        long long due = start + (long long)(i * 1e9 / per_sec);
        long long t = now_ns(CLOCK_MONOTONIC);
        if (due > t) {
            struct timespec ts = {(time_t)((due - t) / 1000000000LL), (long)((due - t) % 1000000000LL)};
            nanosleep(&ts, NULL);
        }
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            burn(burn_ns);
            _exit(0);
        }
        if (!reap_every || now_ns(CLOCK_MONOTONIC) - reaped_at >= reap_every) {
            reap(WNOHANG);
            reaped_at = now_ns(CLOCK_MONOTONIC);
        }
    }
    reap(0);
    printf("total_ns=%lld children=%d\n", total, reaped);
    return reaped == n ? 0 : 1;
}
