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
 * SIGINT/SIGTERM finish the sample in flight, save the resume state and exit
 * 0. A clean restart continues the same deltas; after a crash, processes
 * already known get a fresh baseline (what they did while the recorder was
 * down is not charged), while processes born since the last stored sample
 * are charged from birth.
 */
#include "ph_recorder.h"
#include "ph_cmd.h"
#include "ph_platform.h"
#include "ph_store.h"
#include "ph_tracker.h"
#include "ph_util.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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
    signal(SIGPIPE, SIG_IGN);
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
 * even on a crash. Returns the fd, or -1 with a message printed. */
static int take_lock(const char *db)
{
    char path[PH_PATH_MAX + 8];
    if (ph_fmt(path, sizeof path, "%s.lock", db) < 0) {
        ph_err("database path too long");
        return -1;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        ph_err("cannot create lock file %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        char pid[32] = "";
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        if (errno == EWOULDBLOCK)
            ph_err("another recorder (pid %s) is already writing %s", pid[0] ? pid : "?", db);
        else
            ph_err("cannot lock %s: %s", path, strerror(errno));
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
    ph_tracker tracker;
    ph_source src;
    int64_t boot, boot_wall_ns;
    int64_t next_sample;  /* id of the next sample to store */
    int64_t prev_boot_ns; /* boot clock of the last stored sample of this boot, -1 none */
    int64_t prev_wall_ns;
    int64_t last_cpu_ns;
    int first;            /* no sample stored by this run yet */
    int failing;          /* the last write failed (logged once) */
    int64_t stored;
} rec;

static void sample_once(rec *r)
{
    int64_t wall = ph_now_wall_ns(), boot_ns;
    if (ph_platform_boot_clock(r->plat, &boot_ns) < 0) {
        ph_log("cannot read the boot clock; sample skipped");
        return;
    }
    ph_tick tick = {
        .boot_ns = boot_ns,
        .prev_boot_ns = r->prev_boot_ns,
        .boot_wall_ns = r->boot_wall_ns,
        .keyframe = r->first || wall / PH_KEYFRAME_NS != r->prev_wall_ns / PH_KEYFRAME_NS,
    };
    ph_store_tick st = {r->store, r->next_sample, wall, r->boot};
    ph_sink sink = ph_store_sink(&st);
    ph_tick_stats stats;
    const char *what = "write";

    int ok = ph_store_exec(r->store, "BEGIN IMMEDIATE") == 0;
    if (ok && ph_tracker_step(&r->tracker, &r->src, &sink, &tick, &stats) < 0) {
        ok = 0;
        what = "collect or write";
    }
    if (ok) {
        int64_t cpu = self_cpu_ns();
        ph_sample_row row = {
            .sample = r->next_sample,
            .ts_ns = wall,
            .boot = r->boot,
            .boot_ns = boot_ns,
            .interval_ns = r->prev_boot_ns >= 0 ? boot_ns - r->prev_boot_ns : -1,
            .keyframe = tick.keyframe,
            .procs = stats.procs,
            .procs_denied = stats.denied,
            .rows = stats.rows,
            .recorder_cpu_ns = (cpu >= 0 && r->last_cpu_ns >= 0) ? cpu - r->last_cpu_ns : -1,
        };
        ok = ph_store_add_sample(r->store, &row) == 0 &&
             ph_store_exec(r->store, "COMMIT") == 0;
        if (ok)
            r->last_cpu_ns = cpu;
    }
    if (!ok) {
        if (!r->failing)
            ph_log("could not %s sample %lld: %s; retrying at the next interval, usage is kept",
                   what, (long long)r->next_sample, ph_store_errmsg(r->store));
        r->failing = 1;
        ph_store_exec(r->store, "ROLLBACK");
        ph_tracker_abort(&r->tracker);
        return;
    }
    if (r->failing)
        ph_log("writing samples again (sample %lld)", (long long)r->next_sample);
    r->failing = 0;
    ph_tracker_commit(&r->tracker);
    r->next_sample++;
    r->prev_boot_ns = boot_ns;
    r->prev_wall_ns = wall;
    r->first = 0;
    r->stored++;
}

/* Sleep until the monotonic deadline, or a signal. */
static void sleep_until(int64_t deadline)
{
    for (;;) {
        int64_t now = ph_now_mono_ns();
        if (stop_requested || now >= deadline)
            return;
        int64_t d = deadline - now;
        struct timespec ts = {(time_t)(d / 1000000000LL), (long)(d % 1000000000LL)};
        nanosleep(&ts, NULL);
    }
}

static int setup(rec *r, char *err, size_t errlen)
{
    ph_platform_opts po = {r->o->proc_root, r->o->sys_root};
    char uuid[128];
    ph_last_sample last;
    ph_entry *entries = NULL;
    size_t n = 0;

    if (ph_store_open(r->o->db_path, PH_STORE_WRITE, &r->store, err, errlen) < 0)
        return -1;
    if (ph_platform_open(&po, &r->plat, err, errlen) < 0)
        return -1;
    if (ph_platform_boot_id(r->plat, uuid, sizeof uuid) < 0) {
        ph_fmt(err, errlen, "cannot read the boot id (sys/kernel/random/boot_id under the proc root)");
        return -1;
    }
    if (ph_platform_boot_wall(r->plat, &r->boot_wall_ns) < 0)
        r->boot_wall_ns = 0;
    if (ph_store_boot(r->store, uuid, r->boot_wall_ns, &r->boot) < 0 ||
        ph_store_last_sample(r->store, &last) < 0 ||
        ph_store_take_resume(r->store, last.sample, &entries, &n) < 0) {
        ph_fmt(err, errlen, "cannot read %s: %s", r->o->db_path, ph_store_errmsg(r->store));
        free(entries);
        return -1;
    }
    r->next_sample = last.sample + 1;
    r->prev_boot_ns = (last.sample && last.boot == r->boot) ? last.boot_ns : -1;
    r->prev_wall_ns = last.ts_ns;
    if (r->prev_boot_ns >= 0 && n)
        ph_tracker_load(&r->tracker, entries, n);
    free(entries);
    r->src = ph_platform_source(r->plat);
    r->first = 1;
    r->last_cpu_ns = self_cpu_ns();
    return 0;
}

int ph_record(const ph_record_opts *o)
{
    rec r;
    char err[512] = "";
    int status = PH_EXIT_OK;
    memset(&r, 0, sizeof r);
    r.o = o;
    ph_tracker_init(&r.tracker);
    umask(077);

    int lock = take_lock(o->db_path);
    if (lock < 0)
        return PH_EXIT_FAIL;
    if (setup(&r, err, sizeof err) < 0) {
        ph_err("%s", err);
        status = PH_EXIT_FAIL;
        goto out;
    }
    install_signals();
    if (!o->quiet)
        ph_log("recording to %s every %.3g s (%s%s%s)", o->db_path, (double)o->interval_ns / 1e9,
               ph_platform_name(), o->proc_root ? ", proc root " : "", o->proc_root ? o->proc_root : "");

    int64_t start = ph_now_mono_ns();
    for (int64_t k = 0; !stop_requested; ) {
        sample_once(&r);
        if (o->count && r.stored >= o->count)
            break;
        k++;
        int64_t now = ph_now_mono_ns();
        if (now > start + k * o->interval_ns) /* overran or suspended: skip missed ticks */
            k = (now - start) / o->interval_ns + 1;
        sleep_until(start + k * o->interval_ns);
    }
    if (r.next_sample > 1 &&
        ph_store_save_resume(r.store, r.next_sample - 1, r.tracker.cur, r.tracker.ncur) < 0)
        ph_log("could not save the resume state: %s; the next run starts with fresh baselines",
               ph_store_errmsg(r.store));
    if (!o->quiet)
        ph_log("stopped after %lld samples", (long long)r.stored);
out:
    ph_tracker_free(&r.tracker);
    ph_platform_close(r.plat);
    ph_store_close(r.store);
    close(lock);
    return status;
}
