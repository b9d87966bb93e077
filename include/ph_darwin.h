/*
 * ph_darwin.h: the pure half of the macOS collector. Everything here works on
 * byte buffers laid out like the kernel's structs and on plain numbers, so it
 * compiles and is unit-tested on Linux; src/platform/darwin/platform.c makes
 * the system calls and checks these layouts against the real SDK headers
 * with _Static_assert. Every kernel rule used here is in docs/macos.md with
 * its source (xnu file, or the working tool that relies on it).
 */
#ifndef PH_DARWIN_H
#define PH_DARWIN_H

#include <stddef.h>
#include <stdint.h>

#include "ph_metrics.h"
#include "ph_platform.h"

/* struct rusage_info_v6: ri_uuid[16], then these uint64_t fields in order.
 * v4 is the prefix ending with RUNNABLE_TIME (296 bytes); v5 adds FLAGS. */
enum ph_ru_field {
    PH_RU_USER_TIME, PH_RU_SYSTEM_TIME, PH_RU_PKG_IDLE_WKUPS, PH_RU_INTERRUPT_WKUPS,
    PH_RU_PAGEINS, PH_RU_WIRED_SIZE, PH_RU_RESIDENT_SIZE, PH_RU_PHYS_FOOTPRINT,
    PH_RU_PROC_START_ABSTIME, PH_RU_PROC_EXIT_ABSTIME,
    PH_RU_CHILD_USER_TIME, PH_RU_CHILD_SYSTEM_TIME, PH_RU_CHILD_PKG_IDLE_WKUPS,
    PH_RU_CHILD_INTERRUPT_WKUPS, PH_RU_CHILD_PAGEINS, PH_RU_CHILD_ELAPSED_ABSTIME,
    PH_RU_DISKIO_BYTESREAD, PH_RU_DISKIO_BYTESWRITTEN,
    PH_RU_QOS_DEFAULT, PH_RU_QOS_MAINTENANCE, PH_RU_QOS_BACKGROUND, PH_RU_QOS_UTILITY,
    PH_RU_QOS_LEGACY, PH_RU_QOS_USER_INITIATED, PH_RU_QOS_USER_INTERACTIVE,
    PH_RU_BILLED_SYSTEM_TIME, PH_RU_SERVICED_SYSTEM_TIME, PH_RU_LOGICAL_WRITES,
    PH_RU_LIFETIME_MAX_PHYS_FOOTPRINT, PH_RU_INSTRUCTIONS, PH_RU_CYCLES,
    PH_RU_BILLED_ENERGY, PH_RU_SERVICED_ENERGY, PH_RU_INTERVAL_MAX_PHYS_FOOTPRINT,
    PH_RU_RUNNABLE_TIME,
    PH_RU_FLAGS,                                   /* v5 */
    PH_RU_USER_PTIME, PH_RU_SYSTEM_PTIME, PH_RU_PINSTRUCTIONS, PH_RU_PCYCLES,
    PH_RU_ENERGY_NJ, PH_RU_PENERGY_NJ,             /* v6 */
    PH_RU_NFIELDS
};
#define PH_RU_OFFSET(f) (16 + 8 * (size_t)(f))
#define PH_RU_V4_SIZE 296
#define PH_RU_V6_SIZE 464
#define PH_RUSAGE_V4 4
#define PH_RUSAGE_V6 6

/* struct proc_taskinfo (96 bytes). */
#define PH_PTI_VIRTUAL_SIZE 0
#define PH_PTI_RESIDENT_SIZE 8
#define PH_PTI_TOTAL_USER 16
#define PH_PTI_TOTAL_SYSTEM 24
#define PH_PTI_FAULTS 52
#define PH_PTI_PAGEINS 56
#define PH_PTI_COW_FAULTS 60
#define PH_PTI_MESSAGES_SENT 64
#define PH_PTI_MESSAGES_RECEIVED 68
#define PH_PTI_SYSCALLS_MACH 72
#define PH_PTI_SYSCALLS_UNIX 76
#define PH_PTI_CSW 80
#define PH_PTI_THREADNUM 84
#define PH_PTI_NUMRUNNING 88
#define PH_PTI_PRIORITY 92
#define PH_PTI_SIZE 96

/* struct proc_bsdshortinfo (64 bytes). */
#define PH_PBSI_PID 0
#define PH_PBSI_PPID 4
#define PH_PBSI_STATUS 12
#define PH_PBSI_COMM 16
#define PH_PBSI_COMM_LEN 16
#define PH_PBSI_UID 36
#define PH_PBSI_RUID 44
#define PH_PBSI_SIZE 64

/* Private flavors of proc_pidinfo, with their structs (xnu proc_info.h). */
#define PH_PROC_PIDUNIQIDENTIFIERINFO 17
#define PH_UNIQID_SIZE 56           /* p_uuid[16], p_uniqueid, p_puniqueid, ... */
#define PH_UNIQID_UNIQUEID 16
#define PH_PROC_PIDCOALITIONINFO 20
#define PH_COALITION_SIZE 40        /* uint64_t id[2]; uint64_t reserved[3] */

