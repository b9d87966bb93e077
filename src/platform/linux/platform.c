/*
 * Linux collector: reads /proc (or a fixture tree given as --proc-root).
 *
 * Per process the cheap read is /proc/PID/stat: identity (starttime), CPU
 * times, faults, threads, rss, vsize. When the caller's hint says the same
 * process was seen and its stat counters have not moved, nothing else is
 * read (PH_READ_IDLE). Otherwise status, io and schedstat follow. Every file
 * is opened relative to a handle on /proc/PID, so a PID reused mid-read
 * fails (ESRCH) instead of mixing two processes.
 *
 * On the live /proc, each process's stat file stays open between samples and
 * is re-read with pread (the kernel regenerates it on every read): one
 * system call per idle process instead of three, and an fd that outlives its
 * process fails with ESRCH, so a reused pid can never be read through it.
 * The fds are closed when the pid leaves the listing. They are kept within
 * a budget (the fd limit, raised to its hard maximum, less a reserve for
 * SQLite and the rest): when two per process would not fit, a
 * single-threaded process keeps only its schedstat fd (its stat is opened
 * when it ran); past the budget, files are opened per read.
 *
 * Cheaper still, for a single-threaded process: its schedstat (run time of
 * its one thread, ns) is read first, and an unchanged run time means it has
 * not run, so stat is not read at all (PH_READ_IDLE without values). This
 * cannot be done for several threads: schedstat covers the main thread
 * only. Keyframes (hint->refresh) always read stat, to refresh gauges that
 * can move without running (RSS under reclaim).
 *
 * The listing itself (readdir of /proc: about a third of the kernel time of
 * a sample of idle processes) is skipped when no PID was allocated since the
 * last one: /proc/loadavg's last field is the PID namespace's allocation
 * cursor, moved by every fork and thread creation. Then the last listing,
 * less the processes found gone since, is still exact. Only on the live
 * /proc, and only when /proc is our own PID namespace's (/proc/self is us);
 * every PH_FULL_LIST_EVERY-th listing scans anyway, against the cases the
 * cursor cannot see (a PID chosen by clone3's set_tid, a full wrap of the
 * PID space). Tests drive it on a fixture tree with PROCHIST_FIXTURE_CURSOR=1
 * (its loadavg is then trusted); PROCHIST_ALWAYS_SCAN=1 turns it off.
 *
 * Missing or refused files cost their metrics (absent from the mask), never
 * the process: io is 0400 and ptrace-checked, so an unprivileged recorder
 * gets EACCES there for other users' processes and records `denied`.
 */
#define _GNU_SOURCE
#include "ph_platform.h"
#include "ph_cgroup.h"
#include "ph_procfs.h"
#include "ph_taskstats.h"
#include "ph_util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

typedef struct kept {
    int32_t pid;
    int fd;             /* open /proc/PID/stat, or -1 */
    int sfd;            /* open /proc/PID/schedstat (single-threaded only), or -1 */
    int tfd, iofd;      /* open /proc/PID/status and io while it runs (busy_fds), or -1 */
    uint64_t start_key; /* identity at the last stat read */
    int64_t threads;    /* threads at the last stat read */
    uint64_t run_ns;    /* schedstat run time at the last stat read */
    int gone;           /* a read found the process gone: not listed again */
    uint64_t drm_key;   /* start_key + 1 of the process whose DRM fds these are; 0: none */
    int ndrm;
    int drm_fd[8];
} kept;

struct ph_platform {
    char proc_root[PH_PATH_MAX];
    char sys_root[PH_PATH_MAX];
    int proc_fd;
    int live;          /* proc_root is the running kernel's /proc */
    int keep_fds;      /* keep stat open between samples (live /proc only) */
    long fd_budget;    /* kept fds allowed open at once */
    long nfds;         /* kept fds open now */
    int one_fd;        /* the budget holds one fd per process, not two */
    int busy_fds;      /* it holds four: status and io are kept for a process that ran */
    int64_t clk_tck;
    int64_t page_size;
    ph_buf buf;        /* read buffer, grown as files demand */
    kept *kept;        /* sorted by pid: the last listing */
    size_t nkept, capkept;
    size_t kept_next;  /* where find_kept looks first */
    int la_fd;         /* /proc/loadavg, kept open; -1: see fixture_cursor */
    int fixture_cursor; /* a fixture tree's loadavg is trusted (tests) */
    int64_t cursor;    /* last PID allocated before the last scan; -1: unknown */
    unsigned since_scan; /* listings answered without a scan since the last scan */
    uint64_t skipped;  /* listings answered without a scan, in all */
    int64_t dir_off;   /* /proc's directory offset of pid 0 (learned), or -1 */
    uint64_t narrowed; /* listings that read only the newly allocated pids */
    ph_pidlist fresh;  /* the pids a narrowed listing found */
    ph_ts *ts;         /* exit records (live /proc, root); NULL without */
    char exit_mode[160];
};

#define PH_FD_RESERVE 256

static void drop_fd(ph_platform *p, int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        p->nfds--;
    }
    *fd = -1;
}

/* A process that did not run gives its status and io fds back. */
static void drop_busy(ph_platform *p, kept *k)
{
    drop_fd(p, &k->tfd);
    drop_fd(p, &k->iofd);
}

static void close_kept(ph_platform *p, kept *k)
{
    drop_fd(p, &k->fd);
    drop_fd(p, &k->sfd);
    drop_busy(p, k);
}

/* Open a /proc file to keep, within the budget; -1 when it does not fit
 * (the caller reads per path) or cannot be opened. */
