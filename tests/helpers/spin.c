/* spin MS: burn MS milliseconds of CPU time, then exit (a short-lived child). */
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    long long target = (argc > 1 ? atoll(argv[1]) : 10) * 1000000LL;
    volatile unsigned long long x = 1;
    struct timespec ts;
    for (;;) {
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        if ((long long)ts.tv_sec * 1000000000LL + ts.tv_nsec >= target)
            return 0;
        for (int i = 0; i < 20000; i++)
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    }
}