typedef struct ph_timebase {
    uint32_t numer, denom;
} ph_timebase;

/* ticks * numer / denom without overflowing 64 bits in the product. */
uint64_t ph_darwin_ticks_to_ns(uint64_t ticks, ph_timebase tb);

/* The timebase the counters are in. Under Rosetta mach_timebase_info
 * answers 1/1 while the kernel's counters stay in native ticks: derive it
 * from hw.tbfrequency (Hz) instead. A zero or absurd input falls back to
 * 1/1 (Intel). */
ph_timebase ph_darwin_timebase(uint32_t numer, uint32_t denom, int translated,
                               uint64_t tb_freq_hz);

/* Whether rows read with rusage `flavor` carry measured energy
 * (ri_energy_nj): only v6 on arm64. Decided per flavor actually read, so a
 * fallback to v4 turns it off for the coalitions too. */
int ph_darwin_energy_measured(int arm64, int flavor);

/* The `arg` to pass proc_pidinfo for `flavor`: xnu proc_info.c looks up
 * zombies for TBSDINFO (3), T_SHORTBSDINFO (13), UNIQIDENTIFIERINFO (17)
 * and T_BSDINFOWITHUNIQID (18) only when arg != 0; other flavors ignore it. */
uint64_t ph_darwin_pidinfo_arg(int flavor);

/* Which rusage flavor to try after `flavor` failed with errno `err`:
 * V6 -> V4 on EINVAL (kernels before macOS 13); else -1 (give up). */
int ph_darwin_rusage_fallback(int flavor, int err);

typedef struct ph_darwin_ru {
    uint64_t start_abstime; /* ri_proc_start_abstime, ticks */
    uint64_t quick_sig;     /* moves whenever the process ran or did I/O */
} ph_darwin_ru;

/* Map a rusage buffer (len: PH_RU_V4_SIZE, or PH_RU_V6_SIZE for v6) into
 * metrics. energy_nj is ri_energy_nj, and only when energy_v6 (native arm64
 * with v6); otherwise it is left out (NULL). ri_billed_energy (energy other
 * tasks spent on this one's behalf) goes to energy_billed_nj only. wakeups
 * is ri_interrupt_wkups: package-idle wakeups are a subset of it. Returns 0,
 * -1 on a short buffer. */
int ph_darwin_rusage(const void *buf, size_t len, ph_timebase tb, int energy_v6,
                     ph_values *out, ph_darwin_ru *ru);

/* Map a proc_taskinfo buffer. Its int32 counters saturate at INT32_MAX: a
 * saturated (or negative) one is left out, so it yields no delta rather than
 * a wrong one. */
int ph_darwin_taskinfo(const void *buf, size_t len, ph_values *out);

typedef struct ph_darwin_bsd {
    int32_t pid, ppid;
    int64_t uid;     /* real uid */
    uint32_t status; /* pbsi_status: p_stat (SIDL 1, SRUN 2, SSTOP 4, SZOMB 5) */
    char comm[PH_PBSI_COMM_LEN + 1];
} ph_darwin_bsd;
/* The state letter of a process: xnu never sets SSLEEP, every live process
 * is SRUN, so running vs sleeping comes from pti_numrunning (as htop's
 * darwin/DarwinProcess.c does): 'R' with a running thread, else 'S'; 'I'
 * new, 'T' stopped, 'Z' zombie, '?' unknown status. numrunning < 0 (task
 * info refused) leaves an SRUN process's state unknown: returns 0. */
char ph_darwin_state(uint32_t pbsi_status, int64_t numrunning);
int ph_darwin_bsdshort(const void *buf, size_t len, ph_darwin_bsd *out);

int ph_darwin_uniqueid(const void *buf, size_t len, uint64_t *id);
int ph_darwin_coalition(const void *buf, size_t len, uint64_t *resource_id);

/* struct coalition_resource_usage (coalition_info_resource_usage, private
 * in libsystem_kernel): all uint64_t, in this order: tasks_started,
 * tasks_exited, time_nonempty, cpu_time (Mach ticks), interrupt_wakeups,
 * platform_idle_wakeups, bytesread, byteswritten, gpu_time, cpu_time_billed_to_me,
 * cpu_time_billed_to_others, energy (nJ), ... 280 bytes on macOS 11/12, 296 on
 * 13. We read the first 12 fields. */
#define PH_CRU_MIN_SIZE 96
#define PH_CRU_BUF_SIZE 512
/* Convert one record; energy is taken only when the per-process rows also
 * carry measured energy (energy_v6), so the two compare. 0, or -1 when
 * the record is too short. */
int ph_darwin_coalition_usage(const void *buf, size_t len, ph_timebase tb, int energy_v6,
                              ph_coalition_usage *out);

