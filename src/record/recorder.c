/*
 * The recorder: a fixed cadence on the monotonic clock, one transaction per
 * sample.
 *
 * Sample k is due at start + k * interval; a sample that overran, or a
 * suspend, skips the missed ticks instead of bunching them. Each sample's
 * interval is measured on the boot clock, which counts suspend, so deltas
 * always cover the real time between two stored samples of one boot.
 *
 * When a sample cannot be stored (disk full, database locked), its
 * transaction is rolled back and the tracker state with it: the next sample
 * measures from the last stored one, so no usage is lost, only resolution.
 *
 * After each stored sample, closed minute and hour buckets are rolled up and
 * retention applied (src/rollup.c), a bounded amount per sample, so a
 * recorder restarted after days catches up without pausing its sampling.
 *
 * SIGINT, SIGTERM and SIGHUP finish the sample in flight and exit 0. The tracker state
 * is stored with every sample, so a restart, clean or after a crash,
 * continues the same deltas: what processes did while the recorder was down
 * is charged to the first sample after it, and processes born meanwhile
 * are charged from birth.
 */
#define _DEFAULT_SOURCE /* getpwent, setpwent (glibc) */
#include "ph_recorder.h"
#include "ph_cmd.h"
#include "ph_export.h"
#include "ph_platform.h"
#include "ph_db.h"
#include "ph_tracker.h"
#include "ph_util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef S_ISVTX
#define S_ISVTX 01000 /* XSI, outside _POSIX_C_SOURCE; the same bit everywhere */
#endif

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal; /* no SA_RESTART: wake the sleep */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL); /* the terminal of a foreground recorder closed */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN); /* a file-size limit is a write error, not death */
}

static int64_t self_cpu_ns(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return -1;
    return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
           ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL;
}

/* flock "<db>.lock": held for the recorder's life, released by the kernel
 * even on a crash. Returns the fd, or -1 with a one-line reason in err
 * (*busy set when another recorder holds it). */
static int take_lock(const char *db, int *busy, int *created, char *err, size_t errlen)
{
    char path[PH_PATH_MAX + 8];
    struct stat st;
    *busy = 0;
    *created = 0;
    if (ph_fmt(path, sizeof path, "%s.lock", db) < 0) {
        ph_fmt(err, errlen, "database path too long");
        return -1;
    }
    /* O_NONBLOCK: a FIFO put there between the check and here must not
     * block; fstat then refuses it. */
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (fd >= 0)
        *created = 1; /* so a refused start can remove it again */
    else if (errno == EEXIST)
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0600);
    if (fd < 0) {
        ph_fmt(err, errlen, "cannot create lock file %s: %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        ph_fmt(err, errlen, "%s is not a regular file; refusing to use it", path);
        close(fd);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        int e = errno;
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (e == EWOULDBLOCK) {
            *busy = 1;
            ph_fmt(err, errlen, "another recorder (pid %s) is already writing %s", pid[0] ? pid : "?", db);
        } else {
            ph_fmt(err, errlen, "cannot lock %s: %s", path, strerror(e));
        }
        close(fd);
        return -1;
    }
    char buf[32];
    int len = snprintf(buf, sizeof buf, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
        /* The pid is informational only. */
    }
    return fd;
}

typedef struct rec {
    const ph_record_opts *o;
    ph_store *store;
    ph_platform *plat;
    ph_sampler sampler;
    int64_t last_cpu_ns;
    int failing;          /* the last write failed (logged once) */
    int maint_failing;    /* the last maintenance failed (logged once) */
    int maint_pending;    /* the last maintenance left work for later */
    int64_t maint_minute; /* wall-clock minute of the last maintenance */
    int profile;          /* PROCHIST_PROFILE=1: print a CPU breakdown at exit */
    int64_t maint_ns;
    dev_t db_dev;         /* the file we opened: noticed if removed or replaced */
    ino_t db_ino;
    int db_lost;          /* it was, and reopening failed (logged once) */
    int lock;             /* fd holding the flock on "<db>.lock" */
    int fatal;            /* stop: another recorder took over the database, or its
                           * directory, made again, is open to other users */
    char uuid[128];
    int64_t boot_wall;
    int64_t stored;
    int64_t textfile_at;  /* monotonic time of the next textfile */
    int textfile_failing;
    int cap_said;         /* the size cap's first removal was logged */
} rec;

