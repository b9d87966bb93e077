/*
 * The report's points longer than a minute (ph_query_rollup_app_buckets,
 * src/db/plan.c): each run of points is one pass over the coarsest rollup
 * tier that holds it, not the tier the plan picks for one point alone (raw
 * for 5 minutes, minute for 1 or 2 hours). What the report draws of a
 * point must still be what the engine's own call on that point gives: per
 * app its CPU, memory peak, disk read and write and energy, and the point's
 * samples, covered time and system sums. Checked on generated history with
 * churn and pid reuse, sleep gaps across keyframes, and runs that cross from
 * one tier to the next (hour rows end before minute rows, minute rows before
 * raw ones).
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

/* The figures the report draws of an app (src/cli/cmd_report.c
 * chart_value): -1 where there is none. */
enum { V_CPU, V_MEM, V_READ, V_WRITE, V_ENERGY, V_N };
static void drawn(const ph_agg *a, int64_t *v)
{
    for (int i = 0; i < V_N; i++)
        v[i] = -1;
    if (!a)
        return;
    ph_mask cpu = PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS);
    if (a->have & cpu)
        v[V_CPU] = ((a->have & PH_BIT(PH_M_CPU_USER_NS)) ? ph_agg_get(a, PH_M_CPU_USER_NS, 0) : 0) +
                   ((a->have & PH_BIT(PH_M_CPU_SYSTEM_NS)) ? ph_agg_get(a, PH_M_CPU_SYSTEM_NS, 0) : 0);
    v[V_MEM] = a->mem_peak;
    if (a->have & PH_BIT(PH_M_DISK_READ_BYTES))
        v[V_READ] = ph_agg_get(a, PH_M_DISK_READ_BYTES, 0);
    if (a->have & PH_BIT(PH_M_DISK_WRITE_BYTES))
        v[V_WRITE] = ph_agg_get(a, PH_M_DISK_WRITE_BYTES, 0);
    if (a->have & PH_BIT(PH_M_ENERGY_NJ))
        v[V_ENERGY] = ph_agg_get(a, PH_M_ENERGY_NJ, 0);
    else if (a->have & PH_BIT(PH_M_ENERGY_EST_NJ))
        v[V_ENERGY] = ph_agg_get(a, PH_M_ENERGY_EST_NJ, 0);
}

static const ph_agg *app_of(const ph_result *r, const char *app)
{
    for (size_t i = 0; i < r->napps; i++)
        if (strcmp(r->apps[i].app, app) == 0)
            return &r->apps[i];
    return NULL;
}

typedef struct cmp_ctx {
    ph_store *s;
    int64_t width, next;
    int windows, empty, coarser, values, peaks;
    int flags; /* a cgroup key: its groups instead of apps */
} cmp_ctx;

/* An app of `one` against the pass's `res` (NULL: absent there). */
static void same_drawn(cmp_ctx *c, const ph_agg *want, const ph_agg *got, const ph_result *one,
                       const ph_result *res, const char *app)
{
    int64_t vw[V_N], vg[V_N];
    drawn(want, vw);
    drawn(got, vg);
    for (int i = 0; i < V_N; i++) {
        if (vw[i] != vg[i])
            t_fail(__FILE__, __LINE__,
                   "width %llds, point at %lld (%d samples, tier %s), app %s, figure %d: the point's query %lld,"
                   " the pass (tier %s) %lld",
                   (long long)(c->width / SEC), (long long)(one->win.since / SEC), (int)one->win.samples,
                   ph_tier_name(one->seg[0].tier), app, i, (long long)vw[i], ph_tier_name(res->seg[0].tier),
                   (long long)vg[i]);
        c->values += vw[i] > 0;
    }
    c->peaks += vw[V_MEM] > 0;
}

