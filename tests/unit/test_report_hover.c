/*
 * The report's hover on points longer than a minute
 * (ph_query_rollup_proc_top, src/db/bucket_top.c): each run of points is
 * one pass over the process rows of the coarsest rollup tier that holds it,
 * not the tier the plan picks for one point alone. Each point's list must
 * be what the engine's own call on that point gives (`top --by process`):
 * its processes by CPU, then memory peak, each with those two figures, pid
 * and name. Checked on generated history with churn and pid reuse, sleep
 * gaps across keyframes, and runs that cross from one tier to the next
 * (hour rows end before minute rows, minute rows before raw ones); with
 * the hover's 6 processes, and with every process of the point (so every
 * memory peak, carried values and lifetime peaks included, is compared).
 */
#include "test.h"

#include "genlib.h"
#include "ph_db.h"
#include "ph_query.h"

#include "../../src/db/db_private.h" /* its sqlite3 handle, for the set-up's reads */
#include <stdlib.h>

#define SEC 1000000000LL
#define MIN (60 * SEC)
#define HOUR (3600 * SEC)

static int64_t q1(ph_store *s, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(ph_store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
        return -2;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A process as the hover shows it (src/cli/cmd_report.c point_top). */
typedef struct shown {
    int64_t cpu, mem, proc;
    int32_t pid;
    const char *name;
} shown;

static shown shown_of(const ph_agg *a)
{
    shown v;
    ph_mask cpu = PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS);
    v.cpu = -1;
    if (a->have & cpu)
        v.cpu = ((a->have & PH_BIT(PH_M_CPU_USER_NS)) ? ph_agg_get(a, PH_M_CPU_USER_NS, 0) : 0) +
                ((a->have & PH_BIT(PH_M_CPU_SYSTEM_NS)) ? ph_agg_get(a, PH_M_CPU_SYSTEM_NS, 0) : 0);
    if (v.cpu < 0)
        v.cpu = 0; /* no counters: ran for none of the point (the contract's 0) */
    v.mem = a->mem_peak;
    v.proc = a->proc;
    v.pid = a->pid;
    v.name = a->name;
    return v;
}

/* CPU, then memory, descending; then the process id (ties are the
 * caller's to order: any order of them is right). */
static int cmp_shown(const void *x, const void *y)
{
    const shown *a = x, *b = y;
    if (a->cpu != b->cpu)
        return a->cpu < b->cpu ? 1 : -1;
    if (a->mem != b->mem)
        return a->mem < b->mem ? 1 : -1;
    return (a->proc > b->proc) - (a->proc < b->proc);
}

typedef struct cmp_ctx {
    ph_store *s;
    int64_t width, next;
    size_t limit;
    int windows, compared, coarser, listed, full, mem_only, carried;
} cmp_ctx;

static int against_query(void *ctx, int64_t b, ph_result *res)
{
    cmp_ctx *c = ctx;
    ph_result one;
    char err[256] = "";
    CHECK_I(b, c->next); /* every window, in order */
    c->next = b + c->width;
    c->windows++;
    CHECK_I(res->win.since, b);
    CHECK_I(res->win.until, b + c->width);
    CHECK_I(ph_query_window_metrics(c->s, b, b + c->width, ~(ph_mask)0, 0, &one, err, sizeof err), 0);
    /* The report lists nothing of a point without samples (a gap: the
     * values carried into it differ between tiers across a long sleep). */
    if (one.win.samples == 0) {
        ph_result_free(&one);
        return 0;
    }
    c->compared++;
    if (res->nseg && one.nseg && res->seg[0].tier > one.seg[0].tier)
        c->coarser++; /* answered from a coarser tier than the query's own */
    /* What the hover would list from the query's processes: those with CPU
     * or memory, the first `limit`, and the ones tied with the last. */
    shown *want = calloc(one.nprocs + 1, sizeof *want), *got = calloc(res->nprocs + 1, sizeof *got);
    size_t nw = 0;
    for (size_t i = 0; i < one.nprocs; i++) {
        shown v = shown_of(&one.procs[i]);
        if (v.cpu > 0 || v.mem > 0)
            want[nw++] = v;
        c->carried += v.cpu <= 0 && v.mem > 0 && one.procs[i].rows == 0;
    }
    qsort(want, nw, sizeof *want, cmp_shown);
    size_t keep = nw < c->limit ? nw : c->limit;
    while (keep > 0 && keep < nw && want[keep].cpu == want[keep - 1].cpu && want[keep].mem == want[keep - 1].mem)
        keep++;
    for (size_t i = 0; i < res->nprocs; i++)
        got[i] = shown_of(&res->procs[i]);
    /* In the order the contract gives (CPU, then memory), ties in any. */
    for (size_t i = 1; i < res->nprocs; i++)
        if (got[i].cpu > got[i - 1].cpu || (got[i].cpu == got[i - 1].cpu && got[i].mem > got[i - 1].mem))
            t_fail(__FILE__, __LINE__, "width %llds, point at %lld: the list is out of order at %zu",
                   (long long)(c->width / SEC), (long long)(b / SEC), i);
    qsort(got, res->nprocs, sizeof *got, cmp_shown);
    if (res->nprocs != keep)
        t_fail(__FILE__, __LINE__, "width %llds, point at %lld (tier %s; the query's %s): %zu listed, the query %zu",
               (long long)(c->width / SEC), (long long)(b / SEC), ph_tier_name(res->seg[0].tier),
               ph_tier_name(one.seg[0].tier), res->nprocs, keep);
    for (size_t i = 0; i < keep && i < res->nprocs; i++) {
        const shown *w = &want[i], *g = &got[i];
        if (w->proc != g->proc || w->cpu != g->cpu || w->mem != g->mem || w->pid != g->pid ||
            strcmp(w->name, g->name) != 0)
            t_fail(__FILE__, __LINE__,
                   "width %llds, point at %lld (tier %s; the query's %s), #%zu: the query %s (%d, process %lld)"
                   " cpu %lld mem %lld, the pass %s (%d, process %lld) cpu %lld mem %lld",
                   (long long)(c->width / SEC), (long long)(b / SEC), ph_tier_name(res->seg[0].tier),
                   ph_tier_name(one.seg[0].tier), i, w->name, w->pid, (long long)w->proc, (long long)w->cpu,
                   (long long)w->mem, g->name, g->pid, (long long)g->proc, (long long)g->cpu, (long long)g->mem);
        c->listed++;
        c->mem_only += w->cpu <= 0;
    }
    c->full += keep >= c->limit;
    free(want);
    free(got);
    ph_result_free(&one);
    return 0;
}

TEST(hover_points_are_the_points_queries)
{
    ph_gen_opts o;
    ph_gen_defaults(&o);
    o.duration_ns = 9 * HOUR + 20 * MIN;
    o.alive = 40;
    o.busy = 8;
    o.apps = 6;
    o.churn = 1.5;                        /* many short processes */
    o.pid_span = 90;                      /* pids reused within minutes */
    o.gap_every_ns = 3 * HOUR + 7 * MIN;  /* sleeps across keyframes */
    o.gap_ns = 95 * MIN;
    o.seed = 19;
    char path[600], err[512] = "";
    ph_store *s = NULL;
    ph_gen_stats st;
    snprintf(path, sizeof path, "%s/hover.db", t_tmpdir());
    if (ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err) < 0 || ph_gen_history(s, &o, &st, err, sizeof err) < 0) {
        t_fail(__FILE__, __LINE__, "%s", err);
        if (s)
            ph_store_close(s);
        return;
    }
    int64_t first = q1(s, "SELECT min(ts_ns) FROM sample");
    int64_t hour_done = q1(s, "SELECT value FROM meta WHERE key = 'hour_done'");
    int64_t minute_done = q1(s, "SELECT value FROM meta WHERE key = 'minute_done'");
    int64_t last = q1(s, "SELECT max(ts_ns) FROM sample");
    CHECK(hour_done > first + 4 * HOUR);
    CHECK(minute_done > hour_done);
    static const int64_t widths[] = {5 * MIN, 15 * MIN, HOUR, 2 * HOUR};
    static const size_t limits[] = {6, 100000};
    for (size_t k = 0; k < sizeof widths / sizeof *widths; k++) {
        for (size_t l = 0; l < sizeof limits / sizeof *limits; l++) {
            int64_t w = widths[k];
            /* From before the first sample (nothing carried) to past the
             * last (beyond every rollup: asked one by one). */
            int64_t since = (first - w) / w * w, until = (last + 2 * w) / w * w;
            cmp_ctx c = {s, w, since, limits[l], 0, 0, 0, 0, 0, 0, 0};
            CHECK_I(ph_query_rollup_proc_top(s, since, until, w, limits[l], against_query, &c, err, sizeof err), 0);
            CHECK_I(c.windows, (int)((until - since) / w));
            CHECK(c.compared > c.windows / 2);
            CHECK(c.coarser >= c.compared / 2); /* the pass read coarser rows than the queries */
            if (limits[l] == 6) {
                CHECK(c.full > c.compared * 3 / 4); /* full lists */
            } else {
                CHECK(c.listed > 20 * c.compared); /* every process of a point */
                CHECK(c.mem_only > c.compared);    /* idle ones, by memory */
                CHECK(c.carried > 0);              /* with only the value carried in */
            }
        }
    }
    /* Not a multiple of a minute: every point is its own query. */
    cmp_ctx c = {s, 50 * SEC, (first + HOUR) / (50 * SEC) * (50 * SEC), 6, 0, 0, 0, 0, 0, 0, 0};
    CHECK_I(ph_query_rollup_proc_top(s, c.next, c.next + 12 * 50 * SEC, 50 * SEC, 6, against_query, &c, err,
                                     sizeof err), 0);
    CHECK_I(c.windows, 12);
    CHECK_I(c.coarser, 0);
    CHECK_I(c.full, 12);
    /* Bad windows: one clear error. */
    err[0] = '\0';
    CHECK_I(ph_query_rollup_proc_top(s, HOUR, HOUR + 90 * SEC, 60 * SEC, 6, against_query, &c, err, sizeof err), -1);
    CHECK(err[0] != '\0');
    ph_store_close(s);
}
