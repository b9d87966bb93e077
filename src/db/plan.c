/*
 * Planning and stitching: a window answered from whichever tiers answer it
 * best (the contract is include/ph_query.h).
 *
 * STITCHING. ph_query_plan splits a window into segments: the interior whole
 * buckets of a coarse tier (when the window is long enough for it to pay,
 * and the buckets are rolled up), finer tiers at the edges, recursively. A
 * coarse tier also answers, widened to whole buckets, where the finer data
 * has been pruned (the marks are the tiers' meta keys, src/db/tiers.c).
 * Segment results are merged: sums add, maxima combine.
 */
#include "query_private.h"
#include "ph_time.h"
#include "ph_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- planning and stitching ---- */

typedef struct plan {
    int64_t done[PH_TIER_COUNT];   /* end of the last rolled-up bucket */
    int64_t pruned[PH_TIER_COUNT]; /* this tier's rows at or before this are gone */
    ph_segment *seg;
    size_t n, max;
} plan;

/* A mark of the meta table; 0 when absent (nothing rolled up or pruned). */
static int64_t mark(ph_store *s, int key, int64_t none)
{
    int64_t v = 0;
    if (key < 0)
        return none;
    return ph_meta_get_int(s, (enum ph_meta_key)key, &v) == 1 ? v : 0;
}

void q_tier_marks(ph_store *s, int64_t done[PH_TIER_COUNT], int64_t pruned[PH_TIER_COUNT])
{
    for (int t = 0; t < PH_TIER_COUNT; t++) {
        done[t] = mark(s, ph_tiers[t].done_key, 0);
        pruned[t] = mark(s, ph_tiers[t].pruned_key, INT64_MIN);
    }
}

static void emit(plan *p, enum ph_tier t, int64_t lo, int64_t hi)
{
    if (lo >= hi)
        return;
    if (p->n && p->seg[p->n - 1].tier == t && p->seg[p->n - 1].until == lo) {
        p->seg[p->n - 1].until = hi;
        return;
    }
    if (p->n < p->max) {
        p->seg[p->n].tier = t;
        p->seg[p->n].since = lo;
        p->seg[p->n].until = hi;
        p->n++;
    }
}

static void plan_part(plan *p, enum ph_tier t, int64_t lo, int64_t hi)
{
    if (lo >= hi)
        return;
    if (t == PH_TIER_RAW) {
        emit(p, t, lo, hi);
        return;
    }
    int64_t w = ph_tiers[t].width_ns;
    enum ph_tier finer = (enum ph_tier)(t - 1);
    int64_t a = ph_floor_to(lo + w - 1, w), b = ph_floor_to(hi, w);
    if (b > p->done[t])
        b = ph_floor_to(p->done[t], w);
    int widened = lo < p->pruned[finer];
    if (widened)
        a = ph_floor_to(lo, w);
    if (b <= a || (!widened && hi - lo < ph_tiers[t].use_from_ns)) {
        plan_part(p, finer, lo, hi);
        return;
    }
    if (a > lo)
        plan_part(p, finer, lo, a);
    emit(p, t, a, b);
    plan_part(p, finer, b, hi);
}

size_t ph_query_plan(ph_store *s, int64_t since, int64_t until, ph_segment *seg, size_t max)
{
    plan p;
    memset(&p, 0, sizeof p);
    p.seg = seg;
    p.max = max;
    q_tier_marks(s, p.done, p.pruned);
    plan_part(&p, PH_TIER_HOUR, since, until);
    return p.n;
}

/* Merge b into a: counters add, gauges and peaks take the max (a's room
 * for values widened in `in` when b has more). */
