/*
 * ph_platform.h: the collector contract. Implemented by exactly one folder
 * under src/platform/, chosen by the Makefile at build time; shared code
 * never asks which OS it runs on.
 *
 * A collector lists process ids, then reads one process at a time. A read is
 * given a hint (the identity and quick signature of the previous read of the
 * same pid): when the process is the same one and its cheap counters have not
 * moved, the collector may stop after the cheap read and return PH_READ_IDLE.
 * An IDLE answer may carry no values at all (only identity): the collector
 * knew from something cheaper still that nothing moved. Unless the hint asks
 * for a refresh, which keyframes do, so idle gauges stay current.
 * Counters it did not read are simply absent from the sample's mask; the
 * tracker keeps the previous values, so nothing is lost: the next full read
 * captures what accumulated.
 */
#ifndef PH_PLATFORM_H
#define PH_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "ph_metrics.h"

#define PH_NAME_MAX 64
#define PH_PATH_MAX 4096

typedef struct ph_platform ph_platform;

typedef struct ph_platform_opts {
    const char *proc_root; /* Linux: default "/proc" */
    const char *sys_root;  /* Linux: default "/sys" */
} ph_platform_opts;

/* What a read of one process returns. */
enum ph_read_result {
    PH_READ_FULL = 0, /* every source read (some may be denied: see mask) */
    PH_READ_IDLE = 1, /* same identity, cheap counters unchanged: quick read only */
    PH_READ_GONE = 2, /* the process vanished (or is not readable at all) */
};

typedef struct ph_hint {
    uint64_t start_key;
    uint64_t quick_sig;
    int refresh;        /* a keyframe: re-read the cheap gauges even if idle */
} ph_hint;

typedef struct ph_proc_sample {
    int32_t pid;
    int32_t ppid;
    int64_t uid;          /* real uid; -1 when unknown */
    uint64_t start_key;   /* identity within a boot, with pid (Linux: starttime ticks) */
    int64_t start_boot_ns;/* birth on the boot clock (ns since boot), rounded down */
    int64_t start_res_ns; /* its resolution: birth lies in [start_boot_ns, +res) (Linux: a clock tick) */
    uint64_t quick_sig;   /* changes whenever the process ran */
    char name[PH_NAME_MAX];  /* short command name (comm); empty: not read */
    int denied;           /* some source was refused (permission) */
    int kernel_thread;    /* a kernel thread: grouped under app "[kernel]" */
    ph_values vals;       /* cumulative counters and gauges that were read */
} ph_proc_sample;

typedef struct ph_proc_ident {
    char exe[PH_PATH_MAX];    /* executable path; empty when unknown */
    char app[PH_NAME_MAX];    /* grouping key for --by app */
    char bundle[PH_PATH_MAX]; /* macOS: outermost .app bundle; empty elsewhere */
    int64_t coalition;        /* macOS: resource coalition id; -1 unknown */
    int32_t responsible_pid;  /* macOS: responsible process; -1 unknown */
} ph_proc_ident;

typedef struct ph_pidlist {
    int32_t *pids;
    size_t n, cap;
} ph_pidlist;

/* A process that exited, as the kernel reported it at exit (Linux taskstats,
 * as root): its final cumulative counters, so the part after its last sample,
 * or all of it when it lived between two samples, is not lost. */
typedef struct ph_exit {
    int32_t pid, ppid;
    int64_t uid;
    uint64_t start_key;    /* like ph_proc_sample's, estimated from the elapsed time */
    int64_t start_boot_ns; /* estimated birth on the boot clock */
    char name[PH_NAME_MAX];
    int64_t start_res_ns;  /* how late the estimate may be: birth in (start - res, start] */
    uint64_t start_key_slack; /* the same in start_key units: a process whose start_key
                                 is in [start_key - slack, start_key] may be this one */
    int whole;             /* vals hold its whole life: every thread's record was heard */
    ph_values vals;        /* final cumulative counters (and peak resident) */
} ph_exit;

typedef struct ph_exitlist {
    ph_exit *v;
    size_t n, cap;
} ph_exitlist;

