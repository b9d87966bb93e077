/*
 * ph_metrics.h: the per-process metrics prochist records, in one table.
 *
 * Every metric is either a COUNTER (cumulative in the source; stored as the
 * delta over the interval a row covers) or a GAUGE (stored as the value seen
 * at the sample). The column name carries the unit. A platform that has no
 * source for a metric leaves it unset and the database stores NULL, never 0.
 *
 * The order here is the column order of proc_sample (schema/001_init.sql); a
 * unit test checks that the two agree, so adding a metric means adding it
 * here and in a new migration.
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
    X(THREADS,              "threads",              PH_GAUGE)

enum ph_metric {
#define PH_M_ENUM(id, col, kind) PH_M_##id,
    PH_METRICS(PH_M_ENUM)
#undef PH_M_ENUM
    PH_METRIC_COUNT
};

_Static_assert(PH_METRIC_COUNT <= 64, "metric masks are 64-bit");

typedef uint64_t ph_mask;
#define PH_BIT(m) ((ph_mask)1 << (m))

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