static void merge_agg(ph_result *in, ph_agg *a, const ph_agg *b)
{
    q_agg_add_vals(in, a, b);
    if (b->mem_peak > a->mem_peak) {
        a->mem_peak = b->mem_peak;
        a->mem_peak_ns = b->mem_peak_ns;
        a->mem_peak_proc = b->mem_peak_proc;
    }
    if (b->first_ns < a->first_ns)
        a->first_ns = b->first_ns;
    if (b->last_ns >= a->last_ns) {
        a->last_ns = b->last_ns;
        a->mem_last = b->mem_last;
    }
    a->rows += b->rows;
    a->active |= b->active;
    a->changed |= b->changed;
    if (b->procs_max > a->procs_max)
        a->procs_max = b->procs_max;
}

/* Merge src into dst, matching processes by id (pindex) or apps by name
 * (index). New entries take src's strings (src is freed after). dst grows
 * geometrically: a month has hundreds of thousands of processes. */
static void merge_list(ph_result *in, ph_agg **dst, size_t *n, size_t *cap, ph_imap *index, q_pidx *pindex,
                       ph_agg *src, size_t m)
{
    for (size_t j = 0; j < m; j++) {
        int64_t key = src[j].proc;
        int found;
        if (!pindex)
            found = ph_smap_find(index, src[j].app, q_agg_app, *dst, &key);
        else
            found = q_pidx_get(pindex, key);
        if (found >= 0) {
            merge_agg(in, &(*dst)[found], &src[j]);
            continue;
        }
        if (*n == *cap) {
            *cap = *cap ? *cap * 2 : 64;
            if (*cap < *n + (m - j))
                *cap = *n + (m - j);
            *dst = ph_xrealloc(*dst, *cap * sizeof **dst);
        }
        (*dst)[*n] = src[j];
        src[j].name = src[j].app = NULL;
        if (!pindex)
            ph_imap_put(index, key, (int)*n);
        else
            q_pidx_put(pindex, key, (int)*n);
        (*n)++;
    }
}

int ph_query_window(ph_store *s, int64_t since, int64_t until, ph_result *out,
                    char *err, size_t errlen)
{
    return ph_query_window_metrics(s, since, until, ~(ph_mask)0, 0, out, err, errlen);
}

/* What answers a segment: each process's rows, the tier's app rows, or
 * its group rows of a cgroup key or the user (the hour tier's, from where
 * they were first written). */
enum seg_rows { ROWS_PROCESS, ROWS_APP, ROWS_GROUP };
static enum seg_rows segment_rows(ph_store *s, const ph_segment *seg, int flags, ph_mask want)
{
    if (!(flags & PH_Q_APPS_ONLY) || seg->tier == PH_TIER_RAW)
        return ROWS_PROCESS;
    /* Counters the app rows do not sum: process rows (schema 19's hold
     * more: PH_APP_MINUTE_METRICS, PH_APP_HOUR_METRICS). */
    ph_mask c = want & ph_metric_counters();
    ph_mask held = seg->tier == PH_TIER_HOUR ? PH_APP_HOUR_METRICS : PH_APP_MINUTE_METRICS;
    if ((c & ~PH_APP_METRICS) && ((c & ~held) || !q_wide_rows_cover(s, seg->tier, seg->since)))
        return ROWS_PROCESS;
    if (!(flags & PH_Q_GROUP_ROW_KEYS))
        return ROWS_APP;
    return q_group_rows_cover(s, seg->tier, seg->since, flags) ? ROWS_GROUP : ROWS_PROCESS;
}

/* One segment's answer; with `room` (a stitch) its process array keeps
 * room to append to and *room is its size in entries. */
static int query_segment(ph_store *s, const ph_segment *seg, ph_mask want, int flags, int64_t pid,
                         const char *procs, ph_result *out, size_t *room, char *err, size_t errlen)
{
    if (room)
        *room = 0;
    if (segment_rows(s, seg, flags, want) != ROWS_PROCESS)
        return q_app_segment(s, seg->tier, seg->since, seg->until, flags, out, err, errlen);
    memset(out, 0, sizeof *out);
    int rc = q_replay_sel(s, seg->tier, seg->since, seg->until, 0, want, flags, pid, procs, NULL, NULL, out, room,
                          err, errlen);
    if (rc == 0 && room && *room < out->nprocs)
        *room = out->nprocs;
    return rc;
}

