/*
 * Per-process answers over long windows without visiting every process
 * (the contract is include/ph_query.h, ph_query_window_top).
 *
 * A month holds hundreds of thousands of processes and a command shows a
 * few. proc_total (schema/018_proc_total.sql) keeps, per process, the sums
 * of its hour rows, its first and last hour bucket and whether it was gone
 * by its last. Given the window's plan and its hour segment (H1, H2]:
 *
 *   - INSIDE: a process whose hour rows all lie in (H1, H2] and that was
 *     gone by H2. It has no row in any other segment nor before H1, so the
 *     window's counters for it are its proc_total sums exactly, and its
 *     memory peak is at most mem_max_bytes.
 *   - EDGE: every other process proc_total may place in the window (rows
 *     before H1, after H2, or alive at H2).
 *
 * The rank a command sorts by is then known exactly for an inside process
 * (a counter) or bounded from above (memory). The answer is the window's
 * query with the hour segment read for a set of processes only: the edge
 * processes, and the inside ones whose bound reaches the limit-th largest
 * (ties kept). Every process returned is answered by the engine itself, so
 * its figures are those ph_query_window_metrics gives. Once the limit-th
 * largest exact rank among them is above every bound left out, no process
 * left out can rank (strictly lower: it cannot tie either); else the cut
 * is lowered and the set read again. The counters of the processes left
 * out are summed from proc_total into out->rest, for the shares of window
 * totals.
 *
 * With a filter on names (--name), the ranking is among the inside
 * processes it takes: as a name when one of them is so named, else as a
 * glob (an edge process so named, read whatever the filter, then makes the
 * answer the edge processes so named, and no inside process is one).
 *
 * The same split answers `apps` by app, user or cgroup key
 * (ph_query_window_apps): the groups' totals are their rows' (approws.c),
 * and how many processes each had, first and last seen, is the inside
 * processes' count and first and last hour rows from proc_total, grouped
 * by the key of their process row, plus the edge processes read.
 *
 * A process the other segments return that was taken as inside, a set too
 * large to be worth it, or a window without an hour segment of a day or
 * more: the caller asks the whole window instead (return 0).
 */
#include "db_private.h"
#include "query_private.h"
#include "ph_time.h"
#include "ph_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The counters proc_total sums, in its column order. */
static const enum ph_metric total_cols[] = {
    PH_M_CPU_USER_NS,     PH_M_CPU_SYSTEM_NS,    PH_M_CHILD_CPU_USER_NS, PH_M_CHILD_CPU_SYSTEM_NS,
    PH_M_DISK_READ_BYTES, PH_M_DISK_WRITE_BYTES, PH_M_ENERGY_NJ,         PH_M_ENERGY_EST_NJ,
    PH_M_WAKEUPS,         PH_M_INSTRUCTIONS,     PH_M_CYCLES,            PH_M_CTXSW_TOTAL,
    PH_M_CTXSW_VOLUNTARY, PH_M_CTXSW_INVOLUNTARY, PH_M_FAULTS_TOTAL,     PH_M_FAULTS_MINOR,
    PH_M_FAULTS_MAJOR,    PH_M_SYSCALLS_MACH,    PH_M_SYSCALLS_UNIX,     PH_M_SYSCALLS_READ,
    PH_M_SYSCALLS_WRITE,  PH_M_GPU_NS,
};
#define NTOTAL (sizeof total_cols / sizeof total_cols[0])

#define MIN_HOUR_SPAN_NS (24 * 3600 * PH_NS_PER_SEC) /* shorter: the whole window is cheap */
#define MAX_SET 50000                                /* larger: reading everything costs no more */
#define MAX_ROUNDS 3

/* The inside processes that may rank: every one whose bound is among the
 * k largest seen so far (ties kept), in one pass over a month's without
 * holding them all; the largest bound dropped is kept, to know what a
 * lower cut would need. */
typedef struct inside {
    int64_t proc;
    int64_t bound;
} inside;

typedef struct keeper {
    inside *e;
    size_t n, cap;
    int64_t *heap; /* min-heap of the k largest bounds */
    size_t nh, k;
    int64_t dropped; /* largest bound dropped; INT64_MIN none */
} keeper;

static void keep_add(keeper *kp, int64_t proc, int64_t bound)
{
    if (kp->nh == kp->k && bound < kp->heap[0]) {
        if (bound > kp->dropped)
            kp->dropped = bound;
        return;
    }
    ph_heap_offer(kp->heap, &kp->nh, kp->k, bound);
    if (kp->n == kp->cap) {
        if (kp->nh == kp->k) { /* drop what fell below the cut since */
            size_t j = 0;
            for (size_t i = 0; i < kp->n; i++) {
                if (kp->e[i].bound >= kp->heap[0])
                    kp->e[j++] = kp->e[i];
                else if (kp->e[i].bound > kp->dropped)
                    kp->dropped = kp->e[i].bound;
            }
            kp->n = j;
        }
        if (kp->n * 2 >= kp->cap) { /* keep room to spare: compacting again soon costs */
            kp->cap = kp->cap ? 2 * kp->cap : 4 * kp->k + 1024;
            kp->e = ph_xrealloc(kp->e, kp->cap * sizeof *kp->e);
        }
    }
    kp->e[kp->n].proc = proc;
    kp->e[kp->n].bound = bound;
    kp->n++;
}

