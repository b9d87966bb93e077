/*
 * Retention tiers: rolling up, pruning, giving space back.
 *
 * FORMAT. schema/003_rollups.sql; the tables and geometry of each tier are
 * described once, in src/db/tiers.c. A minute bucket starting at b holds the
 * raw samples with b < ts <= b + 60 s; an hour bucket the minute buckets
 * whose end lies in (b, b + 3600 s]. meta keys (include/ph_db.h):
 *   minute_done, hour_done   end of the last rolled-up bucket of each tier;
 *   raw_pruned_to            raw rows at or before this are deleted (or being
 *                            deleted): queries use minutes there;
 *   minute_pruned_to         the same for minute rows (queries use hours).
 *
 * ROLLUP. A bucket is closed when the newest sample written (minute) or the
 * minute mark (hour) is past its end: samples are written in time order, so
 * nothing more can land in it. When the wall clock steps back they are not:
 * the store moves the done marks back to the bucket a sample lands in
 * (src/db/store_sample.c, rewind_rollups), and those buckets are rolled up
 * again, whole. Minutes are rolled up 10 at a time, in one pass over the
 * raw rows (the pass must start at a raw keyframe, up to 10 minutes back). Each closed bucket is aggregated by the window engine of
 * src/db/query.c over the finer tier (the same code that answers queries, so
 * the tiers agree by construction), and written with the done mark in ONE
 * transaction: after a crash the bucket is either complete or absent, and is
 * redone. Buckets with no samples are skipped without a row.
 *
 * PRUNING. The pruned_to mark moves first, in its own transaction, and the
 * rows go afterwards in small batches: a query never reads a half-deleted
 * range as if it were whole. A finer tier is pruned only up to what the
 * coarser one has rolled up. Free pages are returned with
 * incremental_vacuum (the database is created with auto_vacuum=INCREMENTAL).
 * The size cap, when set, deletes the oldest data of every tier first.
 */
#include "db_private.h"
#include "query_private.h"
#include "ph_time.h"
#include "ph_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MINUTE_BATCH 10 /* minute buckets rolled up in one pass */
#define MINUTE_NS (60 * PH_NS_PER_SEC)

/* The first failure's own message (a ROLLBACK after it would replace it
 * with "not an error" or "no transaction is active"). */
static void keep_err(sqlite3 *db, const char *what, char *err, size_t errlen)
{
    char why[400];
    if (err[0])
        return;
    ph_store_describe_error(db, why, sizeof why);
    ph_fmt(err, errlen, "%s: %s", what, why);
}