static int window_query(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, int64_t pid,
                        const q_segsel *sel, ph_result *out, char *err, size_t errlen);

int ph_query_window_metrics(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags,
                            ph_result *out, char *err, size_t errlen)
{
    return window_query(s, since, until, want, flags, -1, NULL, out, err, errlen);
}

int q_window_sel(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, const q_segsel *sel,
                 ph_result *out, char *err, size_t errlen)
{
    return window_query(s, since, until, want, flags, -1, sel, out, err, errlen);
}

int ph_query_window_pid(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, int64_t pid,
                        ph_result *out, char *err, size_t errlen)
{
    if (pid < 0 || (flags & (PH_Q_APPS_ONLY | PH_Q_GROUPED))) {
        ph_fmt(err, errlen, "internal: a query of one pid reads process rows, grouped by app");
        return -1;
    }
    return window_query(s, since, until, want, flags, pid, NULL, out, err, errlen);
}

/* sel: the one segment read for a set of processes only (the others whole). */
static const char *seg_procs(const q_segsel *sel, const ph_segment *seg)
{
    return sel && sel->seg.tier == seg->tier && sel->seg.since == seg->since && sel->seg.until == seg->until
               ? sel->procs
               : NULL;
}

static int window_query(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, int64_t pid,
                        const q_segsel *sel, ph_result *out, char *err, size_t errlen)
{
    int apps_only = (flags & PH_Q_APPS_ONLY) != 0;
    ph_segment seg[16];
    size_t n = ph_query_plan(s, since, until, seg, PH_ARRAY_LEN(seg));
    if (n <= 1) {
        ph_segment one = {PH_TIER_RAW, since, until};
        int rc = query_segment(s, n ? &seg[0] : &one, want, flags, pid, seg_procs(sel, n ? &seg[0] : &one), out,
                               NULL, err, errlen);
        if (rc == 0) {
            out->win.since = since;
            out->win.until = until;
        }
        return rc;
    }
    ph_result parts[16];
    size_t room[16];
    memset(parts, 0, sizeof parts);
    memset(out, 0, sizeof *out);
    out->win.since = since;
    out->win.until = until;
    size_t big = 0;
    for (size_t k = 0; k < n; k++) {
        ph_result *part = &parts[k];
        if (query_segment(s, &seg[k], want, flags, pid, seg_procs(sel, &seg[k]), part, &room[k], err, errlen) < 0) {
            for (size_t j = 0; j < k; j++)
                ph_result_free(&parts[j]);
            memset(out, 0, sizeof *out);
            return -1;
        }
        ph_window *w = &out->win;
        if (part->win.samples) {
            if (!w->samples || part->win.first_ns < w->first_ns)
                w->first_ns = part->win.first_ns;
            if (part->win.last_ns > w->last_ns)
                w->last_ns = part->win.last_ns;
        }
        if (k == 0)
            ph_sys_unknown(&w->sys);
        ph_sys_add(&w->sys, &part->win.sys);
        w->samples += part->win.samples;
        w->covered_ns += part->win.covered_ns;
        w->recorder_cpu_ns += part->win.recorder_cpu_ns;
        if (part->win.procs_denied > w->procs_denied)
            w->procs_denied = part->win.procs_denied;
        if (part->win.procs_max > w->procs_max)
            w->procs_max = part->win.procs_max;
        out->seg[out->nseg++] = seg[k];
        if (part->nprocs > parts[big].nprocs)
            big = k;
    }

    /*
     * Processes. The merge is associative (sums, maxima, the earliest of
     * equal peaks, the latest last value), so the segment with the most
     * processes (over a month: the hour tier's, every process of the month)
     * is taken over as it is instead of being copied, the segments before
     * it folded into it from the front, those after it from the back.
     * Only the order of the list changes (a process only the earlier edge
     * saw comes after it); every command sorts it.
     */
    q_pidx pidx, bidx;
    ph_imap aidx;
    size_t pcap, acap = 0, bcap = 0, nbefore = 0;
    ph_agg *before = NULL;
    memset(&pidx, 0, sizeof pidx);
    memset(&bidx, 0, sizeof bidx);
    ph_imap_init(&aidx);
    for (size_t k = 0; k < big; k++)
        merge_list(out, &before, &nbefore, &bcap, NULL, &bidx, parts[k].procs, parts[k].nprocs);
    out->procs = parts[big].procs;
    out->nprocs = parts[big].nprocs;
    pcap = room[big];
    parts[big].procs = NULL;
    parts[big].nprocs = 0;
    for (size_t i = 0; i < out->nprocs; i++)
        q_pidx_put(&pidx, out->procs[i].proc, (int)i);
    for (size_t i = 0; i < nbefore; i++) {
        int found = q_pidx_get(&pidx, before[i].proc);
        if (found < 0)
            continue;
        ph_agg *later = &out->procs[found], tmp = before[i];
        merge_agg(out, &tmp, later);
        tmp.name = later->name;
        tmp.app = later->app;
        *later = tmp;
        before[i].name = before[i].app = NULL; /* strings: the pools' */
        before[i].proc = -1; /* taken */
    }
    for (size_t i = 0; i < nbefore; i++) { /* only the earlier edges saw these */
        if (before[i].proc == -1)
            continue;
        if (out->nprocs == pcap) {
            pcap = pcap ? pcap * 2 : 64;
            out->procs = ph_xrealloc(out->procs, pcap * sizeof *out->procs);
        }
        q_pidx_put(&pidx, before[i].proc, (int)out->nprocs);
        out->procs[out->nprocs++] = before[i];
    }
    free(before);
    q_pidx_free(&bidx);
    for (size_t k = big + 1; k < n; k++)
        merge_list(out, &out->procs, &out->nprocs, &pcap, NULL, &pidx, parts[k].procs, parts[k].nprocs);

    /* Apps, in time order. */
    for (size_t k = 0; k < n; k++)
        /* App peaks combine by max; their process counts are recounted below. */
        merge_list(out, &out->apps, &out->napps, &acap, &aidx, NULL, parts[k].apps, parts[k].napps);
    for (size_t i = 0; i < out->napps; i++)
        out->apps[i].nprocs = apps_only ? out->apps[i].procs_max : 0;
    for (size_t i = 0; i < out->nprocs && !apps_only; i++) {
        int64_t key;
        int j = ph_smap_find(&aidx, out->procs[i].app, q_agg_app, out->apps, &key);
        if (j >= 0)
            out->apps[j].nprocs++;
    }
    /* The processes' strings and every agg's values are their segments'
     * pools, out's now. */
    for (size_t k = 0; k < n; k++) {
        q_pool_move(&out->strs, &parts[k].strs);
        q_pool_move(&out->vals, &parts[k].vals);
        parts[k].nprocs = 0;
        ph_result_free(&parts[k]);
    }
    q_pidx_free(&pidx);
    ph_imap_free(&aidx);
    /* The room left is given back (shrinking does not move the array). */
    if (out->nprocs == 0) {
        free(out->procs);
        out->procs = ph_xcalloc(1, sizeof *out->procs);
    } else if (out->nprocs < pcap) {
        out->procs = ph_xrealloc(out->procs, out->nprocs * sizeof *out->procs);
    }
    return 0;
}

