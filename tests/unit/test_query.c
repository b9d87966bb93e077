/* Window queries: sums, memory carried across idle stretches, app peaks. */
#include "test.h"

#include "ph_query.h"
#include "ph_qcmd.h"
#include "ph_rollup.h"
#include "ph_store.h"
#include "ph_time.h"

#include "../../src/db/db_private.h" /* the sqlite3 handle: marks moved, rows counted */

#include <stdlib.h>
#include <unistd.h>

#define S 1000000000LL
#define T0 (1795700000LL * S)

typedef struct db {
    ph_store *s;
    int64_t boot, sample;
    char path[600];
} db;

static void db_open(db *d)
{
    char err[512];
    memset(d, 0, sizeof *d);
    snprintf(d->path, sizeof d->path, "%s/q.db", t_tmpdir());
    if (ph_store_open(d->path, PH_STORE_WRITE, &d->s, err, sizeof err) < 0)
        t_fail(__FILE__, __LINE__, "%s", err);
    ph_store_boot(d->s, "boot-a", 0, &d->boot);
}

static int64_t db_proc(db *d, int pid, const char *name, const char *app)
{
    ph_store_tick t = {d->s, 0, T0, d->boot, 0, 0};
    ph_sink k = ph_store_sink(&t);
    ph_proc_info info = {pid, 1, 1000, (uint64_t)pid * 10, 0, name, "", app, "", -1, -1, 0};
    int64_t id = 0;
    if (k.proc_new(k.ctx, &info, &id) < 0)
        t_fail(__FILE__, __LINE__, "proc_new failed");
    return id;
}

typedef struct r { int64_t proc, cpu, mem, disk; } r;

/* A sample at T0 + sec seconds, 5 s interval, with rows (cpu/disk < 0: NULL). */
static void db_sample(db *d, int64_t sec, int keyframe, const r *rows, int n, const int64_t *gone, int ngone)
{
    ph_store_tick t = {d->s, ++d->sample, T0 + sec * S, d->boot, 0, 0};
    ph_sink k = ph_store_sink(&t);
    ph_store_begin(d->s);
    for (int i = 0; i < n; i++) {
        ph_row row;
        memset(&row, 0, sizeof row);
        row.proc = rows[i].proc;
        if (rows[i].cpu >= 0)
            ph_values_set(&row.vals, PH_M_CPU_USER_NS, rows[i].cpu);
        if (rows[i].disk >= 0)
            ph_values_set(&row.vals, PH_M_DISK_WRITE_BYTES, rows[i].disk);
        ph_values_set(&row.vals, PH_M_RESIDENT_BYTES, rows[i].mem);
        if (k.row(k.ctx, &row) < 0)
            t_fail(__FILE__, __LINE__, "row insert failed");
    }
    for (int i = 0; i < ngone; i++)
        k.proc_gone(k.ctx, gone[i]);
    ph_sample_row sr = {d->sample, T0 + sec * S, d->boot, sec * S, 5 * S, keyframe, n, 0, n, -1, {.v = {0}}};
    ph_sys_unknown(&sr.sys);
    if (ph_store_add_sample(d->s, &sr) < 0)
        t_fail(__FILE__, __LINE__, "sample insert failed");
    ph_store_commit(d->s);
}

/* One sample of process `proc` using `cpu`, at T0 + sec seconds, then
 * maintenance at that time, as the recorder runs it after each sample. */
static void sample_maintained(db *d, const ph_retention *keep, int64_t sec, int keyframe, int64_t proc, int64_t cpu)
{
    ph_maint_stats ms;
    char err[256] = "";
    r row[] = {{proc, cpu, 1000, -1}};
    db_sample(d, sec, keyframe, row, 1, NULL, 0);
    CHECK_I(ph_maintain(d->s, keep, T0 + sec * S, 10, 5000, &ms, err, sizeof err), 0);
}

