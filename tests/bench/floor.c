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
 *   MODE taskstats  one TASKSTATS_CMD_GET with TASKSTATS_CMD_ATTR_TGID per
 *              process over generic netlink (root: CAP_NET_ADMIN), its
 *              reply received and the fields the recorder keeps parsed: the
 *              alternative to reading four files for a process that ran
 *   MODE ts+statm  taskstats plus a pread of a kept-open statm (current
 *              resident and shared memory, which taskstats does not carry)
 *   MODE tspid the same request with TASKSTATS_CMD_ATTR_PID (the leader
 *              thread): the only query whose reply carries I/O, faults and
 *              peak RSS (kernel/taskstats.c: fill_stats_for_tgid fills only
 *              CPU, delays and context switches; fill_stats adds the rest,
 *              I/O and faults of that one thread, peak RSS of its mm)
 *   MODE tspid+statm  tspid plus the statm pread
 *   MODE tsbatch   TGID requests 64 to a datagram, replies taken 64 to a
 *              recvmmsg: the same kernel work in fewer system calls
 *   MODE kept4 pread of kept-open stat, status, io and schedstat fds, each
 *              parsed: the four files without their opens and closes
 *   MODE kept:FILE,...  the same for some of the four (e.g. kept:status,io)
 * Every mode lists /proc on every pass.
 *   floor tscheck PID   prints one process's TGID and PID replies beside
 *              its /proc files (what the two queries fill, and their units)
 */
#define _GNU_SOURCE
#include "ph_procfs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char buf[65536];
static volatile unsigned long long sink; /* parsed values land here, not optimized away */

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

/* ---- taskstats ----------------------------------------------------------
 * The requests as src/platform/linux/taskstats.c sends them, but without
 * NLM_F_ACK: a reply that succeeds is then one datagram (with the flag an
 * ack follows it), and a failure still comes back as NLMSG_ERROR. */

typedef struct ts_fields {
    uint64_t utime_us, stime_us; /* tick-sampled (task_cputime), microseconds */
    uint64_t run_real_ns;        /* cpu_run_real_total: utime + stime in ns */
    uint64_t run_ns;             /* cpu_run_virtual_total: sum_exec_runtime */
    uint64_t delay_ns;           /* cpu_delay_total: sched_info.run_delay */
    uint64_t read_bytes, write_bytes, rchar, wchar, syscr, syscw;
    uint64_t nvcsw, nivcsw, minflt, majflt, hiwater_kib;
    uint16_t version;
} ts_fields;

static int ts_fd = -1;
static uint16_t ts_family;
static uint32_t ts_seq;

static size_t ts_req(unsigned char *msg, uint16_t type, uint8_t cmd, uint16_t attr, const void *val,
                     size_t vlen, uint16_t flags)
{
    size_t len = NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN + NLA_ALIGN(vlen);
    memset(msg, 0, len);
    struct nlmsghdr h = {.nlmsg_len = (uint32_t)len, .nlmsg_type = type, .nlmsg_flags = flags,
                         .nlmsg_seq = ++ts_seq};
    struct genlmsghdr g = {.cmd = cmd, .version = 1};
    struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + vlen), .nla_type = attr};
    memcpy(msg, &h, sizeof h);
    memcpy(msg + NLMSG_HDRLEN, &g, sizeof g);
    memcpy(msg + NLMSG_HDRLEN + GENL_HDRLEN, &a, sizeof a);
    memcpy(msg + NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN, val, vlen);
    return len;
}

static int ts_sendreq(uint16_t type, uint8_t cmd, uint16_t attr, const void *val, size_t vlen)
{
    unsigned char msg[128];
    size_t len = ts_req(msg, type, cmd, attr, val, vlen, NLM_F_REQUEST);
    struct sockaddr_nl to = {.nl_family = AF_NETLINK};
    return sendto(ts_fd, msg, len, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)len ? 0 : -1;
}

/* The value of the first attribute of type want in [p, p+len), or NULL. */
static const unsigned char *nla_find(const unsigned char *p, size_t len, int want, size_t *vlen)
{
    while (len >= NLA_HDRLEN) {
        struct nlattr a;
        memcpy(&a, p, sizeof a);
        if (a.nla_len < NLA_HDRLEN || a.nla_len > len)
            return NULL;
        if ((a.nla_type & NLA_TYPE_MASK) == want) {
            *vlen = a.nla_len - NLA_HDRLEN;
            return p + NLA_HDRLEN;
        }
        size_t step = NLA_ALIGN(a.nla_len);
        if (step >= len)
            return NULL;
        p += step;
        len -= step;
    }
    return NULL;
}