/* A window answered by one rollup tier alone, exactly (not widened):
 * that tier, else -1. */
static int one_rollup_segment(ph_store *s, int64_t since, int64_t until, int64_t width)
{
    ph_segment seg[16];
    size_t n = ph_query_plan(s, since, until, seg, PH_ARRAY_LEN(seg));
    if (n != 1 || seg[0].tier == PH_TIER_RAW || seg[0].since != since || seg[0].until != until ||
        width % ph_tiers[seg[0].tier].width_ns != 0)
        return -1;
    return (int)seg[0].tier;
}

/* Windows (a, b] of width each asked alone, in order. */
static int window_one_by_one(ph_store *s, int64_t a, int64_t b, int64_t width, ph_mask want, int flags,
                             int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx, char *err,
                             size_t errlen)
{
    for (; a < b; a += width) {
        ph_result res;
        if (ph_query_window_metrics(s, a, a + width, want, PH_Q_APPS_ONLY | flags, &res, err, errlen) < 0)
            return -1;
        int frc = fn(ctx, a, &res);
        ph_result_free(&res);
        if (frc < 0)
            return -1;
    }
    return 0;
}

int ph_query_app_buckets(ph_store *s, int64_t since, int64_t until, int64_t width, ph_mask want,
                         int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx, char *err,
                         size_t errlen)
{
    if (width <= 0 || since % width || until % width || until <= since)
        return -1;
    size_t nb = (size_t)((until - since) / width);
    for (size_t j = 0; j < nb;) {
        int64_t b = since + (int64_t)j * width;
        int tier = one_rollup_segment(s, b, b + width, width);
        size_t j1 = j + 1;
        while (tier >= 0 && j1 < nb && one_rollup_segment(s, since + (int64_t)j1 * width,
                                                          since + (int64_t)(j1 + 1) * width, width) == tier)
            j1++;
        if (tier >= 0) { /* windows j..j1 in one pass over the tier's app rows */
            int rc = q_app_buckets(s, (enum ph_tier)tier, b, since + (int64_t)j1 * width, width, 0, fn, ctx,
                                   err, errlen);
            if (rc < 0)
                return -1;
            if (rc == 0) {
                j = j1;
                continue;
            }
        }
        if (window_one_by_one(s, b, since + (int64_t)j1 * width, width, want, 0, fn, ctx, err, errlen) < 0)
            return -1;
        j = j1;
    }
    return 0;
}

