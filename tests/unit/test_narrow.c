/*
 * Narrow tiers (store.c, "NARROW TIERS"): a new database stores only the
 * metric columns of the recorder that creates it in proc_sample,
 * proc_minute and proc_hour, the others virtual (always NULL). The same
 * history written into a narrow and into a wide (old) file reads back the
 * same, row for row, column for column, views included; a wide file is
 * still written by a recorder that would create narrow ones; a file that
 * cannot store a metric the recorder fills is refused, and a row carrying
 * one is an error, never dropped.
 */
#include "test.h"

#include "genlib.h"
#include "ph_platform.h"
#include "ph_recorder.h"
#include "ph_store.h"

#include "../../src/db/db_private.h" /* the file under test, and its sqlite3 handle */
#include <stdlib.h>

#define SEC 1000000000LL
#define HOUR (3600 * SEC)

static const char *const tables[] = {"proc_sample", "proc_minute", "proc_hour"};

static ph_mask all_metrics(void) { return ~(ph_mask)0 >> (64 - PH_METRIC_COUNT); }

/* What the generator fills (tests/gen/genlib.c) and the store's energy
 * estimate (with power), and one stored metric nobody fills. */
static ph_mask gen_metrics(void)
{
    return PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS) | PH_BIT(PH_M_FAULTS_MINOR) |
           PH_BIT(PH_M_RESIDENT_BYTES) | PH_BIT(PH_M_THREADS) | PH_BIT(PH_M_DISK_READ_BYTES) |
           PH_BIT(PH_M_DISK_WRITE_BYTES) | PH_BIT(PH_M_PEAK_RESIDENT_BYTES) | PH_BIT(PH_M_CTXSW_VOLUNTARY) |
           PH_BIT(PH_M_ENERGY_EST_NJ) | PH_BIT(PH_M_RUNNABLE_NS);
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -12345;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return v;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* Each metric column of table: 0 stored, 2 virtual (pragma table_xinfo
 * hidden), in PH_METRICS order; how many columns it has in all. */
static int column_kinds(sqlite3 *db, const char *table, int hidden[PH_METRIC_COUNT])
{
    sqlite3_stmt *st;
    int n = 0;
    for (int m = 0; m < PH_METRIC_COUNT; m++)
        hidden[m] = -1;
    if (sqlite3_prepare_v2(db, "SELECT name, hidden FROM pragma_table_xinfo(?1) ORDER BY cid", -1, &st, NULL))
        return -1;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    while (sqlite3_step(st) == SQLITE_ROW) {
        n++;
        for (int m = 0; m < PH_METRIC_COUNT; m++)
            if (strcmp((const char *)sqlite3_column_text(st, 0), ph_metric_column((enum ph_metric)m)) == 0)
                hidden[m] = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    return n;
}

/* The tiers of db store exactly `stored`, the other metric columns virtual,
 * every column still there. */
static void check_layout(sqlite3 *db, ph_mask stored)
{
    const int others[] = {3, 6, 6}; /* non-metric columns of each table */
    for (int t = 0; t < 3; t++) {
        int hidden[PH_METRIC_COUNT];
        CHECK_I(column_kinds(db, tables[t], hidden), others[t] + PH_METRIC_COUNT);
        for (int m = 0; m < PH_METRIC_COUNT; m++)
            if (hidden[m] != ((stored & PH_BIT(m)) ? 0 : 2))
                t_fail(__FILE__, __LINE__, "%s.%s: hidden %d, want %d", tables[t],
                       ph_metric_column((enum ph_metric)m), hidden[m], (stored & PH_BIT(m)) ? 0 : 2);
    }
}

TEST(new_database_stores_exactly_the_platforms_metrics)
{
    char path[600], err[512];
    ph_store *s = NULL;
    snprintf(path, sizeof path, "%s/plat.db", t_tmpdir());
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    if (!s)
        return;
    sqlite3 *db = ph_store_db(s);
    ph_mask want = ph_platform_stored_metrics();
    if (sqlite3_libversion_number() < 3031000)
        want = all_metrics(); /* no generated columns: the wide layout */
    check_layout(db, want);
    for (int t = 0; t < 3; t++)
        CHECK(ph_store_stored(s, (enum ph_tier)t) == want);
    /* The writer's statements name only stored columns; the cgroup totals'
     * triggers on proc_minute survived the rebuild. */
    CHECK_I(q_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'proc_minute'"),
            2);
    ph_store_close(s);
}

TEST(virtual_columns_read_null_and_refuse_writes)
{
    char path[600], err[512];
    ph_store *s = NULL;
    snprintf(path, sizeof path, "%s/virt.db", t_tmpdir());
    CHECK_I(ph_store_open_as(path, PH_STORE_WRITE, gen_metrics(), &s, err, sizeof err), 0);
    if (!s)
        return;
    sqlite3 *db = ph_store_db(s);
    check_layout(db, gen_metrics());
    CHECK_I(sqlite3_exec(db, "INSERT INTO proc_hour (bucket_ns, proc, rows, active, cpu_user_ns)"
                             " VALUES (0, 1, 1, 1, 5)", NULL, NULL, NULL), SQLITE_OK);
    CHECK_I(q_int(db, "SELECT count(*) FROM proc_hour WHERE wakeups IS NULL AND cpu_user_ns = 5"), 1);
    CHECK_I(q_int(db, "SELECT count(*) FROM pragma_table_info('proc_hour')"),
            6 + __builtin_popcountll(gen_metrics()));
    sqlite3_stmt *st;
    CHECK_I(sqlite3_prepare_v2(db, "SELECT * FROM proc_hour", -1, &st, NULL), SQLITE_OK);
    CHECK_I(sqlite3_column_count(st), 6 + PH_METRIC_COUNT);
    sqlite3_finalize(st);
    CHECK(sqlite3_exec(db, "INSERT INTO proc_hour (bucket_ns, proc, rows, active, wakeups) VALUES (1, 1, 1, 1, 5)",
                       NULL, NULL, NULL) != SQLITE_OK);
    CHECK(strstr(sqlite3_errmsg(db), "generated column") != NULL);
    ph_store_close(s);
}

/* A digest of every row of `sql`, column by column (type and value), and
 * the row count. */
static uint64_t digest(sqlite3 *db, const char *sql, int64_t *rows)
{
    sqlite3_stmt *st;
    uint64_t h = 1469598103934665603ULL;
    *rows = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        t_fail(__FILE__, __LINE__, "%s: %s", sql, sqlite3_errmsg(db));
        return 0;
    }
    *rows = 0;
    while (sqlite3_step(st) == SQLITE_ROW) {
        (*rows)++;
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            char cell[64];
            int type = sqlite3_column_type(st, c);
            const unsigned char *txt = sqlite3_column_text(st, c);
            snprintf(cell, sizeof cell, "%d:%.40s|", type, txt ? (const char *)txt : "");
            for (const char *p = cell; *p; p++)
                h = (h ^ (unsigned char)*p) * 1099511628211ULL;
        }
    }
    sqlite3_finalize(st);
    return h;
}