static int keep_open(ph_platform *p, const char *path)
{
    if (p->nfds >= p->fd_budget)
        return -1;
    int fd = openat(p->proc_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
        p->nfds++;
    else if (errno == EMFILE || errno == ENFILE)
        p->fd_budget = p->nfds; /* someone else holds fds: keep no more */
    return fd;
}

const char *ph_platform_name(void) { return "linux"; }

/* What this folder sets (procfs_parse.c, taskstats*.c, platform.c: `grep -o
 * 'PH_M_[A-Z_]*' src/platform/linux`), and energy_est_nj, which the store
 * estimates from RAPL (store_sample.c). tests/unit/test_linux_stored.c reads
 * every process against it; the store fails a row with a metric outside it. */
ph_mask ph_platform_stored_metrics(void)
{
    static const enum ph_metric m[] = {
        PH_M_CPU_USER_NS, PH_M_CPU_SYSTEM_NS, PH_M_RUNNABLE_NS, PH_M_FAULTS_MINOR, PH_M_FAULTS_MAJOR,
        PH_M_CTXSW_VOLUNTARY, PH_M_CTXSW_INVOLUNTARY, PH_M_DISK_READ_BYTES, PH_M_DISK_WRITE_BYTES,
        PH_M_SYSCALL_READ_BYTES, PH_M_SYSCALL_WRITE_BYTES, PH_M_SYSCALLS_READ, PH_M_SYSCALLS_WRITE,
        PH_M_RESIDENT_BYTES, PH_M_RESIDENT_ANON_BYTES, PH_M_RESIDENT_FILE_BYTES, PH_M_RESIDENT_SHMEM_BYTES,
        PH_M_PEAK_RESIDENT_BYTES, PH_M_VIRTUAL_BYTES, PH_M_THREADS, PH_M_PRIORITY, PH_M_NICE, PH_M_STATE,
        PH_M_CHILD_CPU_USER_NS, PH_M_CHILD_CPU_SYSTEM_NS, PH_M_CHILD_FAULTS_MINOR, PH_M_CHILD_FAULTS_MAJOR,
        PH_M_GPU_NS, PH_M_ENERGY_EST_NJ,
    };
    ph_mask mask = 0;
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        mask |= PH_BIT(m[i]);
    return mask;
}

#define PH_FULL_LIST_EVERY 60

/* Is the /proc we read our own PID namespace's? Then its /proc/self is us. */
static int own_pid_ns(int proc_fd)
{
    char link[32], want[32];
    ssize_t n = readlinkat(proc_fd, "self", link, sizeof link - 1);
    if (n <= 0)
        return 0;
    link[n] = '\0';
    snprintf(want, sizeof want, "%d", (int)getpid());
    return strcmp(link, want) == 0;
}

int ph_platform_open(const ph_platform_opts *opts, ph_platform **out,
                     char *err, size_t errlen)
{
    const char *root = (opts && opts->proc_root) ? opts->proc_root : "/proc";
    ph_platform *p = ph_xcalloc(1, sizeof *p);
    if (ph_fmt(p->proc_root, sizeof p->proc_root, "%s", root) < 0) {
        ph_fmt(err, errlen, "proc root path too long");
        free(p);
        return -1;
    }
    snprintf(p->sys_root, sizeof p->sys_root, "%s", (opts && opts->sys_root) ? opts->sys_root : "/sys");
    p->proc_fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (p->proc_fd < 0) {
        ph_fmt(err, errlen, "cannot open proc root %s: %s", root, strerror(errno));
        free(p);
        return -1;
    }
    char real[PATH_MAX];
    p->live = realpath(root, real) && strcmp(real, "/proc") == 0;
    p->keep_fds = p->live;
    p->cursor = -1;
    p->dir_off = -1;
    p->la_fd = p->live && own_pid_ns(p->proc_fd)
                   ? openat(p->proc_fd, "loadavg", O_RDONLY | O_CLOEXEC) : -1;
    const char *scan = getenv("PROCHIST_ALWAYS_SCAN"); /* benchmarks */
    const char *fix = getenv("PROCHIST_FIXTURE_CURSOR"); /* tests of the skip */
    if (scan && strcmp(scan, "1") == 0 && p->la_fd >= 0) {
        close(p->la_fd);
        p->la_fd = -1;
    }
    p->fixture_cursor = !p->live && fix && strcmp(fix, "1") == 0;
    if (p->keep_fds) { /* room for kept fds: up to two per process */
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
            rl.rlim_cur = rl.rlim_max > 1048576 ? 1048576 : rl.rlim_max;
            setrlimit(RLIMIT_NOFILE, &rl);
        }
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
            p->fd_budget = (long)rl.rlim_cur > PH_FD_RESERVE ? (long)rl.rlim_cur - PH_FD_RESERVE : 0;
        else
            p->fd_budget = 1048576;
    }
    long tck = sysconf(_SC_CLK_TCK);
    long pg = sysconf(_SC_PAGESIZE);
    p->clk_tck = tck > 0 ? tck : 100;
    p->page_size = pg > 0 ? pg : 4096;
    /* Exit records: only for the running kernel's processes, and off when
     * PROCHIST_NO_EXITS=1 (tests of the unprivileged mode, as root). */
    const char *no = getenv("PROCHIST_NO_EXITS");
    char why[128] = "";
    if (!p->live)
        snprintf(why, sizeof why, "a proc root that is not the running kernel's");
    else if (no && strcmp(no, "1") == 0)
        snprintf(why, sizeof why, "PROCHIST_NO_EXITS=1");
    else
        ph_ts_open(&p->ts, 1000000000LL / p->clk_tck, why, sizeof why);
    if (p->ts)
        snprintf(p->exit_mode, sizeof p->exit_mode,
                 "exit records (taskstats): every process, however short, gets its own row");
    else
        snprintf(p->exit_mode, sizeof p->exit_mode,
                 "children only: short processes count in the parent that waited for them (%s)", why);
    *out = p;
    return 0;
}

int ph_platform_exits(ph_platform *p, ph_exitlist *out)
{
    if (!p->ts)
        return -1;
    ph_ts_take(p->ts, out);
    return 0;
}

int ph_platform_reaped_io_in_parent(void) { return 1; }
const char *ph_platform_power_why(ph_platform *p)
{
    (void)p;
    return "no RAPL zones in /sys/class/powercap";
}
int ph_platform_coalition(ph_platform *p, int64_t id, ph_coalition_usage *out)
{
    (void)p;
    (void)id;
    (void)out;
    return -1; /* no coalitions: cgroups would be the nearest thing */
}
int64_t ph_platform_cpu_res_ns(ph_platform *p) { return 1000000000LL / p->clk_tck; }
int ph_platform_exit_fd(ph_platform *p) { return ph_ts_fd(p->ts); }
void ph_platform_exit_drain(ph_platform *p) { ph_ts_drain(p->ts); }
const char *ph_platform_exit_mode(ph_platform *p) { return p->exit_mode; }

void ph_platform_close(ph_platform *p)
{
    if (!p)
        return;
    close(p->proc_fd);
    if (p->la_fd >= 0)
        close(p->la_fd);
    ph_ts_close(p->ts);
    for (size_t i = 0; i < p->nkept; i++)
        close_kept(p, &p->kept[i]);
    free(p->kept);
    ph_pidlist_free(&p->fresh);
    ph_buf_free(&p->buf);
    free(p);
}

static int pread_all(ph_platform *p, int fd);