/* One netlink message of the taskstats family: the struct taskstats inside
 * its AGGR_TGID or AGGR_PID attribute, the fields the recorder keeps. */
static int ts_parse_msg(const unsigned char *p, size_t len, ts_fields *out)
{
    if (len < NLMSG_HDRLEN + GENL_HDRLEN)
        return -EPROTO;
    const unsigned char *a = p + NLMSG_HDRLEN + GENL_HDRLEN;
    size_t alen = len - NLMSG_HDRLEN - GENL_HDRLEN, vlen, vlen2;
    const unsigned char *v = nla_find(a, alen, TASKSTATS_TYPE_AGGR_TGID, &vlen);
    if (!v)
        v = nla_find(a, alen, TASKSTATS_TYPE_AGGR_PID, &vlen);
    const unsigned char *v2 = v ? nla_find(v, vlen, TASKSTATS_TYPE_STATS, &vlen2) : NULL;
    if (!v2)
        return -EPROTO;
    struct taskstats ts;
    memset(&ts, 0, sizeof ts);
    memcpy(&ts, v2, vlen2 < sizeof ts ? vlen2 : sizeof ts);
    out->version = ts.version;
    out->utime_us = ts.ac_utime;
    out->stime_us = ts.ac_stime;
    out->run_real_ns = ts.cpu_run_real_total;
    out->run_ns = ts.cpu_run_virtual_total;
    out->delay_ns = ts.cpu_delay_total;
    out->read_bytes = ts.read_bytes;
    out->write_bytes = ts.write_bytes;
    out->rchar = ts.read_char;
    out->wchar = ts.write_char;
    out->syscr = ts.read_syscalls;
    out->syscw = ts.write_syscalls;
    out->nvcsw = ts.nvcsw;
    out->nivcsw = ts.nivcsw;
    out->minflt = ts.ac_minflt;
    out->majflt = ts.ac_majflt;
    out->hiwater_kib = ts.hiwater_rss;
    return 0;
}

/* One datagram: 0 and *out filled, -errno for NLMSG_ERROR (ESRCH: the
 * process is gone), the family id for a CTRL reply when family != NULL. */
static int ts_parse_dgram(const unsigned char *p, size_t len, ts_fields *out, uint16_t *family)
{
    struct nlmsghdr h;
    if (len < NLMSG_HDRLEN)
        return -EPROTO;
    memcpy(&h, p, sizeof h);
    if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len)
        return -EPROTO;
    if (h.nlmsg_type == NLMSG_ERROR && h.nlmsg_len >= NLMSG_HDRLEN + sizeof(struct nlmsgerr)) {
        struct nlmsgerr e;
        memcpy(&e, p + NLMSG_HDRLEN, sizeof e);
        return e.error;
    }
    if (family && h.nlmsg_type == GENL_ID_CTRL && h.nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN) {
        size_t vlen;
        const unsigned char *v = nla_find(p + NLMSG_HDRLEN + GENL_HDRLEN,
                                          h.nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN, CTRL_ATTR_FAMILY_ID, &vlen);
        if (v && vlen >= 2)
            memcpy(family, v, 2);
        return 0;
    }
    if (h.nlmsg_type == ts_family && out)
        return ts_parse_msg(p, h.nlmsg_len, out);
    return -EPROTO;
}

