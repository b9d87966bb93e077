/*
 * Window queries (see include/ph_query.h).
 *
 * One pass over the rows of (since - lookback, until], in sample order,
 * replays each process's memory as a step function:
 *   - a row sets the process's current value;
 *   - a process leaves at its gone_ns (the first sample that missed it), and
 *     at any keyframe sample it has no row in (the recorder was down, or it
 *     vanished unnoticed);
 *   - rows at or before `since` only set values (the state at `since`);
 *     the state at `since` counts as a point of the window.
 * Keyframes write every live process at least once a minute, so a lookback
 * of two keyframe periods finds every process alive at `since`.
 * Per app, the running sum of its live processes' values is kept, and its
 * maximum over the window's samples is the app's peak.
 */
#include "ph_query.h"
#include "ph_util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t ph_mem_of(const ph_values *v)
{
    if (v->have & PH_BIT(PH_M_FOOTPRINT_BYTES))
        return v->v[PH_M_FOOTPRINT_BYTES];
    if (v->have & PH_BIT(PH_M_RESIDENT_BYTES))
        return v->v[PH_M_RESIDENT_BYTES];
    return -1;
}

typedef struct live {
    int64_t mem;     /* current value, -1 none */
    int64_t gone_ns; /* 0: not gone */
    int64_t seen_sample;
    int app;         /* index into apps */
    int in_window;   /* has a row in the window, or was live at `since` */
} live;

typedef struct qstate {
    ph_result *r;
    live *lv;            /* parallel to r->procs */
    size_t cap_procs, cap_apps;
    ph_imap proc_index;  /* proc id -> index in r->procs */
    ph_imap app_index;   /* hash of app name -> first index (chained by scan) */
    int64_t *app_sum;    /* running sum per app */
    int *dirty; size_t ndirty; unsigned char *is_dirty;
    /* min-heap of (gone_ns, proc index) */
    struct { int64_t at; int idx; } *heap; size_t nheap, capheap;
    sqlite3_stmt *meta;
} qstate;

static uint64_t str_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int app_find_or_add(qstate *q, const char *app)
{
    ph_result *r = q->r;
    int64_t key = (int64_t)(str_hash(app) & INT64_MAX);
    /* Linear probe on the key space for collisions of different names. */
    for (;; key = (key + 1) & INT64_MAX) {
        int *idx = ph_imap_get(&q->app_index, key);
        if (!idx)
            break;
        if (strcmp(r->apps[*idx].app, app) == 0)
            return *idx;
    }
    if (r->napps == q->cap_apps) {
        q->cap_apps = q->cap_apps ? q->cap_apps * 2 : 64;
        r->apps = ph_xrealloc(r->apps, q->cap_apps * sizeof *r->apps);
        q->app_sum = ph_xrealloc(q->app_sum, q->cap_apps * sizeof *q->app_sum);
        q->is_dirty = ph_xrealloc(q->is_dirty, q->cap_apps);
        q->dirty = ph_xrealloc(q->dirty, q->cap_apps * sizeof *q->dirty);
    }
    int i = (int)r->napps++;
    ph_agg *a = &r->apps[i];
    memset(a, 0, sizeof *a);
    a->pid = -1;
    a->uid = -1;
    a->app = ph_xstrdup(app);
    a->name = ph_xstrdup(app);
    a->mem_peak = -1;
    q->app_sum[i] = 0;
    q->is_dirty[i] = 0;
    ph_imap_put(&q->app_index, key, i);
    return i;
}

