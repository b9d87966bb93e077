/*
 * work: test workloads that report what the kernel measured for them, the
 * independent figures tests/e2e/accounting.sh compares prochist with.
 *
 *   work threads N MS          N threads, each burning MS ms of CPU
 *   work spike MIB HOLD_MS LIFE_MS GO
 *                              once the file GO exists ("-": at once),
 *                              touch MIB MiB, hold them HOLD_MS, give them
 *                              back; exit LIFE_MS after the start
 *   work setuid UID GO MS      (as root) once GO exists, setuid(UID), then
 *                              burn MS ms of CPU
 *
 * Each prints one line at its end: "pid=P cpu_ns=N maxrss_kib=K" from
 * getrusage(RUSAGE_SELF) (all threads; ru_maxrss is the kernel's high-water
 * RSS, the figure /proc's VmHWM and the exit record report).
 */
#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static long long clock_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Burn ms of this thread's CPU. */
static void *burn(void *arg)
{
    long long until = clock_ns(CLOCK_THREAD_CPUTIME_ID) + *(long *)arg * 1000000LL;
    volatile unsigned long long x = 1;
    while (clock_ns(CLOCK_THREAD_CPUTIME_ID) < until)
        for (int i = 0; i < 20000; i++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    return NULL;
}

static void wait_for(const char *go)
{
    struct stat st;
    if (strcmp(go, "-") != 0)
        while (stat(go, &st) != 0)
            sleep_ms(5);
}

static int report(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long cpu = ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
                    ((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    printf("pid=%ld cpu_ns=%lld maxrss_kib=%ld\n", (long)getpid(), cpu, (long)ru.ru_maxrss);
    return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "threads") == 0) {
        int n = atoi(argv[2]);
        long ms = atol(argv[3]);
        pthread_t t[64];
        if (n < 1 || n > 64)
            return 2;
        for (int i = 1; i < n; i++)
            if (pthread_create(&t[i], NULL, burn, &ms) != 0)
                return 1;
        burn(&ms);
        for (int i = 1; i < n; i++)
            pthread_join(t[i], NULL);
        return report();
    }
    if (argc == 6 && strcmp(argv[1], "spike") == 0) {
        long long start = clock_ns(CLOCK_MONOTONIC);
        size_t bytes = (size_t)atol(argv[2]) << 20;
        long hold = atol(argv[3]), life = atol(argv[4]);
        wait_for(argv[5]);
        char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED)
            return 1;
        memset(p, 1, bytes); /* resident, page by page */
        sleep_ms(hold);
        munmap(p, bytes);
        long left = life - (long)((clock_ns(CLOCK_MONOTONIC) - start) / 1000000LL);
        if (left > 0)
            sleep_ms(left);
        return report();
    }
    if (argc == 5 && strcmp(argv[1], "setuid") == 0) {
        long ms = atol(argv[4]);
        wait_for(argv[3]);
        if (setuid((uid_t)atol(argv[2])) != 0) {
            perror("setuid");
            return 1;
        }
        burn(&ms);
        return report();
    }
    fprintf(stderr, "usage: work threads N MS | spike MIB HOLD_MS LIFE_MS GO | setuid UID GO MS\n");
    return 2;
}