/* The start of the minute bucket (b, b + 60 s] that ends at or after t. */
static int64_t minute_floor(int64_t t)
{
    return t / (60 * S) * (60 * S);
}

static const ph_agg *find(const ph_agg *a, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(a[i].name, name) == 0)
            return &a[i];
    return NULL;
}

TEST(counters_sum_inside_the_window_only)
{
    db d;
    ph_result res;
    char err[256] = "";
    db_open(&d);
    int64_t a = db_proc(&d, 10, "a", "A");
    r s1[] = {{a, 100, 1000, 7}};
    r s2[] = {{a, 200, 1000, 8}};
    r s3[] = {{a, 400, 1000, -1}};
    db_sample(&d, 0, 1, s1, 1, NULL, 0);
    db_sample(&d, 5, 0, s2, 1, NULL, 0);
    db_sample(&d, 10, 0, s3, 1, NULL, 0);
    CHECK_I(ph_query_window(d.s, T0, T0 + 10 * S, &res, err, sizeof err), 0);
    CHECK_I(res.win.samples, 2);
    CHECK_I(res.win.covered_ns, 10 * S);
    const ph_agg *p = find(res.procs, res.nprocs, "a");
    CHECK(p != NULL);
    if (p) {
        CHECK_I(ph_agg_get(p, PH_M_CPU_USER_NS, 0), 600);
        CHECK_I(ph_agg_get(p, PH_M_DISK_WRITE_BYTES, 0), 8);
        CHECK_I(p->pid, 10);
        CHECK_S(p->app, "A");
    }
    ph_result_free(&res);
    ph_store_close(d.s);
}

TEST(idle_process_memory_counts_without_a_row_in_the_window)
{
    db d;
    ph_result res;
    char err[256] = "";
    db_open(&d);
    int64_t big = db_proc(&d, 10, "big", "Big");
    int64_t busy = db_proc(&d, 11, "busy", "Busy");
    r k0[] = {{big, -1, 2LL << 30, -1}, {busy, 1, 100, -1}};
    db_sample(&d, 0, 1, k0, 2, NULL, 0);
    for (int i = 1; i <= 6; i++) {
        r s[] = {{busy, 5, 100, -1}};
        db_sample(&d, i * 5, 0, s, 1, NULL, 0);
    }
    /* Window (12 s, 30 s]: big has no row there, but was alive all along. */
    CHECK_I(ph_query_window(d.s, T0 + 12 * S, T0 + 30 * S, &res, err, sizeof err), 0);
    const ph_agg *p = find(res.procs, res.nprocs, "big");
    CHECK(p != NULL);
    if (p) {
        CHECK_I(p->mem_peak, 2LL << 30);
        CHECK(!(p->have & PH_BIT(PH_M_CPU_USER_NS)));
    }
    const ph_agg *g = find(res.apps, res.napps, "Big");
    CHECK(g && g->mem_peak == (2LL << 30));
    ph_result_free(&res);
    ph_store_close(d.s);
}

TEST(gone_processes_do_not_haunt_later_windows)
{
    db d;
    ph_result res;
    char err[256] = "";
    db_open(&d);
    int64_t x = db_proc(&d, 10, "x", "X");
    int64_t y = db_proc(&d, 11, "y", "Y");
    r k0[] = {{x, 1, 5000, -1}, {y, 1, 10, -1}};
    db_sample(&d, 0, 1, k0, 2, NULL, 0);
    r s1[] = {{y, 1, 10, -1}};
    int64_t gone[] = {x};
    db_sample(&d, 5, 0, s1, 1, gone, 1);
    db_sample(&d, 10, 0, s1, 1, NULL, 0);
    CHECK_I(ph_query_window(d.s, T0 + 7 * S, T0 + 10 * S, &res, err, sizeof err), 0);
    CHECK(find(res.procs, res.nprocs, "x") == NULL);
    CHECK(find(res.procs, res.nprocs, "y") != NULL);
    ph_result_free(&res);
    ph_store_close(d.s);
}