static void heap_push(qstate *q, int64_t at, int idx)
{
    if (q->nheap == q->capheap) {
        q->capheap = q->capheap ? q->capheap * 2 : 64;
        q->heap = ph_xrealloc(q->heap, q->capheap * sizeof *q->heap);
    }
    size_t i = q->nheap++;
    while (i > 0 && q->heap[(i - 1) / 2].at > at) {
        q->heap[i] = q->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    q->heap[i].at = at;
    q->heap[i].idx = idx;
}

static void heap_pop(qstate *q)
{
    size_t n = --q->nheap, i = 0;
    if (n == 0)
        return;
    int64_t at = q->heap[n].at;
    int idx = q->heap[n].idx;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && q->heap[c + 1].at < q->heap[c].at)
            c++;
        if (q->heap[c].at >= at)
            break;
        q->heap[i] = q->heap[c];
        i = c;
    }
    q->heap[i].at = at;
    q->heap[i].idx = idx;
}

static void mark_dirty(qstate *q, int app)
{
    if (!q->is_dirty[app]) {
        q->is_dirty[app] = 1;
        q->dirty[q->ndirty++] = app;
    }
}

/* Set a process's current memory value, keeping its app's sum. */
static void set_mem(qstate *q, int idx, int64_t mem)
{
    live *l = &q->lv[idx];
    int64_t old = l->mem < 0 ? 0 : l->mem, now = mem < 0 ? 0 : mem;
    q->app_sum[l->app] += now - old;
    l->mem = mem;
    mark_dirty(q, l->app);
}