/*
 * Read a whole file relative to dirfd into p->buf. /proc reports st_size 0,
 * so read until EOF, growing the buffer. Returns 0 or -errno.
 */
static int read_at(ph_platform *p, int dirfd, const char *name)
{
    int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = pread_all(p, fd);
    close(fd);
    return r;
}

/* A file of a process that ran into p->buf: through its kept fd *kfd
 * (kfd NULL: none kept; opened on first use, within the budget), else
 * through the handle *dfd on its directory (opened on first use). 0, or
 * -errno (-ESRCH: gone). */
static int read_busy(ph_platform *p, int32_t pid, int *kfd, const char *name, int *dfd)
{
    char path[40];
    if (kfd && *kfd >= 0) {
        int r = pread_all(p, *kfd);
        if (r < 0)
            drop_fd(p, kfd);
        return r;
    }
    if (kfd && p->nfds < p->fd_budget) {
        snprintf(path, sizeof path, "%d/%s", (int)pid, name);
        if ((*kfd = keep_open(p, path)) >= 0) {
            int r = pread_all(p, *kfd);
            if (r < 0)
                drop_fd(p, kfd);
            return r;
        }
        if (errno != EMFILE && errno != ENFILE)
            return -errno; /* gone, or denied: the directory would say the same */
    }
    if (*dfd < 0) {
        snprintf(path, sizeof path, "%d", (int)pid);
        if ((*dfd = openat(p->proc_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
            return -errno;
    }
    return read_at(p, *dfd, name);
}

static int read_root_file(ph_platform *p, const char *name)
{
    return read_at(p, p->proc_fd, name);
}

int ph_platform_boot_id(ph_platform *p, char *buf, size_t len)
{
    if (read_root_file(p, "sys/kernel/random/boot_id") < 0)
        return -1;
    size_t n = strcspn(p->buf.data, "\n");
    if (n == 0 || n >= len)
        return -1;
    memcpy(buf, p->buf.data, n);
    buf[n] = '\0';
    return 0;
}

int ph_platform_boot_clock(ph_platform *p, int64_t *ns)
{
    if (p->live) {
        struct timespec ts;
        if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
            return -1;
        *ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
        return 0;
    }
    /* A fixture tree carries its own clock. */
    if (read_root_file(p, "uptime") < 0)
        return -1;
    return ph_parse_uptime(p->buf.data, p->buf.len, ns);
}

int ph_platform_boot_wall(ph_platform *p, int64_t *ns)
{
    int64_t sec;
    if (read_root_file(p, "stat") < 0 || ph_parse_btime(p->buf.data, p->buf.len, &sec) < 0)
        return -1;
    *ns = sec * 1000000000LL;
    return 0;
}

static int cmp_pid(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The last listing, less the processes found gone since. */
static void list_kept(ph_platform *p, ph_pidlist *out)
{
    size_t n = 0;
    out->n = 0;
    for (size_t i = 0; i < p->nkept; i++) {
        if (p->kept[i].gone) {
            close_kept(p, &p->kept[i]);
            continue;
        }
        p->kept[n++] = p->kept[i];
        ph_pidlist_push(out, p->kept[i].pid);
    }
    p->nkept = n;
    p->kept_next = 0;
}

/* A directory entry's name as a pid, or -1. */
static int32_t pid_of_name(const char *s)
{
    if (*s < '1' || *s > '9')
        return -1;
    long v = 0;
    for (; *s >= '0' && *s <= '9' && v <= INT32_MAX; s++)
        v = v * 10 + (*s - '0');
    return *s != '\0' || v > INT32_MAX ? -1 : (int32_t)v;
}

/* Kept fds follow the listing in out (sorted): new pids get a slot without
 * fds, gone ones close. */
static void adopt_listing(ph_platform *p, const ph_pidlist *out)
{
    p->one_fd = (long)out->n * 2 > p->fd_budget;
    p->busy_fds = (long)out->n * 4 <= p->fd_budget;
    kept *nk = ph_xcalloc(out->n + 1, sizeof *nk);
    size_t j = 0;
    for (size_t i = 0; i < out->n; i++) {
        while (j < p->nkept && p->kept[j].pid < out->pids[i]) {
            close_kept(p, &p->kept[j]);
            j++;
        }
        if (j < p->nkept && p->kept[j].pid == out->pids[i] && !p->kept[j].gone) {
            nk[i] = p->kept[j++];
            if (p->one_fd && nk[i].threads == 1 && nk[i].sfd >= 0)
                drop_fd(p, &nk[i].fd); /* its schedstat speaks for it */
            if (!p->busy_fds)
                drop_busy(p, &nk[i]);
        } else {
            if (j < p->nkept && p->kept[j].pid == out->pids[i])
                close_kept(p, &p->kept[j++]); /* found gone, listed again: a new process */
            memset(&nk[i], 0, sizeof nk[i]);
            nk[i].pid = out->pids[i];
            nk[i].fd = nk[i].sfd = nk[i].tfd = nk[i].iofd = -1;
        }
    }
    for (; j < p->nkept; j++)
        close_kept(p, &p->kept[j]);
    free(p->kept);
    p->kept = nk;
    p->nkept = out->n;
    p->kept_next = 0;
}

/*
 * The narrowed listing: only the pids in (lo, hi], read by seeking the /proc
 * directory to the first of them. The kernel's /proc readdir position is the
 * tgid plus a constant (fs/proc/base.c, proc_pid_readdir: TGID_OFFSET), and
 * it looks up the next tgid at or above the position, so a seek skips every
 * process below lo without generating its entry. The constant is learned
 * from a full scan (each entry's d_off is the position of the next one) and
 * checked on every narrowed read: an entry at or below lo turns narrowing
 * off until a full scan learns the constant again. Appends the pids found to p->fresh; 0, or -1 (scan instead).
 */
static int list_range(ph_platform *p, int32_t lo, int32_t hi)
{
    p->fresh.n = 0;
    int fd = openat(p->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = -1;
    if (lseek(fd, (off_t)(p->dir_off + lo + 1), SEEK_SET) < 0)
        goto out;
    /* About 24-32 bytes an entry: size the read to the range (a few pids
     * after a quiet second), so the kernel does not build entries past hi. */
    size_t want = ((size_t)(hi - lo) + 2) * 32;
    size_t cap = want < 512 ? 512 : want > 32768 ? 32768 : want;
    ph_buf_reserve(&p->buf, cap + 1);
    for (;;) {
        long n = syscall(SYS_getdents64, fd, p->buf.data, cap);
        if (n < 0)
            goto out;
        if (n == 0)
            break;
        for (long off = 0; off < n;) {
            struct dirent64 *de = (struct dirent64 *)(p->buf.data + off);
            off += de->d_reclen;
            int32_t pid = pid_of_name(de->d_name);
            if (pid < 0)
                continue;
            if (pid <= lo) { /* not the position we asked for: stop trusting it */
                p->dir_off = -1;
                goto out;
            }
            if (pid > hi) {
                rc = 0;
                goto out;
            }
            ph_pidlist_push(&p->fresh, pid);
        }
    }
    rc = 0;
out:
    close(fd);
    return rc;
}

/* Learn the directory offset from consecutive pid entries of a full scan:
 * d_off of one is the position of the next; the same constant for all of
 * them, or none. */
static void learn_off(ph_platform *p, int32_t prev_pid, int64_t prev_doff, int32_t pid, int *state)
{
    if (*state < 0 || prev_pid < 0)
        return;
    int64_t k = prev_doff - pid;
    if (*state == 0) {
        p->dir_off = k;
        *state = 1;
    } else if (k != p->dir_off) {
        *state = -1;
    }
}

int ph_platform_list(ph_platform *p, ph_pidlist *out)
{
    int64_t cursor = -1;
    int got = p->la_fd >= 0 ? pread_all(p, p->la_fd)
            : p->fixture_cursor ? read_root_file(p, "loadavg") : -1;
    if (got < 0 || ph_parse_loadavg_last_pid(p->buf.data, p->buf.len, &cursor) < 0)
        cursor = -1;
    if (cursor >= 0 && cursor == p->cursor && p->since_scan + 1 < PH_FULL_LIST_EVERY) {
        list_kept(p, out); /* no PID allocated: nobody new */
        p->since_scan++;
        p->skipped++;
        return 0;
    }
    /* PIDs were allocated, upwards from the last cursor (the allocator is
     * cyclic: kernel/pid.c, alloc_pid): anyone new has a pid in (last,
     * cursor] unless the cursor wrapped (then it is lower: scan). The last
     * listing less the processes found gone, plus that range, is the
     * listing. Live /proc only, where the directory offset was learned. */
    if (p->live && p->dir_off >= 0 && cursor > p->cursor && p->cursor >= 0 &&
        cursor <= INT32_MAX && p->since_scan + 1 < PH_FULL_LIST_EVERY &&
        list_range(p, (int32_t)p->cursor, (int32_t)cursor) == 0) {
        list_kept(p, out);
        size_t n = out->n;
        for (size_t i = 0; i < p->fresh.n; i++)
            ph_pidlist_push(out, p->fresh.pids[i]);
        /* merge the two sorted runs, dropping pids listed in both (a
         * process the range holds from before the last wrap) */
        if (p->fresh.n) {
            int32_t *m = ph_xcalloc(out->n + 1, sizeof *m);
            size_t a = 0, b = n, k = 0;
            while (a < n || b < out->n) {
                int32_t x = b >= out->n || (a < n && out->pids[a] <= out->pids[b]) ? out->pids[a++] : out->pids[b++];
                if (!k || m[k - 1] != x)
                    m[k++] = x;
            }
            memcpy(out->pids, m, k * sizeof *m);
            out->n = k;
            free(m);
            adopt_listing(p, out);
        }
        p->cursor = cursor;
        p->since_scan++;
        p->narrowed++;
        return 0;
    }
    p->cursor = cursor; /* read before the scan: a fork during it moves it */
    p->since_scan = 0;
    int fd = openat(p->proc_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return -1;
    }
    out->n = 0;
    int sorted = 1, learn = p->live ? 0 : -1;
    int32_t prev_pid = -1;
    int64_t prev_doff = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        int32_t v = pid_of_name(de->d_name);
        if (v < 0)
            continue;
        learn_off(p, prev_pid, prev_doff, v, &learn);
        prev_pid = v;
        prev_doff = (int64_t)de->d_off;
        if (out->n && out->pids[out->n - 1] > v)
            sorted = 0;
        ph_pidlist_push(out, v);
    }
    closedir(d);
    if (learn <= 0 || !sorted)
        p->dir_off = -1; /* no constant offset (or too few pids to know): scan */
    if (!sorted) /* the kernel lists ascending; fixture directories may not */
        qsort(out->pids, out->n, sizeof *out->pids, cmp_pid);
    adopt_listing(p, out);
    return 0;
}

uint64_t ph_platform_list_narrowed(ph_platform *p) { return p->narrowed; }

/*
 * pread a whole /proc file from offset 0 into p->buf; 0 or -errno. These
 * files report st_size 0 and are generated in one go: a read that does not
 * fill the buffer has it all; one that fills it is retried from offset 0
 * with a larger buffer.
 */
static int pread_all(ph_platform *p, int fd)
{
    ph_buf_reserve(&p->buf, 4096);
    for (;;) {
        ssize_t n = pread(fd, p->buf.data, p->buf.cap - 1, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if ((size_t)n < p->buf.cap - 1) {
            p->buf.len = (size_t)n;
            p->buf.data[n] = '\0';
            return 0;
        }
        ph_buf_reserve(&p->buf, p->buf.cap * 2);
    }
}

/* The slot of a pid in the listing. Reads come in listing order, so the
 * slot after the last one found is tried before a binary search. */
static kept *find_kept(ph_platform *p, int32_t pid)
{
    size_t i = p->kept_next;
    if (!(i < p->nkept && p->kept[i].pid == pid))
        i = PH_LOWER_BOUND(p->kept, p->nkept, pid, pid);
    if (i < p->nkept && p->kept[i].pid == pid) {
        p->kept_next = i + 1;
        return &p->kept[i];
    }
    return NULL;
}

/* Run time (and runnable wait) of a single-threaded process's only thread,
 * through its kept schedstat fd (opened on first use); 0 or -1. */
static int kept_run_ns(ph_platform *p, kept *k, uint64_t *run_ns, uint64_t *wait_ns)
{
    ph_schedstat sch;
    if (k->sfd < 0) {
        char path[32];
        snprintf(path, sizeof path, "%d/schedstat", (int)k->pid);
        k->sfd = keep_open(p, path);
        if (k->sfd < 0)
            return -1;
    }
    if (pread_all(p, k->sfd) < 0 || ph_parse_schedstat(p->buf.data, p->buf.len, &sch) < 0) {
        drop_fd(p, &k->sfd);
        return -1;
    }
    *run_ns = sch.run_ns;
    *wait_ns = sch.wait_ns;
    return 0;
}

/* /proc/PID/stat into p->buf, through the kept fd k when there is one. */
static int read_stat(ph_platform *p, int32_t pid, kept *k)
{
    char path[32];
    if (k && k->fd >= 0) {
        if (pread_all(p, k->fd) == 0)
            return 0;
        drop_fd(p, &k->fd); /* gone (ESRCH): the pid may have a new process */
    }
    snprintf(path, sizeof path, "%d/stat", (int)pid);
    /* Kept unless the budget says a single-threaded process gets only its
     * schedstat fd (threads 0: not read yet, kept until known). */
    if (k && !(p->one_fd && k->threads == 1)) {
        k->fd = keep_open(p, path);
        if (k->fd >= 0) {
            int r = pread_all(p, k->fd);
            if (r < 0)
                drop_fd(p, &k->fd);
            return r;
        }
    }
    int fd = openat(p->proc_fd, path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = pread_all(p, fd);
    close(fd);
    return r;
}

static int64_t ticks_to_ns(const ph_platform *p, uint64_t ticks)
{
    uint64_t t = (uint64_t)p->clk_tck;
    uint64_t sec = ticks / t, rem = ticks % t;
    if (sec > (uint64_t)INT64_MAX / 1000000000ULL)
        return INT64_MAX;
    return (int64_t)(sec * 1000000000ULL + rem * 1000000000ULL / t);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2);
    return h;
}

/*
 * GPU time: the engines' busy ns of the process's DRM clients, from
 * fdinfo. Which fds are DRM clients (links to /dev/dri/) is found once per
 * process and again on keyframes: scanning every fd on every read would cost
 * more than the rest of the read. The memo lives in the pid's slot of the
 * listing (kept fds or not), keyed by start time so a reused pid rescans.
 * Several fds can share one client (dup, fork): each (pdev, client id)
 * counts once.
 */
static void read_gpu(ph_platform *p, int dfd, kept *k, uint64_t start_key, int refresh, ph_values *v)
{
    int fds[8], n = 0;
    if (k && k->drm_key == start_key + 1 && !refresh) {
        n = k->ndrm;
        memcpy(fds, k->drm_fd, sizeof fds);
    } else {
        int fdd = openat(dfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        DIR *d = fdd >= 0 ? fdopendir(fdd) : NULL;
        struct dirent *de;
        char target[64];
        while (d && (de = readdir(d)) != NULL && n < 8) {
            if (de->d_name[0] < '0' || de->d_name[0] > '9')
                continue;
            ssize_t t = readlinkat(dirfd(d), de->d_name, target, sizeof target - 1);
            if (t > 9 && memcmp(target, "/dev/dri/", 9) == 0)
                fds[n++] = atoi(de->d_name);
        }
        if (d)
            closedir(d);
        else if (fdd >= 0)
            close(fdd);
        if (k) {
            k->drm_key = start_key + 1;
            k->ndrm = n;
            memcpy(k->drm_fd, fds, sizeof fds);
        }
    }
    struct { char pdev[32]; int64_t id; } seen[8];
    int nseen = 0, any = 0;
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        char name[32];
        ph_drm_fdinfo di;
        snprintf(name, sizeof name, "fdinfo/%d", fds[i]);
        if (read_at(p, dfd, name) < 0 || ph_parse_drm_fdinfo(p->buf.data, p->buf.len, &di) < 0 ||
            di.engine_ns < 0)
            continue;
        int dup = 0;
        for (int j = 0; j < nseen && !dup; j++)
            dup = di.client_id >= 0 && seen[j].id == di.client_id && strcmp(seen[j].pdev, di.pdev) == 0;
        if (dup)
            continue;
        if (nseen < 8) {
            snprintf(seen[nseen].pdev, sizeof seen[nseen].pdev, "%s", di.pdev);
            seen[nseen++].id = di.client_id;
        }
        total = di.engine_ns > INT64_MAX - total ? INT64_MAX : total + di.engine_ns;
        any = 1;
    }
    if (any)
        ph_values_set(v, PH_M_GPU_NS, total);
}

static enum ph_read_result read_proc(ph_platform *p, int32_t pid,
                                     const ph_hint *hint, ph_proc_sample *out);

enum ph_read_result ph_platform_read(ph_platform *p, int32_t pid,
                                     const ph_hint *hint, ph_proc_sample *out)
{
    enum ph_read_result r = read_proc(p, pid, hint, out);
    kept *slot;
    if (r == PH_READ_GONE && (slot = find_kept(p, pid)) != NULL)
        slot->gone = 1; /* listings without a scan leave it out */
    return r;
}

uint64_t ph_platform_list_skipped(ph_platform *p) { return p->skipped; }

static enum ph_read_result read_proc(ph_platform *p, int32_t pid,
                                     const ph_hint *hint, ph_proc_sample *out)
{
    char name[16];
    ph_stat st;
    memset(out, 0, sizeof *out);
    out->uid = -1;
    kept *slot = find_kept(p, pid);             /* the pid's place in the listing */
    kept *k = p->keep_fds ? slot : NULL;        /* with kept fds */
    uint64_t run_ns = 0, wait_ns = 0;
    int have_run = 0; /* schedstat was read in this call, through the kept fd */
    if (k && k->threads == 1 && hint && hint->start_key == k->start_key) {
        have_run = kept_run_ns(p, k, &run_ns, &wait_ns) == 0;
        if (have_run && run_ns == k->run_ns && !hint->refresh) {
            drop_busy(p, k);
            out->pid = pid;
            out->start_key = k->start_key;
            out->quick_sig = hint->quick_sig;
            return PH_READ_IDLE; /* its only thread has not run */
        }
    }
    if (read_stat(p, pid, k) < 0 || ph_parse_stat(p->buf.data, p->buf.len, &st) < 0)
        return PH_READ_GONE;
    if (k) {
        if (k->start_key != st.starttime)
            drop_busy(p, k); /* another process's */
        if (k->start_key != st.starttime || st.num_threads != 1) {
            have_run = 0; /* another process, or threads: schedstat does not speak for it */
            if (st.num_threads != 1)
                drop_fd(p, &k->sfd);
        }
        k->start_key = st.starttime;
        k->threads = st.num_threads;
        if (st.num_threads == 1 && !have_run)
            have_run = kept_run_ns(p, k, &run_ns, &wait_ns) == 0;
        k->run_ns = have_run ? run_ns : UINT64_MAX;
        /* kept_run_ns used the buffer: parse results are already in st */
    }
    ph_values *v = &out->vals;
    out->pid = pid;
    out->ppid = st.ppid;
    out->start_key = st.starttime;
    out->start_boot_ns = ticks_to_ns(p, st.starttime);
    out->start_res_ns = ticks_to_ns(p, 1);
    out->kernel_thread = (st.flags & PH_PF_KTHREAD) != 0;
    snprintf(out->name, sizeof out->name, "%s", st.comm);
    ph_values_set(v, PH_M_CPU_USER_NS, ticks_to_ns(p, st.utime));
    ph_values_set(v, PH_M_CPU_SYSTEM_NS, ticks_to_ns(p, st.stime));
    ph_values_set(v, PH_M_FAULTS_MINOR, (int64_t)(st.minflt & INT64_MAX));
    ph_values_set(v, PH_M_FAULTS_MAJOR, (int64_t)(st.majflt & INT64_MAX));
    ph_values_set(v, PH_M_CHILD_CPU_USER_NS, ticks_to_ns(p, st.cutime));
    ph_values_set(v, PH_M_CHILD_CPU_SYSTEM_NS, ticks_to_ns(p, st.cstime));
    ph_values_set(v, PH_M_CHILD_FAULTS_MINOR, (int64_t)(st.cminflt & INT64_MAX));
    ph_values_set(v, PH_M_CHILD_FAULTS_MAJOR, (int64_t)(st.cmajflt & INT64_MAX));
    ph_values_set(v, PH_M_THREADS, st.num_threads);
    ph_values_set(v, PH_M_RESIDENT_BYTES, st.rss * p->page_size);
    ph_values_set(v, PH_M_VIRTUAL_BYTES, (int64_t)(st.vsize & INT64_MAX));
    ph_values_set(v, PH_M_PRIORITY, st.priority);
    ph_values_set(v, PH_M_NICE, st.nice);
    ph_values_set(v, PH_M_STATE, (unsigned char)st.state);

    uint64_t sig = mix(mix(mix(mix(mix(mix(0, st.utime), st.stime), st.cutime),
                               st.cstime), st.minflt), st.majflt);
    out->quick_sig = mix(sig, (uint64_t)st.num_threads);
    if (hint && hint->start_key == out->start_key && hint->quick_sig == out->quick_sig) {
        if (k)
            drop_busy(p, k);
        return PH_READ_IDLE;
    }

    /* The process ran: the dearer files. Status and io through fds kept
     * while it runs when the budget holds four a process (opened by path
     * once, they stay the process's: a pid taken again by another process
     * reads ESRCH through them, and a new start time drops them above),
     * else through a handle on its directory, opened once for the files. */
    kept *kb = k && p->busy_fds ? k : NULL;
    int dfd = -1;
    int r = read_busy(p, pid, kb ? &kb->tfd : NULL, "status", &dfd);
    ph_status ss;
    if (r == -ESRCH || r == -ENOENT) {
        if (dfd >= 0)
            close(dfd);
        return PH_READ_GONE;
    }
    if (r == 0 && ph_parse_status(p->buf.data, p->buf.len, &ss) == 0) {
        out->uid = ss.uid;
        /* VmRSS is the same sum as stat's rss, with the split; zombies and
         * kernel threads have no Vm lines and keep stat's value. */
        if (ss.vm_rss_kib >= 0)
            ph_values_set(v, PH_M_RESIDENT_BYTES, ss.vm_rss_kib * 1024);
        if (ss.rss_anon_kib >= 0)
            ph_values_set(v, PH_M_RESIDENT_ANON_BYTES, ss.rss_anon_kib * 1024);
        if (ss.rss_file_kib >= 0)
            ph_values_set(v, PH_M_RESIDENT_FILE_BYTES, ss.rss_file_kib * 1024);
        if (ss.rss_shmem_kib >= 0)
            ph_values_set(v, PH_M_RESIDENT_SHMEM_BYTES, ss.rss_shmem_kib * 1024);
        if (ss.vm_hwm_kib >= 0)
            ph_values_set(v, PH_M_PEAK_RESIDENT_BYTES, ss.vm_hwm_kib * 1024);
        if (ss.ctxsw_voluntary >= 0)
            ph_values_set(v, PH_M_CTXSW_VOLUNTARY, ss.ctxsw_voluntary);
        if (ss.ctxsw_involuntary >= 0)
            ph_values_set(v, PH_M_CTXSW_INVOLUNTARY, ss.ctxsw_involuntary);
    } else if (r == -EACCES || r == -EPERM) {
        out->denied = 1;
    }

    ph_io io;
    r = read_busy(p, pid, kb ? &kb->iofd : NULL, "io", &dfd);
    if (r == 0 && ph_parse_io(p->buf.data, p->buf.len, &io) == 0) {
        if (io.read_bytes >= 0)
            ph_values_set(v, PH_M_DISK_READ_BYTES, io.read_bytes);
        if (io.write_bytes >= 0)
            ph_values_set(v, PH_M_DISK_WRITE_BYTES, io.write_bytes);
        if (io.rchar >= 0)
            ph_values_set(v, PH_M_SYSCALL_READ_BYTES, io.rchar);
        if (io.wchar >= 0)
            ph_values_set(v, PH_M_SYSCALL_WRITE_BYTES, io.wchar);
        if (io.syscr >= 0)
            ph_values_set(v, PH_M_SYSCALLS_READ, io.syscr);
        if (io.syscw >= 0)
            ph_values_set(v, PH_M_SYSCALLS_WRITE, io.syscw);
    } else if (r == -EACCES || r == -EPERM) {
        out->denied = 1;
    }

    /* Its DRM fds, known and none, need no directory. */
    int refresh = hint && hint->refresh;
    if (dfd < 0 && !(slot && slot->drm_key == st.starttime + 1 && slot->ndrm == 0 && !refresh)) {
        snprintf(name, sizeof name, "%d", (int)pid);
        dfd = openat(p->proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
    if (dfd >= 0)
        read_gpu(p, dfd, slot, st.starttime, refresh, v);

    /* A single-threaded process's schedstat was read above through its
     * kept fd (same process: stat's start time matched), a few files ago:
     * reading it again by path cost an open, a read and a close for every
     * process that ran. */
    ph_schedstat sch;
    if (have_run) {
        if (wait_ns <= (uint64_t)INT64_MAX)
            ph_values_set(v, PH_M_RUNNABLE_NS, (int64_t)wait_ns);
    } else if (read_busy(p, pid, NULL, "schedstat", &dfd) == 0 &&
               ph_parse_schedstat(p->buf.data, p->buf.len, &sch) == 0 &&
               sch.wait_ns <= (uint64_t)INT64_MAX) {
        ph_values_set(v, PH_M_RUNNABLE_NS, (int64_t)sch.wait_ns);
    }

    if (dfd >= 0)
        close(dfd);
    return PH_READ_FULL;
}

int ph_platform_has_cgroups(void) { return 1; }

int ph_platform_cgroup(ph_platform *p, int32_t pid, ph_cgroup *out)
{
    char name[32];
    snprintf(name, sizeof name, "%d/cgroup", (int)pid);
    if (read_at(p, p->proc_fd, name) < 0)
        return -1;
    return ph_parse_cgroup(p->buf.data, p->buf.len, out);
}

void ph_platform_ident(ph_platform *p, int32_t pid, const ph_proc_sample *s,
                       ph_proc_ident *out)
{
    char link[32];
    out->exe[0] = '\0';
    if (s->kernel_thread) {
        snprintf(out->app, sizeof out->app, "[kernel]");
        return;
    }
    snprintf(link, sizeof link, "%d/exe", (int)pid);
    ssize_t n = readlinkat(p->proc_fd, link, out->exe, sizeof out->exe - 1);
    if (n > 0) {
        out->exe[n] = '\0';
        if (ph_exe_basename(out->exe, out->app, sizeof out->app) == 0) {
            /* A script is its own app, not its interpreter's: the name
             * its exit record gives it too (one app whether it ran a
             * second or an hour). `sh` running dash, `python3` running
             * python3.11: the name leads to the same program, so the
             * interpreter itself. */
            char by_name[sizeof out->app];
            if (ph_exe_is_interpreter(out->app)) {
                ph_app_of_name(s->name, by_name, sizeof by_name);
                if (strcmp(by_name, out->app) != 0)
                    snprintf(out->app, sizeof out->app, "%s", by_name);
            }
            return;
        }
    } else {
        out->exe[0] = '\0';
    }
    /* The executable could not be read (gone already, or another user's
     * without the privilege): the rule of a process known only by its name
     * (include/ph_util.h), so it lands in the same app as when it can. */
    ph_app_of_name(s->name, out->app, sizeof out->app);
}

int ph_platform_privileged(void)
{
    char line[256];
    unsigned long long eff = 0;
    int found = 0;
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        return geteuid() == 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "CapEff: %llx", &eff) == 1) {
            found = 1;
            break;
        }
    fclose(f);
    return found ? (int)((eff >> 19) & 1) /* CAP_SYS_PTRACE */ : geteuid() == 0;
}

int ph_platform_self_exe(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

/* One whole small file (sysfs) into buf; 0 or -errno. */
static int read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    ssize_t n = read(fd, buf, len - 1);
    int e = errno;
    close(fd);
    if (n < 0)
        return -e;
    buf[n] = '\0';
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A sysfs file holding one integer; 0 or -1. */
static int read_int(const char *path, int64_t *v)
{
    char buf[64], *end;
    if (read_small(path, buf, sizeof buf) != 0)
        return -1;
    errno = 0;
    long long x = strtoll(buf, &end, 10);
    if (end == buf || errno)
        return -1;
    *v = x;
    return 0;
}

static int is_card(const char *name)
{
    if (strncmp(name, "card", 4) != 0 || !name[4])
        return 0;
    for (const char *c = name + 4; *c; c++)
        if (*c < '0' || *c > '9')
            return 0; /* card0-DP-1 and the like are connectors */
    return 1;
}

/*
 * The GPUs of class/drm: per card, device/gpu_busy_percent (amdgpu,
 * firmware-averaged), the core clock (i915 gt_act_freq_mhz, else hwmon
 * freq1_input in Hz when its label is sclk or absent), and from the card's
 * hwmon either an energy counter (energy1_input, uJ: i915, xe) as a GPU zone,
 * or its power (power1_average, else power1_input, uW: amdgpu; on an APU it
 * includes the CPU cores, as the driver says). Busy and MHz are means over
 * the cards that report them; power is their sum.
 */
static void read_gpus(ph_platform *p, ph_power *out)
{
    char dir[PH_PATH_MAX + 32], path[PH_PATH_MAX + 512], hw[PH_PATH_MAX + 384];
    out->gpu_busy_permille = out->gpu_mhz = out->gpu_power_uw = -1;
    snprintf(dir, sizeof dir, "%s/class/drm", p->sys_root);
    DIR *d = opendir(dir);
    if (!d)
        return;
    char *names[16];
    size_t nn = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && nn < 16)
        if (is_card(de->d_name))
            names[nn++] = ph_xstrdup(de->d_name);
    closedir(d);
    qsort(names, nn, sizeof *names, cmp_str);
    int64_t busy = 0, mhz = 0, power = -1, v;
    int nbusy = 0, nmhz = 0;
    for (size_t i = 0; i < nn; i++) {
        snprintf(path, sizeof path, "%s/%s/device/gpu_busy_percent", dir, names[i]);
        if (read_int(path, &v) == 0 && v >= 0 && v <= 100) {
            busy += v * 10;
            nbusy++;
        }
        int64_t card_mhz = -1;
        snprintf(path, sizeof path, "%s/%s/gt_act_freq_mhz", dir, names[i]);
        if (read_int(path, &v) == 0 && v >= 0)
            card_mhz = v;
        /* the card's hwmon directory, if any */
        hw[0] = '\0';
        snprintf(path, sizeof path, "%s/%s/device/hwmon", dir, names[i]);
        DIR *h = opendir(path);
        if (h) {
            while ((de = readdir(h)) != NULL)
                if (strncmp(de->d_name, "hwmon", 5) == 0) {
                    if (ph_fmt(hw, sizeof hw, "%s/%s", path, de->d_name) < 0)
                        hw[0] = '\0';
                    break;
                }
            closedir(h);
        }
        if (hw[0]) {
            char label[32] = "";
            snprintf(path, sizeof path, "%s/freq1_label", hw);
            if (read_small(path, label, sizeof label) == 0)
                label[strcspn(label, "\n")] = '\0';
            snprintf(path, sizeof path, "%s/freq1_input", hw);
            if (card_mhz < 0 && (!label[0] || strcmp(label, "sclk") == 0) && read_int(path, &v) == 0 && v >= 0)
                card_mhz = v / 1000000;
            snprintf(path, sizeof path, "%s/energy1_input", hw);
            if (read_int(path, &v) == 0 && v >= 0) {
                if (out->n < PH_POWER_ZONES) {
                    out->zone[out->n].domain = PH_PWR_GPU;
                    out->zone[out->n].energy_uj = (uint64_t)v;
                    out->zone[out->n].max_uj = 0; /* a 64-bit counter: no wrap */
                    out->n++;
                }
            } else {
                snprintf(path, sizeof path, "%s/power1_average", hw);
                int r = read_int(path, &v);
                if (r != 0) {
                    snprintf(path, sizeof path, "%s/power1_input", hw);
                    r = read_int(path, &v);
                }
                if (r == 0 && v >= 0)
                    power = (power < 0 ? 0 : power) + v;
            }
        }
        if (card_mhz >= 0) {
            mhz += card_mhz;
            nmhz++;
        }
        free(names[i]);
    }
    if (nbusy)
        out->gpu_busy_permille = busy / nbusy;
    if (nmhz)
        out->gpu_mhz = mhz / nmhz;
    out->gpu_power_uw = power;
}

/*
 * RAPL through powercap: intel-rapl:N is a package (or psys), intel-rapl:N:M
 * its core, uncore or dram part. intel-rapl-mmio repeats the package on some
 * CPUs and is skipped, so nothing is counted twice. energy_uj is root-only
 * since Linux 5.10: then `denied` says why the columns stay NULL.
 */
int ph_platform_power(ph_platform *p, ph_power *out)
{
    char dir[PH_PATH_MAX + 32], path[PH_PATH_MAX + 96], buf[128];
    memset(out, 0, sizeof *out);
    snprintf(dir, sizeof dir, "%s/class/powercap", p->sys_root);
    DIR *d = opendir(dir);
    if (d) {
        char *names[PH_POWER_ZONES];
        size_t nn = 0;
        struct dirent *de;
        while ((de = readdir(d)) != NULL && nn < PH_POWER_ZONES)
            if (strncmp(de->d_name, "intel-rapl:", 11) == 0)
                names[nn++] = ph_xstrdup(de->d_name);
        closedir(d);
        qsort(names, nn, sizeof *names, cmp_str);
        for (size_t i = 0; i < nn; i++) {
            enum ph_power_domain dom;
            snprintf(path, sizeof path, "%s/%s/name", dir, names[i]);
            if (read_small(path, buf, sizeof buf) == 0) {
                buf[strcspn(buf, "\n")] = '\0';
                if (strncmp(buf, "package", 7) == 0)
                    dom = PH_PWR_PACKAGE;
                else if (strcmp(buf, "core") == 0)
                    dom = PH_PWR_CORE;
                else if (strcmp(buf, "uncore") == 0)
                    dom = PH_PWR_UNCORE;
                else if (strcmp(buf, "dram") == 0)
                    dom = PH_PWR_DRAM;
                else if (strcmp(buf, "psys") == 0)
                    dom = PH_PWR_PSYS;
                else
                    dom = PH_PWR_DOMAINS;
                uint64_t e = 0, max = 0;
                char *end;
                snprintf(path, sizeof path, "%s/%s/energy_uj", dir, names[i]);
                int r = read_small(path, buf, sizeof buf);
                if (r == -EACCES || r == -EPERM)
                    out->denied = 1;
                int ok = r == 0 && (e = strtoull(buf, &end, 10), end != buf);
                snprintf(path, sizeof path, "%s/%s/max_energy_range_uj", dir, names[i]);
                if (ok && read_small(path, buf, sizeof buf) == 0)
                    max = strtoull(buf, NULL, 10);
                if (ok && dom != PH_PWR_DOMAINS && out->n < PH_POWER_ZONES) {
                    out->zone[out->n].domain = dom;
                    out->zone[out->n].energy_uj = e;
                    out->zone[out->n].max_uj = max;
                    out->n++;
                }
            }
            free(names[i]);
        }
    }
    read_gpus(p, out);
    /* Total CPU time, for shares: the first line of /proc/stat. */
    if (read_root_file(p, "stat") < 0)
        return -1;
    const char *s = p->buf.data;
    if (strncmp(s, "cpu ", 4) != 0)
        return -1;
    s += 4;
    uint64_t total = 0;
    for (int f = 0; f < 8; f++) { /* user nice system idle iowait irq softirq steal */
        char *end;
        uint64_t v = strtoull(s, &end, 10);
        if (end == s)
            break;
        total += v;
        s = end;
    }
    out->cpu_total_ns = ticks_to_ns(p, total);
    return 0;
}

void ph_platform_background(void)
{
    /* The idle I/O class (IOPRIO_CLASS_IDLE = 3, shifted by
     * IOPRIO_CLASS_SHIFT = 13; IOPRIO_WHO_PROCESS = 1): the recorder's
     * writes wait for everyone else's. The CPU priority stays as started
     * (nice 0 by default): at nice 10 a recorder on a 2-core machine at
     * load 20 got well under 1% of a CPU and sampled 10-79 s apart with
     * --interval 1, so the busiest minutes, the ones users ask about, had
     * the fewest samples, and fork storms reaped between far-apart samples
     * were misattributed (docs/performance.md, "The recorder's priority").
     * A sample costs about 5 ms at 1,000 processes: at nice 0 the machine
     * pays that, not more. atop raises its own priority for the same reason
     * (atop.c: "to get reliable samples (also during heavy CPU load)"). */
#ifdef SYS_ioprio_set
    syscall(SYS_ioprio_set, 1, 0, 3 << 13);
#endif
#if defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
    /* Keep freed heap instead of handing it back after every statement.
     * SQLite's statement journal (the process table's upsert has one) takes
     * a 64 KiB chunk per statement and frees it at the statement's end;
     * with glibc's default 128 KiB trim threshold that chunk extended the
     * heap with brk and the free shrank it again, an munmap whose TLB
     * shootdown interrupts every CPU: under process churn (an identity per
     * exit record) that was about half of the recorder's CPU (perf). Fixed
     * thresholds also stop glibc moving the mmap threshold on its own. The
     * cost: up to TRIM of free heap kept resident. */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, 4 << 20);
#endif
}

int ph_platform_default_db_dir(char *buf, size_t len)
{
    const char *state = getenv("XDG_STATE_HOME");
    if (state && state[0] == '/')
        return ph_fmt(buf, len, "%s/prochist", state);
    const char *home = ph_home_dir();
    if (!home)
        return -1;
    return ph_fmt(buf, len, "%s/.local/state/prochist", home);
}