/* A resource coalition's cumulative totals (macOS): every process of an app
 * launch belongs to one, and the totals include members that already
 * exited. -1: not known. unreadable_members: in this sample some live
 * member's own usage was refused (another user's process), yet the kernel
 * counts it in the totals, so what the rows miss cannot be told apart from
 * what exited members spent. */
enum ph_co_field {
    PH_CO_CPU_NS, PH_CO_ENERGY_NJ, PH_CO_DISK_READ_BYTES, PH_CO_DISK_WRITE_BYTES,
    PH_CO_WAKEUPS_INTERRUPT, PH_CO_WAKEUPS_PKG_IDLE, PH_CO_FIELDS
};
typedef struct ph_coalition_usage {
    int64_t v[PH_CO_FIELDS];
    int unreadable_members;
} ph_coalition_usage;

/* Open a collector; on failure returns -1 and writes a one-line reason. */
int ph_platform_open(const ph_platform_opts *opts, ph_platform **out,
                     char *err, size_t errlen);
void ph_platform_close(ph_platform *p);
const char *ph_platform_name(void);

/*
 * The per-process metrics a database this platform creates stores: every
 * metric its collector can fill, plus the recorder's own estimates that can
 * land on it (energy_est_nj: the package energy split by CPU share, wherever
 * RAPL-like counters exist). In a database it creates, the other metric
 * columns of proc_sample, proc_minute and proc_hour are virtual (always
 * NULL, no byte on disk: docs/schema.md); opening a file for recording whose
 * tiers cannot store one of these is refused, and a row carrying a metric
 * outside it is an error, never dropped. Linux: the 27 metrics of
 * src/platform/linux plus gpu_ns and energy_est_nj; macOS: all of them.
 */
ph_mask ph_platform_stored_metrics(void);

/* Boot identity: a string fixed until reboot (Linux boot_id). */
int ph_platform_boot_id(ph_platform *p, char *buf, size_t len);
/* Now on the boot clock (ns since boot, counts suspend). */
int ph_platform_boot_clock(ph_platform *p, int64_t *ns);
/* Wall-clock time of boot, ns since the epoch (display only). */
int ph_platform_boot_wall(ph_platform *p, int64_t *ns);

/* Every visible process id, ascending. A pid listed may be found gone
 * when read (PH_READ_GONE), as if it had not been listed. */
int ph_platform_list(ph_platform *p, ph_pidlist *out);
/* How many listings were answered without scanning (0 where never). */
uint64_t ph_platform_list_skipped(ph_platform *p);
/* Linux only: listings that read only the pids allocated since the last
 * listing (the /proc directory sought to the first of them). */
uint64_t ph_platform_list_narrowed(ph_platform *p);
/* Read one process; hint may be NULL (forces a full read). */
enum ph_read_result ph_platform_read(ph_platform *p, int32_t pid,
                                     const ph_hint *hint, ph_proc_sample *out);
/* Executable path and app key; called on first sight and on a name change. */
void ph_platform_ident(ph_platform *p, int32_t pid, const ph_proc_sample *s,
                       ph_proc_ident *out);

/* System power: each power zone's cumulative energy counter. */
enum ph_power_domain {
    PH_PWR_PACKAGE, PH_PWR_CORE, PH_PWR_UNCORE, PH_PWR_DRAM, PH_PWR_PSYS, PH_PWR_GPU, PH_PWR_ANE,
    PH_PWR_DOMAINS
};
#define PH_POWER_ZONES 32
typedef struct ph_power {
    int n;
    struct {
        enum ph_power_domain domain;
        uint64_t energy_uj; /* cumulative */
        uint64_t max_uj;    /* where it wraps to 0 */
    } zone[PH_POWER_ZONES];
    int denied;             /* zones exist but their counters are refused (root only) */
    int64_t cpu_total_ns;   /* CPU time of all CPUs since boot (busy + idle) */
    /* GPU gauges now, over the GPUs that report each; < 0: none reports it */
    int64_t gpu_busy_permille; /* device busy (Linux amdgpu gpu_busy_percent) */
    int64_t gpu_mhz;           /* core clock (hwmon freq1 "sclk", i915 gt_act_freq_mhz) */
    int64_t gpu_power_uw;      /* power, summed (hwmon power1_average / power1_input) */
} ph_power;
/* Read the power zones and total CPU time; 0, or -1 when unknown. */
int ph_platform_power(ph_platform *p, ph_power *out);
/* Why there are no power zones, for the power note ("" when there are). */
const char *ph_platform_power_why(ph_platform *p);
/* Energy between two readings of a counter that wraps at max. */
uint64_t ph_power_delta(uint64_t prev, uint64_t cur, uint64_t max);

