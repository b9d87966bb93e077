/*
 * One sample's writes: the sample row, the proc_sample rows, the process
 * rows (new, renamed, gone: the identities), the resume rows that let a
 * restarted recorder continue the same deltas, and reading that state back
 * at start. They reach the database through the sink the tracker writes into
 * (ph_store_sink), inside the transaction the sampler holds for the sample.
 * Also the boot table and the sample columns of system sums (ph_sys).
 * Contract: include/ph_store.h.
 */
#include "db_private.h"
#include "ph_time.h"
#include "ph_util.h"

#include <stdio.h>
#include <string.h>

const char *const ph_sys_col[PH_SYS_N] = {
    "energy_package_nj", "energy_core_nj", "energy_uncore_nj", "energy_dram_nj", "energy_psys_nj",
    "energy_gpu_nj",     "energy_ane_nj",   "cpu_capacity_ns", "gpu_busy_ns",    "gpu_mcycles",
    "gpu_covered_ns",
};

void ph_sys_unknown(ph_sys *s)
{
    for (int i = 0; i < PH_SYS_N; i++)
        s->v[i] = -1;
}

void ph_sys_add(ph_sys *to, const ph_sys *from)
{
    for (int i = 0; i < PH_SYS_N; i++)
        if (from->v[i] >= 0)
            to->v[i] = (to->v[i] < 0 ? 0 : to->v[i]) + from->v[i];
}

/* The metrics of `cols` into parameters first + m (numbered ?N in the
 * statement: a metric whose column the statement does not name is never bound).
 * Only those read are bound: the others are NULL already, as every statement
 * given here is stepped by ph_step_done, which clears its bindings (binding
 * each NULL again, about 50 calls per row, was 2% of the recorder's CPU under
 * churn, where a row from an exit record holds a dozen values). */
static void bind_values(sqlite3_stmt *st, int first, const ph_values *v, ph_mask cols)
{
    for (ph_mask h = v->have & cols & PH_ALL_METRICS; h; h &= h - 1) {
        int m = __builtin_ctzll(h);
        sqlite3_bind_int64(st, first + m, v->v[m]);
    }
}

void ph_metric_insert_cols(ph_buf *cols, ph_buf *params, ph_mask stored, int first)
{
    for (int m = 0; m < PH_METRIC_COUNT; m++)
        if (stored & PH_BIT(m)) {
            ph_buf_printf(cols, ", %s", ph_metric_column((enum ph_metric)m));
            ph_buf_printf(params, ", ?%d", first + m);
        }
}

