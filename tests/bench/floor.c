/*
 * floor: the least a /proc sampler can do, to measure prochist against.
 * Each pass lists /proc and, for every process, reads and parses the same
 * files prochist reads, storing nothing. Prints CPU (user + system, from
 * getrusage) per process per pass.
 *   floor MODE PASSES GAP_MS
 *   MODE full  open+read+close stat, status, io, schedstat (what a naive
 *              sampler does, and what prochist does for a process that ran)
 *   MODE stat  pread of a kept-open stat fd only (what prochist once did
 *              for a process that did not run)
 *   MODE sched pread of a kept-open schedstat fd only (what prochist does
 *              for a single-threaded process that did not run: the
 *              cheapest per-process read there is)
 * Every mode lists /proc on every pass.
 */
#define _GNU_SOURCE
#include "ph_procfs.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static char buf[65536];

static long long cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((long long)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
           ((long long)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

static ssize_t slurp(int dfd, const char *name)
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    return n;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: floor full|stat|sched PASSES GAP_MS\n");
        return 2;
    }
    int full = strcmp(argv[1], "full") == 0, sched = strcmp(argv[1], "sched") == 0, passes = atoi(argv[2]), gap = atoi(argv[3]);
    static int fds[4194304 / 8];
    static int pids[65536];
    int proc = open("/proc", O_RDONLY | O_DIRECTORY);
    long long total = 0, procs = 0;
    memset(fds, -1, sizeof fds);
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    for (int pass = 0; pass <= passes; pass++) {
        long long t0 = cpu_ns();
        int n = 0;
        DIR *d = fdopendir(openat(proc, ".", O_RDONLY | O_DIRECTORY));
        struct dirent *de;
        while ((de = readdir(d)) != NULL && n < 65536)
            if (de->d_name[0] >= '1' && de->d_name[0] <= '9')
                pids[n++] = atoi(de->d_name);
        closedir(d);
        for (int i = 0; i < n; i++) {
            char name[32];
            ph_stat st;
            if (full) {
                snprintf(name, sizeof name, "%d", pids[i]);
                int dfd = openat(proc, name, O_RDONLY | O_DIRECTORY);
                if (dfd < 0)
                    continue;
                ssize_t len = slurp(dfd, "stat");
                if (len > 0)
                    ph_parse_stat(buf, (size_t)len, &st);
                ph_status ss;
                len = slurp(dfd, "status");
                if (len > 0)
                    ph_parse_status(buf, (size_t)len, &ss);
                ph_io io;
                len = slurp(dfd, "io");
                if (len > 0)
                    ph_parse_io(buf, (size_t)len, &io);
                ph_schedstat sc;
                len = slurp(dfd, "schedstat");
                if (len > 0)
                    ph_parse_schedstat(buf, (size_t)len, &sc);
                close(dfd);
            } else {
                int p = pids[i];
                if (p >= (int)(sizeof fds / sizeof fds[0]))
                    continue;
                if (fds[p] < 0) {
                    snprintf(name, sizeof name, sched ? "%d/schedstat" : "%d/stat", p);
                    fds[p] = openat(proc, name, O_RDONLY);
                }
                ssize_t len = fds[p] >= 0 ? pread(fds[p], buf, sizeof buf - 1, 0) : -1;
                ph_schedstat sc;
                if (len > 0 && sched)
                    ph_parse_schedstat(buf, (size_t)len, &sc);
                else if (len > 0)
                    ph_parse_stat(buf, (size_t)len, &st);
            }
        }
        if (pass > 0) { /* the first pass opens the kept fds: not counted */
            total += cpu_ns() - t0;
            procs += n;
        }
        struct timespec ts = {gap / 1000, (gap % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
    printf("floor %s: %.2f us per process per pass (%lld process-reads)\n", argv[1],
           procs ? (double)total / (double)procs / 1000.0 : 0.0, procs);
    return 0;
}
