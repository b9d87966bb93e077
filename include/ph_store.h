/*
 * ph_store.h: the SQLite database (format specified in src/db/store.c and
 * schema/NNN_*.sql, documented in docs/schema.md). Implemented by
 * src/db/store.c (opening, migrating, errors), store_sample.c (a sample's
 * writes and the resume state), store_apps.c (app totals), store_power.c
 * (the last power reading) and store_coalitions.c (macOS coalitions).
 */
#ifndef PH_STORE_H
#define PH_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "ph_tracker.h"

typedef struct ph_store ph_store;

#define PH_APPLICATION_ID 0x50484953 /* "PHIS" */
#define PH_KEYFRAME_NS (600LL * 1000000000LL) /* raw keyframes: every 10 minutes */

enum ph_store_mode { PH_STORE_WRITE, PH_STORE_READ };

/* Open (and for WRITE create/migrate) a database. On failure returns -1 with
 * a one-line reason; a foreign, newer or corrupt file is never modified.
 * WRITE runs PRAGMA quick_check on an existing file, makes a file (and its
 * -wal, -shm) that other users could read or write 0600, and refuses a file
 * of another user. READ opens immutable when the directory is not writable,
 * no recorder holds the lock and there is no WAL (nothing can change it). */
int ph_store_open(const char *path, enum ph_store_mode mode, ph_store **out,
                  char *err, size_t errlen);
void ph_store_close(ph_store *s);
/* Before creating anything at PATH: PATH, PATH-wal, PATH-shm and PATH.lock
 * (and PATH-journal) are each absent or a regular file (never a FIFO, device, directory or,
 * for PATH, a symbolic link); checked with lstat, so nothing blocks. PATH
 * must exist when must_exist; without it (writing) each present file,
 * PATH-journal too, must belong to this user. 0, or -1 with a one-line
 * reason. */
int ph_store_check_path(const char *path, int must_exist, char *err, size_t errlen);
/* Can SQLite open PATH at all? Not when it ends in '/', or is longer than
 * SQLite allows (its VFS's mxPathname less 8, for the absolute path; 504
 * bytes by default). ph_store_check_path checks it too. 0, or -1 with a
 * one-line reason; creates nothing. */
int ph_store_check_name(const char *path, char *err, size_t errlen);
/* Does a recorder hold "<db>.lock"? (its pid in *pid, 0 unknown) */
int ph_store_recorder_running(const char *db, long *pid);
const char *ph_store_path(ph_store *s);
int ph_store_schema_version(void);
/* The read-only query tool also reads databases from this schema on, so it
 * keeps working while a recorder started before an upgrade still writes
 * (only what the newer schemas added is missing); older ones are upgraded
 * by running the recorder once. */
#define PH_SCHEMA_READ_MIN 11
/* The schema version of the database as opened. */
int ph_store_version(ph_store *s);
/* Migration SQL compiled into the binary. */
extern const char *const ph_schema_sql[];
extern const int ph_schema_count;

/* A sample's writes as one transaction: begin takes the write lock
 * (BEGIN IMMEDIATE), commit ends it; on a failure, ph_store_rollback. */
int ph_store_begin(ph_store *s);
int ph_store_commit(ph_store *s);
/* Reads in one snapshot (the query tool): until ph_store_read_end, no
 * read sees what a recorder commits meanwhile. The query functions' own
 * snapshots join it. */
void ph_store_read_begin(ph_store *s);
void ph_store_read_end(ph_store *s);
/* Error text of the FIRST failure since ph_store_err_clear (sqlite3's
 * message, code name, extended code, and errno for system errors), not of
 * the ROLLBACK that followed it. */
const char *ph_store_errmsg(ph_store *s);
void ph_store_err_clear(ph_store *s);
/* Copy the WAL back and truncate it (and the file, after a vacuum), without
 * waiting: with a reader in the way, as much as it can. */
void ph_store_checkpoint(ph_store *s);
/* Keep the failing statement's error, then roll back if a transaction is open. */
void ph_store_rollback(ph_store *s);
/* A read failed: which file, and for corruption how to recover it. */
void ph_store_read_error(ph_store *s, char *err, size_t errlen);

/* Recorder side. */
int ph_store_boot(ph_store *s, const char *uuid, int64_t boot_wall_ns, int64_t *boot);