int ph_store_prepare_sample(ph_store *s)
{
    /* An identity already in the table (see sink_proc_new). */
    if (sqlite3_prepare_v3(s->db,
                           "INSERT INTO process (boot, pid, start_key, start_ns, ppid, uid, name, exe, app,"
                           " first_ns, bundle, coalition, responsible_pid)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                           " ON CONFLICT (boot, pid, start_key) DO UPDATE SET gone_ns = NULL"
                           " RETURNING proc",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->ins_proc, NULL))
        return -1;
    /* A new identity (nearly always): a plain INSERT, no statement journal
     * (an upsert needs one) and no RETURNING (a temporary table). ?14, the
     * gone time, is bound only for a process already gone (its exit record's):
     * one statement instead of an INSERT and an UPDATE. */
    if (sqlite3_prepare_v3(s->db,
                           "INSERT INTO process (boot, pid, start_key, start_ns, ppid, uid, name, exe, app,"
                           " first_ns, bundle, coalition, responsible_pid, gone_ns)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->add_proc, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db,
                           "UPDATE process SET name = ?2, exe = ?3, app = ?4, ppid = ?5, uid = ?6,"
                           " bundle = ?7, coalition = ?8, responsible_pid = ?9 WHERE proc = ?1",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->upd_proc, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db,
                           "UPDATE process SET gone_ns = ?2 WHERE proc = ?1 AND gone_ns IS NULL",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->upd_gone, NULL))
        return -1;
    /* Only the stored metric columns: the others are virtual in a new
     * database (store.c) and cannot be named in an INSERT. */
    ph_buf sql = {0}, cols = {0}, params = {0};
    ph_metric_insert_cols(&cols, &params, s->stored[PH_TIER_RAW], 4);
    ph_buf_printf(&sql, "INSERT INTO proc_sample (sample, proc, kind%s) VALUES (?1, ?2, ?3%s)",
                  cols.data ? cols.data : "", params.data ? params.data : "");
    int rc = sqlite3_prepare_v3(s->db, sql.data, -1, SQLITE_PREPARE_PERSISTENT, &s->ins_row, NULL);
    ph_buf_free(&sql);
    ph_buf_free(&cols);
    ph_buf_free(&params);
    if (rc != SQLITE_OK)
        return -1;
    if (sqlite3_prepare_v3(s->db,
                           "INSERT INTO sample (sample, ts_ns, boot, boot_ns, interval_ns, keyframe,"
                           " procs, procs_denied, rows_written, recorder_cpu_ns, " PH_SYS_COLS ")"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
                           " ?17, ?18, ?19, ?20, ?21)",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->ins_sample, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db,
                           "INSERT OR REPLACE INTO resume (proc, pid, start_key, quick_sig, name" PH_METRIC_COLS ")"
                           " VALUES (?1, ?2, ?3, ?4, ?5" PH_METRIC_PARAMS ")",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->put_state, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db, "DELETE FROM resume WHERE proc = ?1", -1, SQLITE_PREPARE_PERSISTENT,
                           &s->del_state, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db,
                           "INSERT INTO meta (key, value) VALUES ('samples_total', 1)"
                           " ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->bump_samples, NULL))
        return -1;
    return 0;
}

int ph_store_boot(ph_store *s, const char *uuid, int64_t boot_wall_ns, int64_t *boot)
{
    sqlite3_stmt *st;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO boot (boot_uuid, boot_wall_ns) VALUES (?1, ?2)"
                           " ON CONFLICT (boot_uuid) DO UPDATE SET boot_uuid = excluded.boot_uuid"
                           " RETURNING boot",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_TRANSIENT);
    if (boot_wall_ns)
        sqlite3_bind_int64(st, 2, boot_wall_ns);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *boot = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    return rc;
}

int ph_store_last_sample(ph_store *s, ph_last_sample *out)
{
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT sample, ts_ns, boot, boot_ns FROM sample ORDER BY sample DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->sample = sqlite3_column_int64(st, 0);
        out->ts_ns = sqlite3_column_int64(st, 1);
        out->boot = sqlite3_column_int64(st, 2);
        out->boot_ns = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : -1;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* bundle, coalition, responsible pid at parameters first.. first+2 */
static void bind_mac_ident(sqlite3_stmt *st, int first, const ph_proc_info *info)
{
    bind_text_or_null(st, first, info->bundle);
    if (info->coalition >= 0)
        sqlite3_bind_int64(st, first + 1, info->coalition);
    if (info->responsible_pid >= 0)
        sqlite3_bind_int(st, first + 2, info->responsible_pid);
}

static void bind_proc(sqlite3_stmt *st, const ph_store_tick *t, const ph_proc_info *info)
{
    sqlite3_bind_int64(st, 1, t->boot);
    sqlite3_bind_int(st, 2, info->pid);
    sqlite3_bind_int64(st, 3, (int64_t)info->start_key);
    if (info->start_ns)
        sqlite3_bind_int64(st, 4, info->start_ns);
    sqlite3_bind_int(st, 5, info->ppid);
    if (info->uid >= 0)
        sqlite3_bind_int64(st, 6, info->uid);
    sqlite3_bind_text(st, 7, info->name, -1, SQLITE_STATIC);
    bind_text_or_null(st, 8, info->exe);
    sqlite3_bind_text(st, 9, info->app, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, t->ts_ns);
    bind_mac_ident(st, 11, info);
}

/*
 * A new identity is one plain INSERT; one already gone (info->gone: a
 * process known only by its exit record) is written gone by it, so its
 * proc_gone, which follows, has nothing to update (under churn that UPDATE
 * was a third of writing such a process: perf, 300 exits a second). One
 * already in the table (seen by an earlier run of the recorder, or a row
 * marked gone that is listed again) fails its UNIQUE constraint before
 * anything is written, and takes the upsert, which clears gone_ns and
 * returns the existing id; its proc_gone updates it as before.
 */
static int sink_proc_new(void *ctx, const ph_proc_info *info, int64_t *proc_id)
{
    ph_store_tick *t = ctx;
    ph_store *s = t->store;
    sqlite3_stmt *st = s->add_proc;
    s->born_gone = 0;
    bind_proc(st, t, info);
    if (info->gone)
        sqlite3_bind_int64(st, 14, t->ts_ns); /* what proc_gone's UPDATE would set */
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE) {
        *proc_id = sqlite3_last_insert_rowid(s->db);
        if (*proc_id > s->max_proc)
            s->max_proc = *proc_id;
        if (info->gone)
            s->born_gone = *proc_id;
        ph_store_app_of(s, *proc_id, info->app);
        return 0;
    }
    if (rc != SQLITE_CONSTRAINT)
        return -1;
    st = s->ins_proc;
    bind_proc(st, t, info);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *proc_id = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st);
        ph_store_app_of(s, *proc_id, info->app);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int sink_proc_renamed(void *ctx, int64_t proc_id, const ph_proc_info *info)
{
    ph_store_tick *t = ctx;
    sqlite3_stmt *st = t->store->upd_proc;
    sqlite3_bind_int64(st, 1, proc_id);
    sqlite3_bind_text(st, 2, info->name, -1, SQLITE_STATIC);
    bind_text_or_null(st, 3, info->exe);
    sqlite3_bind_text(st, 4, info->app, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, info->ppid);
    if (info->uid >= 0)
        sqlite3_bind_int64(st, 6, info->uid);
    bind_mac_ident(st, 7, info);
    ph_store_app_of(t->store, proc_id, info->app);
    return ph_step_done(st);
}

/*
 * Marked gone, and its resume row deleted. A process first written in this
 * sample (its id is above every id of before it: ids are given upwards) has
 * a resume row only if this sample wrote one: one known only by its exit
 * record never has, and costs no DELETE.
 */
static int sink_proc_gone(void *ctx, int64_t proc_id)
{
    ph_store_tick *t = ctx;
    ph_store *s = t->store;
    sqlite3_stmt *st = s->upd_gone;
    if (proc_id == s->born_gone) {
        /* written gone by its INSERT, and no upsert since (it would have
         * cleared born_gone): the UPDATE below would change nothing */
        s->born_gone = 0;
    } else {
        sqlite3_bind_int64(st, 1, proc_id);
        sqlite3_bind_int64(st, 2, t->ts_ns);
        if (ph_step_done(st) < 0)
            return -1;
    }
    ph_store_app_gone(s, proc_id);
    if (proc_id > s->before_tick && !ph_imap_get(&s->new_state, proc_id))
        return 0;
    st = s->del_state;
    sqlite3_bind_int64(st, 1, proc_id);
    return ph_step_done(st);
}

static int sink_state(void *ctx, const ph_entry *e)
{
    ph_store_tick *t = ctx;
    sqlite3_stmt *st = t->store->put_state;
    if (e->proc > t->store->before_tick)
        ph_imap_put(&t->store->new_state, e->proc, 1);
    sqlite3_bind_int64(st, 1, e->proc);
    sqlite3_bind_int(st, 2, e->pid);
    sqlite3_bind_int64(st, 3, (int64_t)e->start_key);
    sqlite3_bind_int64(st, 4, (int64_t)e->sig);
    sqlite3_bind_text(st, 5, e->name, -1, SQLITE_STATIC);
    bind_values(st, 6, &e->last, ~(ph_mask)0); /* resume keeps every column */
    return ph_step_done(st);
}

static int sink_row(void *ctx, const ph_row *in)
{
    ph_store_tick *t = ctx;
    ph_row est = *in;
    const ph_row *row = in;
    /* Where energy is not measured per process, its share of the package. */
    if (t->est_capacity_ns > 0 && !(in->vals.have & PH_BIT(PH_M_ENERGY_NJ)) &&
        (in->vals.have & (PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS)))) {
        long double cpu = 0;
        if (in->vals.have & PH_BIT(PH_M_CPU_USER_NS))
            cpu += in->vals.v[PH_M_CPU_USER_NS];
        if (in->vals.have & PH_BIT(PH_M_CPU_SYSTEM_NS))
            cpu += in->vals.v[PH_M_CPU_SYSTEM_NS];
        long double share = cpu / (long double)t->est_capacity_ns;
        if (share > 1)
            share = 1;
        ph_values_set(&est.vals, PH_M_ENERGY_EST_NJ, (int64_t)(share * (long double)t->est_energy_nj));
        row = &est;
    }
    ph_store *s = t->store;
    /* A metric measured but without a stored column is an error, never
     * dropped (the store refuses such a file at open; this catches a
     * collector that fills more than ph_platform_stored_metrics says). */
    char why[sizeof s->first_err];
    if (ph_store_check_storable(s, PH_TIER_RAW, row->vals.have, why, sizeof why) < 0) {
        if (!s->first_err[0])
            memcpy(s->first_err, why, sizeof why);
        return -1;
    }
    ph_store_app_add(s, row);
    sqlite3_stmt *st = s->ins_row;
    sqlite3_bind_int64(st, 1, t->sample);
    sqlite3_bind_int64(st, 2, row->proc);
    sqlite3_bind_int(st, 3, (int)row->kind);
    bind_values(st, 4, &row->vals, s->stored[PH_TIER_RAW]);
    return ph_step_done(st);
}