/*
 * The textfile directory, opened without following a symlink at its last
 * component, and refused when other users may write it (unless it is sticky
 * and ours, as /tmp is root's): a root recorder must not write where
 * someone else decides what the names mean. Returns a directory fd, or -1
 * with err set.
 */
/*
 * Can users other than its owner replace files in this directory? World-
 * or group-writable (a group's other members are other users; whether it
 * has any is not asked: kept simple, the owner can chmod g-w), unless
 * sticky (there only a file's owner may remove or rename it): any sticky
 * directory when any_sticky, else only one of ours (the textfile is renamed
 * over a name another user may hold). Says so in err, and what to do.
 */
/* 1 when the directory's group holds its owner alone: the owner's own
 * group (user private groups, where a umask of 002 makes every new
 * directory group-writable), listing no other member, and no other user's
 * primary group. */
static int group_is_owners_alone(const struct stat *st)
{
    /* Asked again for the same directory (the textfile's, every write; the
     * database's while it is lost): the passwd walk once, not per sample. */
    static struct { dev_t dev; ino_t ino; mode_t mode; uid_t uid; gid_t gid; int alone, set; } last;
    if (last.set && last.dev == st->st_dev && last.ino == st->st_ino && last.mode == st->st_mode &&
        last.uid == st->st_uid && last.gid == st->st_gid)
        return last.alone;
    last.set = 0;
    struct passwd *pw = getpwuid(st->st_uid);
    if (!pw || pw->pw_gid != st->st_gid)
        return 0;
    char owner[256];
    if (ph_fmt(owner, sizeof owner, "%s", pw->pw_name) < 0)
        return 0;
    struct group *gr = getgrgid(st->st_gid);
    if (!gr)
        return 0;
    for (char **m = gr->gr_mem; *m; m++)
        if (strcmp(*m, owner) != 0)
            return 0;
    int alone = 1;
    setpwent();
    while ((pw = getpwent()) != NULL)
        if (pw->pw_gid == st->st_gid && pw->pw_uid != st->st_uid)
            alone = 0;
    endpwent();
    last.dev = st->st_dev;
    last.ino = st->st_ino;
    last.mode = st->st_mode;
    last.uid = st->st_uid;
    last.gid = st->st_gid;
    last.alone = alone;
    last.set = 1;
    return alone;
}

static int dir_open_to_others(const struct stat *st, int any_sticky, const char *what, const char *dir, char *err,
                              size_t errlen)
{
    if (!(st->st_mode & (S_IWOTH | S_IWGRP)) ||
        ((st->st_mode & S_ISVTX) && (any_sticky || st->st_uid == geteuid())))
        return 0;
    if (!(st->st_mode & S_IWOTH) && group_is_owners_alone(st))
        return 0;
    if (st->st_mode & S_IWOTH)
        ph_fmt(err, errlen, "%s %s is writable by other users (mode %03o): refused; "
               "use a directory only its owner can write", what, dir, (unsigned)(st->st_mode & 07777));
    else
        ph_fmt(err, errlen, "%s %s is writable by other users (its group; mode %03o): refused; "
               "use a directory only its owner can write (chmod g-w %s)", what, dir, (unsigned)(st->st_mode & 07777),
               dir);
    return 1;
}