/* ph_query_raw_buckets_metrics: each bucket of the one pass is what a query
 * of that bucket alone gives, for processes busy in some buckets only, idle
 * with memory carried, gone and born mid-way (the pass keeps only the
 * processes in each bucket's window: one missed or left over shows here). */
typedef struct bucket_cmp {
    ph_store *s;
    ph_mask want;
    int buckets, procs_seen;
} bucket_cmp;

static const ph_agg *find_proc(const ph_result *res, int64_t proc)
{
    for (size_t i = 0; i < res->nprocs; i++)
        if (res->procs[i].proc == proc)
            return &res->procs[i];
    return NULL;
}

static void same_agg(const ph_agg *a, const ph_agg *b)
{
    CHECK_I(a->have, b->have);
    for (int m = 0; m < PH_METRIC_COUNT; m++)
        if (a->have & PH_BIT(m))
            CHECK_I(ph_agg_get(a, m, 0), ph_agg_get(b, m, 0));
    CHECK_I(a->mem_peak, b->mem_peak);
    CHECK_I(a->mem_peak_ns, b->mem_peak_ns);
    CHECK_I(a->mem_last, b->mem_last);
    CHECK_I(a->mem_avg, b->mem_avg);
    CHECK_I(a->first_ns, b->first_ns);
    CHECK_I(a->last_ns, b->last_ns);
    CHECK_I(a->rows, b->rows);
    CHECK_I(a->active, b->active);
    CHECK_I(a->changed, b->changed);
    CHECK_I(a->nprocs, b->nprocs);
    CHECK_I(a->procs_max, b->procs_max);
}

static int bucket_vs_query(void *ctx, int64_t bucket, ph_result *res)
{
    bucket_cmp *c = ctx;
    ph_result one;
    char err[256] = "";
    c->buckets++;
    CHECK_I(ph_query_tier_metrics(c->s, PH_TIER_RAW, bucket, bucket + 10 * S, c->want, &one, err, sizeof err), 0);
    CHECK_I(res->win.samples, one.win.samples);
    CHECK_I(res->nprocs, one.nprocs);
    CHECK_I(res->napps, one.napps);
    for (size_t i = 0; i < one.nprocs; i++) {
        const ph_agg *p = find_proc(res, one.procs[i].proc);
        CHECK(p != NULL);
        if (p)
            same_agg(p, &one.procs[i]);
    }
    for (size_t i = 0; i < one.napps; i++) {
        const ph_agg *g = find(res->apps, res->napps, one.apps[i].name);
        CHECK(g != NULL);
        if (g)
            same_agg(g, &one.apps[i]);
    }
    c->procs_seen += (int)one.nprocs;
    ph_result_free(&one);
    return 0;
}

TEST(raw_buckets_are_one_query_per_bucket)
{
    db d;
    char err[256] = "";
    db_open(&d);
    int64_t busy = db_proc(&d, 10, "busy", "Busy");
    int64_t idle = db_proc(&d, 11, "idle", "Idle");
    int64_t late = db_proc(&d, 12, "late", "Busy");
    int64_t dies = db_proc(&d, 13, "dies", "Dies");
    for (int i = 0; i <= 12; i++) { /* samples at 0, 5, ..., 60 s; a keyframe at 0 */
        r rows[4];
        int n = 0;
        if (i == 0) {
            rows[n++] = (r){idle, -1, 3000, -1};
            rows[n++] = (r){dies, 1, 700, 5};
        }
        if (i % 3 != 2) /* busy skips a sample now and then */
            rows[n++] = (r){busy, 10 + i, 1000 + 100 * i, i % 2 ? 4 : -1};
        if (i >= 7)
            rows[n++] = (r){late, 3, 500 + i, -1};
        if (i == 3)
            rows[n++] = (r){dies, 2, 900, -1};
        int64_t gone[] = {dies};
        db_sample(&d, i * 5, i == 0, rows, n, gone, i == 5);
    }
    bucket_cmp c = {d.s, PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_DISK_WRITE_BYTES), 0, 0};
    CHECK_I(ph_query_raw_buckets_metrics(d.s, T0, T0 + 60 * S, 10 * S, c.want, 0, bucket_vs_query, &c, err,
                                         sizeof err), 0);
    CHECK_I(c.buckets, 6);
    CHECK(c.procs_seen >= 6 * 2); /* busy and idle in every bucket at least */
    ph_store_close(d.s);
}