static ph_mask total_mask(void)
{
    ph_mask m = 0;
    for (size_t i = 0; i < NTOTAL; i++)
        m |= PH_BIT(total_cols[i]);
    return m;
}

/* The hour segment of the plan worth a set read, or -1. */
static int hour_segment(const ph_segment *seg, size_t n)
{
    int best = -1;
    for (size_t k = 0; k < n; k++)
        if (seg[k].tier == PH_TIER_HOUR && seg[k].until - seg[k].since >= MIN_HOUR_SPAN_NS &&
            (best < 0 || seg[k].until - seg[k].since > seg[best].until - seg[best].since))
            best = (int)k;
    return best;
}

static void json_ids(ph_buf *b, const int64_t *edge, size_t nedge, const keeper *kp, int64_t cut)
{
    b->len = 0;
    ph_buf_printf(b, "[");
    int first = 1;
    for (size_t i = 0; i < nedge; i++, first = 0)
        ph_buf_printf(b, "%s%lld", first ? "" : ",", (long long)edge[i]);
    for (size_t i = 0; kp && i < kp->n; i++)
        if (kp->e[i].bound >= cut) {
            ph_buf_printf(b, "%s%lld", first ? "" : ",", (long long)kp->e[i].proc);
            first = 0;
        }
    ph_buf_printf(b, "]");
}

/* Whether a process of proc_total is one this pass takes as inside (h1, h2]. */
static int inside_of(int64_t first, int64_t last, int gone, int64_t gone_ns, int64_t h1, int64_t h2, int64_t w)
{
    return first >= h1 && last + w <= h2 && gone && gone_ns <= h2;
}

/* inside_of in SQL, on proc_total as t: the processes proc_total places in
 * the pass (?1 its start, ?2 H2) that lie inside (?3 H1). */
static void inside_where(ph_buf *sql, int scan_all, int64_t w)
{
    ph_buf_printf(sql,
                  " WHERE %st.last_bucket_ns > ?1 - %lld AND t.first_bucket_ns < ?2"
                  " AND t.first_bucket_ns >= ?3 AND t.last_bucket_ns + %lld <= ?2 AND t.gone_ns <= ?2",
                  scan_all ? "+" : "", (long long)w, (long long)w);
}

/* Whether process proc was left out as inside; -1 on error. */
static int left_out(sqlite3 *db, int64_t proc, int64_t h1, int64_t h2, int64_t w)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT first_bucket_ns, last_bucket_ns, gone_ns FROM proc_total WHERE proc = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, proc);
    int rc = sqlite3_step(st);
    int r = rc == SQLITE_ROW ? inside_of(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
                                         sqlite3_column_type(st, 2) != SQLITE_NULL, sqlite3_column_int64(st, 2), h1,
                                         h2, w)
            : rc == SQLITE_DONE ? 0
                                : -1;
    sqlite3_finalize(st);
    return r;
}

static ph_agg *new_rest(ph_mask slots)
{
    ph_agg *r = ph_xcalloc(1, sizeof *r);
    r->pid = -1;
    r->uid = -1;
    r->mem_peak = r->mem_last = r->mem_avg = -1;
    r->slots = slots;
    r->vals = ph_xcalloc((size_t)__builtin_popcountll(slots) + 1, sizeof *r->vals);
    return r;
}

/* A window's hour segment as proc_total sees it. */
typedef struct hspan {
    ph_segment seg[16]; /* the window's plan */
    int h;              /* its hour segment (H1, H2] */
    int64_t w, h1, h2;  /* the hour width; the inside span (H1 after the oldest hour row left) */
    int64_t from;       /* where a pass over the hour segment starts (its lookback) */
    int scan_all;       /* proc_total read whole, not through its index */
} hspan;

/* The window's hour segment worth proc_total: 0 when none is. */
static int hour_span(ph_store *s, int64_t since, int64_t until, hspan *hs)
{
    sqlite3 *db = ph_store_db(s);
    size_t nseg = ph_query_plan(s, since, until, hs->seg, PH_ARRAY_LEN(hs->seg));
    hs->h = hour_segment(hs->seg, nseg);
    if (hs->h < 0)
        return 0;
    hs->w = ph_tier_width_ns(PH_TIER_HOUR);
    hs->h2 = hs->seg[hs->h].until;
    hs->from = q_lookback_from(db, PH_TIER_HOUR, hs->seg[hs->h].since);
    /* Inside: from the first hour row on, and after the oldest one left
     * (retention may have deleted some of a process's older rows, which
     * proc_total still counts; the oldest bucket may be half deleted). */
    int64_t oldest = ph_sql_int_or(db, "SELECT min(bucket_ns) FROM proc_hour", 0, INT64_MAX);
    int64_t newest = ph_sql_int_or(db, "SELECT max(bucket_ns) FROM proc_hour", 0, INT64_MIN);
    if (oldest == INT64_MAX || newest == INT64_MIN)
        return 0;
    hs->h1 = hs->seg[hs->h].since > oldest ? hs->seg[hs->h].since : oldest + 1;
    /* proc_total read whole when the window reaches back over most of the
     * hour tier, not through its index (a lookup per row). */
    hs->scan_all = hs->from <= oldest + (newest - oldest) / 2;
    return 1;
}

