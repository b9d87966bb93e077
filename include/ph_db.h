/*
 * ph_db.h: the database, the one contract of src/db/.
 *
 * Everything that speaks SQL lives in src/db/; the rest of the program calls
 * the typed functions declared here and in the three parts this header
 * includes:
 *   ph_store.h   opening, migrating, the recorder's writes (src/db/store*.c)
 *   ph_rollup.h  retention tiers: rolling up, pruning (src/db/rollup.c)
 *   ph_query.h   windows over any tier (src/db/replay.c, approws.c, plan.c)
 * and, below, the meta table (src/db/meta.c) and the small reads the
 * commands need (src/db/reads.c). No sqlite3 handle leaves the module: the
 * tests reach it through src/db/db_private.h.
 */
#ifndef PH_DB_H
#define PH_DB_H

#include <stddef.h>
#include <stdint.h>

#include "ph_query.h"
#include "ph_rollup.h"
#include "ph_store.h"

/* Windows of `width` over (since, until] (multiples of width), each with
 * the figures ph_query_window_metrics(..., want, PH_Q_APPS_ONLY) gives that
 * window alone: its samples, covered time and system sums, and, where it
 * has samples, each app's counters of PH_APP_METRICS and memory peak (a
 * window without samples may differ in the values carried into it across
 * a sleep); fn gets them in order. A run of windows a rollup tier holds whole is
 * read in one pass over the coarsest such tier's app rows, whichever tier
 * the plan would choose for one window (the tiers agree on whole buckets:
 * each is built by the engine from the finer one, src/db/rollup.c); the
 * rest are asked one by one. Unlike that call, a window's apps carry only
 * those figures (no per-process lists, no other metrics: a per-process
 * energy estimate is not in the app rows). With a cgroup key in flags
 * (PH_Q_BY_UNIT ...), the key's groups instead of apps, from the hour
 * tier's group rows where they were written. 0, or -1 with err. */
int ph_query_rollup_app_buckets(ph_store *s, int64_t since, int64_t until, int64_t width, ph_mask want, int flags,
                                int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx, char *err,
                                size_t errlen);

/*
 * The meta table: key/value bookkeeping (schema/001_init.sql, documented in
 * docs/schema.md). One list of the keys, with what each holds; a key is
 * named by its enum, never by a string at the caller.
 */
#define PH_META_KEYS(X)                                                                          \
    X(SAMPLES_TOTAL, "samples_total")             /* samples ever written (counter) */            \
    X(MINUTE_DONE, "minute_done")                 /* end of the last rolled-up minute bucket */   \
    X(HOUR_DONE, "hour_done")                     /* end of the last rolled-up hour bucket */     \
    X(RAW_PRUNED_TO, "raw_pruned_to")             /* raw rows at or before it are deleted */      \
    X(MINUTE_PRUNED_TO, "minute_pruned_to")       /* minute rows at or before it are deleted */   \
    X(RETAIN_RAW_NS, "retain_raw_ns")             /* retention of each tier, ns */                \
    X(RETAIN_MINUTE_NS, "retain_minute_ns")                                                       \
    X(RETAIN_HOUR_NS, "retain_hour_ns")                                                           \
    X(MAX_DB_BYTES, "max_db_bytes")               /* size cap; 0 none */                          \
    X(POWER_NOTE, "power_note")                   /* what the recorder found of power sources */  \
    X(EXIT_MODE, "exit_mode")                     /* how exits are recorded */                    \
    X(RECORDER_PRIVILEGED, "recorder_privileged") /* "1" when the newest recorder ran as root */ \
    X(GROUP_HOUR_FROM, "group_hour_from")         /* first hour bucket with group rows */ \
    X(USER_HOUR_FROM, "user_hour_from")           /* first hour bucket with user rows */ \
    X(APP_HOUR_WIDE_FROM, "app_hour_wide_from")   /* first hour bucket whose app rows sum every counter */ \
    X(APP_MINUTE_WIDE_FROM, "app_minute_wide_from") /* first minute bucket whose app rows sum children's CPU, ... */

