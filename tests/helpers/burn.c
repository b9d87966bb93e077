/*
 * burn: a test workload with a known cost. Burns CPU_MS of CPU time, writes
 * BYTES to PATH with fsync, then reports what getrusage measured and lingers
 * LINGER_MS so a sampler sees it after its work.
 * Usage: burn CPU_MS BYTES PATH LINGER_MS
 * Prints: "pid=P cpu_ns=N written=B oublock_bytes=O"
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static long long cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: burn CPU_MS BYTES PATH LINGER_MS\n");
        return 2;
    }
    long long target = atoll(argv[1]) * 1000000LL, bytes = atoll(argv[2]);
    long linger = atol(argv[4]);
    volatile unsigned long long x = 1;
    while (cpu_ns() < target)
        for (int i = 0; i < 100000; i++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;

    int fd = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror("open");
        return 1;
    }
    char buf[65536];
    memset(buf, 'x', sizeof buf);
    long long left = bytes;
    while (left > 0) {
        ssize_t n = write(fd, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf);
        if (n <= 0) {
            perror("write");
            return 1;
        }
        left -= n;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        perror("fsync");
        return 1;
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long used = ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
                     ((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
    printf("pid=%ld cpu_ns=%lld written=%lld oublock_bytes=%lld\n", (long)getpid(), used, bytes,
           (long long)ru.ru_oublock * 512);
    fflush(stdout);
    struct timespec ts = {linger / 1000, (linger % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return 0;
}