/* Make the calling process a background citizen: lower CPU priority and,
 * where the platform has it, idle/throttled disk I/O. Best effort. */
void ph_platform_background(void);

/* Whether this process may read every process's counters: Linux, the
 * effective CAP_SYS_PTRACE (what /proc/PID/io checks; root has it unless a
 * bounding set took it); macOS, root. 1 or 0. */
int ph_platform_privileged(void);

/* The running executable's absolute path; 0 or -1. */
int ph_platform_self_exe(char *buf, size_t len);

/* Default database directory for this platform (no trailing slash). */
int ph_platform_default_db_dir(char *buf, size_t len);

/* Exit records (Linux taskstats as root): how the collector hears of exits.
 * ph_platform_exits appends the processes that exited since its last call;
 * -1 when there is no exit accounting (mode says why). The fd, when >= 0, is
 * readable when records wait: the recorder drains it while it sleeps, in
 * batches at most a second apart, so the kernel's socket buffer does not
 * fill between samples. */
int ph_platform_exits(ph_platform *p, ph_exitlist *out);
/* A coalition's totals: 0, or -1 when it is gone or the platform has none. */
int ph_platform_coalition(ph_platform *p, int64_t id, ph_coalition_usage *out);
/* 1 when a parent's own I/O counters grow by a child's when it reaps it
 * (Linux: /proc/PID/io includes reaped children; macOS rusage does not). */
int ph_platform_reaped_io_in_parent(void);
/* The unit CPU times are reported in (Linux: a clock tick; 0: exact). */
int64_t ph_platform_cpu_res_ns(ph_platform *p);
int ph_platform_exit_fd(ph_platform *p);
void ph_platform_exit_drain(ph_platform *p);
const char *ph_platform_exit_mode(ph_platform *p);

/* `prochist doctor`: for each data source this platform reads, whether it
 * works here, a value read now, and what is missing and why (permission,
 * SIP, hardware, kernel). Implemented in src/platform/<os>/doctor.c. */
enum ph_probe_state { PH_PROBE_WORKS, PH_PROBE_PARTLY, PH_PROBE_MISSING };
#define PH_PROBES_MAX 16
typedef struct ph_probe {
    const char *source;        /* static: "process listing", "RAPL energy", ... */
    enum ph_probe_state state;
    char sample[192];          /* a value read now; "" none */
    char why[320];             /* what is missing and why; "" when it all works */
} ph_probe;
typedef struct ph_probes {
    int n;
    ph_probe v[PH_PROBES_MAX];
} ph_probes;
/* Check every source through the open collector p (opened with opts).
 * Reads every listed process once. */
void ph_platform_doctor(ph_platform *p, const ph_platform_opts *opts, ph_probes *out);

/* A process's control groups (include/ph_cgroup.h): Linux, /proc/PID/cgroup
 * parsed; 0, or -1 when it cannot be read (gone, refused) or the platform
 * has none (macOS). */
struct ph_cgroup;
int ph_platform_cgroup(ph_platform *p, int32_t pid, struct ph_cgroup *out);
/* 1 where processes have control groups to group by (Linux), 0 (macOS):
 * the query commands refuse `--by unit|slice|container|cgroup` without. */
int ph_platform_has_cgroups(void);

void ph_pidlist_free(ph_pidlist *l);
int ph_pidlist_push(ph_pidlist *l, int32_t pid);
/* Append a zeroed record to an exit list (grows it). */
ph_exit *ph_exitlist_push(ph_exitlist *l);
void ph_exitlist_free(ph_exitlist *l);

#endif
