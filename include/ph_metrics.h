/*
 * ph_metrics.h: the per-process metrics prochist records, in one table.
 *
 * Every metric is either a COUNTER (cumulative in the source; stored as the
 * delta over the interval a row covers) or a GAUGE (stored as the value seen
 * at the sample). The column name carries the unit. A platform that has no
 * source for a metric leaves it unset and the database stores NULL, never 0.
 *
 * The order here is the column order of proc_sample and resume (schema 1,
 * then the columns each later migration appends); a unit test checks that
 * the two agree, so adding a metric means appending it here and adding the
 * column in a new migration. STATE is the process state as an ASCII letter
 * (R running, S sleeping, D disk wait, T stopped, Z zombie, I idle/new).
 */
#ifndef PH_METRICS_H
#define PH_METRICS_H

#include <stdint.h>

enum ph_metric_kind { PH_COUNTER, PH_GAUGE };

/* X(enum suffix, column, kind) */
#define PH_METRICS(X)                                                        \
    X(CPU_USER_NS,          "cpu_user_ns",          PH_COUNTER)              \
    X(CPU_SYSTEM_NS,        "cpu_system_ns",        PH_COUNTER)              \
    X(RUNNABLE_NS,          "runnable_ns",          PH_COUNTER)              \
    X(FAULTS_MINOR,         "faults_minor",         PH_COUNTER)              \
    X(FAULTS_MAJOR,         "faults_major",         PH_COUNTER)              \
    X(CTXSW_VOLUNTARY,      "ctxsw_voluntary",      PH_COUNTER)              \
    X(CTXSW_INVOLUNTARY,    "ctxsw_involuntary",    PH_COUNTER)              \
    X(DISK_READ_BYTES,      "disk_read_bytes",      PH_COUNTER)              \
    X(DISK_WRITE_BYTES,     "disk_write_bytes",     PH_COUNTER)              \
    X(SYSCALL_READ_BYTES,   "syscall_read_bytes",   PH_COUNTER)              \
    X(SYSCALL_WRITE_BYTES,  "syscall_write_bytes",  PH_COUNTER)              \
    X(SYSCALLS_READ,        "syscalls_read",        PH_COUNTER)              \
    X(SYSCALLS_WRITE,       "syscalls_write",       PH_COUNTER)              \
    X(WAKEUPS,              "wakeups",              PH_COUNTER)              \
    X(ENERGY_NJ,            "energy_nj",            PH_COUNTER)              \
    X(RESIDENT_BYTES,       "resident_bytes",       PH_GAUGE)                \
    X(RESIDENT_ANON_BYTES,  "resident_anon_bytes",  PH_GAUGE)                \
    X(RESIDENT_FILE_BYTES,  "resident_file_bytes",  PH_GAUGE)                \
    X(RESIDENT_SHMEM_BYTES, "resident_shmem_bytes", PH_GAUGE)                \
    X(FOOTPRINT_BYTES,      "footprint_bytes",      PH_GAUGE)                \
    X(PEAK_RESIDENT_BYTES,  "peak_resident_bytes",  PH_GAUGE)                \
    X(VIRTUAL_BYTES,        "virtual_bytes",        PH_GAUGE)                \
    X(THREADS,              "threads",              PH_GAUGE)                \
    /* schema 2: the rest of the macOS sources, and Linux scheduling */     \
    X(CPU_QOS_DEFAULT_NS,          "cpu_qos_default_ns",          PH_COUNTER) \
    X(CPU_QOS_MAINTENANCE_NS,      "cpu_qos_maintenance_ns",      PH_COUNTER) \
    X(CPU_QOS_BACKGROUND_NS,       "cpu_qos_background_ns",       PH_COUNTER) \
    X(CPU_QOS_UTILITY_NS,          "cpu_qos_utility_ns",          PH_COUNTER) \
    X(CPU_QOS_LEGACY_NS,           "cpu_qos_legacy_ns",           PH_COUNTER) \
    X(CPU_QOS_USER_INITIATED_NS,   "cpu_qos_user_initiated_ns",   PH_COUNTER) \
    X(CPU_QOS_USER_INTERACTIVE_NS, "cpu_qos_user_interactive_ns", PH_COUNTER) \
    X(BILLED_SYSTEM_NS,            "billed_system_ns",            PH_COUNTER) \
    X(SERVICED_SYSTEM_NS,          "serviced_system_ns",          PH_COUNTER) \
    X(WAKEUPS_PKG_IDLE,            "wakeups_pkg_idle",            PH_COUNTER) \
    X(WAKEUPS_INTERRUPT,           "wakeups_interrupt",           PH_COUNTER) \
    X(PAGEINS,                     "pageins",                     PH_COUNTER) \
    X(FAULTS_TOTAL,                "faults_total",                PH_COUNTER) \
    X(FAULTS_COW,                  "faults_cow",                  PH_COUNTER) \
    X(LOGICAL_WRITE_BYTES,         "logical_write_bytes",         PH_COUNTER) \
    X(INSTRUCTIONS,                "instructions",                PH_COUNTER) \
    X(CYCLES,                      "cycles",                      PH_COUNTER) \
    X(ENERGY_BILLED_NJ,            "energy_billed_nj",            PH_COUNTER) \
    X(CTXSW_TOTAL,                 "ctxsw_total",                 PH_COUNTER) \
    X(SYSCALLS_MACH,               "syscalls_mach",               PH_COUNTER) \
    X(SYSCALLS_UNIX,               "syscalls_unix",               PH_COUNTER) \
    X(MESSAGES_SENT,               "messages_sent",               PH_COUNTER) \
    X(MESSAGES_RECEIVED,           "messages_received",           PH_COUNTER) \
    X(WIRED_BYTES,                 "wired_bytes",                 PH_GAUGE)   \
    X(FOOTPRINT_LIFETIME_MAX_BYTES,"footprint_lifetime_max_bytes",PH_GAUGE)   \
    X(FOOTPRINT_INTERVAL_MAX_BYTES,"footprint_interval_max_bytes",PH_GAUGE)   \
    X(THREADS_RUNNING,             "threads_running",             PH_GAUGE)   \
    X(PRIORITY,                    "priority",                    PH_GAUGE)   \
    X(NICE,                        "nice",                        PH_GAUGE)   \
    X(STATE,                       "state",                       PH_GAUGE)   \
    /* schema 4: reaped children, credited to the parent that waited */     \
    X(CHILD_CPU_USER_NS,           "child_cpu_user_ns",           PH_COUNTER) \
    X(CHILD_CPU_SYSTEM_NS,         "child_cpu_system_ns",         PH_COUNTER) \
    X(CHILD_FAULTS_MINOR,          "child_faults_minor",          PH_COUNTER) \
    X(CHILD_FAULTS_MAJOR,          "child_faults_major",          PH_COUNTER) \
    X(CHILD_WAKEUPS,               "child_wakeups",               PH_COUNTER) \
    X(CHILD_PAGEINS,               "child_pageins",               PH_COUNTER) \
    /* schema 6: the package energy of an interval split by CPU share */    \
    X(ENERGY_EST_NJ,               "energy_est_nj",               PH_COUNTER) \
    /* schema 7: GPU time (Linux DRM fdinfo engines, summed per client) */  \
    X(GPU_NS,                      "gpu_ns",                      PH_COUNTER)

enum ph_metric {
#define PH_M_ENUM(id, col, kind) PH_M_##id,
    PH_METRICS(PH_M_ENUM)
#undef PH_M_ENUM
    PH_METRIC_COUNT
};

_Static_assert(PH_METRIC_COUNT <= 64, "metric masks are 64-bit");

typedef uint64_t ph_mask;
#define PH_BIT(m) ((ph_mask)1 << (m))
/* Every metric's bit. */
#define PH_ALL_METRICS (PH_METRIC_COUNT >= 64 ? ~(ph_mask)0 : PH_BIT(PH_METRIC_COUNT % 64) - 1)

/* A set of metric values; only those whose bit is in `have` are meaningful. */
typedef struct ph_values {
    int64_t v[PH_METRIC_COUNT];
    ph_mask have;
} ph_values;

static inline void ph_values_set(ph_values *vals, enum ph_metric m, int64_t x)
{
    vals->v[m] = x;
    vals->have |= PH_BIT(m);
}

const char *ph_metric_column(enum ph_metric m);
enum ph_metric_kind ph_metric_kind(enum ph_metric m);
/* Mask of every counter metric. */
ph_mask ph_metric_counters(void);

#endif
