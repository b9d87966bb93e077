/*
 * App totals: table app_total, each app's counters since recording began,
 * added to with every sample. The rows of a sample are summed per app in
 * memory as the sink writes them (ph_store_app_add) and flushed as one
 * upsert per app that moved (ph_store_flush_apps). To find a row's app
 * without a query, the store keeps which app each process is of (proc_app),
 * and drops the processes gone from it as they pile up. Contract:
 * include/ph_store.h; the calls from store_sample.c are in db_private.h.
 */
#include "db_private.h"
#include "ph_util.h"

#include <stdlib.h>
#include <string.h>

/*
 * The counters app_total sums (schema/005_app_totals.sql, 012), in the
 * order of put_total's parameters ?3.. . The first four are NOT NULL (0
 * when the sample had none); the others stay NULL until measured.
 * Summed in C as the rows go by: one INSERT ... SELECT ... GROUP BY app
 * per sample over proc_sample gives the same rows but cost 5-8% more CPU
 * per stored sample (gen-history, 3 h of history, 5 runs each).
 */
static const enum ph_metric app_sum[] = {PH_M_CPU_USER_NS,      PH_M_CPU_SYSTEM_NS, PH_M_DISK_READ_BYTES,
                                         PH_M_DISK_WRITE_BYTES, PH_M_ENERGY_NJ,     PH_M_WAKEUPS,
                                         PH_M_ENERGY_EST_NJ,    PH_M_GPU_NS};
#define APP_SUM_NOT_NULL 4

int ph_store_prepare_apps(ph_store *s)
{
    if (sqlite3_prepare_v3(s->db, "SELECT app FROM process WHERE proc = ?1", -1, SQLITE_PREPARE_PERSISTENT,
                           &s->app_of, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db,
                           "INSERT INTO app_total (app, cpu_user_ns, cpu_system_ns, disk_read_bytes,"
                           " disk_write_bytes, energy_nj, wakeups, energy_est_nj, gpu_ns, first_ns, last_ns)"
                           " VALUES (?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?2, ?2)"
                           " ON CONFLICT (app) DO UPDATE SET"
                           " cpu_user_ns = cpu_user_ns + excluded.cpu_user_ns,"
                           " cpu_system_ns = cpu_system_ns + excluded.cpu_system_ns,"
                           " disk_read_bytes = disk_read_bytes + excluded.disk_read_bytes,"
                           " disk_write_bytes = disk_write_bytes + excluded.disk_write_bytes,"
                           " energy_nj = CASE WHEN excluded.energy_nj IS NULL THEN energy_nj"
                           "   ELSE coalesce(energy_nj, 0) + excluded.energy_nj END,"
                           " wakeups = CASE WHEN excluded.wakeups IS NULL THEN wakeups"
                           "   ELSE coalesce(wakeups, 0) + excluded.wakeups END,"
                           " energy_est_nj = CASE WHEN excluded.energy_est_nj IS NULL THEN energy_est_nj"
                           "   ELSE coalesce(energy_est_nj, 0) + excluded.energy_est_nj END,"
                           " gpu_ns = CASE WHEN excluded.gpu_ns IS NULL THEN gpu_ns"
                           "   ELSE coalesce(gpu_ns, 0) + excluded.gpu_ns END,"
                           " last_ns = excluded.last_ns",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->put_total, NULL))
        return -1;
    return 0;
}

static const char *acc_name(const void *ctx, int idx)
{
    return ((const ph_app_acc *)ctx)[idx].app;
}

static int app_slot(ph_store *s, const char *app)
{
    int64_t key;
    int found = ph_smap_find(&s->app_index, app, acc_name, s->apps, &key);
    if (found >= 0)
        return found;
    if (s->napps == s->capapps) {
        s->capapps = s->capapps ? s->capapps * 2 : 64;
        s->apps = ph_xrealloc(s->apps, s->capapps * sizeof *s->apps);
    }
    ph_app_acc *a = &s->apps[s->napps];
    memset(a, 0, sizeof *a);
    a->app = ph_xstrdup(app);
    ph_imap_put(&s->app_index, key, (int)s->napps);
    return (int)s->napps++;
}

void ph_store_app_of(ph_store *s, int64_t proc, const char *app)
{
    ph_imap_put(&s->proc_app, proc, app_slot(s, app));
}