/*
 * ROLLUP BUCKETS (the report's points of more than a minute). A tier's app
 * rows are built by the engine itself over the finer tier, bucket by
 * bucket (src/db/rollup.c), so on whole buckets every tier gives an app the
 * same counters of PH_APP_METRICS and the same memory peak (the largest sum
 * at one sample, the value carried in counting as a point): a window of
 * whole hours answered from the hour rows has the figures the minute or raw
 * rows give it, for a sixtieth of the rows. So each run of windows is read
 * from the coarsest tier that holds it whole, whichever tier the plan would
 * pick for one window alone (raw for a window under 30 minutes); only the
 * per-process figures, which app rows do not hold, are not given.
 */

int q_rollup_tier_for(const int64_t *done, const int64_t *pruned, int64_t a, int64_t width)
{
    for (int t = PH_TIER_COUNT - 1; t > PH_TIER_RAW; t--) {
        int64_t w = ph_tiers[t].width_ns, k = ph_tiers[t].keyframe_ns;
        if (width % w || a % w || a + width > done[t])
            continue;
        if (ph_floor_to(a - w, k) < pruned[t]) /* a bucket starting at b0 holds (b0, b0 + w] */
            continue;
        return t;
    }
    return -1;
}


/* Windows (a, b] of tier in one pass; a run with a keyframe bucket without
 * rows (the recorder was down) is halved until each half passes, a single
 * window asked alone. */