static int proc_find_or_add(qstate *q, int64_t proc, char *err, size_t errlen)
{
    int *found = ph_imap_get(&q->proc_index, proc);
    if (found)
        return *found;
    ph_result *r = q->r;
    if (r->nprocs == q->cap_procs) {
        q->cap_procs = q->cap_procs ? q->cap_procs * 2 : 256;
        r->procs = ph_xrealloc(r->procs, q->cap_procs * sizeof *r->procs);
        q->lv = ph_xrealloc(q->lv, q->cap_procs * sizeof *q->lv);
    }
    int idx = (int)r->nprocs;
    ph_agg *a = &r->procs[idx];
    live *l = &q->lv[idx];
    memset(a, 0, sizeof *a);
    memset(l, 0, sizeof *l);
    a->proc = proc;
    a->nprocs = 1;
    a->mem_peak = -1;
    l->mem = -1;

    sqlite3_bind_int64(q->meta, 1, proc);
    if (sqlite3_step(q->meta) != SQLITE_ROW) {
        sqlite3_reset(q->meta);
        ph_fmt(err, errlen, "process %lld has samples but no process row", (long long)proc);
        return -1;
    }
    a->pid = sqlite3_column_int(q->meta, 0);
    a->uid = sqlite3_column_type(q->meta, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(q->meta, 1);
    a->name = ph_xstrdup((const char *)sqlite3_column_text(q->meta, 2));
    a->app = ph_xstrdup((const char *)sqlite3_column_text(q->meta, 3));
    l->gone_ns = sqlite3_column_int64(q->meta, 4);
    sqlite3_reset(q->meta);
    r->nprocs++;
    l->app = app_find_or_add(q, a->app);
    if (l->gone_ns)
        heap_push(q, l->gone_ns, idx);
    ph_imap_put(&q->proc_index, proc, idx);
    return idx;
}

/* Close a sample at ts: peaks of the apps whose sums moved, when ts
 * belongs to the window. */
static void close_sample(qstate *q, int64_t ts, int in_window)
{
    ph_result *r = q->r;
    if (in_window) {
        for (size_t k = 0; k < q->ndirty; k++) {
            int a = q->dirty[k];
            if (q->app_sum[a] > r->apps[a].mem_peak) {
                r->apps[a].mem_peak = q->app_sum[a];
                r->apps[a].mem_peak_ns = ts;
            }
        }
    }
    for (size_t k = 0; k < q->ndirty; k++)
        q->is_dirty[q->dirty[k]] = 0;
    q->ndirty = 0;
}

/* Processes that are gone by `ts` leave their app's sum. */
static void expire(qstate *q, int64_t ts)
{
    while (q->nheap && q->heap[0].at <= ts) {
        int idx = q->heap[0].idx;
        heap_pop(q);
        if (q->lv[idx].mem >= 0)
            set_mem(q, idx, -1);
    }
}

/* At `since`: every process still live is in the window with its value. */
static void enter_window(qstate *q, int64_t since)
{
    ph_result *r = q->r;
    expire(q, since);
    for (size_t i = 0; i < r->nprocs; i++) {
        live *l = &q->lv[i];
        if (l->mem < 0)
            continue;
        l->in_window = 1;
        if (l->mem > r->procs[i].mem_peak) {
            r->procs[i].mem_peak = l->mem;
            r->procs[i].mem_peak_ns = since;
        }
        r->procs[i].first_ns = since;
        r->procs[i].last_ns = since;
        mark_dirty(q, l->app);
    }
    close_sample(q, since, 1);
}

static void keyframe_sweep(qstate *q, int64_t sample)
{
    for (size_t i = 0; i < q->r->nprocs; i++)
        if (q->lv[i].mem >= 0 && q->lv[i].seen_sample != sample)
            set_mem(q, (int)i, -1);
}

int ph_query_window(ph_store *store, int64_t since, int64_t until, ph_result *r,
                    char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(store);
    qstate q;
    char sql[4096];
    size_t off;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    memset(r, 0, sizeof *r);
    memset(&q, 0, sizeof q);
    q.r = r;
    ph_imap_init(&q.proc_index);
    ph_imap_init(&q.app_index);
    r->win.since = since;
    r->win.until = until;

    if (sqlite3_prepare_v2(db,
                           "SELECT count(*), coalesce(sum(interval_ns), 0), min(ts_ns), max(ts_ns),"
                           " coalesce(max(procs_denied), 0)"
                           " FROM sample WHERE ts_ns > ?1 AND ts_ns <= ?2",
                           -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int64(st, 2, until);
    if (sqlite3_step(st) != SQLITE_ROW)
        goto fail;
    r->win.samples = sqlite3_column_int64(st, 0);
    r->win.covered_ns = sqlite3_column_int64(st, 1);
    r->win.first_ns = sqlite3_column_int64(st, 2);
    r->win.last_ns = sqlite3_column_int64(st, 3);
    r->win.procs_denied = sqlite3_column_int64(st, 4);
    sqlite3_finalize(st);
    st = NULL;

    if (sqlite3_prepare_v2(db, "SELECT pid, uid, name, app, coalesce(gone_ns, 0) FROM process WHERE proc = ?1",
                           -1, &q.meta, NULL) != SQLITE_OK)
        goto fail;

    off = (size_t)snprintf(sql, sizeof sql, "SELECT s.sample, s.ts_ns, s.keyframe, ps.proc");
    for (int m = 0; m < PH_METRIC_COUNT; m++)
        off += (size_t)snprintf(sql + off, sizeof sql - off, ", ps.%s",
                                ph_metric_column((enum ph_metric)m));
    snprintf(sql + off, sizeof sql - off,
             " FROM sample s JOIN proc_sample ps ON ps.sample = s.sample"
             " WHERE s.ts_ns > ?1 AND s.ts_ns <= ?2 ORDER BY s.ts_ns, s.sample");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, since - 2 * PH_KEYFRAME_NS);
    sqlite3_bind_int64(st, 2, until);

    int64_t cur_sample = -1, cur_ts = 0;
    int cur_key = 0, entered = 0;
    ph_mask counters = ph_metric_counters();
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t sample = sqlite3_column_int64(st, 0);
        int64_t ts = sqlite3_column_int64(st, 1);
        if (sample != cur_sample) {
            if (cur_sample >= 0) {
                if (cur_key)
                    keyframe_sweep(&q, cur_sample);
                close_sample(&q, cur_ts, cur_ts > since);
            }
            if (!entered && ts > since) {
                enter_window(&q, since);
                entered = 1;
            }
            expire(&q, ts);
            cur_sample = sample;
            cur_ts = ts;
            cur_key = sqlite3_column_int(st, 2);
        }
        int idx = proc_find_or_add(&q, sqlite3_column_int64(st, 3), err, errlen);
        if (idx < 0)
            goto fail;
        ph_values v;
        v.have = 0;
        for (int m = 0; m < PH_METRIC_COUNT; m++)
            if (sqlite3_column_type(st, 4 + m) != SQLITE_NULL)
                ph_values_set(&v, (enum ph_metric)m, sqlite3_column_int64(st, 4 + m));
        live *l = &q.lv[idx];
        ph_agg *a = &r->procs[idx];
        l->seen_sample = sample;
        int64_t mem = ph_mem_of(&v);
        if (mem >= 0 && (l->gone_ns == 0 || l->gone_ns > ts))
            set_mem(&q, idx, mem);
        if (ts <= since)
            continue;
        if (!l->in_window) {
            l->in_window = 1;
            a->first_ns = ts;
        }
        a->last_ns = ts;
        if (mem > a->mem_peak) {
            a->mem_peak = mem;
            a->mem_peak_ns = ts;
        }
        for (int m = 0; m < PH_METRIC_COUNT; m++) {
            if ((counters & PH_BIT(m)) && (v.have & PH_BIT(m))) {
                a->sum[m] += v.v[m];
                a->have |= PH_BIT(m);
            }
        }
    }
    if (step != SQLITE_DONE)
        goto fail;
    if (cur_sample >= 0) {
        if (cur_key)
            keyframe_sweep(&q, cur_sample);
        close_sample(&q, cur_ts, cur_ts > since);
    }
    if (!entered)
        enter_window(&q, since);

    /* Keep what was in the window; fold processes into apps. */
    size_t keep = 0;
    for (size_t i = 0; i < r->nprocs; i++) {
        if (!q.lv[i].in_window) {
            free(r->procs[i].name);
            free(r->procs[i].app);
            continue;
        }
        ph_agg *a = &r->procs[i];
        ph_agg *g = &r->apps[q.lv[i].app];
        if (g->nprocs == 0 || a->first_ns < g->first_ns)
            g->first_ns = a->first_ns;
        if (a->last_ns > g->last_ns)
            g->last_ns = a->last_ns;
        if (g->nprocs == 0)
            g->uid = a->uid;
        else if (g->uid != a->uid)
            g->uid = -1;
        g->nprocs++;
        for (int m = 0; m < PH_METRIC_COUNT; m++)
            if (a->have & PH_BIT(m))
                g->sum[m] += a->sum[m];
        g->have |= a->have;
        r->procs[keep++] = *a;
    }
    r->nprocs = keep;
    size_t akeep = 0;
    for (size_t i = 0; i < r->napps; i++) {
        if (r->apps[i].nprocs == 0) {
            free(r->apps[i].name);
            free(r->apps[i].app);
            continue;
        }
        r->apps[akeep++] = r->apps[i];
    }
    r->napps = akeep;
    rc = 0;
fail:
    if (rc < 0 && !err[0])
        ph_fmt(err, errlen, "reading the database failed: %s", sqlite3_errmsg(db));
    sqlite3_finalize(st);
    sqlite3_finalize(q.meta);
    free(q.lv);
    free(q.app_sum);
    free(q.dirty);
    free(q.is_dirty);
    free(q.heap);
    ph_imap_free(&q.proc_index);
    ph_imap_free(&q.app_index);
    if (rc < 0)
        ph_result_free(r);
    return rc;
}

void ph_result_free(ph_result *r)
{
    for (size_t i = 0; i < r->nprocs; i++) {
        free(r->procs[i].name);
        free(r->procs[i].app);
    }
    for (size_t i = 0; i < r->napps; i++) {
        free(r->apps[i].name);
        free(r->apps[i].app);
    }
    free(r->procs);
    free(r->apps);
    memset(r, 0, sizeof *r);
}