TEST(app_peak_is_concurrent_sum_not_sum_of_peaks)
{
    db d;
    ph_result res;
    char err[256] = "";
    db_open(&d);
    int64_t c1 = db_proc(&d, 20, "cc1", "cc1");
    int64_t c2 = db_proc(&d, 21, "cc1", "cc1");
    int64_t c3 = db_proc(&d, 22, "cc1", "cc1");
    /* c1 and c2 overlap (300 + 200), then c3 alone (400) after both left. */
    r s1[] = {{c1, 1, 300, -1}};
    r s2[] = {{c1, 1, 300, -1}, {c2, 1, 200, -1}};
    r s3[] = {{c3, 1, 400, -1}};
    int64_t gone[] = {c1, c2};
    db_sample(&d, 0, 1, s1, 1, NULL, 0);
    db_sample(&d, 5, 0, s2, 2, NULL, 0);
    db_sample(&d, 10, 0, s3, 1, gone, 2);
    CHECK_I(ph_query_window(d.s, T0 - 1 * S, T0 + 10 * S, &res, err, sizeof err), 0);
    const ph_agg *g = find(res.apps, res.napps, "cc1");
    CHECK(g != NULL);
    if (g) {
        CHECK_I(g->nprocs, 3);
        CHECK_I(g->mem_peak, 500);
        CHECK_I(g->mem_peak_ns, T0 + 5 * S);
        CHECK_I(ph_agg_get(g, PH_M_CPU_USER_NS, 0), 4);
    }
    ph_result_free(&res);

    /* A keyframe without a process's row drops it even with no gone_ns
     * (the recorder was down when it exited). */
    int64_t c4 = db_proc(&d, 23, "cc1", "cc1");
    r s4[] = {{c3, 1, 400, -1}, {c4, 1, 50, -1}};
    r s5[] = {{c4, 1, 50, -1}};
    db_sample(&d, 15, 0, s4, 2, NULL, 0);
    db_sample(&d, 100, 1, s5, 1, NULL, 0);
    db_sample(&d, 105, 0, s5, 1, NULL, 0);
    CHECK_I(ph_query_window(d.s, T0 + 101 * S, T0 + 105 * S, &res, err, sizeof err), 0);
    g = find(res.apps, res.napps, "cc1");
    CHECK(g && g->mem_peak == 50);
    ph_result_free(&res);
    ph_store_close(d.s);
}

/* The seed's per-process GPU %: share of all GPU time x system busy %;
 * without a system busy %, engine time over wall time. */
TEST(gpu_pct_share_or_engine_time)
{
    CHECK(ph_gpu_pct(25, 100, 40.0, 10) == 10.0);
    CHECK(ph_gpu_pct(2000000000LL, 2000000000LL, -1, 4000000000LL) == 50.0);
    CHECK(ph_gpu_pct(25, 0, 40.0, 0) < 0);
    CHECK(ph_gpu_pct(-1, 100, 40.0, 10) < 0);
}

/* ph_agg_top: the first N by a comparator, as a sort of all then a cut
 * gives (ties broken by name, as the commands do). */
static int cmp_top_test(const void *x, const void *y)
{
    const ph_agg *a = x, *b = y;
    if (a->mem_peak != b->mem_peak)
        return a->mem_peak < b->mem_peak ? 1 : -1;
    return strcmp(a->name, b->name);
}