/* Whether PROCHIST_NO_PROCTOP asks every process to be read. */
static int proctop_off(void)
{
    const char *off = getenv("PROCHIST_NO_PROCTOP");
    return off && *off && strcmp(off, "0") != 0;
}

/* The pass over proc_total for a window's hour span (hs), one row per
 * process it places there or in the lookback: 0 proc, 1 its first hour,
 * 2 its last, 3 gone_ns, 4 mem_max_bytes, 5 on the counters of rank_need
 * it sums, then from xcol the columns `extra` names of its process row p.
 * a: the current row as the figures proc_total has of an inside process,
 * its counters and a memory peak at least its own (tpass_agg). */
typedef struct tpass {
    sqlite3_stmt *st;
    int cols[NTOTAL], slot[NTOTAL], ncols, xcol;
    int64_t vals[PH_METRIC_COUNT];
    ph_agg a;
} tpass;

static int tpass_open(sqlite3 *db, tpass *tp, const hspan *hs, ph_mask rank_need, const char *extra)
{
    memset(tp, 0, sizeof *tp);
    ph_mask rslots = rank_need & ph_metric_counters();
    ph_buf sql = {0};
    ph_buf_printf(&sql, "SELECT t.proc, first_bucket_ns, last_bucket_ns, t.gone_ns, mem_max_bytes");
    for (size_t i = 0; i < NTOTAL; i++)
        if (rslots & PH_BIT(total_cols[i])) {
            ph_buf_printf(&sql, ", %s", ph_metric_column(total_cols[i]));
            tp->cols[tp->ncols++] = total_cols[i];
        }
    tp->xcol = 5 + tp->ncols;
    if (extra)
        ph_buf_printf(&sql, ", %s FROM proc_total t CROSS JOIN process p ON p.proc = t.proc", extra);
    else
        ph_buf_printf(&sql, " FROM proc_total t");
    ph_buf_printf(&sql, " WHERE %slast_bucket_ns > ?1 - %lld AND first_bucket_ns < ?2", hs->scan_all ? "+" : "",
                  (long long)hs->w);
    int ok = sqlite3_prepare_v2(db, sql.data, -1, &tp->st, NULL) == SQLITE_OK;
    ph_buf_free(&sql);
    if (!ok)
        return -1;
    sqlite3_bind_int64(tp->st, 1, hs->from);
    sqlite3_bind_int64(tp->st, 2, hs->h2);
    for (int i = 0; i < tp->ncols; i++) /* where each column's value lies in vals */
        tp->slot[i] = __builtin_popcountll(rslots & (PH_BIT(tp->cols[i]) - 1));
    tp->a.pid = -1;
    tp->a.uid = -1;
    tp->a.nprocs = 1;
    tp->a.vals = tp->vals;
    tp->a.slots = rslots;
    tp->a.mem_last = tp->a.mem_avg = -1;
    return 0;
}

static const ph_agg *tpass_agg(tpass *tp, int64_t w)
{
    sqlite3_stmt *st = tp->st;
    ph_agg *a = &tp->a;
    a->proc = sqlite3_column_int64(st, 0);
    a->have = 0;
    a->mem_peak = sqlite3_column_int64(st, 4);
    if (a->mem_peak == 0 && sqlite3_column_type(st, 4) == SQLITE_NULL)
        a->mem_peak = -1;
    a->first_ns = sqlite3_column_int64(st, 1) + w; /* a rollup row's time is its bucket's end */
    a->last_ns = sqlite3_column_int64(st, 2) + w;
    for (int i = 0; i < tp->ncols; i++) {
        int64_t v = sqlite3_column_int64(st, 5 + i); /* NULL reads 0 */
        if (v == 0 && sqlite3_column_type(st, 5 + i) == SQLITE_NULL)
            continue;
        tp->vals[tp->slot[i]] = v;
        a->have |= PH_BIT(tp->cols[i]);
    }
    return a;
}

/* Whether the set read `out` returned a process that is not in the set
 * (index) and that was taken as inside: it had rows in another segment,
 * which cannot be, and the caller reads the whole window. -1 on error. */
static int has_stray(sqlite3 *db, const ph_result *out, q_pidx *index, const hspan *hs)
{
    int stray = 0;
    for (size_t i = 0; i < out->nprocs && !stray; i++)
        if (q_pidx_get(index, out->procs[i].proc) < 0)
            stray = left_out(db, out->procs[i].proc, hs->h1, hs->h2, hs->w);
    return stray;
}

/* Reads the window with its hour segment for a set only: the edge
 * processes and those of kp whose bound reaches cut (kp NULL: none).
 * 1 read; 0 when a process left out came back (out then empty: the
 * caller reads the whole window); -1 with err. */
