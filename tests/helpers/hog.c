/*
 * hog: a workload with a known CPU time and memory footprint. Allocates MIB
 * MiB and writes every page (dirty, so it counts in the footprint), burns
 * CPU_MS of CPU time, reports what getrusage measured, then lingers
 * LINGER_MS with the memory still held so a sampler sees both.
 * Usage: hog CPU_MS MIB LINGER_MS
 * Prints: "pid=P cpu_ns=N bytes=B"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static long long rusage_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
           ((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: hog CPU_MS MIB LINGER_MS\n");
        return 2;
    }
    long long target = atoll(argv[1]) * 1000000LL;
    size_t bytes = (size_t)atoll(argv[2]) << 20;
    long linger = atol(argv[3]);
    volatile unsigned char *mem = malloc(bytes ? bytes : 1);
    if (!mem)
        return 1;
    for (size_t i = 0; i < bytes; i += 4096)
        mem[i] = (unsigned char)(i >> 12 | 1);
    volatile unsigned long x = 1;
    while (rusage_ns() < target)
        for (int i = 0; i < 100000; i++)
            x = x * 6364136223846793005UL + 1442695040888963407UL;
    printf("pid=%d cpu_ns=%lld bytes=%zu\n", (int)getpid(), rusage_ns(), bytes);
    fflush(stdout);
    struct timespec ts = {linger / 1000, (linger % 1000) * 1000000L};
    nanosleep(&ts, NULL);
    return mem[bytes ? bytes - 1 : 0] == 0xFF; /* keep the memory live until here */
}