static void rollback(sqlite3 *db)
{
    if (!sqlite3_get_autocommit(db))
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

static void bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
    if (v >= 0)
        sqlite3_bind_int64(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

/* The keys the hour tier keeps group rows of: the cgroup keys (schema
 * 16) and the user (schema 17). */
static const int group_keys[] = {PH_Q_BY_UNIT, PH_Q_BY_SLICE, PH_Q_BY_CONTAINER, PH_Q_BY_CGROUP, PH_Q_BY_USER};
#define NGROUP_KEYS ((int)PH_ARRAY_LEN(group_keys))

/* The counters the hour tier's app and group rows hold besides the first
 * six (schema 19: PH_APP_HOUR_METRICS), in parameter order from ?15. */
static const enum ph_metric wide_cm[] = {
    PH_M_CHILD_CPU_USER_NS, PH_M_CHILD_CPU_SYSTEM_NS, PH_M_ENERGY_EST_NJ, PH_M_GPU_NS,
    PH_M_INSTRUCTIONS,      PH_M_CYCLES,              PH_M_CTXSW_TOTAL,   PH_M_CTXSW_VOLUNTARY,
    PH_M_CTXSW_INVOLUNTARY, PH_M_FAULTS_TOTAL,        PH_M_FAULTS_MINOR,  PH_M_FAULTS_MAJOR,
    PH_M_SYSCALLS_MACH,     PH_M_SYSCALLS_UNIX,       PH_M_SYSCALLS_READ, PH_M_SYSCALLS_WRITE,
};
#define WIDE_PARAM 15

#define WIDE_MINUTE 4 /* the minute tier's app rows: the first four (PH_APP_MINUTE_METRICS) */

/* ", col, col..." and ", ?15, ?16..." of the first n wide counters, for an INSERT. */
static void wide_cols(size_t n, char *cols, size_t clen, char *params, size_t plen)
{
    size_t co = 0, po = 0;
    cols[0] = params[0] = '\0';
    for (size_t c = 0; c < n; c++) {
        co += (size_t)snprintf(cols + co, clen - co, ", %s", ph_metric_column(wide_cm[c]));
        po += (size_t)snprintf(params + po, plen - po, ", ?%d", WIDE_PARAM + (int)c);
    }
}

/* One app or group row: a's figures into st's parameters 3.. (the same
 * columns in app and group rows; the first `wide` wide counters from ?15),
 * stepped; 0 or -1. */
static int put_group_row(sqlite3_stmt *st, const ph_agg *a, size_t wide)
{
    static const enum ph_metric cm[] = {PH_M_CPU_USER_NS, PH_M_CPU_SYSTEM_NS, PH_M_DISK_READ_BYTES,
                                        PH_M_DISK_WRITE_BYTES, PH_M_ENERGY_NJ, PH_M_WAKEUPS};
    sqlite3_bind_int(st, 3, a->procs_max);
    bind_opt(st, 4, a->mem_peak);
    if (a->mem_peak >= 0)
        sqlite3_bind_int64(st, 5, a->mem_peak_ns);
    else
        sqlite3_bind_null(st, 5);
    bind_opt(st, 6, a->mem_last);
    for (int c = 0; c < 6; c++) {
        if (a->have & PH_BIT(cm[c]))
            sqlite3_bind_int64(st, 7 + c, *ph_agg_at(a, cm[c]));
        else
            sqlite3_bind_null(st, 7 + c);
    }
    bind_opt(st, 13, a->mem_peak_proc > 0 ? a->mem_peak_proc : -1);
    for (size_t c = 0; c < wide; c++) {
        if ((a->slots & PH_BIT(wide_cm[c])) && (a->have & PH_BIT(wide_cm[c])))
            sqlite3_bind_int64(st, WIDE_PARAM + (int)c, *ph_agg_at(a, wide_cm[c]));
        else
            sqlite3_bind_null(st, WIDE_PARAM + (int)c);
    }
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Write bucket b of tier t from an engine result, with its done mark; with
 * `groups` (the hour tier) also the group rows of each grouping key from the
 * engine's answer grouped by it. */
static int write_bucket(ph_store *s, enum ph_tier t, int64_t b, const ph_result *res, const ph_result *groups,
                        char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    const ph_tier_desc *d = &ph_tiers[t];
    char sql[4096];
    sqlite3_stmt *ps = NULL, *as = NULL, *ss = NULL, *gs = NULL;
    int ok = 0;
    int64_t w = d->width_ns;
    int keyframe = b % d->keyframe_ns == 0;

    /* Only the stored metric columns (the others are virtual in a new
     * database: store.c), metric m always at parameter 7 + m. */
    ph_mask stored = ph_store_stored(s, t);
    ph_buf pcols = {0}, pparams = {0};
    ph_metric_insert_cols(&pcols, &pparams, stored, 7);
    int fits = ph_fmt(sql, sizeof sql,
                      "INSERT OR REPLACE INTO %s (bucket_ns, proc, rows, active, mem_last_bytes, mem_avg_bytes%s)"
                      " VALUES (?1, ?2, ?3, ?4, ?5, ?6%s)",
                      d->procs, pcols.data ? pcols.data : "", pparams.data ? pparams.data : "") == 0;
    ph_buf_free(&pcols);
    ph_buf_free(&pparams);
    if (!fits || sqlite3_prepare_v2(db, sql, -1, &ps, NULL) != SQLITE_OK)
        goto out;
    /* The hour tier's app and group rows: every counter; the minute
     * tier's app rows: the first four (schema 19). */
    int64_t since_bucket;
    size_t wide = ph_store_version(s) < 19                                                 ? 0
                  : t == PH_TIER_HOUR                                                      ? PH_ARRAY_LEN(wide_cm)
                  : ph_meta_get_int(s, PH_META_APP_MINUTE_WIDE_FROM, &since_bucket) == 1 ? WIDE_MINUTE
                                                                                           : 0;
    char wcols[512], wparams[256];
    wide_cols(wide, wcols, sizeof wcols, wparams, sizeof wparams);
    snprintf(sql, sizeof sql,
             "INSERT OR REPLACE INTO %s (bucket_ns, app, procs, mem_peak_bytes, mem_peak_ns, mem_last_bytes,"
             " cpu_user_ns, cpu_system_ns, disk_read_bytes, disk_write_bytes, energy_nj, wakeups, mem_peak_proc%s)"
             " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13%s)", d->apps, wcols, wparams);
    if (sqlite3_prepare_v2(db, sql, -1, &as, NULL) != SQLITE_OK)
        goto out;
    snprintf(sql, sizeof sql,
             "INSERT OR REPLACE INTO %s (bucket_ns, samples, covered_ns, procs_max, procs_denied_max,"
             " recorder_cpu_ns, " PH_SYS_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
             " ?13, ?14, ?15, ?16, ?17)",
             d->samples);
    if (sqlite3_prepare_v2(db, sql, -1, &ss, NULL) != SQLITE_OK)
        goto out;
    snprintf(sql, sizeof sql,
             "INSERT OR REPLACE INTO " PH_GROUP_ROWS " (bucket_ns, dim, key, procs, mem_peak_bytes, mem_peak_ns,"
             " mem_last_bytes, cpu_user_ns, cpu_system_ns, disk_read_bytes, disk_write_bytes, energy_nj, wakeups,"
             " mem_peak_proc%s) VALUES (?1, ?14, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13%s)",
             wcols, wparams);
    if (groups && sqlite3_prepare_v2(db, sql, -1, &gs, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto out;
    /* A bucket rolled up again (the clock stepped back: rewind_rollups in
     * src/db/store_sample.c) replaces its rows whole: an app or group key
     * a process has left would otherwise keep its old row and count twice.
     * (Process rows keep their keys; their cgroup totals are undone by
     * schema 15's trigger as each is replaced.) */
    for (int k = 0; k < 2; k++) {
        const char *tb = k == 0 ? d->apps : t == PH_TIER_HOUR ? PH_GROUP_ROWS : NULL;
        if (!tb)
            continue;
        snprintf(sql, sizeof sql, "DELETE FROM %s WHERE bucket_ns = ?1", tb);
        sqlite3_stmt *del;
        if (sqlite3_prepare_v2(db, sql, -1, &del, NULL) != SQLITE_OK)
            goto rollback;
        sqlite3_bind_int64(del, 1, b);
        int drc = sqlite3_step(del);
        sqlite3_finalize(del);
        if (drc != SQLITE_DONE)
            goto rollback;
    }
    if (res->win.samples > 0) {
        for (size_t i = 0; i < res->nprocs; i++) {
            const ph_agg *a = &res->procs[i];
            if (!keyframe && !a->active && !a->changed)
                continue; /* idle and unchanged: its memory holds from its last row */
            sqlite3_bind_int64(ps, 1, b);
            sqlite3_bind_int64(ps, 2, a->proc);
            sqlite3_bind_int64(ps, 3, a->rows);
            sqlite3_bind_int(ps, 4, a->active || a->changed);
            bind_opt(ps, 5, a->mem_last);
            bind_opt(ps, 6, a->mem_avg);
            /* A figure without a stored column is an error, never dropped
             * (it cannot arise: the finer tier stores the same metrics). */
            if (ph_store_check_storable(s, t, a->have, err, errlen) < 0)
                goto rollback;
            for (int m = 0; m < PH_METRIC_COUNT; m++) {
                if (!(stored & PH_BIT(m)))
                    continue;
                if (a->have & PH_BIT(m))
                    sqlite3_bind_int64(ps, 7 + m, *ph_agg_at(a, m));
                else
                    sqlite3_bind_null(ps, 7 + m);
            }
            if (sqlite3_step(ps) != SQLITE_DONE)
                goto rollback;
            sqlite3_reset(ps);
        }
        for (size_t i = 0; i < res->napps; i++) {
            const ph_agg *a = &res->apps[i];
            if (!keyframe && !a->changed && !a->active)
                continue;
            sqlite3_bind_int64(as, 1, b);
            sqlite3_bind_text(as, 2, a->app, -1, SQLITE_STATIC);
            if (put_group_row(as, a, wide) < 0)
                goto rollback;
        }
        for (int k = 0; groups && k < NGROUP_KEYS; k++) {
            for (size_t i = 0; i < groups[k].napps; i++) {
                const ph_agg *a = &groups[k].apps[i];
                if (!keyframe && !a->changed && !a->active)
                    continue;
                sqlite3_bind_int64(gs, 1, b);
                sqlite3_bind_text(gs, 2, a->app, -1, SQLITE_STATIC);
                sqlite3_bind_text(gs, 14, q_group_dim(group_keys[k]), -1, SQLITE_STATIC);
                if (put_group_row(gs, a, wide) < 0)
                    goto rollback;
            }
        }
        sqlite3_bind_int64(ss, 1, b);
        sqlite3_bind_int64(ss, 2, res->win.samples);
        sqlite3_bind_int64(ss, 3, res->win.covered_ns);
        sqlite3_bind_int64(ss, 4, res->win.procs_max);
        sqlite3_bind_int64(ss, 5, res->win.procs_denied);
        sqlite3_bind_int64(ss, 6, res->win.recorder_cpu_ns);
        for (int k = 0; k < PH_SYS_N; k++)
            bind_opt(ss, 7 + k, res->win.sys.v[k]);
        if (sqlite3_step(ss) != SQLITE_DONE)
            goto rollback;
    }
    if (ph_meta_set_int(s, (enum ph_meta_key)d->done_key, b + w) < 0)
        goto rollback;
    ok = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK;
    if (!ok)
        goto rollback;
    goto out;
rollback:
    ok = 0;
out:
    if (!ok) {
        char what[96];
        ph_fmt(what, sizeof what, "rolling up the %s bucket at %lld failed", d->name,
               (long long)b);
        keep_err(db, what, err, errlen);
        rollback(db);
    }
    sqlite3_finalize(ps);
    sqlite3_finalize(as);
    sqlite3_finalize(ss);
    sqlite3_finalize(gs);
    return ok ? 0 : -1;
}

typedef struct batch {
    struct {
        int64_t bucket;
        ph_result res;
    } *b;
    size_t n;
} batch;

static int collect(void *ctx, int64_t bucket, ph_result *res)
{
    batch *bt = ctx;
    bt->b = ph_xrealloc(bt->b, (bt->n + 1) * sizeof *bt->b);
    bt->b[bt->n].bucket = bucket;
    bt->b[bt->n].res = *res;
    memset(res, 0, sizeof *res); /* ownership moves to the batch */
    bt->n++;
    return 0;
}

static void free_batch(batch *bt)
{
    for (size_t i = 0; i < bt->n; i++)
        ph_result_free(&bt->b[i].res);
    free(bt->b);
}

/* Where tier t's finer data ends: the newest sample (minutes), or the end
 * of the last rolled-up minute bucket (hours). 1, 0 none yet, -1 error. */
static int finer_end(ph_store *s, enum ph_tier t, int64_t *newest)
{
    /* The newest sample written, not the latest time: after the wall clock
     * stepped back, samples from before the step lie ahead of the ones
     * being written, and must not close the buckets these land in. */
    if (ph_tiers[t].from == PH_TIER_RAW) {
        ph_last_sample last;
        if (ph_store_last_sample(s, &last) < 0)
            return -1;
        *newest = last.ts_ns;
        return last.sample != 0;
    }
    return ph_meta_get_int(s, (enum ph_meta_key)ph_tiers[ph_tiers[t].from].done_key, newest);
}

/* Minutes: one pass over raw rows for a run of closed buckets. */
static int roll_minutes(ph_store *s, int64_t done, int have, int64_t newest, int budget, int *pending, char *err,
                        size_t errlen)
{
    int64_t w = ph_tiers[PH_TIER_MINUTE].width_ns, next;
    int n = 0, rc = ph_sql_int(ph_store_db(s), "SELECT min(ts_ns) FROM sample WHERE ts_ns > ?1",
                               have ? done : INT64_MIN, &next);
    if (rc <= 0)
        return rc;
    int64_t b0 = ph_floor_to(next - 1, w), closed = ph_floor_to(newest - 1, w);
    /* Wait for a run of MINUTE_BATCH closed buckets: the pass must start
     * at the raw keyframe before b0 (up to 10 minutes back), so longer
     * runs cost less per bucket. Raw rows answer queries until then. */
    int64_t run = budget > MINUTE_BATCH ? budget : MINUTE_BATCH;
    if (closed - b0 < MINUTE_BATCH * w)
        return 0;
    int64_t b1 = b0 + run * w < closed ? b0 + run * w : closed;
    batch bt = {NULL, 0};
    if (ph_query_raw_buckets(s, b0, b1, w, collect, &bt, err, errlen) < 0) {
        free_batch(&bt);
        return -1;
    }
    for (size_t i = 0; i < bt.n; i++) {
        if (write_bucket(s, PH_TIER_MINUTE, bt.b[i].bucket, &bt.b[i].res, NULL, err, errlen) < 0) {
            free_batch(&bt);
            return -1;
        }
        n++;
    }
    free_batch(&bt);
    if (b1 < closed)
        *pending = 1;
    return n;
}

/* Roll up closed buckets of tier t (minute or hour); returns buckets done
 * or -1. */
static int roll(ph_store *s, enum ph_tier t, int budget, int *pending, char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    const ph_tier_desc *d = &ph_tiers[t], *f = &ph_tiers[d->from];
    int64_t w = d->width_ns, done = 0, newest, next;
    int n = 0, rc = finer_end(s, t, &newest);
    if (rc <= 0)
        return rc;
    int have = ph_meta_get_int(s, (enum ph_meta_key)d->done_key, &done);
    if (have < 0)
        return -1;
    if (d->from == PH_TIER_RAW)
        return roll_minutes(s, done, have, newest, budget, pending, err, errlen);
    /* Coarser tiers: one finer bucket run at a time. The first finer
     * bucket after the mark skips empty stretches at once. */
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT min(bucket_ns) + %lld FROM %s WHERE bucket_ns >= ?1", (long long)f->width_ns,
             f->samples);
    while (n < budget) {
        rc = ph_sql_int(db, sql, have ? done : INT64_MIN, &next);
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        int64_t b = ph_floor_to(next - 1, w);
        if (newest < b + w)
            break; /* still open */
        ph_result res, groups[NGROUP_KEYS];
        memset(groups, 0, sizeof groups);
        if (ph_query_tier(s, d->from, b, b + w, &res, err, errlen) < 0)
            return -1;
        rc = 0;
        /* The hour's groups, from the same minute rows (only the app
         * counters and memory are kept in group rows: PH_APP_HOUR_METRICS). */
        for (int k = 0; t == PH_TIER_HOUR && k < NGROUP_KEYS && rc == 0; k++)
            rc = q_replay(s, d->from, b, b + w, 0, PH_APP_HOUR_METRICS, group_keys[k], NULL, NULL, &groups[k], NULL,
                          err, errlen);
        if (rc == 0)
            rc = write_bucket(s, t, b, &res, t == PH_TIER_HOUR ? groups : NULL, err, errlen);
        ph_result_free(&res);
        for (int k = 0; k < NGROUP_KEYS; k++)
            ph_result_free(&groups[k]);
        if (rc < 0)
            return -1;
        done = b + w;
        have = 1;
        n++;
    }
    if (n == budget)
        *pending = 1;
    return n;
}

/* Delete raw samples (their proc_sample rows first) by id, inside the
 * caller's transaction. Returns rows deleted, or -1. */
static int64_t delete_samples(sqlite3 *db, const int64_t *ids, int n)
{
    sqlite3_stmt *dp = NULL, *ds = NULL;
    int64_t deleted = 0;
    if (sqlite3_prepare_v2(db, "DELETE FROM proc_sample WHERE sample = ?1", -1, &dp, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "DELETE FROM sample WHERE sample = ?1", -1, &ds, NULL) != SQLITE_OK)
        deleted = -1;
    for (int i = 0; i < n && deleted >= 0; i++) {
        sqlite3_bind_int64(dp, 1, ids[i]);
        if (sqlite3_step(dp) != SQLITE_DONE)
            deleted = -1;
        else
            deleted += sqlite3_changes(db);
        sqlite3_reset(dp);
        if (deleted < 0)
            break;
        sqlite3_bind_int64(ds, 1, ids[i]);
        if (sqlite3_step(ds) != SQLITE_DONE)
            deleted = -1;
        else
            deleted += sqlite3_changes(db);
        sqlite3_reset(ds);
    }
    sqlite3_finalize(dp);
    sqlite3_finalize(ds);
    return deleted;
}

/* Delete up to `budget` rows of buckets starting at or before `last` from
 * a rolled-up tier, inside the caller's transaction; rows or -1. */
static int64_t delete_buckets(sqlite3 *db, enum ph_tier t, int64_t last, int64_t budget)
{
    int64_t deleted = 0;
    /* The sample rows last: while any row of a bucket is left, its sample
     * row says the bucket is there. */
    const char *tables[4] = {ph_tiers[t].procs, ph_tiers[t].apps, t == PH_TIER_HOUR ? PH_GROUP_ROWS : NULL,
                             ph_tiers[t].samples};
    for (int i = 0; i < 4 && deleted < budget; i++) {
        char sql[256];
        sqlite3_stmt *st;
        const char *tb = tables[i];
        if (!tb)
            continue;
        snprintf(sql, sizeof sql,
                 i == 3 ? "DELETE FROM %s WHERE bucket_ns IN (SELECT bucket_ns FROM %s WHERE bucket_ns <= ?1 LIMIT ?2)"
                 : i == 0 ? "DELETE FROM %s WHERE (bucket_ns, proc) IN (SELECT bucket_ns, proc FROM %s WHERE bucket_ns <= ?1 LIMIT ?2)"
                 : i == 1 ? "DELETE FROM %s WHERE (bucket_ns, app) IN (SELECT bucket_ns, app FROM %s WHERE bucket_ns <= ?1 LIMIT ?2)"
                          : "DELETE FROM %s WHERE (bucket_ns, dim, key) IN (SELECT bucket_ns, dim, key FROM %s WHERE bucket_ns <= ?1 LIMIT ?2)",
                 tb, tb);
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
            return -1;
        sqlite3_bind_int64(st, 1, last);
        sqlite3_bind_int64(st, 2, budget - deleted);
        int rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
            deleted += sqlite3_changes(db);
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return -1;
    }
    return deleted;
}

/* Delete up to `budget` rows at or before `to` from a tier; returns rows,
 * or -1 with the failing statement's message in err. */
static int64_t delete_upto(sqlite3 *db, enum ph_tier t, int64_t to, int64_t budget, char *err, size_t errlen)
{
    int64_t deleted = 0;
    int64_t ids[256];
    int n = 0;
    if (t == PH_TIER_RAW) {
        sqlite3_stmt *sel;
        if (sqlite3_prepare_v2(db, "SELECT sample FROM sample WHERE ts_ns <= ?1 ORDER BY ts_ns LIMIT ?2", -1,
                               &sel, NULL) != SQLITE_OK)
            goto fail;
        sqlite3_bind_int64(sel, 1, to);
        sqlite3_bind_int64(sel, 2, budget < 256 ? budget : 256);
        int rc = SQLITE_DONE;
        while (n < 256 && (rc = sqlite3_step(sel)) == SQLITE_ROW)
            ids[n++] = sqlite3_column_int64(sel, 0);
        sqlite3_finalize(sel);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE)
            goto fail;
        if (n == 0)
            return 0;
    }
    if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    deleted = t == PH_TIER_RAW ? delete_samples(db, ids, n)
                               : delete_buckets(db, t, to - ph_tier_width_ns(t), budget);
    if (deleted < 0 || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        goto fail;
    return deleted;
fail:
    keep_err(db, "pruning old data failed", err, errlen);
    rollback(db);
    return -1;
}

/* Move a pruned_to mark (never backwards). */
static int advance_mark(ph_store *s, enum ph_meta_key key, int64_t to)
{
    int64_t cur = INT64_MIN;
    int have = ph_meta_get_int(s, key, &cur);
    if (have < 0)
        return -1;
    if (have && cur >= to)
        return 0;
    return ph_meta_set_int(s, key, to);
}

/* Bytes in pages that hold data (free pages are given back by
 * incremental_vacuum, so they do not count). */
static int64_t data_bytes(sqlite3 *db)
{
    int64_t pages = ph_sql_int_or(db, "SELECT page_count FROM pragma_page_count", 0, 0);
    int64_t free_pages = ph_sql_int_or(db, "SELECT freelist_count FROM pragma_freelist_count", 0, 0);
    int64_t page = ph_sql_int_or(db, "SELECT page_size FROM pragma_page_size", 0, 4096);
    return (pages - free_pages) * page;
}

static int64_t wal_bytes(sqlite3 *db)
{
    const char *path = sqlite3_db_filename(db, "main");
    char p[4200];
    struct stat st;
    if (path && path[0] && ph_fmt(p, sizeof p, "%s-wal", path) == 0 && stat(p, &st) == 0)
        return (int64_t)st.st_size;
    return 0;
}

/*
 * The size cap: remove the oldest data, whatever its tier, a slice at a
 * time, measuring after each slice, until the database is under the cap.
 * Each slice deletes its rows and moves its tier's pruned_to mark in ONE
 * transaction (a reader sees the slice whole or not at all), and a mark
 * only ever lands on data that existed, so never past the newest sample.
 * The newest minute of raw samples is never removed. Returns 1 when it
 * removed data, 0 when under the cap, -1 on error; *left is the row budget.
 */
static int cap_prune(ph_store *s, int64_t cap, int64_t *left, int *pending, char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    /* The WAL counts: the data is kept to the cap less the WAL's allowance
     * (an eighth; the store checkpoints at that size). A WAL grown past
     * it because readers held a checkpoint back is copied back here, not
     * answered by deleting more: deleting writes more WAL. */
    int64_t page = ph_sql_int_or(db, "SELECT page_size FROM pragma_page_size", 0, 4096);
    int64_t allowance = ph_cap_wal_pages(cap, page) * page;
    int64_t target = cap - allowance, used = data_bytes(db);
    if (wal_bytes(db) > allowance)
        ph_store_checkpoint(s);
    if (used <= target)
        return 0;
    int removed = 0, cur = -1;
    int64_t slice = 8, freed = 0, samples = 0;
    /* the newest written, as the rollup takes it (finer_end) */
    ph_last_sample written;
    int64_t newest = ph_store_last_sample(s, &written) == 0 && written.sample != 0 ? written.ts_ns : INT64_MIN;
    while (used > target && *left > 0) {
        int64_t oldest[PH_TIER_COUNT];
        int t = 0;
        for (int i = 0; i < PH_TIER_COUNT; i++) {
            char sql[96];
            snprintf(sql, sizeof sql, "SELECT min(%s) FROM %s", ph_tiers[i].time_col, ph_tiers[i].samples);
            oldest[i] = ph_sql_int_or(db, sql, 0, INT64_MAX);
            if (oldest[i] < oldest[t])
                t = i;
        }
        if (oldest[t] == INT64_MAX)
            break; /* nothing left to remove */
        if (t == PH_TIER_RAW && (newest == INT64_MIN || oldest[0] > newest - MINUTE_NS))
            break; /* only the newest minute is left: keep it */
        if (t != cur) { /* units of another tier: measure afresh */
            cur = t;
            slice = 8;
            freed = samples = 0;
        }
        int64_t d = 0;
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
            goto fail;
        if (t == PH_TIER_RAW) {
            int64_t ids[1024], last = INT64_MIN;
            int n = 0;
            sqlite3_stmt *sel;
            if (sqlite3_prepare_v2(db, "SELECT sample, ts_ns FROM sample WHERE ts_ns <= ?1 ORDER BY ts_ns LIMIT ?2",
                                   -1, &sel, NULL) != SQLITE_OK)
                goto fail;
            sqlite3_bind_int64(sel, 1, newest - MINUTE_NS);
            sqlite3_bind_int64(sel, 2, slice);
            int rc = SQLITE_DONE;
            while (n < 1024 && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
                ids[n++] = sqlite3_column_int64(sel, 0);
                last = sqlite3_column_int64(sel, 1);
            }
            sqlite3_finalize(sel);
            if ((rc != SQLITE_ROW && rc != SQLITE_DONE) || n == 0 ||
                advance_mark(s, PH_META_RAW_PRUNED_TO, last) < 0)
                goto fail;
            d = delete_samples(db, ids, n);
            samples += n;
        } else {
            const ph_tier_desc *td = &ph_tiers[t];
            if (td->pruned_key >= 0 &&
                advance_mark(s, (enum ph_meta_key)td->pruned_key, oldest[t] + td->width_ns) < 0)
                goto fail;
            d = delete_buckets(db, (enum ph_tier)t, oldest[t], INT64_MAX);
            samples++;
        }
        if (d < 0 || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
            goto fail;
        removed = 1;
        *left -= d;
        int64_t now_used = data_bytes(db);
        freed += used - now_used > 0 ? used - now_used : 0;
        used = now_used;
        /* The next slice: half of what the excess needs at the bytes a
         * unit freed so far, at most twice the last (pages free only when
         * emptied, so a few units say little: until 4 pages came free,
         * grow). Approached this way the cut ends within a slice of need. */
        int64_t grow = slice * 2;
        if (freed >= 4 * 4096) {
            int64_t need = (used - target) / (freed / samples > 0 ? freed / samples : 1) + 1;
            slice = need / 2 + 1 < grow ? need / 2 + 1 : grow;
        } else {
            slice = grow;
        }
        if (slice < 1)
            slice = 1;
        if (slice > 1024)
            slice = 1024;
    }
    if (used > target)
        *pending = 1;
    return removed;
fail:
    keep_err(db, "removing old data for --max-db-size failed", err, errlen);
    rollback(db);
    return -1;
}

int ph_enforce_cap(ph_store *s, const ph_retention *r, ph_maint_stats *st, char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    int64_t left = 5000;
    memset(st, 0, sizeof *st);
    err[0] = '\0';
    if (r->max_bytes <= 0)
        return 0;
    int c = cap_prune(s, r->max_bytes, &left, &st->pending, err, errlen);
    if (c < 0)
        return -1;
    st->capped = c;
    st->rows_pruned = 5000 - left;
    if (c) {
        /* Free pages are reused by the next samples: give them back only
         * once there are more than the WAL allowance's worth (moving pages
         * writes WAL too). */
        int64_t page = ph_sql_int_or(db, "SELECT page_size FROM pragma_page_size", 0, 4096);
        int64_t freelist = ph_sql_int_or(db, "SELECT freelist_count FROM pragma_freelist_count", 0, 0);
        if (freelist > ph_cap_wal_pages(r->max_bytes, page) / 2) {
            char sql[64];
            int64_t pages = freelist < 2048 ? freelist : 2048;
            snprintf(sql, sizeof sql, "PRAGMA incremental_vacuum(%lld)", (long long)pages);
            if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
                st->pages_vacuumed = pages;
        }
        ph_store_checkpoint(s);
    }
    return 0;
}

int ph_maintain(ph_store *s, const ph_retention *r, int64_t now_ns, int budget,
                int64_t row_budget, ph_maint_stats *st, char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    memset(st, 0, sizeof *st);
    err[0] = '\0';
    for (enum ph_tier t = PH_TIER_MINUTE; t < PH_TIER_COUNT; t++) {
        int n = roll(s, t, budget, &st->pending, err, errlen);
        if (n < 0) {
            keep_err(db, "rolling up failed", err, errlen);
            return -1;
        }
        if (t == PH_TIER_MINUTE)
            st->minute_buckets = n;
        else
            st->hour_buckets = n;
    }

    /* Each tier up to its horizon (in whole buckets of the next tier),
     * never past what the next has rolled up. */
    const int64_t keep[PH_TIER_COUNT] = {r->raw_ns, r->minute_ns, r->hour_ns};
    int64_t to[PH_TIER_COUNT], left = row_budget;
    for (int t = 0; t < PH_TIER_COUNT; t++) {
        const ph_tier_desc *next = &ph_tiers[t + 1 < PH_TIER_COUNT ? t + 1 : t];
        int64_t done;
        to[t] = ph_floor_to(now_ns - keep[t], next->width_ns);
        if (t + 1 == PH_TIER_COUNT)
            continue;
        int have = ph_meta_get_int(s, (enum ph_meta_key)next->done_key, &done);
        if (have < 0) {
            keep_err(db, "pruning old data failed", err, errlen);
            return -1;
        }
        if (!have)
            done = 0;
        if (to[t] > done)
            to[t] = ph_floor_to(done, next->width_ns);
    }

    for (int t = 0; t < PH_TIER_COUNT && left > 0; t++) {
        const ph_tier_desc *d = &ph_tiers[t];
        /* The mark moves first, in its own transaction: the rows then go
         * in batches, and queries already read the coarser tier there. */
        if (d->pruned_key >= 0 && advance_mark(s, (enum ph_meta_key)d->pruned_key, to[t]) < 0) {
            keep_err(db, "pruning old data failed", err, errlen);
            return -1;
        }
        int64_t n = delete_upto(db, (enum ph_tier)t, to[t], left, err, errlen);
        if (n < 0)
            return -1;
        st->rows_pruned += n;
        left -= n;
        /* Rows left at or before the horizon (a bucket at b ends at b + width). */
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE %s <= ?1 - %lld LIMIT 1", d->samples, d->time_col,
                 (long long)d->width_ns);
        if (ph_sql_int_or(db, sql, to[t], 0))
            st->pending = 1; /* more to delete at the next call */
    }

    /* The size cap: the oldest data first, only as much as needed. */
    if (r->max_bytes > 0 && left > 0) {
        int64_t before = left;
        int c = cap_prune(s, r->max_bytes, &left, &st->pending, err, errlen);
        if (c < 0)
            return -1;
        st->capped = c;
        st->rows_pruned += before - left;
    }
    if (left <= 0)
        st->pending = 1;

    /* Processes none of whose rows remain in any tier: a process gone
     * before the oldest row of every tier has none (rows are written while
     * it lives). Checked in the deleting statement itself, so a reader's
     * snapshot never has rows of a process without its process row. */
    if (left > 0) {
        sqlite3_stmt *dp;
        if (sqlite3_prepare_v2(db,
                               "DELETE FROM process WHERE proc IN (SELECT proc FROM process"
                               " WHERE gone_ns IS NOT NULL"
                               " AND gone_ns < coalesce((SELECT min(ts_ns) FROM sample), 9223372036854775807)"
                               " AND gone_ns < coalesce((SELECT min(bucket_ns) FROM sample_minute),"
                               "                        9223372036854775807)"
                               " AND gone_ns < coalesce((SELECT min(bucket_ns) FROM sample_hour),"
                               "                        9223372036854775807)"
                               " AND gone_ns <= ?1"
                               " AND proc NOT IN (SELECT proc FROM resume)"
                               /* ids are never reused: SQLite gives a new row
                                * max(proc) + 1, so the highest stays */
                               " AND proc < (SELECT max(proc) FROM process) LIMIT ?2)",
                               -1, &dp, NULL) != SQLITE_OK) {
            keep_err(db, "pruning old processes failed", err, errlen);
            return -1;
        }
        /* Without a cap, processes stay as long as the hour tier could
         * still be rolled up from them. */
        sqlite3_bind_int64(dp, 1, r->max_bytes > 0 ? INT64_MAX : to[PH_TIER_HOUR]);
        sqlite3_bind_int64(dp, 2, left);
        int rc = sqlite3_step(dp);
        if (rc == SQLITE_DONE)
            st->rows_pruned += sqlite3_changes(db);
        else
            keep_err(db, "pruning old processes failed", err, errlen);
        sqlite3_finalize(dp);
        if (rc != SQLITE_DONE)
            return -1;
    }

    /* Give free pages back to the file system, a slice at a time (all of
     * them under a size cap, where they count). */
    int64_t freelist = ph_sql_int_or(db, "SELECT freelist_count FROM pragma_freelist_count", 0, 0);
    if (freelist > 64 || (r->max_bytes > 0 && freelist > 0)) {
        int64_t pages = freelist < 2048 ? freelist : 2048;
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA incremental_vacuum(%lld)", (long long)pages);
        if (sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK)
            st->pages_vacuumed = pages;
        if (freelist > pages)
            st->pending = 1;
    }
    /* Under the cap the file itself must shrink: a checkpoint copies the
     * vacuumed database back and truncates file and WAL. */
    if (st->capped || (r->max_bytes > 0 && st->pages_vacuumed > 0))
        ph_store_checkpoint(s);
    return 0;
}