static int sink_proc_cgroup(void *ctx, int64_t proc_id, const ph_cgroup *cg)
{
    ph_store_tick *t = ctx;
    return ph_cgstore_put(&t->store->cg, t->store->db, proc_id, cg);
}

ph_sink ph_store_sink(ph_store_tick *t)
{
    ph_sink s = {t, sink_proc_new, sink_proc_renamed, sink_proc_gone, sink_row, sink_state, sink_proc_cgroup};
    return s;
}

/*
 * A wall clock stepped back (an RTC in local time corrected at boot, NTP
 * after a clock set ahead, a VM resumed): a sample lands at or before
 * samples already written, maybe in a bucket the rollup has closed and
 * written (the rollup closes a bucket once a sample written is past it).
 * Its rows would then never be rolled up, and retention would drop them
 * with the raw tier. So the done marks move back to the bucket it lands in:
 * that bucket and those after are rolled up again (a bucket is rolled up
 * whole, from every row it holds, and its rows replaced).
 *
 * When the clock was ahead by more than the finer tier's retention, that
 * tier was pruned up to a time past the sample: the bucket it lands in lost
 * its older rows to retention (they are in its rollup row), so it keeps that
 * row (the new sample's rows in it are not counted: at most one bucket's),
 * and, when no rolled-up bucket lies between its end and the pruned mark
 * (so every finer row after it is one written since the step), the pruned
 * mark moves back to the bucket's end. When one does, the step landed
 * inside older history: the marks stay, and the samples written there are
 * not counted until the clock is past it. 0 or -1.
 */