TEST(agg_top_is_sort_then_cut)
{
    enum { N = 2000 };
    static ph_agg rows[N], sorted[N];
    static char names[N][16];
    unsigned seed = 12345;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        memset(&rows[i], 0, sizeof rows[i]);
        rows[i].mem_peak = (seed >> 16) % 37; /* many equal values: the name decides */
        snprintf(names[i], sizeof names[i], "p%05d", (int)((seed >> 8) % 100000) * N + i);
        rows[i].name = names[i];
    }
    memcpy(sorted, rows, sizeof rows);
    qsort(sorted, N, sizeof *sorted, cmp_top_test);
    const size_t limits[] = {0, 1, 2, 10, 50, N - 1, N, 5 * N};
    for (size_t l = 0; l < sizeof limits / sizeof *limits; l++) {
        ph_agg *top;
        size_t k = ph_agg_top(rows, N, limits[l], cmp_top_test, &top);
        CHECK_I((int64_t)k, (int64_t)(limits[l] < N ? limits[l] : N));
        for (size_t i = 0; i < k; i++) {
            CHECK_I(top[i].mem_peak, sorted[i].mem_peak);
            CHECK_S(top[i].name, sorted[i].name);
        }
        free(top);
    }
}

/* ph_agg_top_keyed: the same cut, ordered by a key computed once per row
 * (descending), then the comparator. */
static int cmp_name_test(const void *x, const void *y)
{
    return strcmp(((const ph_agg *)x)->name, ((const ph_agg *)y)->name);
}

TEST(agg_top_keyed_orders_by_key_then_comparator)
{
    enum { N = 1000 };
    static ph_agg rows[N], sorted[N];
    static int64_t keys[N];
    static char names[N][16];
    unsigned seed = 777;
    for (int i = 0; i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        memset(&rows[i], 0, sizeof rows[i]);
        rows[i].mem_peak = keys[i] = (seed >> 16) % 23;
        snprintf(names[i], sizeof names[i], "q%05d", (int)((seed >> 8) % 100000) * N + i);
        rows[i].name = names[i];
    }
    memcpy(sorted, rows, sizeof rows);
    qsort(sorted, N, sizeof *sorted, cmp_top_test); /* mem_peak (= key) descending, then name */
    const size_t limits[] = {0, 1, 3, 100, N, 2 * N};
    for (size_t l = 0; l < sizeof limits / sizeof *limits; l++) {
        ph_agg *top;
        size_t k = ph_agg_top_keyed(rows, N, keys, limits[l], cmp_name_test, &top);
        CHECK_I((int64_t)k, (int64_t)(limits[l] < N ? limits[l] : N));
        for (size_t i = 0; i < k; i++) {
            CHECK_I(top[i].mem_peak, sorted[i].mem_peak);
            CHECK_S(top[i].name, sorted[i].name);
        }
        free(top);
    }
}

/* --explain: one line a segment, naming its tier, table and rows read. */
TEST(explain_names_tier_table_and_rows)
{
    db d;
    db_open(&d);
    int64_t a = db_proc(&d, 10, "a", "A");
    r s1[] = {{a, 100, 1000, 7}};
    db_sample(&d, 0, 1, s1, 1, NULL, 0);
    db_sample(&d, 5, 0, s1, 1, NULL, 0);
    db_sample(&d, 10, 0, s1, 1, NULL, 0);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f) {
        char buf[4096] = "";
        ph_query_explain(d.s, T0, T0 + 10 * S, 0, 0, f);
        rewind(f);
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = '\0';
        fclose(f);
        CHECK(strstr(buf, "plan: 1 segment, process rows") != NULL);
        /* rows from the keyframe at or before since: all three samples' rows */
        CHECK(strstr(buf, "plan: raw ") != NULL && strstr(buf, "sample JOIN proc_sample") != NULL);
        CHECK(strstr(buf, ", 3 rows") != NULL);
    }
    ph_store_close(d.s);
}