/* The OUTERMOST "*.app" directory of an executable path (helpers nested in
 * Foo.app count as Foo): bundle = "/Applications/Foo.app", app = "Foo".
 * Returns 0, or -1 when the path is in no bundle. */
int ph_darwin_bundle(const char *path, char *bundle, size_t blen, char *app, size_t alen);

/* The app a process belongs to, in order: the outermost bundle of its own
 * executable; else that of its responsible process (resp_exe, may be NULL);
 * else its executable's basename; else its command name. Fills bundle
 * (empty when none) and app. */
void ph_darwin_app_for(const char *exe, const char *resp_exe, const char *comm,
                       char *bundle, size_t blen, char *app, size_t alen);

/* ---- SoC energy, GPU states and per-process GPU time (Apple Silicon) ----
 * IOReport (src/platform/darwin/ioreport.c) hands over channel names, unit
 * labels, values and state residencies; the AGX user clients their creator
 * strings and accumulated GPU times. These turn them into our units. */

/* An "Energy Model" channel's power domain: "CPU Energy" (and an Ultra's
 * "DIE_n_CPU Energy") is the CPU cores, "GPU Energy" the GPU, "ANE..." the
 * neural engine, "DRAM..." the memory; PH_PWR_DOMAINS for the rest. */
enum ph_power_domain ph_soc_energy_domain(const char *channel);
/* A value in its channel's unit label ("mJ", "uJ", "nJ", surrounding
 * whitespace ignored, as macmon, mactop and stats trim it) in nJ; -1 for an
 * unknown unit or a negative value (a reset across sleep). */
int64_t ph_soc_energy_nj(int64_t value, const char *unit);
/* The GPU's frequency table from pmgr's "voltage-states9": (Hz, voltage)
 * pairs of little-endian uint32; the first pair is not a GPU state and is
 * skipped. Fills up to max MHz values; returns how many. */
int ph_soc_gpu_freqs(const void *data, size_t len, uint32_t *mhz, int max);
/* "GPU Stats" / GPUPH residencies over an interval: busy (per mille) is the
 * time outside OFF, IDLE and DOWN; the average clock weights the i-th
 * active state by the i-th frequency (mhz may be NULL: avg_mhz -1). 0, or
 * -1 when no time was recorded. */
int ph_soc_gpu_busy(const char *const *names, const int64_t *residency, int n, const uint32_t *mhz,
                    int nmhz, int64_t *busy_permille, int64_t *avg_mhz);
/* "pid 682, WindowServer" (IOUserClientCreator) -> 682; -1 when malformed. */
int32_t ph_agx_creator_pid(const char *s);

/* Per-process GPU time from AGX user clients: each client's
 * accumulatedGPUTime only grows until the client goes. A client is its
 * registry entry id: a new id (or an id now created by another pid) counts
 * whole; a value below the last one of the same entry is a new baseline,
 * not new time (crediting it again in full would double it). Per pid, the
 * sum of those increments only grows, so the tracker sees a counter. */
typedef struct ph_agx_client {
    uint64_t id;
    int32_t pid;
    int64_t last;
    int seen;
} ph_agx_client;
typedef struct ph_agx_pid {
    int32_t pid;
    int64_t total;
    int clients;
} ph_agx_pid;
typedef struct ph_agx {
    ph_agx_client *c;
    size_t nc, capc;
    ph_agx_pid *p; /* sorted by pid */
    size_t np, capp;
} ph_agx;
void ph_agx_begin(ph_agx *a); /* a scan starts */
void ph_agx_note(ph_agx *a, uint64_t client, int32_t pid, int64_t gpu_ns);
void ph_agx_end(ph_agx *a);   /* clients not seen are gone; pids without clients forgotten */
int64_t ph_agx_total(const ph_agx *a, int32_t pid); /* -1: no client */
void ph_agx_free(ph_agx *a);

/* The reader itself (src/platform/darwin/ioreport.c, macOS only): open
 * fails with a one-line reason when something it needs is missing. */
typedef struct ph_soc ph_soc;
int ph_soc_open(ph_soc **out, char *why, size_t len);
int ph_soc_sample(ph_soc *s);                     /* once per recorder sample */
void ph_soc_power(const ph_soc *s, ph_power *out); /* energy zones, GPU busy and MHz */
void ph_soc_gpu_scan(ph_soc *s);                  /* the AGX clients, once per sample */
int64_t ph_soc_gpu_ns(const ph_soc *s, int32_t pid); /* cumulative; -1 none */
void ph_soc_close(ph_soc *s);
/* For `prochist doctor`: the subscribed channels as "group/name (unit)",
 * comma-separated (truncated to len); returns how many there are. */
int ph_soc_describe(ph_soc *s, char *buf, size_t len);
/* AGX user clients and distinct pids seen by the last ph_soc_gpu_scan. */
void ph_soc_gpu_counts(const ph_soc *s, size_t *clients, size_t *pids);

#endif