static int read_set(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, const hspan *hs,
                    const int64_t *edge, size_t nedge, const keeper *kp, int64_t cut, ph_result *out, char *err,
                    size_t errlen)
{
    q_pidx index; /* the set */
    memset(&index, 0, sizeof index);
    for (size_t i = 0; i < nedge; i++)
        q_pidx_put(&index, edge[i], 0);
    for (size_t i = 0; kp && i < kp->n; i++)
        if (kp->e[i].bound >= cut)
            q_pidx_put(&index, kp->e[i].proc, 0);
    ph_buf ids = {0};
    json_ids(&ids, edge, nedge, kp, cut);
    q_segsel sel = {hs->seg[hs->h], ids.data};
    int rc = q_window_sel(s, since, until, want, flags, &sel, out, err, errlen) < 0 ? -1 : 1;
    if (rc == 1) {
        int stray = has_stray(ph_store_db(s), out, &index, hs);
        if (stray) {
            ph_result_free(out);
            memset(out, 0, sizeof *out);
            rc = stray < 0 ? -1 : 0;
        }
    }
    q_pidx_free(&index);
    ph_buf_free(&ids);
    return rc;
}

/* Adds proc to the growing list edge[0..*n). */
static void edge_add(int64_t **edge, size_t *n, size_t *cap, int64_t proc)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 1024;
        *edge = ph_xrealloc(*edge, *cap * sizeof **edge);
    }
    (*edge)[(*n)++] = proc;
}