/* The wall clock steps ahead for a few samples, then back (an RTC in local
 * time, NTP correcting a clock set ahead): the samples written after the
 * step back land in minutes the rollup already closed and wrote. Every
 * one of them still counts, in every tier, once the rollups ran: a window
 * over everything has all the CPU written, the stretch after the step back
 * its own, and the minute tier agrees with the raw rows. */
static void clock_step_back(int64_t ahead_s, int64_t *counted, int64_t *written, int64_t *after_raw,
                            int64_t *after_minute, int64_t *first_bucket_new);

TEST(a_clock_step_back_keeps_the_samples_after_it)
{
    /* ahead an hour: every sample counts, and the minute tier has the
     * stretch after the step back as the raw rows do */
    int64_t counted, written, raw, minute, first;
    clock_step_back(3600, &counted, &written, &raw, &minute, &first);
    CHECK_I(counted, written);
    CHECK_I(minute, raw);
    CHECK(raw > 0);
    /* ahead 3 days, past the raw tier's 2: retention pruned the raw rows of
     * the present (after rolling them up). Only the new samples of the
     * bucket the step back lands in are not counted; the rest is. */
    clock_step_back(3 * 86400, &counted, &written, &raw, &minute, &first);
    CHECK_I(counted, written - first);
    CHECK(first > 0 && first <= 12 * 1000);
    CHECK_I(minute, raw);
}

static void clock_step_back(int64_t ahead_s, int64_t *counted, int64_t *written, int64_t *after_raw,
                            int64_t *after_minute, int64_t *first_bucket_new)
{
    db d;
    ph_result res;
    char err[256] = "";
    ph_retention keep;
    ph_retention_default(&keep);
    db_open(&d);
    int64_t a = db_proc(&d, 10, "a", "A");
    int64_t total = 0, after = 0, sec = 0, boot = 0, first = 0;
    /* 20 minutes at 5 s */
    for (int i = 0; i < 240; i++, sec += 5) {
        sample_maintained(&d, &keep, sec, i % 120 == 0, a, 100);
        total += 100;
    }
    /* three samples ahead */
    boot = sec;
    for (int i = 0; i < 3; i++) {
        sample_maintained(&d, &keep, ahead_s + boot + 5 * i, i == 0, a, 7);
        total += 7;
    }
    /* back: 30 more minutes from where the clock was */
    sec = boot + 15;
    int64_t b0 = minute_floor(T0 + sec * S - 1); /* the minute bucket it lands in */
    for (int i = 0; i < 360; i++, sec += 5) {
        sample_maintained(&d, &keep, sec, i % 120 == 0, a, 1000);
        total += 1000;
        after += 1000;
        if (T0 + sec * S <= b0 + 60 * S)
            first += 1000;
    }
    /* everything (the samples ahead included) */
    CHECK_I(ph_query_window(d.s, T0 - S, T0 + (sec + ahead_s) * S, &res, err, sizeof err), 0);
    const ph_agg *p = find(res.procs, res.nprocs, "a");
    CHECK(p != NULL);
    *counted = p ? ph_agg_get(p, PH_M_CPU_USER_NS, 0) : -1;
    *written = total;
    *first_bucket_new = first;
    ph_result_free(&res);
    /* the stretch after the step back, on minute boundaries (rolled up
     * by now: minutes go in runs of 10): its own CPU from the minute rows,
     * as from the raw rows */
    int64_t from = minute_floor(T0 + 25 * 60 * S), to = minute_floor(T0 + 38 * 60 * S);
    int64_t raw_sum = 0;
    for (int64_t t = boot + 15, k = 0; k < 360; k++, t += 5)
        if (T0 + t * S > from && T0 + t * S <= to)
            raw_sum += 1000;
    CHECK_I(ph_query_tier(d.s, PH_TIER_MINUTE, from, to, &res, err, sizeof err), 0);
    p = find(res.procs, res.nprocs, "a");
    CHECK(p != NULL);
    *after_minute = p ? ph_agg_get(p, PH_M_CPU_USER_NS, 0) : -1;
    *after_raw = raw_sum;
    ph_result_free(&res);
    CHECK(after > raw_sum);
    ph_store_close(d.s);
    unlink(d.path);
}