/* The accumulator of a process's app (looked up once per process). */
static ph_app_acc *acc_of(ph_store *s, int64_t proc)
{
    int *idx = ph_imap_get(&s->proc_app, proc);
    if (!idx) {
        const char *app = "?";
        sqlite3_bind_int64(s->app_of, 1, proc);
        if (sqlite3_step(s->app_of) == SQLITE_ROW && sqlite3_column_text(s->app_of, 0))
            app = (const char *)sqlite3_column_text(s->app_of, 0);
        ph_store_app_of(s, proc, app);
        sqlite3_reset(s->app_of);
        idx = ph_imap_get(&s->proc_app, proc);
    }
    return &s->apps[*idx];
}

static void push_id(int64_t **v, size_t *n, size_t *cap, int64_t id)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *v = ph_xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = id;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/*
 * proc_app had an entry for every process ever written and never lost one:
 * under churn it grew by one a process (over 100 exits a second, about
 * 200 MB a day). The entries of processes gone in stored samples are
 * dropped once they are half the map (and a few thousand), by building it
 * again without them: amortized, a constant per process. A row that comes
 * later for one of them (an exit record heard late) finds its app with
 * app_of, as any process the map does not hold.
 */
static void forget_gone(ph_store *s)
{
    for (size_t i = 0; i < s->ngone; i++)
        push_id(&s->dead, &s->ndead, &s->capdead, s->gone[i]);
    s->ngone = 0;
    if (s->ndead < 4096 || s->ndead * 2 < s->proc_app.n)
        return;
    qsort(s->dead, s->ndead, sizeof *s->dead, cmp_id);
    ph_imap kept;
    ph_imap_init(&kept);
    for (size_t i = 0; i < s->proc_app.cap; i++)
        if (s->proc_app.used[i] &&
            !bsearch(&s->proc_app.keys[i], s->dead, s->ndead, sizeof *s->dead, cmp_id))
            ph_imap_put(&kept, s->proc_app.keys[i], s->proc_app.vals[i]);
    ph_imap_free(&s->proc_app);
    s->proc_app = kept;
    s->ndead = 0;
}

size_t ph_store_procs_cached(const ph_store *s) { return s->proc_app.n; }

void ph_store_tick_begin(ph_store *s)
{
    s->ngone = 0;
    for (size_t i = 0; i < s->napps; i++)
        s->apps[i].sum.have = 0;
    s->before_tick = s->max_proc;
    s->born_gone = 0;
    if (s->new_state.n) {
        ph_imap_free(&s->new_state);
        ph_imap_init(&s->new_state);
    }
}

int ph_store_flush_apps(ph_store *s, int64_t ts)
{
    for (size_t i = 0; i < s->napps; i++) {
        ph_app_acc *a = &s->apps[i];
        if (!a->sum.have)
            continue;
        sqlite3_stmt *st = s->put_total;
        sqlite3_bind_text(st, 1, a->app, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, ts);
        for (int k = 0; k < (int)PH_ARRAY_LEN(app_sum); k++) {
            int have = (a->sum.have & PH_BIT(app_sum[k])) != 0;
            if (have || k < APP_SUM_NOT_NULL)
                sqlite3_bind_int64(st, 3 + k, have ? a->sum.v[app_sum[k]] : 0);
        }
        if (ph_step_done(st) < 0)
            return -1;
    }
    forget_gone(s);
    ph_store_tick_begin(s);
    return 0;
}

/* A row's counters added to its app's sums of this sample. */
void ph_store_app_add(ph_store *s, const ph_row *row)
{
    if (row->vals.have & ph_metric_counters()) {
        ph_app_acc *a = acc_of(s, row->proc);
        for (size_t k = 0; k < PH_ARRAY_LEN(app_sum); k++) {
            enum ph_metric m = app_sum[k];
            if (row->vals.have & PH_BIT(m))
                ph_values_set(&a->sum, m, ((a->sum.have & PH_BIT(m)) ? a->sum.v[m] : 0) + row->vals.v[m]);
        }
    }
}

void ph_store_app_gone(ph_store *s, int64_t proc)
{
    push_id(&s->gone, &s->ngone, &s->capgone, proc);
}

void ph_store_free_apps(ph_store *s)
{
    for (size_t i = 0; i < s->napps; i++)
        free(s->apps[i].app);
    free(s->apps);
    ph_imap_free(&s->proc_app);
    ph_imap_free(&s->app_index);
    free(s->gone);
    free(s->dead);
}