static int window_top(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, ph_mask rank_need,
                      ph_mask rest_need, ph_rank_fn rank, void *ctx, size_t limit, ph_keep_fn keep, void *kctx,
                      ph_result *out, char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    memset(out, 0, sizeof *out);
    if (proctop_off() || limit == 0 || limit > MAX_SET ||
        (flags & (PH_Q_APPS_ONLY | PH_Q_GROUPED)) ||
        ((want | rank_need) & ph_metric_counters() & ~total_mask()) || ph_store_version(s) < 18)
        return 0;
    hspan hs;
    if (!hour_span(s, since, until, &hs))
        return 0;
    const int64_t w = hs.w, h1 = hs.h1, h2 = hs.h2, from = hs.from;
    const int scan_all = hs.scan_all;

    ph_mask slots = want & PH_ALL_METRICS;
    tpass tp;
    ph_buf sql = {0};
    sqlite3_stmt *st = NULL;
    int rc = -1, answered = 0;
    int64_t *edge = NULL;
    size_t nedge = 0, cedge = 0, ninside = 0;
    keeper kp;
    memset(&kp, 0, sizeof kp);
    kp.k = limit;
    kp.heap = ph_xcalloc(limit, sizeof *kp.heap);
    kp.dropped = INT64_MIN;
    keeper kglob = kp; /* with keep: kp those it takes as a name, kglob as a glob */
    kglob.heap = keep ? ph_xcalloc(limit, sizeof *kglob.heap) : NULL;
    int literal = 0;
    ph_agg *rest = NULL, *all = NULL, *taken = NULL;
    int64_t *keys = NULL;

    /* A filter sees each process's name and app, from its process row. */
    if (tpass_open(db, &tp, &hs, rank_need, keep ? "p.name, p.app" : NULL) < 0)
        goto fail;
    st = tp.st;
    int64_t lowest = 0, highest = 0; /* the inside processes' bounds */
    ph_mask measured = 0;             /* the counters any of them had */
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t proc = sqlite3_column_int64(st, 0);
        int64_t first = sqlite3_column_int64(st, 1), last = sqlite3_column_int64(st, 2);
        int gone = sqlite3_column_type(st, 3) != SQLITE_NULL;
        int64_t gone_ns = sqlite3_column_int64(st, 3);
        if (!inside_of(first, last, gone, gone_ns, h1, h2, w)) {
            edge_add(&edge, &nedge, &cedge, proc);
            continue;
        }
        int took = 0;
        if (keep) { /* what the filter takes as a name, and as a glob, may rank; the rest is left out */
            const char *name = (const char *)sqlite3_column_text(st, tp.xcol);
            const char *app = (const char *)sqlite3_column_text(st, tp.xcol + 1);
            took = keep(name ? name : "", app ? app : "", kctx);
            literal |= took & PH_KEEP_LITERAL;
            ninside++;
            if (!took)
                continue;
        }
        const ph_agg *a = tpass_agg(&tp, w);
        int64_t b = rank(a, ctx);
        if (keep) {
            if (took & PH_KEEP_LITERAL)
                keep_add(&kp, proc, b);
            if (took & PH_KEEP_GLOB)
                keep_add(&kglob, proc, b);
            continue;
        }
        keep_add(&kp, proc, b);
        if (ninside == 0 || b < lowest)
            lowest = b;
        if (ninside == 0 || b > highest)
            highest = b;
        measured |= a->have;
        ninside++;
    }
    if (step != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(st);
    st = NULL;
    /* --name is a name when a process of the window is so named (one
     * inside it here, or one read: those are all the others), else a glob.
     * With none named so inside, the glob's candidates are read; should an
     * edge process turn out so named, the answer is the edge processes so
     * named, all read, and no inside process can be one of them. */
    if (keep && !literal) {
        keeper t = kp;
        kp = kglob;
        kglob = t;
    }
    const int mode = literal ? PH_KEEP_LITERAL : PH_KEEP_GLOB;

    /* The first cut: the limit-th largest bound, ties kept. */
    int64_t cut = kp.nh == kp.k ? kp.heap[0] : INT64_MIN;
    /* No inside process measured what the rank reads (a metric the
     * platform has no source for: wakeups and GPU time on Linux), so they
     * all tie, exactly, and every command orders ties by name, pid and
     * process id: the first `limit` in that order can rank, the others
     * cannot (any process ranking above them is an edge one, read). */
    if (!keep && (rank_need & ph_metric_counters()) && !(measured & rank_need) && ninside > limit &&
        lowest == highest) {
        sql.len = 0;
        ph_buf_printf(&sql, "SELECT t.proc FROM proc_total t CROSS JOIN process p ON p.proc = t.proc");
        inside_where(&sql, scan_all, w);
        ph_buf_printf(&sql, " ORDER BY p.name, p.pid, t.proc LIMIT ?4");
        if (sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) != SQLITE_OK)
            goto fail;
        sqlite3_bind_int64(st, 1, from);
        sqlite3_bind_int64(st, 2, h2);
        sqlite3_bind_int64(st, 3, h1);
        sqlite3_bind_int64(st, 4, (int64_t)limit);
        kp.n = 0;
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            kp.e[kp.n].proc = sqlite3_column_int64(st, 0);
            kp.e[kp.n++].bound = lowest;
        }
        if (step != SQLITE_DONE)
            goto fail;
        sqlite3_finalize(st);
        st = NULL;
        cut = lowest;
        kp.dropped = INT64_MIN; /* those left out lose the tie to these */
    }
    for (int round = 0; round < MAX_ROUNDS; round++) {
        if (kp.dropped != INT64_MIN && cut <= kp.dropped) { /* it needs processes no longer held */
            rc = 0;
            goto done;
        }
        size_t nset = nedge;
        for (size_t i = 0; i < kp.n; i++)
            nset += kp.e[i].bound >= cut;
        if (nset > MAX_SET) {
            rc = 0;
            goto done;
        }
        int got = read_set(s, since, until, want, flags, &hs, edge, nedge, &kp, cut, out, err, errlen);
        if (got < 0)
            goto fail;
        if (got == 0) {
            rc = 0;
            goto done;
        }
        int64_t next = kp.dropped; /* the largest bound left out */
        for (size_t i = 0; i < kp.n; i++)
            if (kp.e[i].bound < cut && kp.e[i].bound > next)
                next = kp.e[i].bound;
        if (next == INT64_MIN) {
            answered = 1;
            break;
        }
        size_t nkeys = 0; /* the ranks of those read that the filter takes */
        free(keys);
        keys = ph_xcalloc(out->nprocs + 1, sizeof *keys);
        for (size_t i = 0; i < out->nprocs; i++)
            if (!keep || (keep(out->procs[i].name, out->procs[i].app, kctx) & mode))
                keys[nkeys++] = rank(&out->procs[i], ctx);
        if (nkeys >= limit) {
            int64_t kth = ph_kth_largest(keys, nkeys, limit);
            if (next < kth) {
                answered = 1;
                break;
            }
            cut = kth; /* some left out may reach it: read them too */
        } else {
            cut = INT64_MIN;
        }
        ph_result_free(out);
    }
    if (!answered) {
        rc = 0;
        goto done;
    }

    /* The counters of the processes left out (those of rest_need): all the
     * inside ones' (one aggregate, inside SQLite) less those read, whose
     * sums proc_total gives again. */
    if (!(rest_need & slots & total_mask())) { /* how many only */
        size_t nchosen = 0;
        for (size_t k = 0; k < kp.n; k++)
            nchosen += kp.e[k].bound >= cut;
        out->rest = new_rest(0);
        out->rest->nprocs = (int)(ninside - nchosen);
        rc = 1;
        goto done;
    }
    slots &= rest_need & total_mask();
    int tcols[NTOTAL], ntcols = 0;
    for (size_t i = 0; i < NTOTAL; i++)
        if (slots & PH_BIT(total_cols[i]))
            tcols[ntcols++] = total_cols[i];
    all = new_rest(slots);
    sql.len = 0;
    ph_buf_printf(&sql, "SELECT count(*)");
    for (int i = 0; i < ntcols; i++)
        ph_buf_printf(&sql, ", sum(%s)", ph_metric_column((enum ph_metric)tcols[i]));
    ph_buf_printf(&sql, " FROM proc_total t");
    inside_where(&sql, scan_all, w);
    if (sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, h2);
    sqlite3_bind_int64(st, 3, h1);
    if (sqlite3_step(st) != SQLITE_ROW)
        goto fail;
    all->nprocs = sqlite3_column_int(st, 0);
    for (int i = 0; i < ntcols; i++)
        if (sqlite3_column_type(st, 1 + i) != SQLITE_NULL) {
            *ph_agg_at(all, tcols[i]) = sqlite3_column_int64(st, 1 + i);
            all->have |= PH_BIT(tcols[i]);
        }
    sqlite3_finalize(st);
    st = NULL;
    rest = new_rest(slots);
    sql.len = 0;
    ph_buf_printf(&sql, "SELECT proc");
    for (int i = 0; i < ntcols; i++)
        ph_buf_printf(&sql, ", %s", ph_metric_column((enum ph_metric)tcols[i]));
    ph_buf_printf(&sql, " FROM proc_total WHERE proc = ?1");
    if (sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    taken = new_rest(slots);
    taken->nprocs = 0;
    for (size_t k = 0; k < kp.n; k++) {
        if (kp.e[k].bound < cut)
            continue;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, kp.e[k].proc);
        if ((step = sqlite3_step(st)) != SQLITE_ROW)
            goto fail;
        taken->nprocs++;
        for (int i = 0; i < ntcols; i++)
            if (sqlite3_column_type(st, 1 + i) != SQLITE_NULL)
                *ph_agg_at(taken, tcols[i]) += sqlite3_column_int64(st, 1 + i);
    }
    rest->nprocs = all->nprocs - taken->nprocs;
    for (int m = 0; m < PH_METRIC_COUNT; m++)
        if (slots & PH_BIT(m))
            *ph_agg_at(rest, m) = *ph_agg_at(all, m) - *ph_agg_at(taken, m);
    /* A counter none left out had stays unmeasured; one some had, measured. */
    rest->have = all->have;
    if (rest->nprocs == 0)
        rest->have = 0;
    out->rest = rest;
    rest = NULL;
    rc = 1;
    goto done;