static int rewind_rollups(ph_store *s, int64_t ts)
{
    static const struct {
        enum ph_meta_key done, finer_pruned;
        int64_t width;
        const char *rows_after; /* a rolled-up bucket of this tier in [?1, ?2) */
    } tier[] = {{PH_META_MINUTE_DONE, PH_META_RAW_PRUNED_TO, 60 * PH_NS_PER_SEC,
                 "SELECT 1 FROM sample_minute WHERE bucket_ns >= ?1 AND bucket_ns < ?2 LIMIT 1"},
                {PH_META_HOUR_DONE, PH_META_MINUTE_PRUNED_TO, 3600 * PH_NS_PER_SEC,
                 "SELECT 1 FROM sample_hour WHERE bucket_ns >= ?1 AND bucket_ns < ?2 LIMIT 1"}};
    /* The minute bucket (b, b + 60 s] holding ts, then the hour bucket
     * holding that minute bucket's end. */
    int64_t at = ts;
    for (size_t i = 0; i < PH_ARRAY_LEN(tier); i++) {
        int64_t done, pruned = INT64_MIN, b = ph_floor_to(at - 1, tier[i].width);
        int have = ph_meta_get_int(s, tier[i].done, &done);
        if (have < 0 || ph_meta_get_int(s, tier[i].finer_pruned, &pruned) < 0)
            return -1;
        if (have != 1 || done <= b)
            return 0;
        at = b + tier[i].width; /* the bucket's end, in the next tier's bucket */
        if (b < pruned) { /* its older finer rows are gone: keep its rollup row */
            /* Rolled-up buckets after it were made from finer rows retention
             * took since: the step landed inside older history, which must
             * neither be hidden (the finer tier would answer there) nor rolled
             * up again from the new samples alone. Those are not counted. */
            sqlite3_stmt *st;
            if (sqlite3_prepare_v2(s->db, tier[i].rows_after, -1, &st, NULL) != SQLITE_OK)
                return -1;
            sqlite3_bind_int64(st, 1, at);
            sqlite3_bind_int64(st, 2, pruned);
            int rc = sqlite3_step(st);
            sqlite3_finalize(st);
            if (rc != SQLITE_ROW && rc != SQLITE_DONE)
                return -1;
            if (rc == SQLITE_ROW)
                return 0;
            b = at;
            if (ph_meta_set_int(s, tier[i].finer_pruned, b) < 0)
                return -1;
            if (done <= b)
                return 0;
        }
        if (ph_meta_set_int(s, tier[i].done, b) < 0)
            return -1;
    }
    return 0;
}