/* A clock set back into history whose raw rows retention already took
 * (raw kept 2 minutes here): the minute rows there are that history, and
 * stay what answers it; the samples written while the clock is inside it
 * are not counted, and nothing recorded before is hidden or rolled up
 * again from them. */
static int64_t q_int(db *d, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(ph_store_db(d->s), sql, -1, &st, NULL) != SQLITE_OK)
        return -2;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

TEST(a_bucket_rolled_again_after_an_exec_counts_its_process_once)
{
    /* Minutes rolled up under app A; the process execs into app B; the
     * clock steps back and they are rolled up again. Their app rows are
     * B's alone: an A row left from the first roll would count it twice. */
    db d;
    ph_retention keep;
    ph_retention_default(&keep);
    db_open(&d);
    int64_t a = db_proc(&d, 10, "a", "A");
    int64_t sec = 0;
    for (int i = 0; i < 240; i++, sec += 5)
        sample_maintained(&d, &keep, sec, i % 120 == 0, a, 100);
    CHECK(q_int(&d, "SELECT count(*) FROM app_minute WHERE app = 'A'") > 10);
    char sql[256];
    snprintf(sql, sizeof sql, "UPDATE process SET name = 'b', app = 'B' WHERE proc = %lld", (long long)a);
    CHECK_I(sqlite3_exec(ph_store_db(d.s), sql, NULL, NULL, NULL), SQLITE_OK);
    CHECK_I(sqlite3_exec(ph_store_db(d.s),
                         "UPDATE meta SET value = CAST(value AS INTEGER) - 600000000000 WHERE key = 'minute_done'",
                         NULL, NULL, NULL),
            SQLITE_OK);
    for (int i = 0; i < 24; i++, sec += 5)
        sample_maintained(&d, &keep, sec, 0, a, 100);
    CHECK(q_int(&d, "SELECT count(*) FROM app_minute WHERE app = 'B'") >= 10);
    CHECK_I(q_int(&d, "SELECT sum(cpu_user_ns) FROM app_minute"), q_int(&d, "SELECT sum(cpu_user_ns) FROM proc_minute"));
    CHECK_I(q_int(&d, "SELECT count(*) FROM (SELECT bucket_ns FROM app_minute GROUP BY bucket_ns HAVING count(*) > 1)"),
            0);
    ph_store_close(d.s);
}

TEST(a_clock_set_back_into_pruned_history_keeps_that_history)
{
    db d;
    ph_result res;
    char err[256] = "";
    ph_retention keep;
    ph_retention_default(&keep);
    keep.raw_ns = 2 * 60 * S;
    db_open(&d);
    int64_t a = db_proc(&d, 10, "a", "A");
    int64_t sec = 0;
    for (int i = 0; i < 360; i++, sec += 5) /* 30 minutes */
        sample_maintained(&d, &keep, sec, i % 120 == 0, a, 100);
    int64_t end = sec;
    for (int i = 0; i < 24; i++) /* set back 20 minutes, for 2 minutes */
        sample_maintained(&d, &keep, end - 20 * 60 + 5 * i, i == 0, a, 1000);
    /* the first 25 minutes, on minute boundaries: rolled up before the step */
    int64_t to = minute_floor(T0 + 25 * 60 * S), want = 0;
    for (int64_t t = 0; t < end; t += 5)
        if (T0 + t * S <= to)
            want += 100;
    CHECK_I(ph_query_window(d.s, T0 - S, to, &res, err, sizeof err), 0);
    const ph_agg *p = find(res.procs, res.nprocs, "a");
    CHECK(p != NULL);
    if (p)
        CHECK_I(ph_agg_get(p, PH_M_CPU_USER_NS, 0), want);
    ph_result_free(&res);
    ph_store_close(d.s);
}