fail:
    if (!err[0])
        ph_store_read_error(s, err, errlen);
    ph_result_free(out);
    rc = -1;
done:
    sqlite3_finalize(st);
    for (int k = 0; k < 3; k++) {
        ph_agg *r = k == 0 ? rest : k == 1 ? all : taken;
        if (r)
            free(r->vals);
        free(r);
    }
    free(keys);
    free(edge);
    free(kp.e);
    free(kp.heap);
    free(kglob.e);
    free(kglob.heap);
    ph_buf_free(&sql);
    return rc;
}

/* s, once in pv's names (the map's values index them). */
static const char *pvalue_name(const void *ctx, int idx)
{
    return ((const ph_pvalues *)ctx)->names[idx];
}

static int pvalue_intern(ph_pvalues *pv, ph_imap *map, size_t *cap, const char *s)
{
    int64_t key;
    int at = ph_smap_find(map, s, pvalue_name, pv, &key);
    if (at >= 0)
        return at;
    if (pv->nnames == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        pv->names = ph_xrealloc(pv->names, *cap * sizeof *pv->names);
    }
    ph_imap_put(map, key, (int)pv->nnames);
    pv->names[pv->nnames] = ph_xstrdup(s);
    return (int)pv->nnames++;
}

void ph_pvalues_free(ph_pvalues *pv)
{
    for (size_t i = 0; i < pv->nnames; i++)
        free(pv->names[i]);
    free(pv->names);
    free(pv->v);
    memset(pv, 0, sizeof *pv);
}

/* ph_query_window_values: the inside processes' figures from proc_total,
 * the edge ones read. */
