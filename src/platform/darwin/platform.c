/*
 * macOS collector: the system calls only. Every conversion lives in
 * convert.c (include/ph_darwin.h), unit-tested on Linux; the struct layouts
 * it assumes are checked here against the SDK at compile time.
 *
 * Per process, the cheap read is proc_pid_rusage (any process of our user;
 * EPERM for others unless root) plus the unique id (any process). When the
 * caller's hint matches the identity and the rusage signature, nothing else
 * is read. Otherwise PROC_PIDTASKINFO (same-user), PROC_PIDT_SHORTBSDINFO
 * (any) and getpriority follow. A process that vanishes (ESRCH) costs its
 * row; a refused source costs its metrics and marks the sample denied.
 *
 * Facts used, with their sources (xnu files, working tools): docs/macos.md.
 * Unverified without a Mac, and so checked at run time: RUSAGE_INFO_V6
 * support (EINVAL falls back to V4), the private flavors 17 and 20 (a short
 * answer means unknown), responsibility_get_pid_responsible_for_pid (dlsym;
 * absent means unknown).
 */
#include "ph_darwin.h"
#include "ph_platform.h"
#include "ph_util.h"

#include <dlfcn.h>
#include <errno.h>
#include <libproc.h>
#include <mach/mach_time.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc_info.h>
#include <sys/resource.h>
#include <sys/sysctl.h>
#include <sys/time.h>
#include <unistd.h>

/* A macOS 11 or 12 SDK stops at rusage_info_v5, while the kernel a user
 * runs may be 13 or later: declare v6 as the macOS 13 SDK's sys/resource.h
 * does (xnu-8792 bsd/sys/resource.h), so one binary reads v6 where the
 * kernel has it and falls back to v4 where it does not. */
#ifndef RUSAGE_INFO_V6
#define RUSAGE_INFO_V6 6
struct rusage_info_v6 {
    uint8_t ri_uuid[16];
    uint64_t ri_user_time, ri_system_time, ri_pkg_idle_wkups, ri_interrupt_wkups, ri_pageins,
        ri_wired_size, ri_resident_size, ri_phys_footprint, ri_proc_start_abstime,
        ri_proc_exit_abstime, ri_child_user_time, ri_child_system_time, ri_child_pkg_idle_wkups,
        ri_child_interrupt_wkups, ri_child_pageins, ri_child_elapsed_abstime, ri_diskio_bytesread,
        ri_diskio_byteswritten, ri_cpu_time_qos_default, ri_cpu_time_qos_maintenance,
        ri_cpu_time_qos_background, ri_cpu_time_qos_utility, ri_cpu_time_qos_legacy,
        ri_cpu_time_qos_user_initiated, ri_cpu_time_qos_user_interactive, ri_billed_system_time,
        ri_serviced_system_time, ri_logical_writes, ri_lifetime_max_phys_footprint, ri_instructions,
        ri_cycles, ri_billed_energy, ri_serviced_energy, ri_interval_max_phys_footprint,
        ri_runnable_time, ri_flags, ri_user_ptime, ri_system_ptime, ri_pinstructions, ri_pcycles,
        ri_energy_nj, ri_penergy_nj, ri_reserved[14];
};
/* The prefix the older SDK does declare must agree with ours. */
_Static_assert(offsetof(struct rusage_info_v5, ri_flags) == offsetof(struct rusage_info_v6, ri_flags),
               "rusage_info_v5 is a prefix of v6");
#endif

