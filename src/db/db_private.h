/*
 * db_private.h: what the files of src/db/ share and nobody else sees (the
 * unit tests excepted, which inspect the file they write). The contract is
 * include/ph_db.h.
 */
#ifndef PH_DB_PRIVATE_H
#define PH_DB_PRIVATE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "ph_db.h"

sqlite3 *ph_store_db(ph_store *s);
/* Run SQL text on the store's handle (its first error kept, as for every
 * statement): for the store's own files and the unit tests. */
int ph_store_exec(ph_store *s, const char *sql);
/* How many processes the store keeps the app of in memory (for tests: it
 * must not grow with every process ever written). */
size_t ph_store_procs_cached(const ph_store *s);
/* "<message> (SQLITE_FULL, extended code 13; errno 28: ...)" of db's last error. */
void ph_store_describe_error(sqlite3 *db, char *buf, size_t len);

/* The first column of the first row of sql (with ?1 bound to arg when sql
 * has it): 1 with the value in *out, 0 when there is no row or it is NULL
 * (*out unchanged), -1 on an error (sqlite3_errcode(db) says which). */
int ph_sql_int(sqlite3 *db, const char *sql, int64_t arg, int64_t *out);
/* The same, dflt when there is no value or on an error. */
int64_t ph_sql_int_or(sqlite3 *db, const char *sql, int64_t arg, int64_t dflt);
/* "<file> is inconsistent: process PROC has samples but no process row",
 * with what to do ('sqlite3 <file> .recover'), as the other corruption
 * messages say; the file is the connection's own. */
void ph_db_no_process_row(sqlite3 *db, int64_t proc, char *err, size_t errlen);

/* The metric columns, in PH_METRICS order, as string literals: ", cpu_user_ns,
 * cpu_system_ns, ..." and as many ", ?" (an unnumbered parameter takes the
 * number after the highest before it, so they follow ?1..?N written out). */
#define PH_DB_COL_(id, col, kind) ", " col
#define PH_DB_PARAM_(id, col, kind) ", ?"
#define PH_METRIC_COLS PH_METRICS(PH_DB_COL_)
#define PH_METRIC_PARAMS PH_METRICS(PH_DB_PARAM_)
#define PH_DB_RCOL_(id, col, kind) ", r." col
#define PH_RESUME_COLS PH_METRICS(PH_DB_RCOL_) /* the same, of the table aliased r */

/* ", col, ..." into cols and ", ?N, ..." into params (N = first + the
 * metric's number) for each metric in `stored`, in PH_METRICS order: the
 * metric part of an INSERT that names only a table's stored columns. */
struct ph_buf;
void ph_metric_insert_cols(struct ph_buf *cols, struct ph_buf *params, ph_mask stored, int first);

/* t rounded down to a multiple of w (w > 0), also for negative t. */
int64_t ph_floor_to(int64_t t, int64_t w);

/*
 * THE TIERS. One descriptor per tier: its geometry (bucket width, keyframe
 * rule: every live process has a row in each keyframe period), the tables
 * that hold it (schema/001_init.sql, schema/003_rollups.sql), the finer
 * tier it is rolled up from and the meta keys that mark how far it is
 * rolled up and pruned, and how long it is kept. Rollup, query planning and status read this one
 * table.
 */
typedef struct ph_tier_desc {
    const char *name;
    int64_t width_ns;    /* bucket width; 0 for raw */
    int64_t keyframe_ns; /* every live process has a row at least this often */
    int64_t use_from_ns; /* the shortest span worth reading this tier for */
    const char *procs, *apps, *samples; /* tables: per process, per app (NULL raw), per sample/bucket */
    const char *time_col;               /* the samples table's time: ts_ns, or bucket_ns (start) */
    enum ph_tier from;                  /* rolled up from (raw: itself) */
    int done_key, pruned_key, retain_key; /* enum ph_meta_key, -1 none */
} ph_tier_desc;
extern const ph_tier_desc ph_tiers[PH_TIER_COUNT];

/*
 * THE STORE'S INSIDES. struct ph_store is shared by the files that write
 * one sample (store*.c; what each owns is said at its top); nothing outside
 * them touches its fields.
 */
#include "ph_util.h"

/* Per-app sums of the current sample, flushed into app_total with it. */
typedef struct ph_app_acc {
    char *app;
    ph_values sum; /* the app_sum metrics of this sample's rows */
} ph_app_acc;