static int window_values(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, ph_mask rank_need,
                         ph_rank_fn value, void *ctx, ph_result *out, ph_pvalues *pv, char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    memset(out, 0, sizeof *out);
    memset(pv, 0, sizeof *pv);
    if (proctop_off() || (flags & (PH_Q_APPS_ONLY | PH_Q_GROUPED)) ||
        ((want | rank_need) & ph_metric_counters() & ~total_mask()) || ph_store_version(s) < 18)
        return 0;
    hspan hs;
    if (!hour_span(s, since, until, &hs))
        return 0;
    tpass tp;
    int rc = -1, step;
    int64_t *edge = NULL;
    size_t nedge = 0, cedge = 0, cv = 0, cnames = 0;
    ph_imap names;
    ph_imap_init(&names);
    if (tpass_open(db, &tp, &hs, rank_need, "p.pid, p.name") < 0)
        goto fail;
    while ((step = sqlite3_step(tp.st)) == SQLITE_ROW) {
        sqlite3_stmt *st = tp.st;
        int64_t proc = sqlite3_column_int64(st, 0);
        if (!inside_of(sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
                       sqlite3_column_type(st, 3) != SQLITE_NULL, sqlite3_column_int64(st, 3), hs.h1, hs.h2, hs.w)) {
            edge_add(&edge, &nedge, &cedge, proc);
            continue;
        }
        if (pv->n == cv) {
            cv = cv ? 2 * cv : 4096;
            pv->v = ph_xrealloc(pv->v, cv * sizeof *pv->v);
        }
        const char *name = (const char *)sqlite3_column_text(st, tp.xcol + 1);
        ph_pvalue *e = &pv->v[pv->n++];
        e->proc = proc;
        e->pid = sqlite3_column_int(st, tp.xcol);
        e->value = value(tpass_agg(&tp, hs.w), ctx);
        e->name = pvalue_intern(pv, &names, &cnames, name ? name : "");
    }
    if (step != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(tp.st);
    tp.st = NULL;
    rc = read_set(s, since, until, want, flags, &hs, edge, nedge, NULL, 0, out, err, errlen);
    if (rc < 0)
        goto fail;
    goto done;
fail:
    if (!err[0])
        ph_store_read_error(s, err, errlen);
    ph_result_free(out);
    memset(out, 0, sizeof *out);
done:
    sqlite3_finalize(tp.st);
    if (rc != 1)
        ph_pvalues_free(pv);
    free(edge);
    ph_imap_free(&names);
    return rc;
}

/* The inside processes of one group: how many, their first and last rows. */
typedef struct seen_grp {
    char *app;
    int64_t n, first_ns, last_ns;
} seen_grp;

static const char *seen_app(const void *ctx, int idx)
{
    return ((const seen_grp *)ctx)[idx].app;
}

/* Who the window saw, per app (or user, or cgroup key): nprocs, first_ns
 * and last_ns of out->apps as a pass over every process gives them, and
 * nothing else (procs[] some of the processes, without metrics). The edge
 * processes are read (the hour segment for them only, the other segments
 * whole); the inside ones are counted from proc_total, each under its
 * process row's app, uid or cgroup key (what a pass groups it by). 1
 * answered, 0 not its case, -1 with err. */
static int window_seen(ph_store *s, int64_t since, int64_t until, int flags, ph_result *out, int64_t *nread,
                       char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    memset(out, 0, sizeof *out);
    if (proctop_off() || (flags & PH_Q_APPS_ONLY) || ph_store_version(s) < 18)
        return 0;
    hspan hs;
    if (!hour_span(s, since, until, &hs))
        return 0;
    /* The group, as a pass keys it: the app, the user id (-1 unknown), or
     * the process's cgroup's key ('-' none, or no such cgroup row). */
    int by_user = (flags & PH_Q_BY_USER) != 0;
    const char *cg = by_user ? NULL : q_group_col(flags);
    char key[64], sql[640];
    if (cg)
        snprintf(key, sizeof key, "ifnull(c.%s, '-')", cg);
    else
        snprintf(key, sizeof key, "%s", by_user ? "ifnull(p.uid, -1)" : "p.app");
    snprintf(sql, sizeof sql,
             "SELECT t.proc, t.first_bucket_ns, t.last_bucket_ns, t.gone_ns, %s FROM proc_total t"
             " CROSS JOIN process p ON p.proc = t.proc%s WHERE %st.last_bucket_ns > ?1 - %lld AND t.first_bucket_ns < ?2",
             key, cg ? " LEFT JOIN cgroup c ON c.cgroup = p.cgroup" : "", hs.scan_all ? "+" : "", (long long)hs.w);
    sqlite3_stmt *st = NULL;
    int rc = -1, step;
    int64_t *edge = NULL;
    size_t nedge = 0, cedge = 0, ngrp = 0, cgrp = 0;
    seen_grp *grp = NULL;
    ph_imap gidx;
    ph_imap_init(&gidx);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, hs.from);
    sqlite3_bind_int64(st, 2, hs.h2);
    int last = -1; /* the group of the row before: an app's processes come in runs */
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t proc = sqlite3_column_int64(st, 0);
        int64_t first = sqlite3_column_int64(st, 1), lastb = sqlite3_column_int64(st, 2);
        if (!inside_of(first, lastb, sqlite3_column_type(st, 3) != SQLITE_NULL, sqlite3_column_int64(st, 3), hs.h1,
                       hs.h2, hs.w)) {
            edge_add(&edge, &nedge, &cedge, proc);
            continue;
        }
        char uid[32];
        const char *app = (const char *)sqlite3_column_text(st, 4);
        if (by_user) {
            snprintf(uid, sizeof uid, "%lld", (long long)sqlite3_column_int64(st, 4));
            app = uid;
        } else if (!app) {
            app = "";
        }
        int g = last >= 0 && strcmp(grp[last].app, app) == 0 ? last : -1;
        int64_t slot = 0;
        if (g < 0 && (g = ph_smap_find(&gidx, app, seen_app, grp, &slot)) < 0) {
            if (ngrp == cgrp) {
                cgrp = cgrp ? 2 * cgrp : 64;
                grp = ph_xrealloc(grp, cgrp * sizeof *grp);
            }
            g = (int)ngrp++;
            grp[g] = (seen_grp){ph_xstrdup(app), 0, first + hs.w, lastb + hs.w};
            ph_imap_put(&gidx, slot, g);
        }
        last = g;
        grp[g].n++;
        /* a rollup row's time is its bucket's end */
        if (first + hs.w < grp[g].first_ns)
            grp[g].first_ns = first + hs.w;
        if (lastb + hs.w > grp[g].last_ns)
            grp[g].last_ns = lastb + hs.w;
    }
    if (step != SQLITE_DONE)
        goto fail;
    sqlite3_finalize(st);
    st = NULL;

    /* The edge processes, read. */
    int got = read_set(s, since, until, 0, flags, &hs, edge, nedge, NULL, 0, out, err, errlen);
    if (got < 0)
        goto fail;
    if (got == 0) {
        rc = 0;
        goto done;
    }
    *nread = (int64_t)out->nprocs;

    /* The inside ones, added to their apps. */
    ph_imap aidx;
    ph_imap_init(&aidx);
    for (size_t i = 0; i < out->napps; i++) {
        int64_t slot = 0;
        if (ph_smap_find(&aidx, out->apps[i].app, q_agg_app, out->apps, &slot) < 0)
            ph_imap_put(&aidx, slot, (int)i);
    }
    for (size_t k = 0; k < ngrp; k++) {
        int64_t slot = 0;
        int i = ph_smap_find(&aidx, grp[k].app, q_agg_app, out->apps, &slot);
        if (i < 0) {
            out->apps = ph_xrealloc(out->apps, (out->napps + 1) * sizeof *out->apps);
            i = (int)out->napps++;
            ph_agg *a = &out->apps[i];
            memset(a, 0, sizeof *a);
            a->pid = -1;
            a->uid = -1;
            a->app = ph_xstrdup(grp[k].app);
            a->name = ph_xstrdup(grp[k].app);
            a->mem_peak = a->mem_last = a->mem_avg = -1;
            q_agg_room(out, a, 0);
            a->first_ns = grp[k].first_ns;
            a->last_ns = grp[k].last_ns;
            ph_imap_put(&aidx, slot, i);
        }
        ph_agg *a = &out->apps[i];
        if (a->nprocs == 0 || grp[k].first_ns < a->first_ns)
            a->first_ns = grp[k].first_ns;
        if (grp[k].last_ns > a->last_ns)
            a->last_ns = grp[k].last_ns;
        a->nprocs += (int)grp[k].n;
    }
    ph_imap_free(&aidx);
    rc = 1;
    goto done;