/* The layouts convert.c reads, checked against this SDK. */
#define RU_AT(field, f) \
    _Static_assert(offsetof(struct rusage_info_v6, field) == PH_RU_OFFSET(f), #field)
RU_AT(ri_user_time, PH_RU_USER_TIME);
RU_AT(ri_system_time, PH_RU_SYSTEM_TIME);
RU_AT(ri_pkg_idle_wkups, PH_RU_PKG_IDLE_WKUPS);
RU_AT(ri_interrupt_wkups, PH_RU_INTERRUPT_WKUPS);
RU_AT(ri_pageins, PH_RU_PAGEINS);
RU_AT(ri_wired_size, PH_RU_WIRED_SIZE);
RU_AT(ri_resident_size, PH_RU_RESIDENT_SIZE);
RU_AT(ri_phys_footprint, PH_RU_PHYS_FOOTPRINT);
RU_AT(ri_proc_start_abstime, PH_RU_PROC_START_ABSTIME);
RU_AT(ri_child_user_time, PH_RU_CHILD_USER_TIME);
RU_AT(ri_diskio_bytesread, PH_RU_DISKIO_BYTESREAD);
RU_AT(ri_diskio_byteswritten, PH_RU_DISKIO_BYTESWRITTEN);
RU_AT(ri_cpu_time_qos_default, PH_RU_QOS_DEFAULT);
RU_AT(ri_cpu_time_qos_user_interactive, PH_RU_QOS_USER_INTERACTIVE);
RU_AT(ri_billed_system_time, PH_RU_BILLED_SYSTEM_TIME);
RU_AT(ri_serviced_system_time, PH_RU_SERVICED_SYSTEM_TIME);
RU_AT(ri_logical_writes, PH_RU_LOGICAL_WRITES);
RU_AT(ri_lifetime_max_phys_footprint, PH_RU_LIFETIME_MAX_PHYS_FOOTPRINT);
RU_AT(ri_instructions, PH_RU_INSTRUCTIONS);
RU_AT(ri_cycles, PH_RU_CYCLES);
RU_AT(ri_billed_energy, PH_RU_BILLED_ENERGY);
RU_AT(ri_interval_max_phys_footprint, PH_RU_INTERVAL_MAX_PHYS_FOOTPRINT);
RU_AT(ri_runnable_time, PH_RU_RUNNABLE_TIME);
RU_AT(ri_flags, PH_RU_FLAGS);
RU_AT(ri_energy_nj, PH_RU_ENERGY_NJ);
RU_AT(ri_penergy_nj, PH_RU_PENERGY_NJ);
_Static_assert(sizeof(struct rusage_info_v4) == PH_RU_V4_SIZE, "rusage_info_v4 size");
_Static_assert(sizeof(struct rusage_info_v6) == PH_RU_V6_SIZE, "rusage_info_v6 size");
_Static_assert(RUSAGE_INFO_V4 == PH_RUSAGE_V4 && RUSAGE_INFO_V6 == PH_RUSAGE_V6, "flavors");

#define PTI_AT(field, off) _Static_assert(offsetof(struct proc_taskinfo, field) == off, #field)
PTI_AT(pti_virtual_size, PH_PTI_VIRTUAL_SIZE);
PTI_AT(pti_faults, PH_PTI_FAULTS);
PTI_AT(pti_cow_faults, PH_PTI_COW_FAULTS);
PTI_AT(pti_messages_sent, PH_PTI_MESSAGES_SENT);
PTI_AT(pti_messages_received, PH_PTI_MESSAGES_RECEIVED);
PTI_AT(pti_syscalls_mach, PH_PTI_SYSCALLS_MACH);
PTI_AT(pti_syscalls_unix, PH_PTI_SYSCALLS_UNIX);
PTI_AT(pti_csw, PH_PTI_CSW);
PTI_AT(pti_threadnum, PH_PTI_THREADNUM);
PTI_AT(pti_numrunning, PH_PTI_NUMRUNNING);
PTI_AT(pti_priority, PH_PTI_PRIORITY);
_Static_assert(sizeof(struct proc_taskinfo) == PH_PTI_SIZE, "proc_taskinfo size");

#define PBSI_AT(field, off) _Static_assert(offsetof(struct proc_bsdshortinfo, field) == off, #field)
PBSI_AT(pbsi_pid, PH_PBSI_PID);
PBSI_AT(pbsi_ppid, PH_PBSI_PPID);
PBSI_AT(pbsi_status, PH_PBSI_STATUS);
PBSI_AT(pbsi_comm, PH_PBSI_COMM);
PBSI_AT(pbsi_uid, PH_PBSI_UID);
PBSI_AT(pbsi_ruid, PH_PBSI_RUID);
_Static_assert(sizeof(struct proc_bsdshortinfo) == PH_PBSI_SIZE, "proc_bsdshortinfo size");
_Static_assert(sizeof(((struct proc_bsdshortinfo *)0)->pbsi_comm) == PH_PBSI_COMM_LEN, "comm");

typedef pid_t (*responsible_fn)(pid_t);
typedef int (*coalition_fn)(uint64_t cid, void *cru, size_t size);

struct ph_platform {
    ph_timebase tb_counters; /* the kernel's counters (native ticks) */
    ph_timebase tb_self;     /* our own mach_absolute_time */
    int rusage_flavor;       /* V6, or V4 once the kernel refused V6 */
    int arm64;               /* Apple Silicon: v6's ri_energy_nj is measured */
    responsible_fn responsible;
    coalition_fn coalition_usage; /* NULL when the symbol is gone */
    /* Coalitions with a member whose rusage was refused in this sample
     * (sorted): their totals count usage no row of ours carries. */
    int64_t *blind;
    size_t nblind, capblind;
    ph_soc *soc;                  /* IOReport and AGX; NULL where unavailable */
    char soc_why[160];
    int32_t *pids;
    size_t cap;
};

const char *ph_platform_name(void) { return "darwin"; }

/* Every metric: this folder sets 46 of them and the coalition rows more
 * (wakeups); kept wide, as every database was before, since no macOS
 * machine checks a narrower set. */
ph_mask ph_platform_stored_metrics(void)
{
    return PH_ALL_METRICS;
}

static int sysctl_u64(const char *name, uint64_t *out)
{
    uint64_t v8 = 0;
    size_t len = sizeof v8;
    if (sysctlbyname(name, &v8, &len, NULL, 0) != 0)
        return -1;
    if (len == sizeof(uint32_t)) {
        uint32_t v4;
        memcpy(&v4, &v8, sizeof v4);
        *out = v4;
    } else if (len == sizeof v8) {
        *out = v8;
    } else {
        return -1;
    }
    return 0;
}

int ph_platform_open(const ph_platform_opts *opts, ph_platform **out,
                     char *err, size_t errlen)
{
    if (opts && opts->proc_root) {
        ph_fmt(err, errlen, "--proc-root is for Linux; macOS reads processes through libproc");
        return -1;
    }
    ph_platform *p = ph_xcalloc(1, sizeof *p);
    mach_timebase_info_data_t tbi;
    if (mach_timebase_info(&tbi) != KERN_SUCCESS)
        tbi.numer = tbi.denom = 1;
    uint64_t translated = 0, freq = 0, arm64 = 0;
    if (sysctl_u64("sysctl.proc_translated", &translated) != 0)
        translated = 0;
    if (sysctl_u64("hw.tbfrequency", &freq) != 0)
        freq = 0;
    if (sysctl_u64("hw.optional.arm64", &arm64) != 0)
        arm64 = 0;
    p->tb_self = ph_darwin_timebase(tbi.numer, tbi.denom, 0, 0);
    p->tb_counters = ph_darwin_timebase(tbi.numer, tbi.denom, translated == 1, freq);
    p->rusage_flavor = PH_RUSAGE_V6;
    p->arm64 = arm64 == 1;
    p->responsible = (responsible_fn)dlsym(RTLD_DEFAULT, "responsibility_get_pid_responsible_for_pid");
    p->coalition_usage = (coalition_fn)dlsym(RTLD_DEFAULT, "coalition_info_resource_usage");
    if (ph_soc_open(&p->soc, p->soc_why, sizeof p->soc_why) < 0)
        p->soc = NULL; /* the power note says why */
    *out = p;
    return 0;
}

void ph_platform_close(ph_platform *p)
{
    if (!p)
        return;
    ph_soc_close(p->soc);
    free(p->blind);
    free(p->pids);
    free(p);
}

int ph_platform_boot_id(ph_platform *p, char *buf, size_t len)
{
    (void)p;
    size_t n = len;
    if (sysctlbyname("kern.bootsessionuuid", buf, &n, NULL, 0) != 0 || n == 0 || n > len)
        return -1;
    buf[n - 1] = '\0';
    return buf[0] ? 0 : -1;
}

int ph_platform_boot_clock(ph_platform *p, int64_t *ns)
{
    uint64_t v = ph_darwin_ticks_to_ns(mach_absolute_time(), p->tb_self);
    if (v > (uint64_t)INT64_MAX)
        return -1;
    *ns = (int64_t)v;
    return 0;
}

int ph_platform_boot_wall(ph_platform *p, int64_t *ns)
{
    (void)p;
    struct timeval tv;
    size_t len = sizeof tv;
    int mib[2] = {CTL_KERN, KERN_BOOTTIME};
    if (sysctl(mib, 2, &tv, &len, NULL, 0) != 0 || len != sizeof tv)
        return -1;
    *ns = (int64_t)tv.tv_sec * 1000000000LL + (int64_t)tv.tv_usec * 1000LL;
    return 0;
}

static int cmp_pid(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int coalition_of(int32_t pid, uint64_t *id)
{
    unsigned char ci[PH_COALITION_SIZE];
    return proc_pidinfo(pid, PH_PROC_PIDCOALITIONINFO, 0, ci, sizeof ci) == (int)sizeof ci &&
                   ph_darwin_coalition(ci, sizeof ci, id) == 0 && *id <= (uint64_t)INT64_MAX
               ? 0
               : -1;
}

/* A process whose rusage was refused: its coalition's totals cannot be
 * split this sample. (Flavor 20 has no same-user check.) */
static void note_blind(ph_platform *p, int32_t pid)
{
    uint64_t id;
    if (coalition_of(pid, &id) != 0)
        return;
    for (size_t i = 0; i < p->nblind; i++)
        if (p->blind[i] == (int64_t)id)
            return;
    if (p->nblind == p->capblind) {
        p->capblind = p->capblind ? p->capblind * 2 : 64;
        p->blind = ph_xrealloc(p->blind, p->capblind * sizeof *p->blind);
    }
    p->blind[p->nblind++] = (int64_t)id;
    qsort(p->blind, p->nblind, sizeof *p->blind, cmp_i64);
}

int ph_platform_list(ph_platform *p, ph_pidlist *out)
{
    p->nblind = 0; /* a new sample: learnt again from its reads */
    /* A short buffer truncates silently: grow until the count fits. */
    if (!p->cap) {
        int guess = proc_listallpids(NULL, 0);
        p->cap = (guess > 0 ? (size_t)guess : 512) + 64;
        p->pids = ph_xcalloc(p->cap, sizeof *p->pids);
    }
    int n;
    for (;;) {
        n = proc_listallpids(p->pids, (int)(p->cap * sizeof *p->pids));
        if (n <= 0)
            return -1;
        if ((size_t)n < p->cap)
            break;
        p->cap *= 2;
        p->pids = ph_xrealloc(p->pids, p->cap * sizeof *p->pids);
    }
    qsort(p->pids, (size_t)n, sizeof *p->pids, cmp_pid);
    out->n = 0;
    for (int i = 0; i < n; i++)
        if (p->pids[i] >= 0 && (i == 0 || p->pids[i] != p->pids[i - 1]))
            ph_pidlist_push(out, p->pids[i]);
    return 0;
}

/* proc_pid_rusage with the V6 -> V4 fallback; returns 0 or an errno. */
static int read_rusage(ph_platform *p, int32_t pid, struct rusage_info_v6 *ru, size_t *len)
{
    for (;;) {
        if (proc_pid_rusage(pid, p->rusage_flavor, (rusage_info_t *)ru) == 0) {
            *len = p->rusage_flavor == PH_RUSAGE_V6 ? PH_RU_V6_SIZE : PH_RU_V4_SIZE;
            return 0;
        }
        int e = errno;
        int next = ph_darwin_rusage_fallback(p->rusage_flavor, e);
        if (next < 0)
            return e;
        p->rusage_flavor = next;
    }
}

enum ph_read_result ph_platform_read(ph_platform *p, int32_t pid,
                                     const ph_hint *hint, ph_proc_sample *out)
{
    unsigned char uq[PH_UNIQID_SIZE];
    uint64_t uniq = 0;
    struct rusage_info_v6 ru;
    ph_darwin_ru rr = {0, 0};
    size_t rlen = 0;

    memset(out, 0, sizeof *out);
    out->pid = pid;
    out->uid = -1;
    out->ppid = -1;

    /* A non-zero arg makes the kernel find zombies too (proc_info.c). */
    int n = proc_pidinfo(pid, PH_PROC_PIDUNIQIDENTIFIERINFO,
                         ph_darwin_pidinfo_arg(PH_PROC_PIDUNIQIDENTIFIERINFO), uq, sizeof uq);
    if (n == (int)sizeof uq)
        ph_darwin_uniqueid(uq, sizeof uq, &uniq);
    else if (n <= 0 && errno == ESRCH)
        return PH_READ_GONE;

    int e = read_rusage(p, pid, &ru, &rlen);
    if (e == ESRCH)
        return PH_READ_GONE;
    if (e == 0) {
        int flavor = rlen == PH_RU_V6_SIZE ? PH_RUSAGE_V6 : PH_RUSAGE_V4;
        ph_darwin_rusage(&ru, rlen, p->tb_counters, ph_darwin_energy_measured(p->arm64, flavor),
                         &out->vals, &rr);
    } else {
        out->denied = 1;
        note_blind(p, pid);
    }
    out->start_key = uniq ? uniq : rr.start_abstime;
    if (!out->start_key)
        return PH_READ_GONE; /* no identity at all: cannot be tracked */
    uint64_t born = ph_darwin_ticks_to_ns(rr.start_abstime, p->tb_counters);
    out->start_boot_ns = born > (uint64_t)INT64_MAX ? 0 : (int64_t)born;
    out->quick_sig = rr.quick_sig;
    int64_t gpu = p->soc ? ph_soc_gpu_ns(p->soc, pid) : -1;
    if (gpu >= 0) /* GPU time can grow while the CPU counters do not: not idle then */
        out->quick_sig = out->quick_sig * 1099511628211ULL ^ (uint64_t)gpu;
    if (hint && hint->start_key == out->start_key && hint->quick_sig == out->quick_sig)
        return PH_READ_IDLE;
    if (gpu >= 0)
        ph_values_set(&out->vals, PH_M_GPU_NS, gpu);

    struct proc_taskinfo ti;
    int64_t numrunning = -1;
    n = proc_pidinfo(pid, PROC_PIDTASKINFO, 0, &ti, sizeof ti);
    if (n == (int)sizeof ti) {
        ph_darwin_taskinfo(&ti, sizeof ti, &out->vals);
        numrunning = ti.pti_numrunning;
    } else if (n <= 0 && (errno == EPERM || errno == EACCES))
        out->denied = 1; /* ESRCH here is a zombie: rusage still answered */

    struct proc_bsdshortinfo bi;
    ph_darwin_bsd b;
    n = proc_pidinfo(pid, PROC_PIDT_SHORTBSDINFO, ph_darwin_pidinfo_arg(PROC_PIDT_SHORTBSDINFO), &bi,
                     sizeof bi);
    if (n == (int)sizeof bi && ph_darwin_bsdshort(&bi, sizeof bi, &b) == 0) {
        out->ppid = b.ppid;
        out->uid = b.uid;
        snprintf(out->name, sizeof out->name, "%s", b.comm);
        char state = ph_darwin_state(b.status, numrunning);
        if (state)
            ph_values_set(&out->vals, PH_M_STATE, (unsigned char)state);
    } else if (n <= 0 && errno == ESRCH) {
        return PH_READ_GONE;
    }
    errno = 0;
    int prio = getpriority(PRIO_PROCESS, (id_t)pid);
    if (errno == 0)
        ph_values_set(&out->vals, PH_M_NICE, prio);
    if (!out->name[0])
        snprintf(out->name, sizeof out->name, "pid %d", (int)pid);
    return PH_READ_FULL;
}

void ph_platform_ident(ph_platform *p, int32_t pid, const ph_proc_sample *s,
                       ph_proc_ident *out)
{
    char resp_exe[PROC_PIDPATHINFO_MAXSIZE];
    uint64_t coalition;

    out->exe[0] = '\0';
    resp_exe[0] = '\0';
    if (proc_pidpath(pid, out->exe, sizeof out->exe) <= 0)
        out->exe[0] = '\0';
    if (coalition_of(pid, &coalition) == 0)
        out->coalition = (int64_t)coalition;
    if (p->responsible) {
        pid_t r = p->responsible(pid);
        if (r > 0) {
            out->responsible_pid = r;
            if (r != pid && proc_pidpath(r, resp_exe, sizeof resp_exe) <= 0)
                resp_exe[0] = '\0';
        }
    }
    ph_darwin_app_for(out->exe, resp_exe, s->name, out->bundle, sizeof out->bundle,
                      out->app, sizeof out->app);
}

int ph_platform_privileged(void)
{
    return geteuid() == 0; /* other users' task ports and rusage: root only */
}

int ph_platform_self_exe(char *buf, size_t len)
{
    return proc_pidpath(getpid(), buf, (uint32_t)len) > 0 ? 0 : -1;
}

/* Coalition totals, through the private libsystem_kernel call (resolved at
 * run time; a macOS without it gives NULL totals, not a failed sample). */
/* macOS has no cgroups (its grouping is coalitions and bundles). */
int ph_platform_has_cgroups(void) { return 0; }

int ph_platform_cgroup(ph_platform *p, int32_t pid, struct ph_cgroup *out)
{
    (void)p;
    (void)pid;
    (void)out;
    return -1;
}

int ph_platform_coalition(ph_platform *p, int64_t id, ph_coalition_usage *out)
{
    unsigned char buf[PH_CRU_BUF_SIZE];
    if (!p->coalition_usage || id <= 0)
        return -1;
    memset(buf, 0, sizeof buf);
    if (p->coalition_usage((uint64_t)id, buf, sizeof buf) != 0)
        return -1; /* ESRCH: the coalition ended */
    /* Energy compares only when this run's rows carry measured energy: the
     * flavor actually read decides, not the CPU alone. */
    if (ph_darwin_coalition_usage(buf, sizeof buf, p->tb_counters,
                                  ph_darwin_energy_measured(p->arm64, p->rusage_flavor), out) != 0)
        return -1;
    out->unreadable_members = bsearch(&id, p->blind, p->nblind, sizeof *p->blind, cmp_i64) != NULL;
    return 0;
}

/* Exit records: macOS has no unprivileged per-exit notification with usage;
 * coalition totals keep per-app answers whole instead. */
int ph_platform_exits(ph_platform *p, ph_exitlist *out)
{
    (void)p;
    (void)out;
    return -1;
}
int ph_platform_exit_fd(ph_platform *p)
{
    (void)p;
    return -1;
}
void ph_platform_exit_drain(ph_platform *p) { (void)p; }
int ph_platform_reaped_io_in_parent(void) { return 0; }
int64_t ph_platform_cpu_res_ns(ph_platform *p)
{
    (void)p;
    return 0;
}
uint64_t ph_platform_list_skipped(ph_platform *p)
{
    (void)p;
    return 0; /* proc_listallpids is one call: nothing to skip */
}
const char *ph_platform_exit_mode(ph_platform *p)
{
    (void)p;
    return "children only: short processes count in the parent that waited for them";
}

/* SoC energy per domain (cumulative sums of IOReport's deltas), GPU busy
 * and clock over the last interval; the AGX clients are scanned here too,
 * once per sample, before the processes are read. */
int ph_platform_power(ph_platform *p, ph_power *out)
{
    memset(out, 0, sizeof *out);
    out->gpu_busy_permille = out->gpu_mhz = out->gpu_power_uw = -1;
    if (!p->soc)
        return -1;
    ph_soc_sample(p->soc);
    ph_soc_power(p->soc, out);
    ph_soc_gpu_scan(p->soc);
    return 0;
}

const char *ph_platform_power_why(ph_platform *p)
{
    return p->soc ? "" : p->soc_why;
}

void ph_platform_background(void)
{
    /* nice 10, and throttled disk I/O for the whole process (public API). */
    if (setpriority(PRIO_PROCESS, 0, 10) != 0) {
        /* already lower, or not allowed: keep going */
    }
    setiopolicy_np(IOPOL_TYPE_DISK, IOPOL_SCOPE_PROCESS, IOPOL_THROTTLE);
}

int ph_platform_default_db_dir(char *buf, size_t len)
{
    const char *home = ph_home_dir();
    if (!home)
        return -1;
    return ph_fmt(buf, len, "%s/Library/Application Support/prochist", home);
}