struct ph_store {
    sqlite3 *db;
    enum ph_store_mode mode;
    int version;          /* user_version as opened (after migrations) */
    char path[PH_PATH_MAX];
    char first_err[512];  /* the first failure since ph_store_err_clear, as it was */
    /* store_sample.c: the sample, its rows, process identities, resume. */
    sqlite3_stmt *ins_proc, *add_proc, *upd_proc, *upd_gone, *ins_row, *ins_sample, *put_state, *del_state;
    sqlite3_stmt *bump_samples;
    /* Which process rows can have a resume row (see sink_proc_gone): every
     * proc id up to before_tick existed before this sample began; of the
     * ones above it, those in new_state got one in this sample. */
    int64_t max_proc, before_tick;
    ph_imap new_state;
    /* The process row last written already gone (ph_proc_info.gone), 0 none:
     * its proc_gone has nothing left to update. */
    int64_t born_gone;
    /* ts_ns of the newest sample this handle wrote; 0 none yet (the first
     * sample compares with the rollup marks: see rewind_rollups). */
    int64_t last_ts;
    struct ph_cgstore *cg; /* src/db/cgroup.c's statements */
    /* store_apps.c: app totals, and the app of each process. */
    ph_imap proc_app;     /* proc id -> index in apps */
    /* Processes gone in this sample, and those gone in stored samples whose
     * proc_app entries are still there (forget_gone drops them). */
    int64_t *gone, *dead;
    size_t ngone, capgone, ndead, capdead;
    ph_app_acc *apps;
    size_t napps, capapps;
    ph_imap app_index;    /* hash of app name -> index in apps */
    sqlite3_stmt *app_of, *put_total;
    /* store_power.c: ph_store_put_power. */
    sqlite3_stmt *power_head, *power_zone, *power_trim;
    /* store_coalitions.c */
    int had_coalitions;   /* coalition_state may hold rows to replace */
    /* store.c: the metric columns each tier's per-process table stores
     * (pragma table_xinfo hidden = 0), read when opened for writing; the
     * others are virtual, always NULL (docs/schema.md) */
    ph_mask stored[PH_TIER_COUNT];
};

/* Step a prepared write to its end and make it ready for the next: 0 when
 * it ran to SQLITE_DONE, else -1 (the error stays on the connection). */
static inline int ph_step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* ph_store_open, for a recorder whose rows carry the metrics in `metrics`
 * (ph_store_open passes ph_platform_stored_metrics()): a new database
 * stores exactly those metric columns in its per-process tiers, the rest
 * virtual; an existing one that cannot store one of them is refused. For
 * the unit tests that play another platform. */
int ph_store_open_as(const char *path, enum ph_store_mode mode, ph_mask metrics, ph_store **out, char *err,
                     size_t errlen);
/* The metric columns tier t's per-process table stores (writers only). */
ph_mask ph_store_stored(const ph_store *s, enum ph_tier t);
/* The metrics in `have` that tier t cannot store, named in err: 0 when
 * none (then err is untouched), else -1. */
int ph_store_check_storable(const ph_store *s, enum ph_tier t, ph_mask have, char *err, size_t errlen);

/* The statements each file prepares once, when a store opens for writing
 * (finalized by ph_store_close). 0 or -1. */
int ph_store_prepare_sample(ph_store *s); /* store_sample.c */
int ph_store_prepare_apps(ph_store *s);   /* store_apps.c */
int ph_store_prepare_power(ph_store *s);  /* store_power.c */

/* store_apps.c, called by the sink (store_sample.c): proc is of app (a new
 * or renamed process); proc is gone in this sample; a row's counters added
 * to its app's sums of this sample. */
void ph_store_app_of(ph_store *s, int64_t proc, const char *app);
void ph_store_app_gone(ph_store *s, int64_t proc);
void ph_store_app_add(ph_store *s, const ph_row *row);
/* The sample's app sums into app_total (last_ns ts), then a fresh start for
 * the next sample (ph_store_tick_begin). 0 or -1. */
int ph_store_flush_apps(ph_store *s, int64_t ts);
void ph_store_free_apps(ph_store *s);

#include "ph_cgroup.h"

/* Storage (src/db/cgroup.c, schema/013_cgroups.sql): the process row's
 * reference to the cgroup row of these paths, the row inserted with its keys
 * the first time the pair is seen. *cs holds prepared statements (created on
 * first use, freed by ph_cgstore_free before the database closes). 0 or -1
 * (the statement's error stays on db). */
struct ph_cgstore;
int ph_cgstore_put(struct ph_cgstore **cs, sqlite3 *db, long long proc, const ph_cgroup *cg);
void ph_cgstore_free(struct ph_cgstore *cs);

#endif