typedef struct ph_last_sample {
    int64_t sample;  /* 0 when the database has none */
    int64_t ts_ns;
    int64_t boot;
    int64_t boot_ns;
} ph_last_sample;
int ph_store_last_sample(ph_store *s, ph_last_sample *out);

/*
 * The system sums of a sample: columns of sample, sample_minute and
 * sample_hour that rollups and queries add up (NULL: not measured). One
 * list, in this order, for every statement that names them.
 *   energy_<domain>_nj  energy of each power domain in the interval
 *   cpu_capacity_ns     CPU time all CPUs had in the interval
 *   gpu_busy_ns         GPU busy time (busy fraction x interval)
 *   gpu_mcycles         GPU clock x interval (MHz x s): average MHz = mcycles / (covered s)
 *   gpu_covered_ns      the interval, when a GPU gauge was read
 */
#define PH_SYS_COLS                                                                              \
    "energy_package_nj, energy_core_nj, energy_uncore_nj, energy_dram_nj, energy_psys_nj,"     \
    " energy_gpu_nj, energy_ane_nj, cpu_capacity_ns, gpu_busy_ns, gpu_mcycles, gpu_covered_ns"
#define PH_SYS_N (PH_PWR_DOMAINS + 4)
extern const char *const ph_sys_col[PH_SYS_N];
typedef union ph_sys {
    struct {
        int64_t energy_nj[PH_PWR_DOMAINS];
        int64_t cpu_capacity_ns;
        int64_t gpu_busy_ns, gpu_mcycles, gpu_covered_ns;
    };
    int64_t v[PH_SYS_N];
} ph_sys;
_Static_assert(sizeof(ph_sys) == PH_SYS_N * sizeof(int64_t), "ph_sys is its array");
void ph_sys_unknown(ph_sys *s);                      /* all -1 */
void ph_sys_add(ph_sys *to, const ph_sys *from);     /* sum, -1 + -1 = -1 */

typedef struct ph_sample_row {
    int64_t sample, ts_ns, boot, boot_ns, interval_ns; /* interval_ns < 0: NULL */
    int keyframe, procs, procs_denied, rows;
    int64_t recorder_cpu_ns; /* < 0: NULL */
    ph_sys sys;              /* < 0: NULL */
} ph_sample_row;

/* Per-sample writing context; the sink writes rows and processes. */
typedef struct ph_store_tick {
    ph_store *store;
    int64_t sample, ts_ns, boot;
    /* Estimated energy: a row's CPU delta times est_energy_nj / est_capacity_ns
     * (both 0: no estimate). */
    int64_t est_energy_nj, est_capacity_ns;
} ph_store_tick;
ph_sink ph_store_sink(ph_store_tick *t);
/* The last power reading, kept with each sample so a restart continues the
 * energy deltas (tables power_prev and power_prev_zone, schema 14). put:
 * 0 or -1 (n outside 0..PH_POWER_ZONES is refused). get: a reading whose
 * zones are not all there, or name a domain this binary does not know,
 * reads as none. */
int ph_store_put_power(ph_store *s, const ph_power *p);
int ph_store_get_power(ph_store *s, ph_power *p); /* 1 found, 0 none, -1 error */
/* Start a sample: forget per-app sums of a sample that was not stored. */
void ph_store_tick_begin(ph_store *s);
int ph_store_add_sample(ph_store *s, const ph_sample_row *row);

/* Retention settings, kept in meta for `prochist status`. */
struct ph_retention;
int ph_store_set_retention(ph_store *s, const struct ph_retention *r);

/* The tracker state of this boot's processes, as of the last stored sample
 * (the store sink keeps it in every sample's transaction); state of other
 * boots is dropped. *out is malloc'd (NULL, 0 when none). */
int ph_store_load_state(ph_store *s, int64_t boot, ph_entry **out, size_t *n);

/* Coalition ledger (macOS; include/ph_coalition.h): saved each sample with
 * coalitions, and loaded at start with the live members of this boot. With
 * saved, the ledger the database holds now, only what differs from it is
 * written; without (NULL), the boot's rows are replaced whole. */
struct ph_ledger;
int ph_store_put_coalitions(ph_store *s, int64_t boot, const struct ph_ledger *saved,
                            const struct ph_ledger *l);
int ph_store_load_coalitions(ph_store *s, int64_t boot, struct ph_ledger *l);

#endif
