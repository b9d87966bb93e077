/*
 * The small reads the commands need beside window queries: status figures,
 * who a process row was, the exporter's totals and health. The tables they
 * read are specified in schema/ and docs/schema.md; nothing here writes.
 */
#include "db_private.h"
#include "ph_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ph_db_status_read(ph_store *s, ph_db_status *st)
{
    sqlite3 *db = ph_store_db(s);
    char sql[256];
    memset(st, 0, sizeof *st);
    st->version = ph_sql_int_or(db, "PRAGMA user_version", 0, 0);
    st->last_ts = ph_sql_int_or(db, "SELECT max(ts_ns) FROM sample", 0, 0);
    st->last_procs = ph_sql_int_or(db, "SELECT procs FROM sample ORDER BY sample DESC LIMIT 1", 0, -1);
    st->last_denied = ph_sql_int_or(db, "SELECT procs_denied FROM sample ORDER BY sample DESC LIMIT 1", 0, -1);
    st->cadence_ns = ph_sql_int_or(db,
                                   "SELECT min(interval_ns) FROM (SELECT interval_ns FROM sample"
                                   " WHERE interval_ns > 0 ORDER BY sample DESC LIMIT 5)",
                                   0, 0);
    st->exit_rows = ph_sql_int_or(db, "SELECT count(*) FROM proc_sample WHERE kind = 4", 0, 0);
    for (int t = 0; t < PH_TIER_COUNT; t++) {
        const ph_tier_desc *d = &ph_tiers[t];
        if (ph_meta_get_int(s, (enum ph_meta_key)d->retain_key, &st->retain_ns[t]) != 1)
            st->retain_ns[t] = 0;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", d->procs);
        st->tier[t].rows = ph_sql_int_or(db, sql, 0, 0);
        snprintf(sql, sizeof sql, "SELECT min(%s) FROM %s", d->time_col, d->samples);
        st->tier[t].from_ns = ph_sql_int_or(db, sql, 0, 0);
        snprintf(sql, sizeof sql, "SELECT max(%s) + %lld FROM %s", d->time_col, (long long)d->width_ns, d->samples);
        st->tier[t].to_ns = ph_sql_int_or(db, sql, 0, 0);
    }
    if (ph_meta_get_int(s, PH_META_MAX_DB_BYTES, &st->max_db_bytes) != 1)
        st->max_db_bytes = 0;
    ph_meta_get_text(s, PH_META_EXIT_MODE, st->exit_mode, sizeof st->exit_mode);
}

int ph_db_process_who(ph_store *s, int64_t proc, int32_t *pid, char *name, size_t len)
{
    sqlite3_stmt *st;
    int found = 0;
    name[0] = '\0';
    if (sqlite3_prepare_v2(ph_store_db(s), "SELECT pid, name FROM process WHERE proc = ?1", -1, &st, NULL) !=
        SQLITE_OK)
        return 0;
    sqlite3_bind_int64(st, 1, proc);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 1)) {
        *pid = sqlite3_column_int(st, 0);
        snprintf(name, len, "%s", (const char *)sqlite3_column_text(st, 1));
        found = 1;
    }
    sqlite3_finalize(st);
    return found;
}

static int64_t opt_col(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

int ph_db_app_totals(ph_store *s, ph_app_total **out, size_t *n, char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    sqlite3_stmt *st;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    /* Schema 11 (a recorder not restarted since the upgrade) has no
     * estimated energy or GPU totals yet: they read as not measured. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT app, cpu_user_ns + cpu_system_ns, disk_read_bytes, disk_write_bytes, energy_nj,"
             " wakeups, %s FROM app_total",
             ph_store_version(s) >= 12 ? "energy_est_nj, gpu_ns" : "NULL, NULL");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        ph_fmt(err, errlen, "reading app totals failed: %s", sqlite3_errmsg(db));
        return -1;
    }
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *out = ph_xrealloc(*out, cap * sizeof **out);
        }
        ph_app_total *t = &(*out)[(*n)++];
        t->app = ph_xstrdup((const char *)sqlite3_column_text(st, 0));
        t->cpu_ns = sqlite3_column_int64(st, 1);
        t->disk_read_bytes = sqlite3_column_int64(st, 2);
        t->disk_write_bytes = sqlite3_column_int64(st, 3);
        t->energy_nj = opt_col(st, 4);
        t->wakeups = opt_col(st, 5);
        t->energy_est_nj = opt_col(st, 6);
        t->gpu_ns = opt_col(st, 7);
    }
    sqlite3_finalize(st);
    return 0;
}

void ph_db_app_totals_free(ph_app_total *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(t[i].app);
    free(t);
}

void ph_db_health_read(ph_store *s, ph_db_health *h)
{
    sqlite3_stmt *st;
    memset(h, 0, sizeof *h);
    if (sqlite3_prepare_v2(ph_store_db(s), "SELECT ts_ns, procs, procs_denied FROM sample ORDER BY sample DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    if (sqlite3_step(st) == SQLITE_ROW) {
        h->last_ts = sqlite3_column_int64(st, 0);
        h->last_procs = sqlite3_column_int64(st, 1);
        h->last_denied = sqlite3_column_int64(st, 2);
        if (ph_meta_get_int(s, PH_META_SAMPLES_TOTAL, &h->samples_total) != 1)
            h->samples_total = 0;
    }
    sqlite3_finalize(st);
}