enum ph_meta_key {
#define PH_META_ENUM(id, key) PH_META_##id,
    PH_META_KEYS(PH_META_ENUM)
#undef PH_META_ENUM
    PH_META_COUNT
};

const char *ph_meta_name(enum ph_meta_key k);
/* 1 found (value in *v / buf), 0 absent, -1 error. A text read of an
 * absent key leaves buf "". */
int ph_meta_get_int(ph_store *s, enum ph_meta_key k, int64_t *v);
int ph_meta_get_text(ph_store *s, enum ph_meta_key k, char *buf, size_t len);
/* 0 or -1 (the store's error kept, see ph_store_errmsg). */
int ph_meta_set_int(ph_store *s, enum ph_meta_key k, int64_t v);
int ph_meta_set_text(ph_store *s, enum ph_meta_key k, const char *v);

/* `prochist status`: the database at a glance. */
typedef struct ph_db_status {
    int64_t version;                  /* PRAGMA user_version */
    int64_t last_ts;                  /* newest sample, 0 none */
    int64_t last_procs, last_denied;  /* of the newest sample, -1 none */
    int64_t cadence_ns;               /* shortest gap of the newest 5 samples, 0 none */
    int64_t exit_rows;                /* exit records among raw rows */
    int64_t retain_ns[PH_TIER_COUNT]; /* 0 unknown */
    int64_t max_db_bytes;             /* 0 none */
    struct {
        int64_t rows, from_ns, to_ns; /* from/to 0: none */
    } tier[PH_TIER_COUNT];
    char exit_mode[256];              /* "" unknown */
} ph_db_status;
void ph_db_status_read(ph_store *s, ph_db_status *st);

/* A process row's pid and name (proc: its id in the database). 1 found,
 * 0 not (name ""). */
int ph_db_process_who(ph_store *s, int64_t proc, int32_t *pid, char *name, size_t len);

/* app_total: each app's counters since recording began (NULL: < 0). */
typedef struct ph_app_total {
    char *app;
    int64_t cpu_ns, disk_read_bytes, disk_write_bytes;
    int64_t energy_nj, wakeups, energy_est_nj, gpu_ns; /* < 0: not measured */
} ph_app_total;
/* *out malloc'd; free with ph_db_app_totals_free. 0 or -1 with a message. */
int ph_db_app_totals(ph_store *s, ph_app_total **out, size_t *n, char *err, size_t errlen);
void ph_db_app_totals_free(ph_app_total *t, size_t n);

/* The recorder's health for the exporter: all 0 when there is no sample. */
typedef struct ph_db_health {
    int64_t samples_total, last_ts, last_procs, last_denied;
} ph_db_health;
void ph_db_health_read(ph_store *s, ph_db_health *h);

/* A process row's cgroup keys (schema/013_cgroups.sql, include/ph_cgroup.h):
 * malloc'd strings, NULL when the process has no cgroup recorded (or the
 * database predates the table). container is the short id. The processes of
 * one cgroup share one copy of its strings (path never NULL where there are
 * keys): free them only with ph_db_cgkeys_free, over the whole array. */
typedef struct ph_db_cgkeys {
    char *unit, *slice, *container, *container_id, *path;
} ph_db_cgkeys;
/* The keys of procs[0..n) into out[0..n) (same order; zeroed first). One
 * read of the cgroup table and one read-only pass over the process rows
 * between the smallest and largest id (bound), not a query per process.
 * 0, or -1 with a message. */
int ph_db_cgroup_keys(ph_store *s, const int64_t *procs, size_t n, ph_db_cgkeys *out, char *err,
                      size_t errlen);
void ph_db_cgkeys_free(ph_db_cgkeys *k, size_t n);

#endif