static int rollup_run(ph_store *s, enum ph_tier tier, int64_t a, int64_t b, int64_t width, ph_mask want, int flags,
                      int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx, char *err, size_t errlen)
{
    int rc = q_app_buckets(s, tier, a, b, width, flags, fn, ctx, err, errlen);
    if (rc <= 0)
        return rc;
    int64_t n = (b - a) / width;
    if (n == 1)
        return window_one_by_one(s, a, b, width, want, flags, fn, ctx, err, errlen);
    int64_t mid = a + (n / 2) * width;
    if (rollup_run(s, tier, a, mid, width, want, flags, fn, ctx, err, errlen) < 0)
        return -1;
    return rollup_run(s, tier, mid, b, width, want, flags, fn, ctx, err, errlen);
}

/* The tier whose app rows (with a cgroup key: group rows, the hour
 * tier's where written) hold (a, a + width] whole; -1 none. */
static int rows_tier_for(ph_store *s, const int64_t *done, const int64_t *pruned, int64_t a, int64_t width,
                         int flags)
{
    int t = q_rollup_tier_for(done, pruned, a, width);
    if (!(flags & PH_Q_CGROUP_KEYS) || t < 0)
        return t;
    return t == PH_TIER_HOUR && q_group_rows_cover(s, PH_TIER_HOUR, a, flags) ? t : -1;
}

int ph_query_rollup_app_buckets(ph_store *s, int64_t since, int64_t until, int64_t width, ph_mask want, int flags,
                                int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx, char *err,
                                size_t errlen)
{
    if (width <= 0 || since % width || until % width || until <= since)
        return -1;
    flags &= PH_Q_CGROUP_KEYS;
    int64_t done[PH_TIER_COUNT], pruned[PH_TIER_COUNT];
    q_tier_marks(s, done, pruned);
    for (int64_t a = since; a < until;) {
        int tier = rows_tier_for(s, done, pruned, a, width, flags);
        int64_t b = a + width;
        while (b < until && rows_tier_for(s, done, pruned, b, width, flags) == tier)
            b += width;
        int rc = tier >= 0 ? rollup_run(s, (enum ph_tier)tier, a, b, width, want, flags, fn, ctx, err, errlen)
                           : window_one_by_one(s, a, b, width, want, flags, fn, ctx, err, errlen);
        if (rc < 0)
            return -1;
        a = b;
    }
    return 0;
}

void ph_query_explain(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, FILE *f)
{
    int apps_only = (flags & PH_Q_APPS_ONLY) != 0;
    sqlite3 *db = ph_store_db(s);
    ph_segment seg[16];
    size_t n = ph_query_plan(s, since, until, seg, PH_ARRAY_LEN(seg));
    if (n == 0) {
        seg[0].tier = PH_TIER_RAW;
        seg[0].since = since;
        seg[0].until = until;
        n = 1;
    }
    fprintf(f, "plan: %zu segment%s, %s\n", n, n == 1 ? "" : "s",
            !apps_only                        ? "process rows on every tier"
            : (flags & PH_Q_GROUP_ROW_KEYS) ? "the hour tier answered from group rows where they hold what is asked"
                                              : "rollups answered from app rows where they hold what is asked");
    for (size_t k = 0; k < n; k++) {
        enum ph_tier t = seg[k].tier;
        int64_t from = q_lookback_from(db, t, seg[k].since), w = ph_tiers[t].width_ns;
        char sql[512];
        const char *table, *index;
        if (t == PH_TIER_RAW) {
            table = "sample JOIN proc_sample";
            index = "sample_ts, then proc_sample's primary key (sample, proc)";
            snprintf(sql, sizeof sql,
                     "SELECT count(*) FROM sample s JOIN proc_sample ps ON ps.sample = s.sample"
                     " WHERE s.ts_ns > ?1 AND s.ts_ns <= ?2");
        } else {
            enum seg_rows rows_of = segment_rows(s, &seg[k], flags, want);
            table = rows_of == ROWS_GROUP ? PH_GROUP_ROWS : rows_of == ROWS_APP ? ph_tiers[t].apps : ph_tiers[t].procs;
            index = rows_of == ROWS_GROUP ? "primary key (bucket_ns, dim, key)"
                    : rows_of == ROWS_APP ? "primary key (bucket_ns, app)"
                                          : "primary key (bucket_ns, proc)";
            snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE bucket_ns > ?1 - %lld AND bucket_ns <= ?2 - %lld%s",
                     table, (long long)w, (long long)w, rows_of == ROWS_GROUP ? " AND dim = ?3" : "");
        }
        long long rows = -1;
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, from);
            sqlite3_bind_int64(st, 2, seg[k].until);
            if (sqlite3_bind_parameter_count(st) >= 3)
                sqlite3_bind_text(st, 3, q_group_dim(flags), -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW)
                rows = sqlite3_column_int64(st, 0);
            sqlite3_finalize(st);
        }
        char a[48], b[48];
        ph_time_iso_utc(seg[k].since, a, sizeof a);
        ph_time_iso_utc(seg[k].until, b, sizeof b);
        fprintf(f, "plan: %-6s %s..%s (%.1f h, lookback %.1f h): %s by %s, %lld rows\n", ph_tiers[t].name, a, b,
                (double)(seg[k].until - seg[k].since) / (3600.0 * PH_NS_PER_SEC), (double)(seg[k].since - from) / (3600.0 * PH_NS_PER_SEC),
                table, index, rows);
    }
}