fail:
    if (!err[0])
        ph_store_read_error(s, err, errlen);
    ph_result_free(out);
    rc = -1;
done:
    sqlite3_finalize(st);
    for (size_t k = 0; k < ngrp; k++)
        free(grp[k].app);
    free(grp);
    ph_imap_free(&gidx);
    free(edge);
    return rc;
}

/* Copies the sightings of seen's apps into out's (the same apps, or 0). */
static int take_seen(ph_result *out, const ph_result *seen)
{
    if (out->napps != seen->napps)
        return 0;
    ph_imap idx;
    ph_imap_init(&idx);
    for (size_t i = 0; i < seen->napps; i++) {
        int64_t slot = 0;
        if (ph_smap_find(&idx, seen->apps[i].app, q_agg_app, seen->apps, &slot) < 0)
            ph_imap_put(&idx, slot, (int)i);
    }
    int ok = 1;
    for (size_t i = 0; i < out->napps && ok; i++) {
        int64_t slot = 0;
        int k = ph_smap_find(&idx, out->apps[i].app, q_agg_app, seen->apps, &slot);
        if (k < 0) {
            ok = 0;
            break;
        }
        out->apps[i].nprocs = seen->apps[k].nprocs;
        out->apps[i].first_ns = seen->apps[k].first_ns;
        out->apps[i].last_ns = seen->apps[k].last_ns;
    }
    ph_imap_free(&idx);
    return ok;
}

int ph_query_window_apps(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, ph_result *out,
                         int64_t *nread, char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    memset(out, 0, sizeof *out);
    int own = sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    ph_result seen;
    int rc = window_seen(s, since, until, flags, &seen, nread, err, errlen);
    if (rc == 1) {
        if (ph_query_window_metrics(s, since, until, want, flags | PH_Q_APPS_ONLY, out, err, errlen) < 0)
            rc = -1;
        else if (!take_seen(out, &seen)) { /* cannot be: the same apps were seen */
            ph_result_free(out);
            rc = 0;
        }
        ph_result_free(&seen);
    }
    if (own)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

/* Its reads in one snapshot: the plan's marks, proc_total and the rows all
 * of one moment, whatever the recorder commits meanwhile. */
int ph_query_window_top(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, ph_mask rank_need,
                        ph_mask rest_need, ph_rank_fn rank, void *ctx, size_t limit, ph_keep_fn keep, void *kctx,
                        ph_result *out, char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    int own = sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    int rc = window_top(s, since, until, want, flags, rank_need, rest_need, rank, ctx, limit, keep, kctx, out, err,
                        errlen);
    if (own)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

int ph_query_window_values(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, ph_mask rank_need,
                           ph_rank_fn value, void *ctx, ph_result *out, ph_pvalues *pv, char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    int own = sqlite3_get_autocommit(db) && sqlite3_exec(db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
    int rc = window_values(s, since, until, want, flags, rank_need, value, ctx, out, pv, err, errlen);
    if (own)
        sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
    return rc;
}

/* The inside processes have rows in the hour segment only: the
 * ph_query_window_values call before, in the same snapshot, found none of
 * them in the others (has_stray). */
int ph_query_window_set(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, const int64_t *procs,
                        size_t n, ph_result *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    hspan hs;
    if (proctop_off() || (flags & (PH_Q_APPS_ONLY | PH_Q_GROUPED)) || ph_store_version(s) < 18 ||
        !hour_span(s, since, until, &hs))
        return 0;
    ph_buf ids = {0};
    json_ids(&ids, procs, n, NULL, 0);
    const ph_segment *seg = &hs.seg[hs.h];
    int rc = q_replay_sel(s, seg->tier, seg->since, seg->until, 0, want, flags, -1, ids.data, NULL, NULL, out, NULL,
                          err, errlen) < 0 ? -1 : 1;
    ph_buf_free(&ids);
    if (rc < 0 && !err[0])
        ph_store_read_error(s, err, errlen);
    return rc;
}