static int open_textfile_dir(const char *dir, char *err, size_t errlen)
{
    char d[PH_PATH_MAX];
    if (ph_fmt(d, sizeof d, "%s", dir) < 0 || !d[0]) {
        ph_fmt(err, errlen, "bad --textfile-dir '%s'", dir);
        return -1;
    }
    /* "DIR/" would follow a symlink DIR despite O_NOFOLLOW. */
    for (size_t n = strlen(d); n > 1 && d[n - 1] == '/'; n--)
        d[n - 1] = '\0';
    int fd = open(d, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0) {
        struct stat lst;
        if (lstat(d, &lst) == 0 && S_ISLNK(lst.st_mode))
            ph_fmt(err, errlen, "--textfile-dir %s is a symlink: give the real directory", dir);
        else
            ph_fmt(err, errlen, "cannot open --textfile-dir %s: %s", dir, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0) {
        ph_fmt(err, errlen, "cannot stat --textfile-dir %s: %s", dir, strerror(errno));
        close(fd);
        return -1;
    }
    if (dir_open_to_others(&st, 0, "--textfile-dir", dir, err, errlen)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* The database's directory, at start and before anything is made there
 * again (check_db): one other users can write (and not sticky) lets them
 * replace the database or its side files. A sticky one such as /tmp is
 * allowed: there they can only add files, and the path check refuses any
 * of ours that another user put there first. */
static int check_db_dir(const char *db, char *err, size_t errlen)
{
    char dir[PH_PATH_MAX];
    struct stat st;
    if (ph_dir_of(db, dir, sizeof dir) < 0)
        return 0; /* too long: the path check says so */
    if (stat(dir, &st) != 0)
        return 0; /* the open says why */
    return dir_open_to_others(&st, 1, "database directory", dir, err, errlen) ? -1 : 0;
}

/* DIR/prochist.prom, atomically: a new temporary file in DIR (O_EXCL, never
 * through a planted symlink), made 0644 by its descriptor, then renamed. */
static void write_textfile(rec *r)
{
    char tmp[64], err[512] = "";
    ph_buf b = {0};
    ph_export_opts eo = {0, 50, 60 * 1000000000LL, ph_now_wall_ns(), r->o->db_path};
    int ok = ph_export(r->store, &eo, &b, err, sizeof err) == 0;
    int dfd = ok ? open_textfile_dir(r->o->textfile_dir, err, sizeof err) : -1;
    ok = dfd >= 0;
    if (ok) {
        int fd = -1;
        for (int i = 0; fd < 0 && i < 16; i++) {
            ph_fmt(tmp, sizeof tmp, ".prochist.prom.%ld.%lld", (long)getpid(),
                   (long long)((ph_now_mono_ns() / 1000 + i) % 1000000000LL));
            fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            if (fd < 0 && errno != EEXIST)
                break;
        }
        ok = fd >= 0 && fchmod(fd, 0644) == 0 && write(fd, b.data, b.len) == (ssize_t)b.len;
        if (!ok)
            ph_fmt(err, sizeof err, "cannot write %s/%s: %s", r->o->textfile_dir, fd < 0 ? ".prochist.prom.*" : tmp,
                   strerror(errno));
        if (fd >= 0 && close(fd) != 0 && ok) {
            ph_fmt(err, sizeof err, "cannot write %s/%s: %s", r->o->textfile_dir, tmp, strerror(errno));
            ok = 0;
        }
        if (ok && renameat(dfd, tmp, dfd, "prochist.prom") != 0) {
            ph_fmt(err, sizeof err, "cannot rename %s/%s to prochist.prom: %s", r->o->textfile_dir, tmp,
                   strerror(errno));
            ok = 0;
        }
        if (!ok && fd >= 0)
            unlinkat(dfd, tmp, 0);
        close(dfd);
    }
    ph_buf_free(&b);
    if (!ok && !r->textfile_failing)
        ph_log("textfile export failed: %s; recording goes on", err);
    else if (ok && r->textfile_failing)
        ph_log("textfile export works again");
    r->textfile_failing = !ok;
}

/* What the queries read about this recorder (power, short-lived processes,
 * privilege): written at start and into every database it reopens (a new
 * file lacked them, and top then took a root recorder for an unprivileged
 * one). say: log the power and exit-mode lines. */
static int write_meta(rec *r, int say, char *err, size_t errlen)
{
    /* Say once what power data there is, and why not (prochist power shows it). */
    ph_power pw;
    char note[256];
    int have_pw = ph_platform_power(r->plat, &pw) == 0;
    if (have_pw && pw.n > 0)
        snprintf(note, sizeof note, "measured: %d power zones", pw.n);
    else if (have_pw && pw.denied)
        snprintf(note, sizeof note, "RAPL energy counters are readable only by root (Linux 5.10+): "
                                    "run the recorder as root to record power");
    else
        snprintf(note, sizeof note, "this machine exposes no power counters prochist reads (%s)",
                 ph_platform_power_why(r->plat));
    const char *mode = ph_platform_exit_mode(r->plat);
    /* privileged: whether a denied process means "not ours" or "refused
     * even to root", for the coverage note of the queries */
    const struct { enum ph_meta_key key; const char *val; } meta[] = {
        {PH_META_POWER_NOTE, note},
        {PH_META_EXIT_MODE, mode},
        {PH_META_RECORDER_PRIVILEGED, ph_platform_privileged() ? "1" : "0"},
    };
    for (size_t i = 0; i < PH_ARRAY_LEN(meta); i++)
        if (ph_meta_set_text(r->store, meta[i].key, meta[i].val) < 0) {
            ph_fmt(err, errlen, "cannot write %s: %s", r->o->db_path, ph_store_errmsg(r->store));
            return -1;
        }
    if (say) {
        ph_log("power: %s", note);
        ph_log("short-lived processes: %s", mode);
    }
    return 0;
}

static int remember_db(rec *r)
{
    struct stat st;
    if (lstat(r->o->db_path, &st) != 0)
        return -1;
    r->db_dev = st.st_dev;
    r->db_ino = st.st_ino;
    return 0;
}

/* Is the lock we hold still the file at "<db>.lock"? */
static int lock_current(rec *r)
{
    char path[PH_PATH_MAX + 8];
    struct stat held, now;
    if (ph_fmt(path, sizeof path, "%s.lock", r->o->db_path) < 0)
        return 0;
    return fstat(r->lock, &held) == 0 && lstat(path, &now) == 0 && held.st_dev == now.st_dev &&
           held.st_ino == now.st_ino;
}

/*
 * Take "<db>.lock" again when it is no longer the file we hold (its
 * directory was deleted and made again, the file removed): otherwise a
 * second recorder would be let in. Another recorder holding it now wins:
 * this one stops. Returns 0, or -1 (r->fatal set when it must stop).
 */
static int relock(rec *r)
{
    char err[512];
    int busy, created;
    if (lock_current(r))
        return 0;
    int fd = take_lock(r->o->db_path, &busy, &created, err, sizeof err);
    if (fd < 0) {
        if (busy) {
            ph_log("the lock file was replaced and %s; stopping this recorder", err);
            r->fatal = 1;
        } else if (!r->db_lost) {
            ph_log("%s; retrying at each sample", err);
        }
        return -1;
    }
    close(r->lock);
    r->lock = fd;
    return 0;
}

/*
 * The database removed or replaced under us: writes would go to a file
 * nobody can open again. Start a new one at the same path (a fresh tracker:
 * its process ids belonged to the old file), or, when that fails (a foreign
 * file there, a read-only directory), say so once and retry each sample.
 * The lock is taken again first, on every reopen. Before either, the
 * directory is checked as at start: deleted and made again by another user
 * (mode 0777, theirs), it would let them replace what we write there, and
 * a recorder started there would be refused; so this one stops, as the
 * start does, instead of writing there.
 */
static int check_db(rec *r)
{
    struct stat st;
    int same = lstat(r->o->db_path, &st) == 0 && st.st_dev == r->db_dev && st.st_ino == r->db_ino;
    if (!same || !lock_current(r)) {
        char err[512];
        if (check_db_dir(r->o->db_path, err, sizeof err) < 0) {
            ph_log("%s was removed or replaced while recording, and %s; stopping this recorder", r->o->db_path,
                   err);
            r->fatal = 1;
            r->db_lost = 1;
            return -1;
        }
    }
    if (relock(r) < 0) {
        r->db_lost = 1;
        return -1;
    }
    if (same) {
        if (r->db_lost) /* only the lock was lost, and it is back */
            ph_log("recording to %s again", r->o->db_path);
        r->db_lost = 0;
        return 0;
    }
    char err[512] = "";
    ph_store *fresh = NULL;
    if (!r->db_lost)
        ph_log("%s was removed or replaced while recording; starting a new database there", r->o->db_path);
    if (ph_store_open(r->o->db_path, PH_STORE_WRITE, &fresh, err, sizeof err) < 0) {
        if (!r->db_lost)
            ph_log("cannot open a new database: %s; retrying at each sample", err);
        r->db_lost = 1;
        return -1;
    }
    ph_sampler_free(&r->sampler);
    ph_store_close(r->store);
    r->store = fresh;
    if (ph_sampler_init(&r->sampler, r->store, ph_platform_source(r->plat), r->uuid, r->boot_wall, err,
                        sizeof err) < 0 ||
        ph_store_set_retention(r->store, &r->o->retain) < 0 || write_meta(r, 0, err, sizeof err) < 0 ||
        remember_db(r) < 0) {
        ph_log("cannot use the new database: %s; retrying at each sample", err[0] ? err : ph_store_errmsg(r->store));
        r->db_dev = 0;
        r->db_ino = 0;
        r->db_lost = 1;
        return -1;
    }
    r->sampler.profile = r->profile;
    if (r->db_lost)
        ph_log("recording to %s again", r->o->db_path);
    r->db_lost = 0;
    return 0;
}

int64_t ph_next_tick(int64_t start, int64_t interval, int64_t done, int64_t now, int64_t *k_out)
{
    int64_t k = done + 1;
    if (now > start + k * interval) /* overran or suspended: skip missed ticks */
        k = (now - start) / interval + 1;
    if (k_out)
        *k_out = k;
    return start + k * interval;
}

static void sample_once(rec *r)
{
    int64_t wall = ph_now_wall_ns(), boot_ns;
    ph_tick_stats stats;
    if (check_db(r) < 0)
        return;
    if (ph_platform_boot_clock(r->plat, &boot_ns) < 0) {
        ph_log("cannot read the boot clock; sample skipped");
        return;
    }
    /* CPU since the previous sample began: collection, storage and upkeep. */
    int64_t cpu = self_cpu_ns();
    int64_t used = (cpu >= 0 && r->last_cpu_ns >= 0) ? cpu - r->last_cpu_ns : -1;
    if (ph_sampler_tick(&r->sampler, wall, boot_ns, used, &stats) < 0) {
        if (!r->failing)
            ph_log("could not write sample %lld: %s; retrying at the next interval, usage is kept",
                   (long long)r->sampler.next_sample, ph_store_errmsg(r->store));
        r->failing = 1;
        return;
    }
    r->last_cpu_ns = cpu;
    if (r->o->textfile_dir && ph_now_mono_ns() >= r->textfile_at) {
        write_textfile(r);
        r->textfile_at = ph_now_mono_ns() + r->o->textfile_every_ns;
    }
    if (r->failing)
        ph_log("writing samples again (sample %lld)", (long long)r->sampler.next_sample - 1);
    r->failing = 0;
    r->stored++;

    /* Rollups and retention: a few small transactions, when a minute has
     * closed or earlier work is pending. */
    ph_maint_stats ms;
    char err[512] = "";
    if (!r->maint_pending && wall / 60000000000LL == r->maint_minute) {
        /* Between maintenance runs the size cap still holds, per sample. */
        if (r->o->retain.max_bytes > 0) {
            if (ph_enforce_cap(r->store, &r->o->retain, &ms, err, sizeof err) < 0) {
                if (!r->maint_failing)
                    ph_log("%s; will retry", err);
                r->maint_failing = 1;
            } else if (ms.capped && !r->cap_said && !r->o->quiet) {
                ph_log("database over --max-db-size: removed the oldest data");
                r->cap_said = 1;
            }
        }
        return;
    }
    r->maint_minute = wall / 60000000000LL;
    int64_t m0 = r->profile ? self_cpu_ns() : 0;
    int mrc = ph_maintain(r->store, &r->o->retain, wall, 10, 5000, &ms, err, sizeof err);
    if (r->profile)
        r->maint_ns += self_cpu_ns() - m0;
    if (mrc < 0) {
        if (!r->maint_failing)
            ph_log("%s; will retry", err);
        r->maint_failing = 1;
    } else {
        if (r->maint_failing)
            ph_log("rollups and retention running again");
        r->maint_failing = 0;
        r->maint_pending = ms.pending;
        if (ms.capped && !r->cap_said && !r->o->quiet) {
            ph_log("database over --max-db-size: removed the oldest data");
            r->cap_said = 1;
        }
    }
}

/* Sleep until the monotonic deadline, or a signal. Exit records that
 * arrive meanwhile are read in batches at most a second apart, so the
 * kernel's buffer for them does not fill between samples. The sample that
 * ended before this sleep read every record that waited (the tracker's
 * step drains the socket), and the one that ends it will: so the socket is
 * watched only from a second after the last read, and not at all when the
 * deadline is within a second of it. At 1 s samples the recorder no longer
 * wakes between samples for them: beside `make -j2`, at 10-20 exits a
 * second, that wakeup (poll, recvmmsg, clock reads, two context switches)
 * was several us of every exit's cost (docs/performance.md, "Exit records,
 * fourth round"). */
static void sleep_until(ph_platform *plat, int64_t deadline)
{
    int fd = ph_platform_exit_fd(plat);
    int64_t drained = ph_now_mono_ns();
    for (;;) {
        int64_t now = ph_now_mono_ns();
        if (stop_requested || now >= deadline)
            return;
        int64_t until = deadline;
        if (fd >= 0 && deadline - drained > 1000000000) {
            if (now >= drained + 1000000000) {
                /* a second since the last read: read when one comes */
                struct pollfd pfd = {fd, POLLIN, 0};
                int ms = (int)((deadline - now + 999999) / 1000000);
                if (poll(&pfd, 1, ms) > 0) {
                    ph_platform_exit_drain(plat);
                    drained = ph_now_mono_ns();
                }
                continue;
            }
            until = drained + 1000000000; /* let records gather for a second */
        }
        int64_t d = until - now;
        struct timespec ts = {(time_t)(d / 1000000000LL), (long)(d % 1000000000LL)};
        nanosleep(&ts, NULL);
    }
}

static int setup(rec *r, char *err, size_t errlen)
{
    ph_platform_opts po = {r->o->proc_root, r->o->sys_root};
    char *uuid = r->uuid;
    int64_t boot_wall = 0;

    if (ph_store_open(r->o->db_path, PH_STORE_WRITE, &r->store, err, errlen) < 0)
        return -1;
    if (ph_platform_open(&po, &r->plat, err, errlen) < 0)
        return -1;
    if (ph_platform_boot_id(r->plat, uuid, sizeof r->uuid) < 0) {
        ph_fmt(err, errlen, "cannot read the boot id (sys/kernel/random/boot_id under the proc root)");
        return -1;
    }
    if (ph_platform_boot_wall(r->plat, &boot_wall) < 0)
        boot_wall = 0;
    r->boot_wall = boot_wall;
    if (ph_sampler_init(&r->sampler, r->store, ph_platform_source(r->plat), uuid, boot_wall, err, errlen) < 0)
        return -1;
    if (ph_store_set_retention(r->store, &r->o->retain) < 0) {
        ph_fmt(err, errlen, "cannot write the retention settings: %s", ph_store_errmsg(r->store));
        return -1;
    }
    if (write_meta(r, !r->o->quiet, err, errlen) < 0)
        return -1;
    if (remember_db(r) < 0) {
        ph_fmt(err, errlen, "cannot stat %s: %s", r->o->db_path, strerror(errno));
        return -1;
    }
    r->last_cpu_ns = self_cpu_ns();
    const char *prof = getenv("PROCHIST_PROFILE");
    r->profile = r->sampler.profile = prof && strcmp(prof, "1") == 0;
    return 0;
}

int ph_record(const ph_record_opts *o)
{
    rec r;
    char err[512] = "";
    int status = PH_EXIT_OK;
    memset(&r, 0, sizeof r);
    r.o = o;
    umask(077);

    if (o->textfile_dir) {
        /* Refuse an unsafe directory now; one that does not exist yet may
         * come (node_exporter installed later): that is logged per write. */
        struct stat st;
        int dfd = open_textfile_dir(o->textfile_dir, err, sizeof err);
        if (dfd < 0 && lstat(o->textfile_dir, &st) == 0) {
            ph_err("%s", err);
            return PH_EXIT_FAIL;
        }
        if (dfd >= 0)
            close(dfd);
    }
    /* Nothing is created (not even the lock file) at a path that is not a
     * regular file or absent: /dev/null, a directory, a FIFO. */
    int busy, created;
    if (check_db_dir(o->db_path, err, sizeof err) < 0 || ph_store_check_path(o->db_path, 0, err, sizeof err) < 0 ||
        (r.lock = take_lock(o->db_path, &busy, &created, err, sizeof err)) < 0) {
        ph_err("%s", err);
        return PH_EXIT_FAIL;
    }
    if (setup(&r, err, sizeof err) < 0) {
        /* Refused (a foreign file, a damaged one): leave no lock file of
         * ours beside it; one that was there stays. Removed while held. */
        char lock[PH_PATH_MAX + 8];
        if (created && ph_fmt(lock, sizeof lock, "%s.lock", o->db_path) >= 0)
            unlink(lock);
        ph_err("%s", err);
        status = PH_EXIT_FAIL;
        goto out;
    }
    install_signals();
    ph_platform_background();
    if (!o->quiet)
        ph_log("recording to %s every %.10g s (%s%s%s)", o->db_path, (double)o->interval_ns / 1e9,
               ph_platform_name(), o->proc_root ? ", proc root " : "", o->proc_root ? o->proc_root : "");

    int64_t start = ph_now_mono_ns();
    for (int64_t k = 0; !stop_requested; ) {
        sample_once(&r);
        if (r.fatal) {
            status = PH_EXIT_FAIL;
            break;
        }
        if (o->count && r.stored >= o->count)
            break;
        sleep_until(r.plat, ph_next_tick(start, o->interval_ns, k, ph_now_mono_ns(), &k));
    }
    if (!o->quiet)
        ph_log("stopped after %lld samples", (long long)r.stored);
    if (r.profile) {
        struct rusage ru;
        getrusage(RUSAGE_SELF, &ru);
        fprintf(stderr, "profile: samples %lld collect_ns %lld store_ns %lld maint_ns %lld "
                "listings_skipped %llu maxrss_kib %ld\n",
                (long long)r.stored, (long long)r.sampler.collect_ns, (long long)r.sampler.store_ns,
                (long long)r.maint_ns, (unsigned long long)ph_platform_list_skipped(r.plat),
                ru.ru_maxrss);
    }
out:
    ph_sampler_free(&r.sampler);
    ph_platform_close(r.plat);
    ph_store_close(r.store);
    close(r.lock);
    return status;
}