/* A history generated into a file created for `create_as`, recorded by a
 * recorder of `record_as` (reopened: what an upgraded binary does). */
static int gen_into(const char *path, ph_mask create_as, ph_mask record_as)
{
    char err[512];
    ph_store *s = NULL;
    ph_gen_opts o;
    ph_gen_stats st;
    if (ph_store_open_as(path, PH_STORE_WRITE, create_as, &s, err, sizeof err) < 0) {
        t_fail(__FILE__, __LINE__, "%s", err);
        return -1;
    }
    ph_store_close(s);
    if (ph_store_open_as(path, PH_STORE_WRITE, record_as, &s, err, sizeof err) < 0) {
        t_fail(__FILE__, __LINE__, "%s", err);
        return -1;
    }
    ph_gen_defaults(&o);
    o.duration_ns = 3 * HOUR + 10 * 60 * SEC;
    o.alive = 30;
    o.busy = 6;
    o.apps = 5;
    o.churn = 1.0;
    o.power = 1;
    o.seed = 21;
    int rc = ph_gen_history(s, &o, &st, err, sizeof err);
    if (rc < 0)
        t_fail(__FILE__, __LINE__, "%s", err);
    ph_store_close(s);
    return rc;
}

TEST(narrow_and_wide_files_of_the_same_history_read_the_same)
{
    char narrow[600], wide[600];
    snprintf(narrow, sizeof narrow, "%s/narrow.db", t_tmpdir());
    snprintf(wide, sizeof wide, "%s/wide.db", t_tmpdir());
    /* narrow: created and recorded by a recorder of the generator's metrics;
     * wide: an old file (every column stored) recorded by the same recorder */
    if (gen_into(narrow, gen_metrics(), gen_metrics()) < 0 || gen_into(wide, all_metrics(), gen_metrics()) < 0)
        return;
    sqlite3 *n, *w;
    CHECK_I(sqlite3_open_v2(narrow, &n, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    CHECK_I(sqlite3_open_v2(wide, &w, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    check_layout(n, gen_metrics());
    check_layout(w, all_metrics());
    static const char *const reads[] = {
        "SELECT * FROM proc_sample ORDER BY sample, proc",
        "SELECT * FROM proc_minute ORDER BY bucket_ns, proc",
        "SELECT * FROM proc_hour ORDER BY bucket_ns, proc",
        "SELECT * FROM v_proc_sample ORDER BY sample, proc",
        "SELECT * FROM v_cgroup_sample ORDER BY 1, 2",
        "SELECT * FROM app_minute ORDER BY 1, 2",
        "SELECT * FROM app_hour ORDER BY 1, 2",
        "SELECT * FROM process ORDER BY proc",
        "SELECT * FROM meta WHERE key NOT LIKE '%cpu%' ORDER BY key",
    };
    for (size_t i = 0; i < sizeof reads / sizeof *reads; i++) {
        int64_t rn, rw;
        uint64_t hn = digest(n, reads[i], &rn), hw = digest(w, reads[i], &rw);
        if (rn != rw || hn != hw)
            t_fail(__FILE__, __LINE__, "%s: narrow %lld rows (%016llx), wide %lld rows (%016llx)", reads[i],
                   (long long)rn, (unsigned long long)hn, (long long)rw, (unsigned long long)hw);
    }
    /* every tier holds rows, with the metrics the generator fills */
    CHECK(q_int(n, "SELECT count(*) FROM proc_sample WHERE cpu_user_ns > 0 AND energy_est_nj IS NOT NULL") > 0);
    CHECK(q_int(n, "SELECT count(*) FROM proc_minute WHERE cpu_user_ns > 0 AND resident_bytes > 0") > 0);
    CHECK(q_int(n, "SELECT count(*) FROM proc_hour WHERE cpu_user_ns > 0 AND peak_resident_bytes > 0") > 0);
    /* the narrow rows are shorter: the record header lost a byte a column */
    CHECK(q_int(n, "SELECT count(*) FROM pragma_table_info('proc_minute')") <
          q_int(w, "SELECT count(*) FROM pragma_table_info('proc_minute')"));
    sqlite3_close(n);
    sqlite3_close(w);
}

TEST(a_file_that_cannot_store_a_recorded_metric_is_refused)
{
    char path[600], err[512];
    ph_store *s = NULL;
    snprintf(path, sizeof path, "%s/refuse.db", t_tmpdir());
    CHECK_I(ph_store_open_as(path, PH_STORE_WRITE, gen_metrics(), &s, err, sizeof err), 0);
    ph_store_close(s);
    s = NULL;
    CHECK_I(ph_store_open_as(path, PH_STORE_WRITE, gen_metrics() | PH_BIT(PH_M_WAKEUPS), &s, err, sizeof err), -1);
    CHECK(s == NULL);
    CHECK(strstr(err, "cannot store wakeups") != NULL);
    CHECK(strstr(err, "virtual in proc_sample") != NULL);
    CHECK(strchr(err, '\n') == NULL);
    /* reading it is fine */
    CHECK_I(ph_store_open(path, PH_STORE_READ, &s, err, sizeof err), 0);
    ph_store_close(s);
}

/* A source whose one process carries a metric the file cannot store. */
static int w_list(void *ctx, ph_pidlist *out)
{
    (void)ctx;
    out->n = 0;
    ph_pidlist_push(out, 4242);
    return 0;
}

static enum ph_read_result w_read(void *ctx, int32_t pid, const ph_hint *hint, ph_proc_sample *s)
{
    int64_t *cpu = ctx;
    (void)hint;
    memset(s, 0, sizeof *s);
    s->pid = pid;
    s->ppid = 1;
    s->start_key = 77;
    s->start_boot_ns = 77;
    s->quick_sig = (uint64_t)*cpu;
    snprintf(s->name, sizeof s->name, "waker");
    ph_values_set(&s->vals, PH_M_CPU_USER_NS, *cpu);
    ph_values_set(&s->vals, PH_M_WAKEUPS, *cpu / 10);
    return PH_READ_FULL;
}

static void w_ident(void *ctx, int32_t pid, const ph_proc_sample *s, ph_proc_ident *out)
{
    (void)ctx;
    (void)pid;
    (void)s;
    snprintf(out->app, sizeof out->app, "waker");
}

TEST(a_row_with_a_metric_the_file_cannot_store_fails_the_sample)
{
    char path[600], err[512];
    ph_store *s = NULL;
    int64_t cpu = 1000;
    ph_tick_stats ts;
    snprintf(path, sizeof path, "%s/lost.db", t_tmpdir());
    /* the recorder claims fewer metrics than its source fills */
    CHECK_I(ph_store_open_as(path, PH_STORE_WRITE, gen_metrics(), &s, err, sizeof err), 0);
    if (!s)
        return;
    ph_source src = {&cpu, w_list, w_read, w_ident, NULL, NULL, 0, 0, NULL, NULL, NULL};
    ph_sampler sm;
    CHECK_I(ph_sampler_init(&sm, s, src, "boot-w", 0, err, sizeof err), 0);
    /* first sight: no counter delta yet */
    CHECK_I(ph_sampler_tick(&sm, 1700000000000000000LL, 1000000000000LL, -1, &ts), 0);
    int64_t rows = q_int(ph_store_db(s), "SELECT count(*) FROM proc_sample");
    cpu = 2000; /* then wakeups moved by 100 */
    CHECK_I(ph_sampler_tick(&sm, 1700000005000000000LL, 1005000000000LL, -1, &ts), -1);
    CHECK(strstr(ph_store_errmsg(s), "cannot store wakeups") != NULL);
    CHECK_I(q_int(ph_store_db(s), "SELECT count(*) FROM proc_sample"), rows);
    ph_sampler_free(&sm);
    ph_store_close(s);
}