/* ---- choosing the rows a command shows ---- */

/* The order of a top-N choice: keys[row] descending (when keys), then cmp. */
typedef struct top_order {
    const ph_agg *base;
    const int64_t *keys;
    int (*cmp)(const void *, const void *);
} top_order;

static int top_cmp(const top_order *o, const ph_agg *a, const ph_agg *b)
{
    if (o->keys) {
        int64_t ka = o->keys[a - o->base], kb = o->keys[b - o->base];
        if (ka != kb)
            return ka < kb ? 1 : -1;
    }
    return o->cmp(a, b);
}

/* A heap of the best `limit` so far, the one that sorts last on top. */
static void top_sift(const top_order *o, const ph_agg **h, size_t n, size_t i)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            return;
        if (c + 1 < n && top_cmp(o, h[c + 1], h[c]) > 0)
            c++;
        if (top_cmp(o, h[c], h[i]) <= 0)
            return;
        const ph_agg *t = h[i];
        h[i] = h[c];
        h[c] = t;
        i = c;
    }
}

static size_t top_n(ph_agg *rows, size_t n, size_t limit, const top_order *o, ph_agg **out)
{
    size_t k = limit < n ? limit : n;
    const ph_agg **h = ph_xcalloc(k + 1, sizeof *h);
    for (size_t i = 0; i < n && k; i++) {
        if (i < k) {
            h[i] = &rows[i];
            if (i == k - 1)
                for (size_t j = k / 2 + 1; j-- > 0;)
                    top_sift(o, h, k, j);
        } else if (top_cmp(o, &rows[i], h[0]) < 0) {
            h[0] = &rows[i];
            top_sift(o, h, k, 0);
        }
    }
    for (size_t end = k; end > 1; end--) { /* heapsort: the last in order goes to the end */
        const ph_agg *t = h[0];
        h[0] = h[end - 1];
        h[end - 1] = t;
        top_sift(o, h, end - 1, 0);
    }
    *out = ph_xcalloc(k + 1, sizeof **out);
    for (size_t i = 0; i < k; i++)
        (*out)[i] = *h[i];
    free(h);
    return k;
}

size_t ph_agg_top(ph_agg *rows, size_t n, size_t limit, int (*cmp)(const void *, const void *),
                  ph_agg **out)
{
    top_order o = {rows, NULL, cmp};
    return top_n(rows, n, limit, &o, out);
}

size_t ph_agg_top_keyed(ph_agg *rows, size_t n, const int64_t *keys, size_t limit,
                        int (*cmp)(const void *, const void *), ph_agg **out)
{
    top_order o = {rows, keys, cmp};
    return top_n(rows, n, limit, &o, out);
}
