/*
 * Retention tiers. The invariant: for any closed window, raw rows, minute
 * buckets and hour buckets give the same answers (counter totals per process
 * and app, memory peaks per process and app), on generated history with
 * processes spanning bucket edges, pid reuse inside buckets, and sleep gaps.
 * Then: pruning keeps answers, marks move first, the file shrinks.
 */
#include "test.h"

#include "genlib.h"
#include "ph_query.h"
#include "ph_rollup.h"

#include "../../src/db/db_private.h" /* the file under test, and its sqlite3 handle */
#include "../../src/db/query_private.h" /* q_replay: a tier alone, grouped */
#include <stdlib.h>

#define SEC 1000000000LL
#define HOUR (3600 * SEC)

static int64_t q1(ph_store *s, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(ph_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return -2;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static ph_store *generate(const char *name, ph_gen_opts *o)
{
    char path[600], err[512];
    ph_store *s = NULL;
    ph_gen_stats st;
    snprintf(path, sizeof path, "%s/%s", t_tmpdir(), name);
    if (ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err) < 0) {
        t_fail(__FILE__, __LINE__, "%s", err);
        return NULL;
    }
    if (ph_gen_history(s, o, &st, err, sizeof err) < 0) {
        t_fail(__FILE__, __LINE__, "%s", err);
        ph_store_close(s);
        return NULL;
    }
    return s;
}

static void small_history(ph_gen_opts *o)
{
    ph_gen_defaults(o);
    o->duration_ns = 7 * HOUR + 20 * 60 * SEC;
    o->alive = 40;
    o->busy = 8;
    o->apps = 6;
    o->churn = 1.5;          /* many short processes */
    o->pid_span = 90;        /* pids are reused within minutes */
    o->gap_every_ns = 3 * HOUR + 7 * 60 * SEC; /* sleeps across bucket edges */
    o->gap_ns = 95 * 60 * SEC;
    o->seed = 7;
}

static const ph_agg *by_proc(const ph_result *r, int64_t proc)
{
    for (size_t i = 0; i < r->nprocs; i++)
        if (r->procs[i].proc == proc)
            return &r->procs[i];
    return NULL;
}

static const ph_agg *by_app(const ph_result *r, const char *app)
{
    for (size_t i = 0; i < r->napps; i++)
        if (strcmp(r->apps[i].app, app) == 0)
            return &r->apps[i];
    return NULL;
}

/* Every answer of b must equal a's: counters, peaks, per process and app. */
static int same_answers(const ph_result *a, const ph_result *b, const char *what)
{
    int bad = 0;
    int64_t cpu_a = 0, cpu_b = 0;
    for (size_t i = 0; i < a->nprocs; i++) {
        const ph_agg *x = &a->procs[i], *y = by_proc(b, x->proc);
        cpu_a += ph_agg_get(x, PH_M_CPU_USER_NS, 0) + ph_agg_get(x, PH_M_CPU_SYSTEM_NS, 0);
        if (!y) {
            if (x->have & ph_metric_counters()) {
                t_fail(__FILE__, __LINE__, "%s: process %lld missing", what, (long long)x->proc);
                bad++;
            }
            continue;
        }
        for (int m = 0; m < PH_METRIC_COUNT; m++) {
            if (ph_metric_kind((enum ph_metric)m) != PH_COUNTER)
                continue;
            int64_t va = (x->have & PH_BIT(m)) ? ph_agg_get(x, m, 0) : 0, vb = (y->have & PH_BIT(m)) ? ph_agg_get(y, m, 0) : 0;
            if (va != vb && bad++ < 5)
                t_fail(__FILE__, __LINE__, "%s: process %lld %s %lld vs %lld", what, (long long)x->proc,
                       ph_metric_column((enum ph_metric)m), (long long)va, (long long)vb);
        }
        if (x->mem_peak != y->mem_peak && bad++ < 5)
            t_fail(__FILE__, __LINE__, "%s: process %lld mem peak %lld vs %lld", what, (long long)x->proc,
                   (long long)x->mem_peak, (long long)y->mem_peak);
    }
    for (size_t i = 0; i < b->nprocs; i++)
        cpu_b += ph_agg_get(&b->procs[i], PH_M_CPU_USER_NS, 0) + ph_agg_get(&b->procs[i], PH_M_CPU_SYSTEM_NS, 0);
    if (cpu_a != cpu_b) {
        t_fail(__FILE__, __LINE__, "%s: total CPU %lld vs %lld", what, (long long)cpu_a, (long long)cpu_b);
        bad++;
    }
    for (size_t i = 0; i < a->napps; i++) {
        const ph_agg *x = &a->apps[i], *y = by_app(b, x->app);
        if (!y || x->mem_peak != y->mem_peak) {
            if (bad++ < 8)
                t_fail(__FILE__, __LINE__, "%s: app %s peak %lld vs %lld", what, x->app, (long long)x->mem_peak,
                       y ? (long long)y->mem_peak : -1LL);
        }
    }
    if (a->win.samples != b->win.samples || a->win.covered_ns != b->win.covered_ns) {
        t_fail(__FILE__, __LINE__, "%s: samples %lld/%lld covered %lld/%lld", what, (long long)a->win.samples,
               (long long)b->win.samples, (long long)a->win.covered_ns, (long long)b->win.covered_ns);
        bad++;
    }
    return bad;
}

TEST(rollups_agree_with_raw_on_every_closed_window)
{
    ph_gen_opts o;
    small_history(&o);
    ph_store *s = generate("inv.db", &o);
    if (!s)
        return;
    CHECK(q1(s, "SELECT count(*) FROM proc_minute") > 0);
    CHECK(q1(s, "SELECT count(*) FROM proc_hour") > 0);
    /* pid reuse happened inside single minutes */
    CHECK(q1(s, "SELECT count(*) FROM (SELECT pid, first_ns / 60000000000 AS m FROM process"
                " GROUP BY pid, m HAVING count(*) > 1)") > 0);

    char err[256] = "";
    int64_t t0 = o.start_ns;
    struct { int64_t from, to; } win[] = {
        {t0, t0 + 2 * HOUR},                 /* whole hours */
        {t0 + HOUR, t0 + 5 * HOUR},          /* across a sleep gap */
        {t0 + 3 * HOUR, t0 + 4 * HOUR},
    };
    for (size_t w = 0; w < sizeof win / sizeof win[0]; w++) {
        ph_result raw, min, hour, stitched;
        char what[64];
        CHECK_I(ph_query_tier(s, PH_TIER_RAW, win[w].from, win[w].to, &raw, err, sizeof err), 0);
        CHECK_I(ph_query_tier(s, PH_TIER_MINUTE, win[w].from, win[w].to, &min, err, sizeof err), 0);
        CHECK_I(ph_query_tier(s, PH_TIER_HOUR, win[w].from, win[w].to, &hour, err, sizeof err), 0);
        CHECK_I(ph_query_window(s, win[w].from, win[w].to, &stitched, err, sizeof err), 0);
        CHECK(raw.win.samples > 0 || w == 2);
        snprintf(what, sizeof what, "window %zu minute", w);
        CHECK_I(same_answers(&raw, &min, what), 0);
        snprintf(what, sizeof what, "window %zu hour", w);
        CHECK_I(same_answers(&raw, &hour, what), 0);
        snprintf(what, sizeof what, "window %zu stitched", w);
        CHECK_I(same_answers(&raw, &stitched, what), 0);
        ph_result_free(&raw);
        ph_result_free(&min);
        ph_result_free(&hour);
        ph_result_free(&stitched);
    }
    /* By app from the app rows alone (the fast path of long windows). */
    for (size_t w = 0; w < sizeof win / sizeof win[0]; w++) {
        ph_result raw, fast;
        CHECK_I(ph_query_tier(s, PH_TIER_RAW, win[w].from, win[w].to, &raw, err, sizeof err), 0);
        CHECK_I(ph_query_window_metrics(s, win[w].from, win[w].to, PH_APP_METRICS, 1, &fast, err, sizeof err), 0);
        CHECK(fast.nseg >= 1 && (fast.seg[0].tier != PH_TIER_RAW || w == 2));
        for (size_t i = 0; i < raw.napps; i++) {
            const ph_agg *x = &raw.apps[i], *y = by_app(&fast, x->app);
            if (!y) {
                t_fail(__FILE__, __LINE__, "window %zu: app %s missing", w, x->app);
                continue;
            }
            for (int m = 0; m < PH_METRIC_COUNT; m++)
                if ((PH_APP_METRICS & PH_BIT(m)) && ph_agg_get(x, m, 0) != ph_agg_get(y, m, 0))
                    t_fail(__FILE__, __LINE__, "window %zu: app %s %s %lld vs %lld", w, x->app,
                           ph_metric_column((enum ph_metric)m), (long long)ph_agg_get(x, m, 0), (long long)ph_agg_get(y, m, 0));
            if (x->mem_peak != y->mem_peak || x->procs_max != y->procs_max)
                t_fail(__FILE__, __LINE__, "window %zu: app %s peak %lld/%lld procs %d/%d", w, x->app,
                       (long long)x->mem_peak, (long long)y->mem_peak, x->procs_max, y->procs_max);
        }
        CHECK_I(fast.napps, raw.napps);
        ph_result_free(&raw);
        ph_result_free(&fast);
    }
    /* Minute-aligned windows that are not hour-aligned: raw vs minutes. */
    for (int k = 0; k < 4; k++) {
        ph_result raw, min;
        int64_t from = t0 + (17 + 53 * k) * 60 * SEC, to = from + (11 + 29 * k) * 60 * SEC;
        CHECK_I(ph_query_tier(s, PH_TIER_RAW, from, to, &raw, err, sizeof err), 0);
        CHECK_I(ph_query_tier(s, PH_TIER_MINUTE, from, to, &min, err, sizeof err), 0);
        CHECK_I(same_answers(&raw, &min, "minute-aligned"), 0);
        ph_result_free(&raw);
        ph_result_free(&min);
    }
    ph_store_close(s);
}

/* A query of one pid gives each of its processes exactly what the whole
 * window's answer gives it, on every tier and stitch (only its rows and
 * the keyframes' are read: the keyframes still end processes that left no
 * exit). */
typedef struct span_ns {
    int64_t from, to;
} span_ns;

/* Each pid's query against the whole window's answer, for every pid the
 * windows hold: how many processes were compared (*several: how many
 * times a pid named several processes in one window). */
static int pid_queries_match(ph_store *s, const span_ns *win, size_t nwin, int max_pid, int *several)
{
    char err[256] = "";
    ph_mask want = ~(ph_mask)0;
    int compared = 0;
    for (size_t w = 0; w < nwin; w++) {
        ph_result all;
        if (ph_query_window_metrics(s, win[w].from, win[w].to, want, 0, &all, err, sizeof err) < 0) {
            t_fail(__FILE__, __LINE__, "%s", err);
            continue;
        }
        for (int pid = 0; pid <= max_pid; pid++) {
            size_t expect = 0;
            for (size_t i = 0; i < all.nprocs; i++)
                expect += all.procs[i].pid == pid;
            if (!expect)
                continue;
            *several += expect > 1;
            ph_result one;
            if (ph_query_window_pid(s, win[w].from, win[w].to, want, 0, pid, &one, err, sizeof err) < 0) {
                t_fail(__FILE__, __LINE__, "%s", err);
                continue;
            }
            CHECK_I(one.win.samples, all.win.samples);
            CHECK_I((int64_t)one.nprocs, (int64_t)expect);
            for (size_t i = 0; i < one.nprocs; i++) {
                const ph_agg *x = &one.procs[i], *y = by_proc(&all, x->proc);
                if (!y) {
                    t_fail(__FILE__, __LINE__, "window %zu pid %d: process %lld not in the whole answer", w, pid,
                           (long long)x->proc);
                    continue;
                }
                CHECK_I(x->have, y->have);
                for (int m = 0; m < PH_METRIC_COUNT; m++)
                    if (ph_agg_get(x, m, -1) != ph_agg_get(y, m, -1))
                        t_fail(__FILE__, __LINE__, "window %zu pid %d: %s %lld vs %lld", w, pid,
                               ph_metric_column((enum ph_metric)m), (long long)ph_agg_get(x, m, -1),
                               (long long)ph_agg_get(y, m, -1));
                CHECK_I(x->mem_peak, y->mem_peak);
                CHECK_I(x->mem_peak_ns, y->mem_peak_ns);
                CHECK_I(x->mem_last, y->mem_last);
                CHECK_I(x->mem_avg, y->mem_avg);
                CHECK_I(x->first_ns, y->first_ns);
                CHECK_I(x->last_ns, y->last_ns);
                CHECK_I(x->rows, y->rows);
                compared++;
            }
            ph_result_free(&one);
        }
        ph_result_free(&all);
    }
    return compared;
}

/* A query of one pid gives each of its processes exactly what the whole
 * window's answer gives it, on every tier and stitch (only its rows and
 * the keyframes' are read: the keyframes still end processes that left no
 * exit). */
TEST(one_pid_queries_give_each_process_its_whole_window_figures)
{
    ph_gen_opts o;
    small_history(&o);
    ph_store *s = generate("onepid.db", &o);
    if (!s)
        return;
    int64_t t0 = o.start_ns;
    span_ns win[] = {
        {t0, t0 + 7 * HOUR},                                   /* hour rows */
        {t0 + HOUR + 17 * 60 * SEC, t0 + 5 * HOUR + 3 * 60 * SEC}, /* minute, hour, minute */
        {t0 + 2 * HOUR + 7 * SEC, t0 + 2 * HOUR + 41 * 60 * SEC + 13 * SEC}, /* raw edges */
        {t0 + 3 * HOUR, t0 + 5 * HOUR},                        /* across a sleep gap */
    };
    int several = 0;
    CHECK(pid_queries_match(s, win, PH_ARRAY_LEN(win), o.pid_span + 400, &several) > 100);
    CHECK(several > 0); /* pids named several processes in a window */
    ph_store_close(s);
}

TEST(rollup_is_idempotent_and_resumable)
{
    ph_gen_opts o;
    small_history(&o);
    o.duration_ns = 2 * HOUR + 30 * 60 * SEC;
    o.maintain = 0; /* history first, rollups after: a recorder catching up */
    ph_store *s = generate("catchup.db", &o);
    if (!s)
        return;
    ph_retention keep;
    ph_retention_default(&keep);
    ph_maint_stats ms;
    char err[256] = "";
    int calls = 0;
    do {
        CHECK_I(ph_maintain(s, &keep, o.start_ns + o.duration_ns, 7, 5000, &ms, err, sizeof err), 0);
        calls++;
    } while (ms.pending && calls < 200);
    CHECK(calls >= 4); /* a bounded amount per call: 30-minute runs, then hours */
    int64_t rows = q1(s, "SELECT count(*) FROM proc_minute");
    int64_t cpu = q1(s, "SELECT sum(cpu_user_ns) FROM proc_minute");
    /* Redo every bucket (as after a crash before the done mark was saved). */
    ph_store_exec(s, "DELETE FROM meta WHERE key IN ('minute_done', 'hour_done')");
    do {
        CHECK_I(ph_maintain(s, &keep, o.start_ns + o.duration_ns, 50, 5000, &ms, err, sizeof err), 0);
    } while (ms.pending);
    CHECK_I(q1(s, "SELECT count(*) FROM proc_minute"), rows);
    CHECK_I(q1(s, "SELECT sum(cpu_user_ns) FROM proc_minute"), cpu);
    /* ... and equal to the raw rows they cover (the last bucket is still open) */
    CHECK_I(q1(s, "SELECT sum(ps.cpu_user_ns) FROM proc_sample ps JOIN sample USING (sample)"
                  " WHERE ts_ns <= (SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'minute_done')"),
            cpu);
    CHECK(q1(s, "SELECT max(ts_ns) FROM sample") >
          q1(s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'minute_done'"));
    ph_store_close(s);
}

TEST(pruning_keeps_answers_and_gives_space_back)
{
    ph_gen_opts o;
    small_history(&o);
    o.gap_every_ns = 0;
    o.duration_ns = 6 * HOUR;
    ph_store *s = generate("prune.db", &o);
    if (!s)
        return;
    char err[256] = "";
    ph_result before, after;
    int64_t t0 = o.start_ns, end = o.start_ns + o.duration_ns;
    CHECK_I(ph_query_window(s, t0, t0 + 5 * HOUR, &before, err, sizeof err), 0);
    int64_t pages0 = q1(s, "SELECT page_count FROM pragma_page_count");
    int64_t raw0 = q1(s, "SELECT count(*) FROM proc_sample");

    ph_retention r;
    CHECK_I(ph_retention_parse("raw=1h,minute=2h,hour=400d", &r, err, sizeof err), 0);
    ph_maint_stats ms;
    int calls = 0;
    do {
        CHECK_I(ph_maintain(s, &r, end, 10, 20000, &ms, err, sizeof err), 0);
    } while (ms.pending && ++calls < 500);
    CHECK(q1(s, "SELECT count(*) FROM proc_sample") < raw0 / 3);
    CHECK(q1(s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'raw_pruned_to'") >= end - 2 * HOUR);
    CHECK(q1(s, "SELECT min(ts_ns) FROM sample") > end - 2 * HOUR);
    CHECK(q1(s, "SELECT min(bucket_ns) FROM proc_minute") >= end - 3 * HOUR - 3600 * SEC);
    CHECK(q1(s, "SELECT freelist_count FROM pragma_freelist_count") <= 64);
    CHECK(q1(s, "SELECT page_count FROM pragma_page_count") < pages0);

    /* The same window is now answered from hours and minutes. */
    CHECK_I(ph_query_window(s, t0, t0 + 5 * HOUR, &after, err, sizeof err), 0);
    CHECK(after.nseg >= 1);
    CHECK(after.seg[0].tier == PH_TIER_HOUR); /* minutes there are pruned too */
    CHECK_I(same_answers(&before, &after, "after pruning"), 0);
    ph_result_free(&before);
    ph_result_free(&after);
    ph_store_close(s);
}

TEST(retention_and_size_parsing)
{
    ph_retention r;
    char err[256];
    int64_t b;
    ph_retention_default(&r);
    CHECK_I(r.raw_ns, 2 * 86400 * SEC);
    CHECK_I(ph_retention_parse("minute=10d", &r, err, sizeof err), 0);
    CHECK_I(r.minute_ns, 10 * 86400 * SEC);
    CHECK_I(r.raw_ns, 2 * 86400 * SEC);
    CHECK_I(ph_retention_parse("raw=2x", &r, err, sizeof err), -1);
    CHECK_I(ph_retention_parse("week=2d", &r, err, sizeof err), -1);
    CHECK_I(ph_retention_parse("raw=40d", &r, err, sizeof err), -1); /* longer than minutes */
    CHECK_I(ph_size_parse("500M", &b), 0);
    CHECK_I(b, 500LL << 20);
    CHECK_I(ph_size_parse("2GiB", &b), 0);
    CHECK_I(b, 2LL << 30);
    CHECK_I(ph_size_parse("1.5G", &b), 0);
    CHECK_I(b, 3LL << 29);
    CHECK_I(ph_size_parse("12Q", &b), -1);
    CHECK_I(ph_size_parse("-1M", &b), -1);
}

/* A failing step reports its own error, not the ROLLBACK's "not an error". */
TEST(maintenance_failure_names_its_cause)
{
    ph_gen_opts o;
    small_history(&o);
    o.duration_ns = 3 * 60 * SEC; /* nothing to roll up yet: the failure is in pruning */
    o.gap_every_ns = 0;
    o.maintain = 0;
    ph_store *s = generate("broken.db", &o);
    if (!s)
        return;
    char err[256] = "";
    ph_retention r;
    ph_maint_stats ms;
    ph_retention_default(&r);
    CHECK_I(sqlite3_exec(ph_store_db(s), "DROP TABLE proc_minute", NULL, NULL, NULL), SQLITE_OK);
    CHECK_I(ph_maintain(s, &r, o.start_ns + o.duration_ns, 10, 5000, &ms, err, sizeof err), -1);
    CHECK(strstr(err, "no such table: proc_minute") != NULL);
    CHECK(strstr(err, "not an error") == NULL);
    ph_store_close(s);
}

/* The cap removes the oldest raw samples, just enough, and keeps every
 * sampled process's row; the mark lands on data that existed. */
TEST(size_cap_removes_only_the_oldest_data)
{
    ph_gen_opts o;
    small_history(&o);
    o.gap_every_ns = 0;
    o.duration_ns = 1 * HOUR;
    o.maintain = 0;
    ph_store *s = generate("cap.db", &o);
    if (!s)
        return;
    char err[256] = "";
    ph_retention r;
    ph_maint_stats ms;
    ph_retention_default(&r);
    int64_t page = q1(s, "SELECT page_size FROM pragma_page_size");
    int64_t used0 = (q1(s, "SELECT page_count FROM pragma_page_count") -
                     q1(s, "SELECT freelist_count FROM pragma_freelist_count")) * page;
    int64_t newest = q1(s, "SELECT max(ts_ns) FROM sample"), n0 = q1(s, "SELECT count(*) FROM sample");
    r.max_bytes = used0 * 3 / 4;
    CHECK_I(ph_enforce_cap(s, &r, &ms, err, sizeof err), 0);
    CHECK_I(ms.capped, 1);
    int64_t used = (q1(s, "SELECT page_count FROM pragma_page_count") -
                    q1(s, "SELECT freelist_count FROM pragma_freelist_count")) * page;
    int64_t allowance = ph_cap_wal_pages(r.max_bytes, page) * page;
    CHECK(used <= r.max_bytes - allowance);
    CHECK(used >= r.max_bytes - allowance - 64 * page); /* no more than needed */
    CHECK_I(q1(s, "SELECT max(ts_ns) FROM sample"), newest);
    CHECK(q1(s, "SELECT count(*) FROM sample") < n0);
    CHECK(q1(s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'raw_pruned_to'") <
          q1(s, "SELECT min(ts_ns) FROM sample"));
    CHECK_I(q1(s, "SELECT count(*) FROM (SELECT DISTINCT proc FROM proc_sample)"
                  " WHERE proc NOT IN (SELECT proc FROM process)"), 0);
    /* A later full maintenance keeps it so. */
    CHECK_I(ph_maintain(s, &r, newest, 10, 5000, &ms, err, sizeof err), 0);
    CHECK_I(q1(s, "SELECT count(*) FROM (SELECT DISTINCT proc FROM proc_sample)"
                  " WHERE proc NOT IN (SELECT proc FROM process)"), 0);
    CHECK(q1(s, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'raw_pruned_to'") <= newest);
    ph_store_close(s);
}

/* Process ids are never reused: the tracker (and a restarted recorder's
 * resume state) may still hold the id of a process whose row pruning
 * removes, and SQLite gives a new row max(proc) + 1, so removing the row of
 * the highest id would hand that id to the next process (two rows of one
 * "process" in a sample: a UNIQUE failure, or one process's figures on
 * another's name). Pruning keeps the highest id's row. */
TEST(pruning_never_frees_the_highest_process_id)
{
    ph_gen_opts o;
    small_history(&o);
    o.gap_every_ns = 0;
    o.duration_ns = 3 * HOUR;
    ph_store *s = generate("ids.db", &o);
    if (!s)
        return;
    int64_t top = q1(s, "SELECT max(proc) FROM process");
    int64_t procs0 = q1(s, "SELECT count(*) FROM process");
    CHECK(top > 0);
    /* The newest process as if it ended before everything still stored:
     * the very case pruning removes rows for. */
    char sql[512];
    snprintf(sql, sizeof sql,
             "DELETE FROM proc_sample WHERE proc = %lld; DELETE FROM proc_minute WHERE proc = %lld;"
             "DELETE FROM proc_hour WHERE proc = %lld; DELETE FROM resume WHERE proc = %lld;"
             "UPDATE process SET gone_ns = %lld WHERE proc = %lld;",
             (long long)top, (long long)top, (long long)top, (long long)top, (long long)o.start_ns,
             (long long)top);
    CHECK_I(sqlite3_exec(ph_store_db(s), sql, NULL, NULL, NULL), SQLITE_OK);
    char err[256] = "";
    ph_retention r;
    CHECK_I(ph_retention_parse("raw=1h,minute=2h,hour=400d", &r, err, sizeof err), 0);
    r.max_bytes = 1; /* a cap: gone processes go as soon as no tier holds them */
    ph_maint_stats ms;
    int calls = 0;
    do {
        CHECK_I(ph_maintain(s, &r, o.start_ns + o.duration_ns, 10, 20000, &ms, err, sizeof err), 0);
    } while (ms.pending && ++calls < 500);
    CHECK(q1(s, "SELECT count(*) FROM process") < procs0); /* pruning removed processes... */
    CHECK_I(q1(s, "SELECT max(proc) FROM process"), top); /* ...but not the highest id */
    ph_store_close(s);
}

/* ph_query_app_buckets (the report's points): each window of the one pass
 * over the app rows is what ph_query_window_metrics gives on it alone, with
 * sleep gaps across keyframes (those runs are asked window by window) and
 * without (one pass). */
typedef struct appb_cmp {
    ph_store *s;
    int64_t width;
    int windows, apps;
} appb_cmp;

static void same_app(const ph_agg *a, const ph_agg *b)
{
    CHECK_I(a->have, b->have);
    for (int m = 0; m < PH_METRIC_COUNT; m++)
        if (a->have & PH_BIT(m))
            CHECK_I(ph_agg_get(a, m, 0), ph_agg_get(b, m, 0));
    CHECK_I(a->mem_peak, b->mem_peak);
    CHECK_I(a->mem_peak_ns, b->mem_peak_ns);
    CHECK_I(a->mem_peak_proc, b->mem_peak_proc);
    CHECK_I(a->mem_last, b->mem_last);
    CHECK_I(a->first_ns, b->first_ns);
    CHECK_I(a->last_ns, b->last_ns);
    CHECK_I(a->nprocs, b->nprocs);
    CHECK_I(a->procs_max, b->procs_max);
    CHECK_I(a->changed, b->changed);
}

static int appb_vs_query(void *ctx, int64_t b, ph_result *res)
{
    appb_cmp *c = ctx;
    ph_result one;
    char err[256] = "";
    c->windows++;
    CHECK_I(ph_query_window_metrics(c->s, b, b + c->width, 0, PH_Q_APPS_ONLY, &one, err, sizeof err), 0);
    CHECK_I(res->win.samples, one.win.samples);
    CHECK_I(res->win.covered_ns, one.win.covered_ns);
    CHECK_I(res->win.first_ns, one.win.first_ns);
    CHECK_I(res->win.last_ns, one.win.last_ns);
    CHECK_I(res->nseg, one.nseg);
    CHECK_I(res->seg[0].tier, one.seg[0].tier);
    CHECK_I(res->napps, one.napps);
    for (size_t i = 0; i < one.napps; i++) {
        const ph_agg *g = NULL;
        for (size_t j = 0; j < res->napps; j++)
            if (strcmp(res->apps[j].app, one.apps[i].app) == 0)
                g = &res->apps[j];
        CHECK(g != NULL);
        if (g)
            same_app(g, &one.apps[i]);
    }
    c->apps += (int)one.napps;
    ph_result_free(&one);
    return 0;
}

TEST(app_buckets_are_one_query_per_window)
{
    for (int gaps = 0; gaps < 2; gaps++) {
        ph_gen_opts o;
        small_history(&o);
        if (!gaps)
            o.gap_every_ns = 0;
        ph_store *s = generate(gaps ? "appb_gaps.db" : "appb.db", &o);
        if (!s)
            return;
        int64_t w = HOUR; /* the minute tier answers windows of 30 min and more */
        int64_t first = q1(s, "SELECT min(bucket_ns) FROM sample_minute");
        int64_t last = q1(s, "SELECT max(bucket_ns) FROM sample_minute");
        int64_t since = (first + HOUR + w - 1) / w * w, until = (last - 10 * 60 * SEC) / w * w;
        CHECK(until - since >= 5 * HOUR);
        appb_cmp c = {s, w, 0, 0};
        char err[256] = "";
        CHECK_I(ph_query_app_buckets(s, since, until, w, 0, appb_vs_query, &c, err, sizeof err), 0);
        CHECK_I(c.windows, (int)((until - since) / w));
        CHECK(c.apps > c.windows); /* several apps per window */
        ph_store_close(s);
    }
}

/* The hour tier's group rows (schemas 16 and 17) say what the minute rows
 * say: for windows of whole hours, the groups of each cgroup key and of the
 * user from the group rows (the fast path of `top --by unit` and `top --by
 * user` over a month) have the counters, the
 * memory peak and the most alive at once of the query engine's grouping of
 * the minute rows; and the counters of the raw rows. */
static const ph_agg *by_key(const ph_result *r, const char *key)
{
    return by_app(r, key);
}

static void compare_group_rows(ph_store *s, int64_t t0, int *compared);

TEST(group_rows_agree_with_the_minute_rows)
{
    ph_gen_opts o;
    small_history(&o);
    ph_store *s = generate("groups.db", &o);
    if (!s)
        return;
    CHECK(q1(s, "SELECT count(DISTINCT key) FROM group_hour WHERE dim = 'unit'") > 2);
    CHECK(q1(s, "SELECT count(DISTINCT key) FROM group_hour WHERE dim = 'container'") > 1);
    CHECK(q1(s, "SELECT count(DISTINCT key) FROM group_hour WHERE dim = 'user'") > 1);
    CHECK_I(q1(s, "SELECT count(DISTINCT dim) FROM group_hour"), 5);
    int compared = 0;
    compare_group_rows(s, ph_floor_to(o.start_ns, HOUR) + HOUR, &compared);
    CHECK(compared > 20);
    ph_store_close(s);

    /* Across a day's keyframe (the hour tier's), where groups that stayed
     * idle are carried by their keyframe rows: two days, one busy process,
     * one-minute samples. */
    ph_gen_defaults(&o);
    o.start_ns = ph_floor_to(o.start_ns, 24 * HOUR) - 4 * HOUR; /* 20:00 */
    o.duration_ns = 30 * HOUR;
    o.interval_ns = 60 * SEC;
    o.alive = 24;
    o.busy = 1;
    o.apps = 6;
    o.churn = 0.05;
    o.seed = 11;
    s = generate("groups-day.db", &o);
    if (!s)
        return;
    compared = 0;
    compare_group_rows(s, o.start_ns + 4 * HOUR - 2 * HOUR, &compared); /* from 22:00, over midnight */
    CHECK(compared > 20);
    ph_store_close(s);
}

static void compare_group_rows(ph_store *s, int64_t t0, int *compared)
{
    char err[256] = "";
    struct { int64_t from, to; } win[] = {
        {t0, t0 + 2 * HOUR},
        {t0 + HOUR, t0 + 5 * HOUR}, /* across a sleep gap (the first history) */
        {t0 + 2 * HOUR, t0 + 3 * HOUR},
    };
    static const int keys[] = {PH_Q_BY_UNIT, PH_Q_BY_SLICE, PH_Q_BY_CONTAINER, PH_Q_BY_CGROUP, PH_Q_BY_USER};
    for (size_t w = 0; w < PH_ARRAY_LEN(win); w++) {
        for (size_t k = 0; k < PH_ARRAY_LEN(keys); k++) {
            ph_result fast, min, raw;
            CHECK_I(q_group_rows_cover(s, PH_TIER_HOUR, win[w].from, keys[k]), 1);
            CHECK_I(q_app_segment(s, PH_TIER_HOUR, win[w].from, win[w].to, keys[k], &fast, err, sizeof err), 0);
            CHECK_I((int)fast.nprocs, 0); /* no process row was read */
            CHECK_I(q_replay(s, PH_TIER_MINUTE, win[w].from, win[w].to, 0, PH_APP_METRICS, keys[k], NULL, NULL,
                             &min, NULL, err, sizeof err), 0);
            CHECK_I(q_replay(s, PH_TIER_RAW, win[w].from, win[w].to, 0, PH_APP_METRICS, keys[k], NULL, NULL, &raw,
                             NULL, err, sizeof err), 0);
            CHECK_I(fast.napps, min.napps);
            for (size_t i = 0; i < min.napps; i++) {
                const ph_agg *x = &min.apps[i], *y = by_key(&fast, x->app), *z = by_key(&raw, x->app);
                if (!y || !z) {
                    t_fail(__FILE__, __LINE__, "window %zu key %d: group %s missing", w, keys[k], x->app);
                    continue;
                }
                for (int m = 0; m < PH_METRIC_COUNT; m++)
                    if ((PH_APP_METRICS & PH_BIT(m)) && (ph_agg_get(x, m, 0) != ph_agg_get(y, m, 0) || ph_agg_get(x, m, 0) != ph_agg_get(z, m, 0)))
                        t_fail(__FILE__, __LINE__, "window %zu: group %s %s %lld (minute) %lld (group rows) %lld (raw)",
                               w, x->app, ph_metric_column((enum ph_metric)m), (long long)ph_agg_get(x, m, 0),
                               (long long)ph_agg_get(y, m, 0), (long long)ph_agg_get(z, m, 0));
                if (x->mem_peak != y->mem_peak || x->procs_max != y->procs_max)
                    t_fail(__FILE__, __LINE__, "window %zu: group %s peak %lld/%lld most alive %d/%d", w, x->app,
                           (long long)x->mem_peak, (long long)y->mem_peak, x->procs_max, y->procs_max);
                /* minute ends are some of the samples: never above the raw peak */
                if (x->mem_peak > z->mem_peak)
                    t_fail(__FILE__, __LINE__, "window %zu: group %s peak %lld above raw %lld", w, x->app,
                           (long long)x->mem_peak, (long long)z->mem_peak);
                (*compared)++;
            }
            ph_result_free(&fast);
            ph_result_free(&min);
            ph_result_free(&raw);
        }
    }
}

/* Processes whose proc_total row is not the sums of their hour rows (a
 * counter, the first or last bucket), or whose hour rows have none; -1 on
 * error. NULL and 0 are the same here: an hour row written again takes its
 * old counters back, leaving 0 where there was none. */
static int64_t totals_off(ph_store *s)
{
    return q1(s, "SELECT count(*) FROM (SELECT proc, min(bucket_ns) AS f, max(bucket_ns) AS l,"
                 " ifnull(sum(cpu_user_ns), 0) AS cu, ifnull(sum(cpu_system_ns), 0) AS cs,"
                 " ifnull(sum(disk_read_bytes), 0) AS dr, ifnull(sum(disk_write_bytes), 0) AS dw,"
                 " ifnull(sum(energy_est_nj), 0) AS e, ifnull(sum(ctxsw_voluntary), 0) AS cv,"
                 " ifnull(sum(faults_minor), 0) AS fm, ifnull(sum(gpu_ns), 0) AS g"
                 " FROM proc_hour GROUP BY proc) h LEFT JOIN proc_total t USING (proc)"
                 " WHERE t.proc IS NULL OR t.first_bucket_ns <> h.f OR t.last_bucket_ns <> h.l"
                 " OR ifnull(t.cpu_user_ns, 0) <> h.cu OR ifnull(t.cpu_system_ns, 0) <> h.cs"
                 " OR ifnull(t.disk_read_bytes, 0) <> h.dr OR ifnull(t.disk_write_bytes, 0) <> h.dw"
                 " OR ifnull(t.energy_est_nj, 0) <> h.e OR ifnull(t.ctxsw_voluntary, 0) <> h.cv"
                 " OR ifnull(t.faults_minor, 0) <> h.fm OR ifnull(t.gpu_ns, 0) <> h.g")
         + q1(s, "SELECT count(*) FROM proc_total WHERE proc NOT IN (SELECT proc FROM proc_hour)");
}

/* Two days of churn, pid reuse and sleep gaps, with power (estimated
 * energy) and a GPU: hour rows enough for a window's hour segment to pass
 * a day. */
static void two_days(ph_gen_opts *o)
{
    small_history(o);
    o->duration_ns = 40 * HOUR + 20 * 60 * SEC;
    o->interval_ns = 60 * SEC;
    o->churn = 0.6;
    o->gap_every_ns = 11 * HOUR + 7 * 60 * SEC;
    o->gap_ns = 50 * 60 * SEC;
    o->power = 1;
}

TEST(proc_totals_are_the_sums_of_the_hour_rows)
{
    ph_gen_opts o;
    two_days(&o);
    ph_store *s = generate("totals.db", &o);
    if (!s)
        return;
    CHECK(q1(s, "SELECT count(*) FROM proc_total") > 100);
    CHECK(q1(s, "SELECT count(*) FROM proc_total WHERE gone_ns IS NOT NULL") > 100);
    CHECK_I(totals_off(s), 0);
    /* The hour tier's app rows sum every counter (schema 19), as its
     * process rows say: estimated energy, GPU (none per process here),
     * context switches. */
    CHECK(q1(s, "SELECT count(*) FROM app_hour WHERE energy_est_nj > 0 AND ctxsw_voluntary > 0") > 20);
    CHECK_I(q1(s, "SELECT count(*) FROM app_hour a WHERE"
                  " a.energy_est_nj IS NOT (SELECT sum(h.energy_est_nj) FROM proc_hour h JOIN process p USING (proc)"
                  "                         WHERE h.bucket_ns = a.bucket_ns AND p.app = a.app)"
                  " OR a.gpu_ns IS NOT (SELECT sum(h.gpu_ns) FROM proc_hour h JOIN process p USING (proc)"
                  "                     WHERE h.bucket_ns = a.bucket_ns AND p.app = a.app)"
                  " OR a.ctxsw_voluntary IS NOT (SELECT sum(h.ctxsw_voluntary) FROM proc_hour h JOIN process p"
                  "                              USING (proc) WHERE h.bucket_ns = a.bucket_ns AND p.app = a.app)"),
            0);
    /* Hours rolled up again (as after a wall-clock step back: the mark
     * moves back, the buckets are written again): counted once. */
    CHECK_I(sqlite3_exec(ph_store_db(s),
                         "UPDATE meta SET value = CAST(value AS INTEGER) - 5 * 3600000000000 WHERE key = 'hour_done'",
                         NULL, NULL, NULL),
            SQLITE_OK);
    int64_t before = q1(s, "SELECT sum(cpu_user_ns) FROM proc_total");
    ph_retention keep;
    ph_retention_default(&keep); /* the raw and minute rows of those hours are still there */
    ph_maint_stats ms;
    char err[256] = "";
    int calls = 0, rolled = 0;
    do {
        CHECK_I(ph_maintain(s, &keep, o.start_ns + o.duration_ns, 50, 5000, &ms, err, sizeof err), 0);
        rolled += ms.hour_buckets;
    } while (ms.pending && ++calls < 50);
    CHECK(rolled >= 5);
    CHECK_I(q1(s, "SELECT sum(cpu_user_ns) FROM proc_total"), before);
    CHECK_I(totals_off(s), 0);
    ph_store_close(s);
}

/* The ranks ph_query_window_top is asked for in commands: a counter's sum,
 * the memory peak, the time last seen. */
static int64_t rank_cpu(const ph_agg *a, void *ctx)
{
    (void)ctx;
    if (!(a->have & (PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS))))
        return -1;
    return ph_agg_get(a, PH_M_CPU_USER_NS, 0) + ph_agg_get(a, PH_M_CPU_SYSTEM_NS, 0);
}
static int64_t rank_mem(const ph_agg *a, void *ctx)
{
    (void)ctx;
    return a->mem_peak;
}
static int64_t rank_seen(const ph_agg *a, void *ctx)
{
    (void)ctx;
    return a->last_ns;
}
/* GPU time, which no process of the generated history has (as wakeups on
 * Linux): every process ties, and the order is the names'. */
static int64_t rank_gpu(const ph_agg *a, void *ctx)
{
    (void)ctx;
    return ph_agg_get(a, PH_M_GPU_NS, -1);
}

static int cmp_names(const void *x, const void *y)
{
    const ph_agg *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    if (a->pid != b->pid)
        return (a->pid > b->pid) - (a->pid < b->pid);
    return (a->proc > b->proc) - (a->proc < b->proc);
}

/* The first `limit` of r's processes by rank, then name, pid, proc. */
static size_t ranked(const ph_result *r, ph_rank_fn rank, size_t limit, ph_agg **out)
{
    int64_t *keys = calloc(r->nprocs + 1, sizeof *keys);
    for (size_t i = 0; i < r->nprocs; i++)
        keys[i] = rank(&r->procs[i], NULL);
    size_t n = ph_agg_top_keyed(r->procs, r->nprocs, keys, limit, cmp_names, out);
    free(keys);
    return n;
}

static int same_agg(const ph_agg *a, const ph_agg *b, ph_mask want)
{
    if (a->proc != b->proc || a->pid != b->pid || strcmp(a->name, b->name) || strcmp(a->app, b->app) ||
        (a->have & want) != (b->have & want) || a->mem_peak != b->mem_peak || a->mem_peak_ns != b->mem_peak_ns ||
        a->mem_last != b->mem_last || a->mem_avg != b->mem_avg || a->first_ns != b->first_ns ||
        a->last_ns != b->last_ns || a->rows != b->rows || a->active != b->active || a->changed != b->changed)
        return 0;
    for (int m = 0; m < PH_METRIC_COUNT; m++)
        if ((want & PH_BIT(m)) && ph_agg_get(a, m, -1) != ph_agg_get(b, m, -1))
            return 0;
    return 1;
}

/* The window's apps (users, cgroup keys) over days, answered from their
 * rows and proc_total, are what a pass over every process gives: how many
 * processes each had, first and last seen, counters, memory peak (a
 * group's from its group rows: at least that); also once retention pruned
 * the oldest hour rows. */
/* The group of r keyed app, or NULL. */
static const ph_agg *app_in(const ph_result *r, const char *app)
{
    for (size_t k = 0; k < r->napps; k++)
        if (strcmp(r->apps[k].app, app) == 0)
            return &r->apps[k];
    return NULL;
}

static void apps_match(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, int *answered)
{
    char err[256] = "";
    ph_result full, fast;
    int64_t nread = 0;
    if (ph_query_window_metrics(s, since, until, want, flags, &full, err, sizeof err) < 0) {
        t_fail(__FILE__, __LINE__, "%s", err);
        return;
    }
    int rc = ph_query_window_apps(s, since, until, want, flags, &fast, &nread, err, sizeof err);
    if (rc != 1)
        t_fail(__FILE__, __LINE__, "(%lld, %lld]: %d", (long long)since, (long long)until, rc);
    if (rc != 1) {
        ph_result_free(&full);
        return;
    }
    (*answered)++;
    CHECK(nread < (int64_t)full.nprocs / 2); /* it did not read every process */
    CHECK_I((int64_t)fast.napps, (int64_t)full.napps);
    CHECK_I(fast.win.samples, full.win.samples);
    for (size_t i = 0; i < full.napps; i++) {
        const ph_agg *x = &full.apps[i], *y = app_in(&fast, x->app);
        if (!y) {
            t_fail(__FILE__, __LINE__, "app %s missing", x->app);
            continue;
        }
        CHECK_I(y->nprocs, x->nprocs);
        CHECK_I(y->first_ns, x->first_ns);
        CHECK_I(y->last_ns, x->last_ns);
        if (flags & PH_Q_GROUPED) { /* the group rows' peaks: at minute ends, not hour ends */
            CHECK(y->mem_peak >= x->mem_peak);
            CHECK(y->procs_max >= x->procs_max);
        } else {
            CHECK_I(y->mem_peak, x->mem_peak);
            CHECK_I(y->procs_max, x->procs_max);
        }
        for (int m = 0; m < PH_METRIC_COUNT; m++)
            if ((want & PH_BIT(m)) && ph_agg_get(x, m, -1) != ph_agg_get(y, m, -1))
                t_fail(__FILE__, __LINE__, "app %s: %s %lld vs %lld", x->app, ph_metric_column((enum ph_metric)m),
                       (long long)ph_agg_get(y, m, -1), (long long)ph_agg_get(x, m, -1));
    }
    ph_result_free(&full);
    ph_result_free(&fast);
}

TEST(apps_over_days_count_their_processes_from_proc_total)
{
    ph_gen_opts o;
    two_days(&o);
    ph_store *s = generate("apps_days.db", &o);
    if (!s)
        return;
    const int64_t t0 = o.start_ns, t1 = o.start_ns + o.duration_ns;
    const ph_mask want = PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS) | PH_BIT(PH_M_CHILD_CPU_USER_NS) |
                         PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS) | PH_BIT(PH_M_DISK_READ_BYTES) |
                         PH_BIT(PH_M_DISK_WRITE_BYTES);
    const int64_t win[][2] = {
        {t0 - HOUR, t1 + HOUR},
        {t0 + 2 * HOUR + 17 * 60 * SEC + 3 * SEC, t1 - 3 * HOUR + 5 * 60 * SEC},
        {t0 + 5 * HOUR, t0 + 35 * HOUR},
        {t0 + 11 * HOUR - 7 * SEC, t1},
    };
    int answered = 0;
    for (size_t w = 0; w < PH_ARRAY_LEN(win); w++) {
        apps_match(s, win[w][0], win[w][1], want, 0, &answered);
        apps_match(s, win[w][0], win[w][1], want, PH_Q_BY_USER, &answered);
        apps_match(s, win[w][0], win[w][1], want, w % 2 ? PH_Q_BY_UNIT : PH_Q_BY_CONTAINER, &answered);
    }
    CHECK_I(answered, 3 * (int)PH_ARRAY_LEN(win));
    CHECK(q1(s, "SELECT count(DISTINCT unit) FROM cgroup") > 3);
    CHECK(q1(s, "SELECT count(DISTINCT container_id) FROM cgroup") > 0);
    /* Not its case: a day or less, or app rows asked for. */
    char err[256] = "";
    int64_t nread;
    ph_result none;
    CHECK_I(ph_query_window_apps(s, t0 + HOUR, t0 + 20 * HOUR, want, 0, &none, &nread, err, sizeof err), 0);
    CHECK_I(ph_query_window_apps(s, t0, t1, want, PH_Q_APPS_ONLY, &none, &nread, err, sizeof err), 0);
    ph_retention keep;
    ph_retention_default(&keep);
    keep.raw_ns = 2 * HOUR;
    keep.minute_ns = 6 * HOUR;
    keep.hour_ns = 30 * HOUR;
    ph_maint_stats ms;
    int calls = 0;
    do
        CHECK_I(ph_maintain(s, &keep, t1, 50, 100000, &ms, err, sizeof err), 0);
    while (ms.pending && ++calls < 50);
    CHECK(q1(s, "SELECT min(bucket_ns) FROM proc_hour") > t0 + 8 * HOUR);
    apps_match(s, t0, t1, want, 0, &answered);
    apps_match(s, q1(s, "SELECT min(bucket_ns) FROM proc_hour") + 5 * 60 * SEC, t1, want, 0, &answered);
    apps_match(s, t0, t1, want, PH_Q_BY_USER, &answered);
    apps_match(s, t0, t1, want, PH_Q_BY_SLICE, &answered);
    CHECK_I(answered, 3 * (int)PH_ARRAY_LEN(win) + 4);
    ph_store_close(s);
    /* Apps whose every process was short and inside the window: their
     * first and last sighting, and how many, are proc_total's alone. */
    two_days(&o);
    o.apps = 400; /* more apps than long-lived processes */
    s = generate("apps_short.db", &o);
    if (!s)
        return;
    CHECK(q1(s, "SELECT count(*) FROM (SELECT app FROM process GROUP BY app HAVING max(gone_ns IS NULL) = 0)") > 50);
    answered = 0;
    for (size_t w = 0; w < PH_ARRAY_LEN(win); w++)
        apps_match(s, win[w][0], win[w][1], want, 0, &answered);
    CHECK_I(answered, (int)PH_ARRAY_LEN(win));
    ph_store_close(s);
}

/* A process that changed user (setuid, recorded as a rename: its process
 * row takes the new uid) after some of its hours were rolled up. apps by
 * user counts it, and its sightings, under its process row's user, as a
 * pass over every process does; its counters are the user rows', as top
 * --by user gives them: each hour under the user it had when that hour was
 * rolled up (docs/schema.md, group_hour). So the users' totals together
 * are every process's, and the hours before the change stay the old
 * user's. (Found by an independent review: the commit first said the
 * counters were unchanged.) */
TEST(apps_by_user_after_a_process_changed_user)
{
    ph_gen_opts o;
    two_days(&o);
    ph_store *s = generate("apps_setuid.db", &o);
    if (!s)
        return;
    const int64_t t0 = o.start_ns, t1 = o.start_ns + o.duration_ns;
    const ph_mask want = PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS) | PH_BIT(PH_M_DISK_READ_BYTES) |
                         PH_BIT(PH_M_DISK_WRITE_BYTES);
    /* the busiest process alive at the end, root until now */
    CHECK_I(sqlite3_exec(ph_store_db(s),
                         "UPDATE process SET uid = 65534 WHERE proc = (SELECT p.proc FROM process p"
                         " JOIN proc_total t ON t.proc = p.proc WHERE p.gone_ns IS NULL AND p.uid = 0"
                         " ORDER BY t.cpu_user_ns DESC LIMIT 1)",
                         NULL, NULL, NULL),
            SQLITE_OK);
    CHECK_I(sqlite3_changes(ph_store_db(s)), 1);
    char err[256] = "";
    int64_t nread = 0;
    ph_result full, fast, rows;
    CHECK_I(ph_query_window_metrics(s, t0 - HOUR, t1 + HOUR, want, PH_Q_BY_USER, &full, err, sizeof err), 0);
    CHECK_I(ph_query_window_metrics(s, t0 - HOUR, t1 + HOUR, want, PH_Q_BY_USER | PH_Q_APPS_ONLY, &rows, err,
                                    sizeof err),
            0);
    CHECK_I(ph_query_window_apps(s, t0 - HOUR, t1 + HOUR, want, PH_Q_BY_USER, &fast, &nread, err, sizeof err), 1);
    CHECK_I((int64_t)fast.napps, (int64_t)full.napps);
    int moved = 0;
    int64_t tot_full[PH_METRIC_COUNT] = {0}, tot_fast[PH_METRIC_COUNT] = {0};
    for (size_t i = 0; i < full.napps; i++) {
        const ph_agg *x = &full.apps[i], *y = app_in(&fast, x->app), *z = app_in(&rows, x->app);
        if (!y || !z) {
            t_fail(__FILE__, __LINE__, "user %s missing", x->app);
            continue;
        }
        CHECK_I(y->nprocs, x->nprocs); /* counted under its process row's user */
        CHECK_I(y->first_ns, x->first_ns);
        CHECK_I(y->last_ns, x->last_ns);
        for (int m = 0; m < PH_METRIC_COUNT; m++) {
            if (!(want & PH_BIT(m)))
                continue;
            CHECK_I(ph_agg_get(y, m, 0), ph_agg_get(z, m, 0)); /* top --by user's */
            tot_full[m] += ph_agg_get(x, m, 0);
            tot_fast[m] += ph_agg_get(y, m, 0);
        }
        moved += ph_agg_get(y, PH_M_CPU_USER_NS, 0) != ph_agg_get(x, PH_M_CPU_USER_NS, 0);
    }
    for (int m = 0; m < PH_METRIC_COUNT; m++)
        CHECK_I(tot_fast[m], tot_full[m]); /* nothing lost or counted twice */
    CHECK_I(moved, 2); /* root kept the hours before the change */
    ph_result_free(&full);
    ph_result_free(&fast);
    ph_result_free(&rows);
    ph_store_close(s);
}

/* Over days the rows of a pid's processes are sought by key (each over
 * its span in proc_total, and one row of each keyframe bucket): the same
 * figures as the whole window's, across keyframe days, on and off the hour
 * grid, for processes whose exit was never recorded, and after retention
 * pruned the oldest hour rows. */
TEST(one_pid_queries_over_days_seek_the_same_rows)
{
    ph_gen_opts o;
    two_days(&o);
    ph_store *s = generate("onepid_days.db", &o);
    if (!s)
        return;
    const int64_t t0 = o.start_ns, t1 = o.start_ns + o.duration_ns;
    span_ns win[] = {
        {t0 - HOUR, t1 + HOUR},
        {t0 + 2 * HOUR + 17 * 60 * SEC + 3 * SEC, t1 - 3 * HOUR + 5 * 60 * SEC},
        {t0 + 23 * HOUR, t0 + 26 * HOUR},  /* across a keyframe day */
        {t0 + 24 * HOUR, t0 + 25 * HOUR},  /* from one */
        {t0 + 25 * HOUR, t1},              /* an hour after one: the lookback is the keyframe bucket */
        {t0 + HOUR, t0 + 30 * HOUR},
        {t0 + 7 * HOUR + 31 * 60 * SEC, t1 - 29 * 60 * SEC},
    };
    int several = 0;
    CHECK(pid_queries_match(s, win, PH_ARRAY_LEN(win), o.pid_span + 400, &several) > 200);
    CHECK(several > 0);
    /* Processes whose exit was never recorded (a recorder killed, a
     * reboot) end at the first keyframe without a row of theirs: the pass
     * must meet each keyframe even where no selected process has a row. */
    int64_t vanished = q1(s, "SELECT count(*) FROM process WHERE gone_ns IS NOT NULL AND proc % 3 = 0");
    CHECK(vanished > 50);
    CHECK_I(sqlite3_exec(ph_store_db(s), "UPDATE process SET gone_ns = NULL WHERE proc % 3 = 0", NULL, NULL, NULL),
            SQLITE_OK);
    CHECK(pid_queries_match(s, win, 2, o.pid_span + 400, &several) > 100);
    ph_retention keep;
    ph_retention_default(&keep);
    keep.raw_ns = 2 * HOUR;
    keep.minute_ns = 6 * HOUR;
    keep.hour_ns = 30 * HOUR;
    ph_maint_stats ms;
    char err[256] = "";
    int calls = 0;
    do
        CHECK_I(ph_maintain(s, &keep, t1, 50, 100000, &ms, err, sizeof err), 0);
    while (ms.pending && ++calls < 50);
    CHECK(q1(s, "SELECT min(bucket_ns) FROM proc_hour") > t0 + 8 * HOUR);
    span_ns pruned[] = {{t0, t1}, {q1(s, "SELECT min(bucket_ns) FROM proc_hour") + 5 * 60 * SEC, t1 - 2 * HOUR}};
    CHECK(pid_queries_match(s, pruned, PH_ARRAY_LEN(pruned), o.pid_span + 400, &several) > 50);
    ph_store_close(s);
}

TEST(ranking_over_days_reads_only_what_can_rank)
{
    ph_gen_opts o;
    two_days(&o);
    ph_store *s = generate("ranked.db", &o);
    if (!s)
        return;
    const int64_t t0 = o.start_ns, t1 = o.start_ns + o.duration_ns;
    /* windows on and off the hour grid, to the end and in the past */
    const int64_t win[][2] = {
        {t0 - HOUR, t1 + HOUR},
        {t0 + 2 * HOUR + 17 * 60 * SEC + 3 * SEC, t1 - 3 * HOUR + 5 * 60 * SEC},
        {t0 + 5 * HOUR, t0 + 35 * HOUR},
        {t0 + 7 * HOUR + 31 * 60 * SEC, t1 - 29 * 60 * SEC},
    };
    const ph_rank_fn ranks[] = {rank_cpu, rank_mem, rank_seen, rank_gpu};
    const ph_mask rank_needs[] = {PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS), 0, 0, PH_BIT(PH_M_GPU_NS)};
    const ph_mask want = PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS) | PH_BIT(PH_M_DISK_READ_BYTES) |
                         PH_BIT(PH_M_ENERGY_EST_NJ) | PH_BIT(PH_M_GPU_NS);
    const size_t limits[] = {1, 7, 40, 150};
    char err[256] = "";
    int answered = 0, left_out = 0;
    for (size_t w = 0; w < PH_ARRAY_LEN(win); w++) {
        ph_result full;
        CHECK_I(ph_query_window_metrics(s, win[w][0], win[w][1], want, 0, &full, err, sizeof err), 0);
        for (size_t k = 0; k < PH_ARRAY_LEN(ranks); k++) {
            for (size_t l = 0; l < PH_ARRAY_LEN(limits); l++) {
                ph_result fast;
                int rc = ph_query_window_top(s, win[w][0], win[w][1], want, 0, rank_needs[k], want, ranks[k], NULL,
                                             limits[l], NULL, NULL, &fast, err, sizeof err);
                CHECK(rc == 1);
                if (rc != 1)
                    continue;
                answered++;
                left_out += fast.rest && fast.rest->nprocs > 0;
                /* the same first rows, each with the same figures */
                ph_agg *a, *b;
                size_t na = ranked(&full, ranks[k], limits[l], &a), nb = ranked(&fast, ranks[k], limits[l], &b);
                CHECK_I(nb, na);
                for (size_t i = 0; i < na && i < nb; i++)
                    if (!same_agg(&a[i], &b[i], want)) {
                        t_fail(__FILE__, __LINE__, "window %zu rank %zu limit %zu: row %zu is proc %lld, not %lld",
                               w, k, limits[l], i, (long long)b[i].proc, (long long)a[i].proc);
                        break;
                    }
                free(a);
                free(b);
                /* every process counted once: read, or summed in rest */
                CHECK_I((int64_t)fast.nprocs + (fast.rest ? fast.rest->nprocs : 0), (int64_t)full.nprocs);
                for (int m = 0; m < PH_METRIC_COUNT; m++) {
                    if (!(want & PH_BIT(m)))
                        continue;
                    int64_t tf = 0, tq = fast.rest ? ph_agg_get(fast.rest, m, 0) : 0;
                    for (size_t i = 0; i < full.nprocs; i++)
                        tf += ph_agg_get(&full.procs[i], m, 0);
                    for (size_t i = 0; i < fast.nprocs; i++)
                        tq += ph_agg_get(&fast.procs[i], m, 0);
                    CHECK_I(tq, tf);
                }
                CHECK_I(fast.win.samples, full.win.samples);
                CHECK_I(fast.win.covered_ns, full.win.covered_ns);
                ph_result_free(&fast);
            }
        }
        ph_result_free(&full);
    }
    CHECK_I(answered, (int)(PH_ARRAY_LEN(win) * PH_ARRAY_LEN(ranks) * PH_ARRAY_LEN(limits)));
    CHECK(left_out > answered / 2); /* it did leave processes out */
    /* Hour rows pruned by retention stay counted in proc_total: a process
     * some of whose rows are gone is not taken as inside (its sums would
     * be too large), so the window's totals still hold. */
    ph_retention keep;
    ph_retention_default(&keep);
    keep.raw_ns = 2 * HOUR;
    keep.minute_ns = 6 * HOUR;
    keep.hour_ns = 30 * HOUR;
    ph_maint_stats ms;
    int calls = 0;
    do
        CHECK_I(ph_maintain(s, &keep, t1, 50, 100000, &ms, err, sizeof err), 0);
    while (ms.pending && ++calls < 50);
    CHECK(q1(s, "SELECT min(bucket_ns) FROM proc_hour") > t0 + 8 * HOUR);
    for (int pass = 0; pass < 2; pass++) {
        int64_t since = pass ? q1(s, "SELECT min(bucket_ns) FROM proc_hour") + 5 * 60 * SEC : t0;
        ph_result full, fast;
        CHECK_I(ph_query_window_metrics(s, since, t1, want, 0, &full, err, sizeof err), 0);
        CHECK_I(ph_query_window_top(s, since, t1, want, 0, PH_BIT(PH_M_CPU_USER_NS), want, rank_cpu, NULL, 3, NULL,
                                    NULL, &fast, err, sizeof err),
                1);
        int64_t tf = 0, tq = fast.rest ? ph_agg_get(fast.rest, PH_M_ENERGY_EST_NJ, 0) : 0;
        for (size_t i = 0; i < full.nprocs; i++)
            tf += ph_agg_get(&full.procs[i], PH_M_ENERGY_EST_NJ, 0);
        for (size_t i = 0; i < fast.nprocs; i++)
            tq += ph_agg_get(&fast.procs[i], PH_M_ENERGY_EST_NJ, 0);
        CHECK_I(tq, tf);
        CHECK(tf > 0);
        ph_result_free(&full);
        ph_result_free(&fast);
    }
    /* A day or less: not its case, the whole window is cheap. */
    ph_result none;
    CHECK_I(ph_query_window_top(s, t0 + HOUR, t0 + 20 * HOUR, want, 0, 0, want, rank_cpu, NULL, 5, NULL, NULL, &none,
                                err, sizeof err),
            0);
    CHECK_I(ph_query_window_top(s, win[0][0], win[0][1], want, PH_Q_APPS_ONLY, 0, want, rank_cpu, NULL, 5, NULL, NULL,
                                &none, err, sizeof err),
            0);
    ph_store_close(s);
}