static int ts_open(void)
{
    unsigned char b[8192];
    ts_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
    struct sockaddr_nl me = {.nl_family = AF_NETLINK};
    if (ts_fd < 0 || bind(ts_fd, (struct sockaddr *)&me, sizeof me) < 0)
        return -1;
    int sz = 4 << 20; /* room for a batch of replies */
    if (setsockopt(ts_fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0)
        setsockopt(ts_fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    if (ts_sendreq(GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME, TASKSTATS_GENL_NAME,
                   sizeof TASKSTATS_GENL_NAME) < 0)
        return -1;
    ssize_t n = recv(ts_fd, b, sizeof b, 0);
    if (n <= 0 || ts_parse_dgram(b, (size_t)n, NULL, &ts_family) < 0 || !ts_family)
        return -1;
    return 0;
}

/* One request, one reply: 0, or -errno (-ESRCH for a process gone). */
static int ts_get(uint16_t attr, uint32_t pid, ts_fields *out)
{
    unsigned char b[2048];
    if (ts_sendreq(ts_family, TASKSTATS_CMD_GET, attr, &pid, sizeof pid) < 0)
        return -errno;
    ssize_t n = recv(ts_fd, b, sizeof b, 0);
    if (n < 0)
        return -errno;
    return ts_parse_dgram(b, (size_t)n, out, NULL);
}

#define BATCH 64
#define SLOT 1024

/* BATCH TGID requests in one datagram (netlink_rcv_skb runs every message
 * of it, each reply queued before sendto returns), the replies read with
 * recvmmsg. Returns how many failed. */
static int ts_batch(const int *pid, int n, ts_fields *out)
{
    static unsigned char msg[BATCH * 64], slots[BATCH][SLOT];
    struct mmsghdr mm[BATCH];
    struct iovec iov[BATCH];
    size_t len = 0;
    int errs = 0;
    for (int i = 0; i < n; i++) {
        uint32_t p = (uint32_t)pid[i];
        len += ts_req(msg + len, ts_family, TASKSTATS_CMD_GET, TASKSTATS_CMD_ATTR_TGID, &p, sizeof p,
                      NLM_F_REQUEST);
    }
    struct sockaddr_nl to = {.nl_family = AF_NETLINK};
    if (sendto(ts_fd, msg, len, 0, (struct sockaddr *)&to, sizeof to) != (ssize_t)len)
        return n;
    for (int got = 0; got < n;) {
        memset(mm, 0, sizeof mm);
        for (int i = 0; i < n - got; i++) {
            iov[i].iov_base = slots[i];
            iov[i].iov_len = SLOT;
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        int k = recvmmsg(ts_fd, mm, (unsigned)(n - got), 0, NULL);
        if (k <= 0)
            return errs + n - got;
        for (int i = 0; i < k; i++)
            if (ts_parse_dgram(slots[i], mm[i].msg_len, &out[got + i], NULL) < 0)
                errs++;
        got += k;
    }
    return errs;
}

static void ts_print(const char *what, const ts_fields *f)
{
    printf("%s (version %u): ac_utime %llu us, ac_stime %llu us, cpu_run_real_total %llu ns, "
           "cpu_run_virtual_total %llu ns, cpu_delay_total %llu ns, read_bytes %llu, write_bytes %llu, "
           "read_char %llu, write_char %llu, read_syscalls %llu, write_syscalls %llu, nvcsw %llu, "
           "nivcsw %llu, ac_minflt %llu, ac_majflt %llu, hiwater_rss %llu KiB\n",
           what, f->version, (unsigned long long)f->utime_us, (unsigned long long)f->stime_us,
           (unsigned long long)f->run_real_ns, (unsigned long long)f->run_ns,
           (unsigned long long)f->delay_ns, (unsigned long long)f->read_bytes,
           (unsigned long long)f->write_bytes, (unsigned long long)f->rchar,
           (unsigned long long)f->wchar, (unsigned long long)f->syscr, (unsigned long long)f->syscw,
           (unsigned long long)f->nvcsw, (unsigned long long)f->nivcsw,
           (unsigned long long)f->minflt, (unsigned long long)f->majflt,
           (unsigned long long)f->hiwater_kib);
}

/* One process's two replies beside its /proc files. */
static int tscheck(int pid)
{
    ts_fields f;
    static const char *const files[] = {"stat", "status", "io", "schedstat", "statm"};
    int rc = ts_get(TASKSTATS_CMD_ATTR_TGID, (uint32_t)pid, &f);
    if (rc < 0)
        printf("TGID %d: error %d (%s)\n", pid, rc, strerror(-rc));
    else
        ts_print("TGID", &f);
    memset(&f, 0, sizeof f);
    rc = ts_get(TASKSTATS_CMD_ATTR_PID, (uint32_t)pid, &f);
    if (rc < 0)
        printf("PID %d: error %d (%s)\n", pid, rc, strerror(-rc));
    else
        ts_print("PID", &f);
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d", pid);
        int dfd = open(path, O_RDONLY | O_DIRECTORY);
        ssize_t n = dfd >= 0 ? slurp(dfd, files[i]) : -1;
        if (dfd >= 0)
            close(dfd);
        buf[n > 0 ? n : 0] = '\0';
        printf("--- /proc/%d/%s\n%s%s", pid, files[i], buf, n > 0 && buf[n - 1] == '\n' ? "" : "\n");
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "tscheck") == 0) {
        if (ts_open() < 0) {
            fprintf(stderr, "floor: no taskstats (%s; root needed)\n", strerror(errno));
            return 1;
        }
        return tscheck(atoi(argv[2]));
    }
    if (argc != 4) {
        fprintf(stderr, "usage: floor full|kept4|stat|sched|taskstats|ts+statm|tspid|tspid+statm|tsbatch PASSES GAP_MS\n"
                        "       floor tscheck PID\n");
        return 2;
    }
    int full = strcmp(argv[1], "full") == 0, sched = strcmp(argv[1], "sched") == 0, passes = atoi(argv[2]), gap = atoi(argv[3]);
    int tgid = strcmp(argv[1], "taskstats") == 0, batch = strcmp(argv[1], "tsbatch") == 0,
        statm = strcmp(argv[1], "ts+statm") == 0 || strcmp(argv[1], "tspid+statm") == 0,
        tspid = strncmp(argv[1], "tspid", 5) == 0;
    static const char *const four[] = {"stat", "status", "io", "schedstat"};
    int nl = tgid || statm || tspid || batch, kept4 = strcmp(argv[1], "kept4") == 0 ? 15 : 0;
    if (strncmp(argv[1], "kept:", 5) == 0) /* which of the four, a bit each */
        for (int f = 0; f < 4; f++) {
            const char *at = strstr(argv[1] + 5, four[f]);
            size_t len = strlen(four[f]);
            while (at && (at[len] != ',' && at[len] != '\0'))
                at = strstr(at + 1, four[f]);
            if (at && (at == argv[1] + 5 || at[-1] == ','))
                kept4 |= 1 << f;
        }
    long long errs = 0;
    if (nl && ts_open() < 0) {
        fprintf(stderr, "floor: no taskstats (%s; root needed)\n", strerror(errno));
        return 1;
    }
    static int fds[4194304 / 8], fds4[3][4194304 / 8];
    static int pids[65536];
    int proc = open("/proc", O_RDONLY | O_DIRECTORY);
    long long total = 0, procs = 0;
    memset(fds, -1, sizeof fds);
    memset(fds4, -1, sizeof fds4);
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
            if (batch) {
                ts_fields f[BATCH];
                int k = n - i < BATCH ? n - i : BATCH;
                errs += ts_batch(pids + i, k, f);
                for (int j = 0; j < k; j++)
                    sink += f[j].run_ns;
                i += k - 1;
            } else if (nl) {
                ts_fields f;
                if (ts_get(tspid ? TASKSTATS_CMD_ATTR_PID : TASKSTATS_CMD_ATTR_TGID, (uint32_t)pids[i], &f) < 0)
                    errs++; /* ESRCH: gone since the listing */
                else
                    sink += f.run_ns;
                int p = pids[i];
                if (statm && p < (int)(sizeof fds / sizeof fds[0])) {
                    if (fds[p] < 0) {
                        snprintf(name, sizeof name, "%d/statm", p);
                        fds[p] = openat(proc, name, O_RDONLY);
                    }
                    ssize_t len = fds[p] >= 0 ? pread(fds[p], buf, sizeof buf - 1, 0) : -1;
                    if (len > 0) { /* size resident shared ...: the two gauges */
                        buf[len] = '\0';
                        char *e;
                        unsigned long long size = strtoull(buf, &e, 10), rss = strtoull(e, &e, 10),
                                           shared = strtoull(e, &e, 10);
                        sink += size + rss + shared;
                    }
                }
            } else if (kept4) {
                int p = pids[i];
                if (p >= (int)(sizeof fds / sizeof fds[0]))
                    continue;
                for (int f = 0; f < 4; f++) {
                    if (!(kept4 & (1 << f)))
                        continue;
                    int *fd = f == 0 ? &fds[p] : &fds4[f - 1][p];
                    if (*fd < 0) {
                        snprintf(name, sizeof name, "%d/%s", p, four[f]);
                        *fd = openat(proc, name, O_RDONLY);
                    }
                    ssize_t len = *fd >= 0 ? pread(*fd, buf, sizeof buf - 1, 0) : -1;
                    if (len <= 0)
                        continue;
                    ph_status ss;
                    ph_io io;
                    ph_schedstat sc;
                    if (f == 0)
                        ph_parse_stat(buf, (size_t)len, &st);
                    else if (f == 1)
                        ph_parse_status(buf, (size_t)len, &ss);
                    else if (f == 2)
                        ph_parse_io(buf, (size_t)len, &io);
                    else
                        ph_parse_schedstat(buf, (size_t)len, &sc);
                }
            } else if (full) {
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
    printf("floor %s: %.2f us per process per pass (%lld process-reads", argv[1],
           procs ? (double)total / (double)procs / 1000.0 : 0.0, procs);
    if (nl) /* a process that exited between listing and request: ESRCH */
        printf(", %lld failed", errs);
    printf(")\n");
    return 0;
}