static int against_query(void *ctx, int64_t b, ph_result *res)
{
    cmp_ctx *c = ctx;
    ph_result one;
    char err[256] = "";
    CHECK_I(b, c->next); /* every window, in order */
    c->next = b + c->width;
    c->windows++;
    CHECK_I(ph_query_window_metrics(c->s, b, b + c->width, ~(ph_mask)0, PH_Q_APPS_ONLY | c->flags, &one, err,
                                    sizeof err), 0);
    CHECK_I(res->win.samples, one.win.samples);
    CHECK_I(res->win.covered_ns, one.win.covered_ns);
    for (int i = 0; i < PH_SYS_N; i++)
        CHECK_I(res->win.sys.v[i], one.win.sys.v[i]);
    c->empty += one.win.samples == 0;
    if (res->nseg && one.nseg && res->seg[0].tier > one.seg[0].tier)
        c->coarser++; /* answered from a coarser tier than the query's own */
    /* The report draws nothing of a point without samples (a gap; its
     * figures would be only the values carried in, and the tiers carry
     * differently across a sleep longer than a keyframe period). */
    for (size_t i = 0; i < one.napps && one.win.samples > 0; i++)
        same_drawn(c, &one.apps[i], app_of(res, one.apps[i].app), &one, res, one.apps[i].app);
    for (size_t i = 0; i < res->napps && one.win.samples > 0; i++)
        if (!app_of(&one, res->apps[i].app))
            same_drawn(c, NULL, &res->apps[i], &one, res, res->apps[i].app);
    ph_result_free(&one);
    return 0;
}

TEST(rollup_points_are_the_points_queries)
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
    snprintf(path, sizeof path, "%s/points.db", t_tmpdir());
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
    for (size_t k = 0; k < sizeof widths / sizeof *widths; k++) {
        int64_t w = widths[k];
        /* From before the first sample (empty points, nothing carried) to
         * past the last (beyond every rollup: asked one by one). */
        int64_t since = (first - w) / w * w, until = (last + 2 * w) / w * w;
        cmp_ctx c = {s, w, since, 0, 0, 0, 0, 0, 0};
        CHECK_I(ph_query_rollup_app_buckets(s, since, until, w, ~(ph_mask)0, 0, against_query, &c, err, sizeof err), 0);
        CHECK_I(c.windows, (int)((until - since) / w));
        CHECK(c.empty >= 1);            /* before the history (and in a gap, when it holds one) */
        CHECK(c.coarser > c.windows / 2); /* the pass read coarser rows than the queries */
        CHECK(c.values > 4 * c.windows);  /* several apps with figures per point */
        CHECK(c.peaks > c.windows / 2);
    }
    /* Not a multiple of a minute: every point is its own query, same checks. */
    cmp_ctx c = {s, 50 * SEC, (first + HOUR) / (50 * SEC) * (50 * SEC), 0, 0, 0, 0, 0, 0};
    CHECK_I(ph_query_rollup_app_buckets(s, c.next, c.next + 12 * 50 * SEC, 50 * SEC, ~(ph_mask)0, 0, against_query, &c,
                                        err, sizeof err), 0);
    CHECK_I(c.windows, 12);
    CHECK_I(c.coarser, 0);
    /* Grouped by a cgroup key, points of whole hours from the hour tier's
     * group rows: each the point's own grouped query. */
    static const int keys[] = {PH_Q_BY_UNIT, PH_Q_BY_CONTAINER};
    for (size_t k = 0; k < PH_ARRAY_LEN(keys); k++) {
        for (int64_t w = HOUR; w <= 2 * HOUR; w += HOUR) {
            int64_t since = (first - w) / w * w, until = (last + 2 * w) / w * w;
            cmp_ctx g = {s, w, since, 0, 0, 0, 0, 0, keys[k]};
            CHECK_I(ph_query_rollup_app_buckets(s, since, until, w, ~(ph_mask)0, keys[k], against_query, &g, err,
                                                sizeof err), 0);
            CHECK_I(g.windows, (int)((until - since) / w));
            CHECK(g.coarser > g.windows / 3); /* hour group rows where the queries read minute rows */
            CHECK(g.values > 2 * g.windows);
            CHECK(g.peaks > g.windows / 2);
        }
    }
    ph_store_close(s);
}