int ph_store_add_sample(ph_store *s, const ph_sample_row *r)
{
    if ((s->last_ts == 0 || r->ts_ns <= s->last_ts) && rewind_rollups(s, r->ts_ns) < 0)
        return -1;
    if (r->ts_ns > s->last_ts)
        s->last_ts = r->ts_ns;
    sqlite3_stmt *st = s->ins_sample;
    sqlite3_bind_int64(st, 1, r->sample);
    sqlite3_bind_int64(st, 2, r->ts_ns);
    sqlite3_bind_int64(st, 3, r->boot);
    sqlite3_bind_int64(st, 4, r->boot_ns);
    if (r->interval_ns >= 0)
        sqlite3_bind_int64(st, 5, r->interval_ns);
    sqlite3_bind_int(st, 6, r->keyframe);
    sqlite3_bind_int(st, 7, r->procs);
    sqlite3_bind_int(st, 8, r->procs_denied);
    sqlite3_bind_int(st, 9, r->rows);
    if (r->recorder_cpu_ns >= 0)
        sqlite3_bind_int64(st, 10, r->recorder_cpu_ns);
    for (int i = 0; i < PH_SYS_N; i++)
        if (r->sys.v[i] >= 0)
            sqlite3_bind_int64(st, 11 + i, r->sys.v[i]);
    if (ph_step_done(st) < 0 || ph_store_flush_apps(s, r->ts_ns) < 0)
        return -1;
    return ph_step_done(s->bump_samples);
}

int ph_store_load_state(ph_store *s, int64_t boot, ph_entry **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    /* Processes of another boot cannot be running any more. */
    if (sqlite3_prepare_v2(s->db,
                           "DELETE FROM resume WHERE proc IN (SELECT r.proc FROM resume r"
                           " JOIN process p USING (proc) WHERE p.boot <> ?1)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, boot);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return -1;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT r.proc, r.pid, r.start_key, r.quick_sig, r.name, p.ppid" PH_RESUME_COLS
                           " FROM resume r JOIN process p USING (proc) WHERE p.boot = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, boot);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            *out = ph_xrealloc(*out, cap * sizeof **out);
        }
        ph_entry *e = &(*out)[(*n)++];
        memset(e, 0, sizeof *e);
        e->proc = sqlite3_column_int64(st, 0);
        e->pid = sqlite3_column_int(st, 1);
        e->start_key = (uint64_t)sqlite3_column_int64(st, 2);
        e->sig = (uint64_t)sqlite3_column_int64(st, 3);
        const unsigned char *nm = sqlite3_column_text(st, 4);
        snprintf(e->name, sizeof e->name, "%s", nm ? (const char *)nm : "");
        e->ppid = sqlite3_column_int(st, 5);
        for (int m = 0; m < PH_METRIC_COUNT; m++)
            if (sqlite3_column_type(st, 6 + m) != SQLITE_NULL)
                ph_values_set(&e->last, (enum ph_metric)m, sqlite3_column_int64(st, 6 + m));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}
