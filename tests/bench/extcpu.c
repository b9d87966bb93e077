/*
 * extcpu: the CPU of a command measured from outside it, so that the
 * benchmark does not trust the recorder's own accounting of itself.
 *   extcpu TRACE CMD [ARGS...]
 * Starts CMD and, until it exits, reads its /proc/PID/schedstat every 10 ms
 * (one pread of a kept fd: no process is started, so the recorder's scan
 * skip is not disturbed). TRACE gets a line "WALL_NS RUN_NS" for the last
 * reading before every change of the run time (and the first and last
 * reading), so that the run time at any moment the command was idle (just
 * before a sample's wall-clock timestamp, for the recorder) can be looked up.
 * A last line "# maxrss_kib N" gives CMD's peak RSS (wait4).
 * The exit status is CMD's.
 * Format of TRACE: one line per reading, two decimal integers: CLOCK_REALTIME
 * in ns, and schedstat's first field (time on CPU, ns; the recorder is
 * single-threaded, so its main thread's run time is its run time).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: extcpu TRACE CMD [ARGS...]\n");
        return 2;
    }
    FILE *out = fopen(argv[1], "w");
    if (!out) {
        perror(argv[1]);
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0) {
        execvp(argv[2], argv + 2);
        _exit(127);
    }
    char path[64], buf[128];
    snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    long long prev_run = -1, prev_wall = 0, printed_wall = -1;
    int status = 0;
    for (;;) {
        siginfo_t si = {0};
        /* WNOWAIT: a finished child stays a zombie, its schedstat readable. */
        int done = waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid;
        long long wall = now_ns(), run = -1;
        ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf - 1, 0) : -1;
        if (n > 0) {
            buf[n] = 0;
            run = atoll(buf);
        }
        if (run >= 0 && run != prev_run) {
            if (prev_run >= 0 && printed_wall != prev_wall)
                fprintf(out, "%lld %lld\n", prev_wall, prev_run);
            fprintf(out, "%lld %lld\n", wall, run);
            printed_wall = wall;
        }
        if (run >= 0) {
            prev_run = run;
            prev_wall = wall;
        }
        if (done)
            break;
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (prev_run >= 0 && printed_wall != prev_wall)
        fprintf(out, "%lld %lld\n", prev_wall, prev_run);
    struct rusage ru = {0};
    wait4(pid, &status, 0, &ru);
    fprintf(out, "# maxrss_kib %ld\n", ru.ru_maxrss);
    fclose(out);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
