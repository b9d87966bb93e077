/*
 * The replay engine: a window over one tier's process rows (the contract is
 * include/ph_query.h; the tables are the tiers' of src/db/tiers.c).
 *
 * ENGINE. One pass over a tier's rows of (since - lookback, until], in time
 * order, replays each process's memory as a step function:
 *   - a row sets the process's current value (raw: the sampled value;
 *     rollups: the bucket's last value, with the bucket's maximum as a peak
 *     candidate);
 *   - a process leaves at its gone_ns (the first sample that missed it), and
 *     at any keyframe it has no row in (the recorder was down, or it vanished
 *     unnoticed);
 *   - rows at or before `since` only set values: the state at `since` counts
 *     as a point of the window.
 * Every live process has a row at least once per keyframe period of the
 * tier, so a lookback of two periods finds every process alive at `since`.
 * On raw rows an app's memory is the running sum of its live processes'
 * values, and its peak the largest sum at any sample; on rollups it comes
 * from the app rows (src/db/approws.c), which hold that same exact peak per
 * bucket.
 */
#define _DEFAULT_SOURCE /* madvise (glibc) */
#include "query_private.h"
#include "ph_time.h"
#include "ph_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PH_LIFETIME_PEAKS (PH_BIT(PH_M_PEAK_RESIDENT_BYTES) | PH_BIT(PH_M_FOOTPRINT_LIFETIME_MAX_BYTES) | \
                           PH_BIT(PH_M_FOOTPRINT_INTERVAL_MAX_BYTES))

/* The process's lifetime peak as its row reports it, in the same measure
 * as ph_mem_of: footprint where there is one, else resident. */
static int64_t lifetime_peak(const ph_values *v)
{
    if (v->have & PH_BIT(PH_M_FOOTPRINT_BYTES))
        return (v->have & PH_BIT(PH_M_FOOTPRINT_LIFETIME_MAX_BYTES)) ? v->v[PH_M_FOOTPRINT_LIFETIME_MAX_BYTES] : -1;
    return (v->have & PH_BIT(PH_M_PEAK_RESIDENT_BYTES)) ? v->v[PH_M_PEAK_RESIDENT_BYTES] : -1;
}

int64_t ph_mem_of(const ph_values *v)
{
    if (v->have & PH_BIT(PH_M_FOOTPRINT_BYTES))
        return v->v[PH_M_FOOTPRINT_BYTES];
    if (v->have & PH_BIT(PH_M_RESIDENT_BYTES))
        return v->v[PH_M_RESIDENT_BYTES];
    return -1;
}

const char *q_group_dim(int flags)
{
    if (flags & PH_Q_BY_USER)
        return "user";
    switch (flags & PH_Q_CGROUP_KEYS) {
    case PH_Q_BY_UNIT: return "unit";
    case PH_Q_BY_SLICE: return "slice";
    case PH_Q_BY_CONTAINER: return "container";
    case PH_Q_BY_CGROUP: return "cgroup";
    default: return NULL;
    }
}

const char *q_group_col(int flags)
{
    switch (flags & PH_Q_CGROUP_KEYS) {
    case PH_Q_BY_UNIT: return "unit";
    case PH_Q_BY_SLICE: return "slice";
    case PH_Q_BY_CONTAINER: return "container_id";
    case PH_Q_BY_CGROUP: return "path";
    default: return NULL;
    }
}

const char *q_agg_app(const void *ctx, int idx)
{
    return ((const ph_agg *)ctx)[idx].app;
}

int q_app_find_or_add(qstate *q, const char *app)
{
    ph_result *r = q->r;
    int64_t key;
    int found = ph_smap_find(&q->app_index, app, q_agg_app, r->apps, &key);
    if (found >= 0)
        return found;
    if (r->napps == q->cap_apps) {
        q->cap_apps = q->cap_apps ? q->cap_apps * 2 : 64;
        r->apps = ph_xrealloc(r->apps, q->cap_apps * sizeof *r->apps);
        q->app_sum = ph_xrealloc(q->app_sum, q->cap_apps * sizeof *q->app_sum);
        q->app_live = ph_xrealloc(q->app_live, q->cap_apps * sizeof *q->app_live);
        q->app_grower = ph_xrealloc(q->app_grower, q->cap_apps * sizeof *q->app_grower);
        q->app_carry = ph_xrealloc(q->app_carry, q->cap_apps * sizeof *q->app_carry);
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
    a->mem_peak = a->mem_last = a->mem_avg = -1;
    q_agg_room(r, a, q->slots);
    q->app_sum[i] = 0;
    q->app_live[i] = 0;
    q->app_grower[i] = 0;
    q->app_carry[i] = -1;
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

/* idx is in the current window from now on (its in_window was 0). */
static void join_window(qstate *q, int idx)
{
    q->lv[idx].in_window = 1;
    if (q->ninwin == q->capinwin) {
        q->capinwin = q->capinwin ? q->capinwin * 2 : 256;
        q->inwin = ph_xrealloc(q->inwin, q->capinwin * sizeof *q->inwin);
    }
    q->inwin[q->ninwin++] = idx;
}

static int cmp_int(const void *x, const void *y)
{
    int a = *(const int *)x, b = *(const int *)y;
    return (a > b) - (a < b);
}

/* Account the value held since l->mark up to `t`. */
static void integrate(live *l, int64_t t)
{
    if (l->mark && t > l->mark && l->mem >= 0) {
        l->integ += (double)l->mem * (double)(t - l->mark);
        l->alive_ns += t - l->mark;
    }
    if (l->mark && t > l->mark)
        l->mark = t;
}

/* Set a process's current memory value at time t, keeping its app's sum. */
static void set_mem(qstate *q, int idx, int64_t mem, int64_t t)
{
    live *l = &q->lv[idx];
    integrate(l, t);
    int64_t old = l->mem < 0 ? 0 : l->mem, now = mem < 0 ? 0 : mem;
    if (now > old)
        q->app_grower[l->app] = q->r->procs[idx].proc;
    if (now != old) {
        q->app_sum[l->app] += now - old;
        if (q->in_window)
            q->r->apps[l->app].changed = 1;
    }
    if ((l->mem < 0) != (mem < 0)) {
        if (mem >= 0) {
            if (q->nalive == q->capalive) {
                q->capalive = q->capalive ? q->capalive * 2 : 256;
                q->alive = ph_xrealloc(q->alive, q->capalive * sizeof *q->alive);
            }
            l->alive_pos = (int)q->nalive;
            q->alive[q->nalive++] = idx;
        } else {
            int last = q->alive[--q->nalive];
            q->alive[l->alive_pos] = last;
            q->lv[last].alive_pos = l->alive_pos;
            l->alive_pos = -1;
        }
        ph_agg *g = &q->r->apps[l->app];
        q->app_live[l->app] += mem < 0 ? -1 : 1;
        if (q->in_window && q->app_live[l->app] > g->procs_max)
            g->procs_max = q->app_live[l->app];
    }
    l->mem = mem;
    if (mem < 0)
        l->mark = 0;
    mark_dirty(q, l->app);
}

/* The slot of proc, NULL when its page is not there and !create. */
static int *pidx_slot(q_pidx *x, int64_t proc, int create)
{
    int64_t no = proc >> PIDX_SHIFT; /* arithmetic: negative ids get their own pages */
    if (!x->last || no != x->last_no) {
        int *pi = ph_imap_get(&x->dir, no);
        if (!pi) {
            if (!create)
                return NULL;
            if (x->npages == x->cap) {
                x->cap = x->cap ? x->cap * 2 : 64;
                x->pages = ph_xrealloc(x->pages, x->cap * sizeof *x->pages);
            }
            x->pages[x->npages] = ph_xcalloc(PIDX_PAGE, sizeof **x->pages);
            ph_imap_put(&x->dir, no, (int)x->npages);
            pi = ph_imap_get(&x->dir, no);
            x->npages++;
        }
        x->last = x->pages[*pi];
        x->last_no = no;
    }
    return &x->last[proc & (PIDX_PAGE - 1)];
}

int q_pidx_get(q_pidx *x, int64_t proc)
{
    int *s = pidx_slot(x, proc, 0);
    return s ? *s - 1 : -1;
}

void q_pidx_put(q_pidx *x, int64_t proc, int idx)
{
    *pidx_slot(x, proc, 1) = idx + 1;
}

void q_pidx_free(q_pidx *x)
{
    for (size_t i = 0; i < x->npages; i++)
        free(x->pages[i]);
    free(x->pages);
    ph_imap_free(&x->dir);
    memset(x, 0, sizeof *x);
}

static const char *q_strv_at(const void *ctx, int idx)
{
    return ((char *const *)ctx)[idx];
}

/* n bytes from the newest block of *head; when it has no room, a new block
 * of `grow` bytes (n if more), zeroed if `zero`, goes in front. */
static void *pool_take(struct ph_pool **head, size_t n, size_t grow, int zero)
{
    struct ph_pool *p = *head;
    if (!p || p->cap - p->used < n) {
        size_t cap = grow > n ? grow : n;
        p = zero ? ph_xcalloc(1, sizeof *p + cap) : ph_xmalloc(sizeof *p + cap);
        p->next = *head;
        p->used = 0;
        p->cap = cap;
        *head = p;
    }
    void *at = p->data + p->used;
    p->used += n;
    return at;
}

void q_pool_move(struct ph_pool **dst, struct ph_pool **src)
{
    if (!*src)
        return;
    struct ph_pool *last = *src;
    while (last->next)
        last = last->next;
    last->next = *dst;
    *dst = *src;
    *src = NULL;
}

static void pool_free(struct ph_pool *p)
{
    while (p) {
        struct ph_pool *next = p->next;
        free(p);
        p = next;
    }
}

/* s, interned in the working result's pool: every process of one name
 * (or app) shares one copy instead of two mallocs a process. */
static int intern_at(qstate *q, const char *s)
{
    int64_t key;
    int found = ph_smap_find(&q->str_index, s, q_strv_at, q->strv, &key);
    if (found >= 0)
        return found;
    size_t len = strlen(s) + 1;
    char *c = pool_take(&q->r->strs, len, 65536, 0);
    memcpy(c, s, len);
    if (q->nstrv == q->capstrv) {
        q->capstrv = q->capstrv ? q->capstrv * 2 : 64;
        q->strv = ph_xrealloc(q->strv, q->capstrv * sizeof *q->strv);
    }
    ph_imap_put(&q->str_index, key, (int)q->nstrv);
    q->strv[q->nstrv++] = c;
    return (int)q->nstrv - 1;
}

static char *intern(qstate *q, const char *s)
{
    int at = intern_at(q, s); /* before reading strv: interning may move it */
    return q->strv[at];
}

/*
 * The per-process arrays are the pass's memory (a month: ~363k processes,
 * each a ph_agg and a live record, ~250 MiB), written once each as
 * processes appear. Faulting their pages in by the run of PREFAULT_RUN
 * processes takes one system call where touching them takes a page fault
 * each (on the VM of docs/performance.md, a fresh page costs ~21 us by
 * faults and ~15 us by MADV_POPULATE_WRITE then writes). A hint: a kernel
 * without it (before Linux 5.14, or not Linux) faults them in as before.
 */
#define PREFAULT_RUN 1024
static void prefault(void *p, size_t n)
{
#ifdef MADV_POPULATE_WRITE
    static uintptr_t pg;
    if (!pg) {
        long sz = sysconf(_SC_PAGESIZE);
        pg = sz > 0 ? (uintptr_t)sz : 4096;
    }
    uintptr_t a = ((uintptr_t)p + pg - 1) & ~(pg - 1), e = ((uintptr_t)p + n) & ~(pg - 1);
    if (e > a)
        (void)madvise((void *)a, e - a, MADV_POPULATE_WRITE);
#else
    (void)p;
    (void)n;
#endif
}

/*
 * Metric values (ph_agg.vals): a bump allocator in blocks that double from
 * 4 KiB to 1 MiB, so a rollup bucket of a few processes takes one small
 * block and a month's processes a few dozen large ones, faulted in whole
 * (they fill in order). Values are never freed one by one: the result's
 * blocks go with it.
 */
#define VALS_FIRST ((size_t)4 << 10)
#define VALS_MAX ((size_t)1 << 20)
static int64_t *vals_take(ph_result *r, size_t n)
{
    if (n == 0)
        return NULL;
    struct ph_pool *had = r->vals;
    size_t grow = !had ? VALS_FIRST : had->cap < VALS_MAX ? had->cap * 2 : VALS_MAX;
    int64_t *v = pool_take(&r->vals, n * sizeof *v, grow, 1);
    if (r->vals != had && r->vals->cap >= VALS_MAX)
        prefault(r->vals->data, r->vals->cap);
    return v;
}

static size_t nslots(ph_mask slots)
{
    return (size_t)__builtin_popcountll(slots);
}

void q_agg_room(ph_result *r, ph_agg *a, ph_mask slots)
{
    a->slots = slots;
    a->have = 0;
    a->vals = vals_take(r, nslots(slots));
}

void q_agg_own(ph_result *r, ph_agg *a)
{
    const int64_t *from = a->vals;
    a->vals = vals_take(r, nslots(a->slots));
    if (a->vals)
        memcpy(a->vals, from, nslots(a->slots) * sizeof *a->vals);
}

/* a's room widened to hold `slots` too, its values kept. */
static void agg_widen(ph_result *r, ph_agg *a, ph_mask slots)
{
    ph_agg wide = *a;
    q_agg_room(r, &wide, a->slots | slots);
    for (ph_mask h = a->have; h; h &= h - 1) {
        int m = __builtin_ctzll(h);
        *ph_agg_at(&wide, m) = *ph_agg_at(a, m);
    }
    a->slots = wide.slots;
    a->vals = wide.vals;
}

void q_agg_add_vals(ph_result *r, ph_agg *a, const ph_agg *b)
{
    if (b->have & ~a->slots)
        agg_widen(r, a, b->have);
    ph_mask counters = ph_metric_counters();
    for (ph_mask h = b->have; h; h &= h - 1) {
        int m = __builtin_ctzll(h);
        int64_t v = *ph_agg_at(b, m), *to = ph_agg_at(a, m);
        if (counters & PH_BIT(m))
            *to = (a->have & PH_BIT(m)) ? *to + v : v;
        else if (!(a->have & PH_BIT(m)) || v > *to)
            *to = v;
    }
    a->have |= b->have;
}

static int proc_find_or_add(qstate *q, int64_t proc, char *err, size_t errlen)
{
    int found = q_pidx_get(&q->proc_index, proc);
    if (found >= 0)
        return found;
    ph_result *r = q->r;
    if (r->nprocs == q->cap_procs) {
        q->cap_procs = q->cap_procs ? q->cap_procs * 2 : 256;
        r->procs = ph_xrealloc(r->procs, q->cap_procs * sizeof *r->procs);
        q->lv = ph_xrealloc(q->lv, q->cap_procs * sizeof *q->lv);
    }
    if (r->nprocs % PREFAULT_RUN == 0) {
        size_t k = q->cap_procs - r->nprocs < PREFAULT_RUN ? q->cap_procs - r->nprocs : PREFAULT_RUN;
        prefault(r->procs + r->nprocs, k * sizeof *r->procs);
        prefault(q->lv + r->nprocs, k * sizeof *q->lv);
    }
    int idx = (int)r->nprocs;
    ph_agg *a = &r->procs[idx];
    live *l = &q->lv[idx];
    memset(a, 0, sizeof *a);
    memset(l, 0, sizeof *l);
    q_agg_room(r, a, q->slots);
    a->proc = proc;
    a->nprocs = 1;
    a->mem_peak = a->mem_last = a->mem_avg = -1;
    l->mem = -1;
    l->seen = -1;
    l->alive_pos = -1;
    l->hwm_before = l->hwm_in = -1;

    sqlite3_bind_int64(q->meta, 1, proc);
    int step = sqlite3_step(q->meta);
    if (step != SQLITE_ROW) {
        if (step != SQLITE_DONE)
            return -1; /* a read error (a damaged cgroup table): the pass says which */
        sqlite3_reset(q->meta);
        ph_db_no_process_row(sqlite3_db_handle(q->meta), proc, err, errlen);
        return -1;
    }
    a->pid = sqlite3_column_int(q->meta, 0);
    a->uid = sqlite3_column_type(q->meta, 1) == SQLITE_NULL ? -1 : sqlite3_column_int64(q->meta, 1);
    a->name = intern(q, (const char *)sqlite3_column_text(q->meta, 2));
    if (q->by_user) { /* the group is the user: its key is the uid */
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)a->uid);
        a->app = intern(q, key);
    } else if (q->cg_key) { /* its cgroup's key; '-' none (or no such row, as a join gives) */
        int *k = sqlite3_column_type(q->meta, 3) == SQLITE_NULL
                     ? NULL
                     : ph_imap_get(&q->cg_index, sqlite3_column_int64(q->meta, 3));
        a->app = k ? q->strv[*k] : intern(q, "-");
    } else {
        a->app = intern(q, (const char *)sqlite3_column_text(q->meta, 3));
    }
    l->gone_ns = sqlite3_column_int64(q->meta, 4);
    l->start_ns = sqlite3_column_int64(q->meta, 5);
    sqlite3_reset(q->meta);
    r->nprocs++;
    l->app = q_app_find_or_add(q, a->app);
    if (l->gone_ns)
        heap_push(q, l->gone_ns, idx);
    q_pidx_put(&q->proc_index, proc, idx);
    return idx;
}

/* Close the sample or bucket at ts: raw-tier app peaks of the moved sums. */
static void close_point(qstate *q, int64_t ts)
{
    ph_result *r = q->r;
    /* Raw rows: exact concurrent sums. Users and cgroup keys on rollups
     * have no rows of their own here: the sum of their processes' values at
     * bucket ends stands in (a lower bound of the true peak). */
    if (q->in_window && (q->tier == PH_TIER_RAW || q->grouped)) {
        for (size_t k = 0; k < q->ndirty; k++) {
            int a = q->dirty[k];
            if (q->app_sum[a] > r->apps[a].mem_peak) {
                r->apps[a].mem_peak = q->app_sum[a];
                r->apps[a].mem_peak_ns = ts;
                r->apps[a].mem_peak_proc = q->app_grower[a];
            }
        }
    }
    for (size_t k = 0; k < q->ndirty; k++)
        q->is_dirty[q->dirty[k]] = 0;
    q->ndirty = 0;
}

static void expire(qstate *q, int64_t ts)
{
    while (q->nheap && q->heap[0].at <= ts) {
        int idx = q->heap[0].idx;
        heap_pop(q);
        if (q->lv[idx].mem >= 0)
            set_mem(q, idx, -1, q->lv[idx].gone_ns);
    }
}

static void keyframe_sweep(qstate *q, int64_t point, int64_t ts)
{
    /* Downwards: a removal moves the last entry (already visited) into the
     * hole. The order of removals changes nothing: each only lowers sums. */
    for (size_t k = q->nalive; k-- > 0;) {
        int i = q->alive[k];
        if (q->lv[i].seen != point)
            set_mem(q, i, -1, ts);
    }
}

/* At `since`: every live process enters the window with its value. */
static void enter_window(qstate *q, int64_t since)
{
    ph_result *r = q->r;
    expire(q, since);
    q->in_window = 1;
    /* The processes holding a value, in index order (as a walk over every
     * process would meet them). */
    size_t n0 = q->ninwin;
    for (size_t k = 0; k < q->nalive; k++)
        if (!q->lv[q->alive[k]].in_window)
            join_window(q, q->alive[k]);
    if (q->ninwin - n0 > 1)
        qsort(q->inwin + n0, q->ninwin - n0, sizeof *q->inwin, cmp_int);
    for (size_t k = n0; k < q->ninwin; k++) {
        int i = q->inwin[k];
        live *l = &q->lv[i];
        l->mark = since;
        ph_agg *a = &r->procs[i];
        if (l->mem > a->mem_peak) {
            a->mem_peak = l->mem;
            a->mem_peak_ns = since;
        }
        a->first_ns = a->last_ns = since;
        mark_dirty(q, l->app);
    }
    for (size_t i = 0; i < r->napps; i++)
        if (q->app_live[i] > r->apps[i].procs_max)
            r->apps[i].procs_max = q->app_live[i];
    close_point(q, since);
}

/* An SQL buffer that filled up was truncated: refuse it rather than run it. */
static int sql_truncated(const char *sql, size_t cap)
{
    return strlen(sql) + 1 >= cap;
}

/* ", coalesce(sum(col), -1)" for every system sum */
static size_t sys_sums(char *out, size_t cap)
{
    size_t off = 0;
    out[0] = '\0';
    for (int i = 0; i < PH_SYS_N && off < cap; i++)
        off += (size_t)snprintf(out + off, cap - off, ", coalesce(sum(%s), -1)", ph_sys_col[i]);
    return off;
}

int q_stats(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, ph_window *w)
{
    char sql[2048], sums[768];
    sqlite3_stmt *st;
    int64_t width = ph_tiers[tier].width_ns;
    sys_sums(sums, sizeof sums);
    if (tier == PH_TIER_RAW)
        snprintf(sql, sizeof sql,
                 "SELECT count(*), coalesce(sum(interval_ns), 0), min(ts_ns), max(ts_ns),"
                 " coalesce(max(procs_denied), 0), coalesce(max(procs), 0), coalesce(sum(recorder_cpu_ns), 0)%s"
                 " FROM sample WHERE ts_ns > ?1 AND ts_ns <= ?2", sums);
    else
        snprintf(sql, sizeof sql,
                 "SELECT coalesce(sum(samples), 0), coalesce(sum(covered_ns), 0), min(bucket_ns) + %lld,"
                 " max(bucket_ns) + %lld, coalesce(max(procs_denied_max), 0), coalesce(max(procs_max), 0),"
                 " coalesce(sum(recorder_cpu_ns), 0)%s"
                 " FROM %s WHERE bucket_ns > ?1 - %lld AND bucket_ns <= ?2 - %lld",
                 (long long)width, (long long)width, sums, ph_tiers[tier].samples, (long long)width, (long long)width);
    if (sql_truncated(sql, sizeof sql) || sqlite3_prepare_v2(ph_store_db(store), sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int64(st, 2, until);
    int rc = -1;
    if (sqlite3_step(st) == SQLITE_ROW) {
        w->samples = sqlite3_column_int64(st, 0);
        w->covered_ns = sqlite3_column_int64(st, 1);
        w->first_ns = sqlite3_column_int64(st, 2);
        w->last_ns = sqlite3_column_int64(st, 3);
        w->procs_denied = sqlite3_column_int64(st, 4);
        w->procs_max = sqlite3_column_int64(st, 5);
        w->recorder_cpu_ns = sqlite3_column_int64(st, 6);
        for (int i = 0; i < PH_SYS_N; i++)
            w->sys.v[i] = sqlite3_column_int64(st, 7 + i);
        rc = 0;
    }
    sqlite3_finalize(st);
    return rc;
}

/*
 * Where a pass must start to know the state at `since`: the last keyframe
 * at or before it (every live process has a row there). Returned as the
 * exclusive lower bound of row times. Raw keyframes are flagged samples (the
 * first of each run, then every PH_KEYFRAME_NS); rollup keyframes are the
 * buckets starting at multiples of the tier's keyframe period.
 */
int64_t q_lookback_from(sqlite3 *db, enum ph_tier tier, int64_t since)
{
    if (tier == PH_TIER_RAW) {
        sqlite3_stmt *st;
        int64_t from = since;
        if (sqlite3_prepare_v2(db, "SELECT max(ts_ns) FROM sample WHERE ts_ns <= ?1 AND keyframe = 1", -1, &st,
                               NULL) != SQLITE_OK)
            return since - 2 * ph_tiers[tier].keyframe_ns;
        sqlite3_bind_int64(st, 1, since);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
            from = sqlite3_column_int64(st, 0) - 1;
        sqlite3_finalize(st);
        return from;
    }
    int64_t w = ph_tiers[tier].width_ns, k = ph_tiers[tier].keyframe_ns;
    int64_t b0 = ph_floor_to(since - w, k); /* the keyframe bucket ending at or before since */
    return b0 + w - 1;
}

/* Copy what is in the current window out of the working state: its
 * processes, and the apps they fold into (counters add, gauges take the max).
 * With `steal` (the last use of the state) the processes move instead: the
 * working array is compacted in place and handed over with its strings, so
 * a month's processes are not held twice. */
static void snapshot(qstate *q, const ph_window *win, ph_result *out, int steal, size_t *room)
{
    ph_result *r = q->r;
    memset(out, 0, sizeof *out);
    out->win = *win;
    out->nseg = 1;
    out->seg[0].tier = q->tier;
    out->seg[0].since = win->since;
    out->seg[0].until = win->until;
    int *map = ph_xcalloc(r->napps + 1, sizeof *map);
    size_t nin = q->ninwin;
    out->procs = steal ? r->procs : ph_xcalloc(nin + 1, sizeof *out->procs);
    out->apps = ph_xcalloc(r->napps + 1, sizeof *out->apps);
    for (size_t i = 0; i < r->napps; i++)
        map[i] = -1;
    /* In index order; a copy visits only the processes in the window, the
     * last use (steal) every one, to drop the others' strings. */
    if (q->ninwin > 1)
        qsort(q->inwin, q->ninwin, sizeof *q->inwin, cmp_int);
    size_t nvisit = steal ? r->nprocs : q->ninwin;
    for (size_t k = 0; k < nvisit; k++) {
        size_t i = steal ? k : (size_t)q->inwin[k];
        if (!q->lv[i].in_window)
            continue; /* dropped (its strings are the pool's) */
        ph_agg *a = &out->procs[out->nprocs++];
        if (steal) {
            *a = r->procs[i]; /* a's slot (at or before i) was moved out or is i itself */
        } else {
            *a = r->procs[i];
            a->name = ph_xstrdup(a->name);
            a->app = ph_xstrdup(a->app);
            q_agg_own(out, a);
        }
        int ai = q->lv[i].app;
        if (map[ai] < 0) {
            map[ai] = (int)out->napps++;
            ph_agg *n = &out->apps[map[ai]];
            *n = r->apps[ai];
            n->name = ph_xstrdup(n->name);
            n->app = ph_xstrdup(n->app);
            n->nprocs = 0;
            n->rows = 0;
            n->active = 0;
            q_agg_room(out, n, r->apps[ai].slots);
        }
        ph_agg *g = &out->apps[map[ai]];
        if (g->nprocs == 0 || a->first_ns < g->first_ns)
            g->first_ns = a->first_ns;
        if (a->last_ns > g->last_ns)
            g->last_ns = a->last_ns;
        g->uid = g->nprocs == 0 ? a->uid : (g->uid == a->uid ? g->uid : -1);
        g->nprocs++;
        g->rows += a->rows;
        g->active |= a->active;
        /* A group's peak is the largest sum of its members' sampled memory
         * at one sample; never below one member's own peak (a lifetime peak
         * reached between samples, or by a process no sample saw). */
        if (a->mem_peak > g->mem_peak) {
            g->mem_peak = a->mem_peak;
            g->mem_peak_ns = a->mem_peak_ns;
            g->mem_peak_proc = a->proc;
        }
        q_agg_add_vals(out, g, a);
    }
    free(map);
    if (steal) {
        /* The array is out's now, cut to the processes in the window
         * (or kept whole for a stitch to append to). */
        if (room && q->cap_procs > 0) {
            *room = q->cap_procs;
        } else if (out->nprocs == 0) {
            free(r->procs);
            out->procs = ph_xcalloc(1, sizeof *out->procs);
        } else if (out->nprocs < r->nprocs) {
            out->procs = ph_xrealloc(out->procs, out->nprocs * sizeof *out->procs);
        }
        r->procs = NULL;
        r->nprocs = 0;
        q_pool_move(&out->strs, &r->strs); /* the processes' strings go with them */
        q_pool_move(&out->vals, &r->vals);  /* and their values (the working apps' too: */
                                            /* the state is not read after this) */
    }
}

/* Start a new bucket at `at`: per-bucket figures restart from the state. */
static void reset_bucket(qstate *q)
{
    ph_result *r = q->r;
    /* Only the processes in the window: the others' figures were never
     * touched since their own reset (or creation), nor their marks. */
    for (size_t k = 0; k < q->ninwin; k++) {
        int i = q->inwin[k];
        ph_agg *a = &r->procs[i];
        live *l = &q->lv[i];
        if (a->vals)
            memset(a->vals, 0, nslots(a->slots) * sizeof *a->vals);
        a->have = 0;
        a->mem_peak = a->mem_last = a->mem_avg = -1;
        a->mem_peak_ns = a->first_ns = a->last_ns = 0;
        a->rows = 0;
        a->active = a->changed = 0;
        l->in_window = 0;
        l->integ = 0;
        l->alive_ns = 0;
        l->mark = 0;
        if (l->hwm_in > l->hwm_before)
            l->hwm_before = l->hwm_in;
        l->hwm_in = -1;
    }
    q->ninwin = 0;
    for (size_t i = 0; i < r->napps; i++) {
        ph_agg *g = &r->apps[i];
        g->mem_peak = g->mem_last = -1;
        g->mem_peak_ns = 0;
        g->changed = 0;
        g->procs_max = 0;
    }
    q->in_window = 0;
}

/*
 * A process's peak is never below the lifetime peak the kernel reported
 * for it (Linux VmHWM and the exit record's high-water RSS; macOS lifetime
 * max footprint) when that peak was reached inside the window: its rows in
 * the window report more than its rows before it did, or it was born in the
 * window. Decided per window, from the highest value before and inside it,
 * so every tier gives the same answer (the values only grow).
 */
static void lifetime_in_window(live *l, ph_agg *a, int64_t since)
{
    /* A lifetime peak holds while no row reports it (an idle process's
     * rollup row in a keyframe bucket): the tiers built from this result
     * keep knowing it. */
    if (l->hwm_in < 0 && l->hwm_before >= 0 && !(a->have & PH_BIT(PH_M_PEAK_RESIDENT_BYTES)) &&
        !(a->have & PH_BIT(PH_M_FOOTPRINT_BYTES)) && (a->slots & PH_BIT(PH_M_PEAK_RESIDENT_BYTES))) {
        *ph_agg_at(a, PH_M_PEAK_RESIDENT_BYTES) = l->hwm_before;
        a->have |= PH_BIT(PH_M_PEAK_RESIDENT_BYTES);
    }
    if (l->hwm_in < 0 || l->hwm_in <= a->mem_peak)
        return;
    if (l->hwm_before >= 0 ? l->hwm_in > l->hwm_before : l->start_ns > since) {
        a->mem_peak = l->hwm_in;
        a->mem_peak_ns = l->hwm_in_ns;
    }
}

/* End of the current window (since, end], end the last sample time in it:
 * last values, means and lifetime peaks. */
static void finish_window(qstate *q, int64_t since, int64_t end)
{
    ph_result *r = q->r;
    /* The processes in the window: only theirs are read (snapshot), and
     * the others have nothing to integrate (no mark). */
    for (size_t k = 0; k < q->ninwin; k++) {
        int i = q->inwin[k];
        live *l = &q->lv[i];
        lifetime_in_window(l, &r->procs[i], since);
        integrate(l, end);
        r->procs[i].mem_last = l->mem;
        r->procs[i].mem_avg = -1;
        if (l->alive_ns > 0)
            r->procs[i].mem_avg = (int64_t)(l->integ / (double)l->alive_ns);
        else if (l->mem >= 0)
            r->procs[i].mem_avg = l->mem;
    }
    if (q->tier == PH_TIER_RAW)
        for (size_t i = 0; i < r->napps; i++)
            r->apps[i].mem_last = q->app_sum[i] > 0 ? q->app_sum[i] : -1;
}

/* Per-bucket sample statistics for a batch pass over raw samples. */
static int bucket_stats(sqlite3 *db, int64_t since, int64_t until, int64_t bw, ph_window *w, size_t n)
{
    sqlite3_stmt *st;
    char sql[2048], sums[768];
    sys_sums(sums, sizeof sums);
    snprintf(sql, sizeof sql,
             "SELECT (ts_ns - 1 - ?1) / ?3, count(*), coalesce(sum(interval_ns), 0), min(ts_ns),"
             " max(ts_ns), coalesce(max(procs_denied), 0), coalesce(max(procs), 0),"
             " coalesce(sum(recorder_cpu_ns), 0)%s"
             " FROM sample WHERE ts_ns > ?1 AND ts_ns <= ?2 GROUP BY 1", sums);
    if (sql_truncated(sql, sizeof sql) || sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int64(st, 2, until);
    sqlite3_bind_int64(st, 3, bw);
    for (size_t k = 0; k < n; k++) {
        memset(&w[k], 0, sizeof w[k]);
        w[k].since = since + (int64_t)k * bw;
        w[k].until = w[k].since + bw;
        ph_sys_unknown(&w[k].sys);
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t k = sqlite3_column_int64(st, 0);
        if (k < 0 || (size_t)k >= n)
            continue;
        w[k].samples = sqlite3_column_int64(st, 1);
        w[k].covered_ns = sqlite3_column_int64(st, 2);
        w[k].first_ns = sqlite3_column_int64(st, 3);
        w[k].last_ns = sqlite3_column_int64(st, 4);
        w[k].procs_denied = sqlite3_column_int64(st, 5);
        w[k].procs_max = sqlite3_column_int64(st, 6);
        w[k].recorder_cpu_ns = sqlite3_column_int64(st, 7);
        for (int i = 0; i < PH_SYS_N; i++)
            w[k].sys.v[i] = sqlite3_column_int64(st, 8 + i);
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

void q_state_free(qstate *q)
{
    free(q->lv);
    free(q->app_sum);
    free(q->app_live);
    free(q->app_grower);
    free(q->app_carry);
    free(q->dirty);
    free(q->is_dirty);
    free(q->heap);
    free(q->alive);
    free(q->inwin);
    q_pidx_free(&q->proc_index);
    ph_imap_free(&q->str_index);
    free(q->strv);
    ph_imap_free(&q->app_index);
    ph_imap_free(&q->cg_index);
}

/* The pass's statement: per row its point (sample or bucket), time,
 * keyframe flag, process, activity, the rollups' last and mean memory, then
 * the metrics of cols[0..ncols), over (lookback, until] in time order. */
/* With one_pid (?3), column 7 says whether the row is of a process with
 * that pid, and only those rows and the keyframes' are read: the others'
 * columns are never decoded, and the keyframes still end, at each, the
 * processes without a row there. */
#define ROW_SELECTED 7
/* The processes of the pid ?3, through process's (boot, pid, start_key)
 * index: a month of them is 363k rows to scan otherwise. */
#define PID_PROCS "SELECT proc FROM process WHERE boot IN (SELECT boot FROM boot) AND pid = ?3"
/* seek (a rollup tier, a selection, proc_total there: schema 18): the
 * same rows as prepare_rows's, as far as a pass sees them, found by key
 * instead of read past. Each selected process's rows are sought over its
 * span (?5..?6 the buckets of the pass): on the hour tier its first to
 * last hour row (proc_total's buckets); on the minute tier the minutes of
 * those hours, and on to the pass's end unless it was gone by the end of
 * its last hour (minutes not rolled up yet have no hour row; a process
 * without one is sought over the whole pass). A keyframe bucket (?7 the
 * first) adds one row of a process not selected (its first), which the
 * pass reads for the point only: that the keyframe was there, ending the
 * selected processes without a row in it. Over a month a few thousand
 * lookups instead of every process's every bucket. Ordered as the table
 * is. */
static int prepare_seek(sqlite3 *db, enum ph_tier tier, const int *cols, int ncols, int in_set, sqlite3_stmt **st)
{
    char sql[4096], span[512];
    int64_t w = ph_tiers[tier].width_ns, key = ph_tiers[tier].keyframe_ns, hw = ph_tiers[PH_TIER_HOUR].width_ns;
    const char *table = ph_tiers[tier].procs;
    if (tier == PH_TIER_HOUR)
        snprintf(span, sizeof span,
                 "SELECT proc, max(first_bucket_ns, ?5), min(last_bucket_ns, ?6) FROM proc_total"
                 " WHERE proc IN (SELECT p FROM sel)");
    else
        snprintf(span, sizeof span,
                 "SELECT s.p, max(ifnull(t.first_bucket_ns, ?5), ?5), CASE WHEN t.gone_ns <= t.last_bucket_ns + %lld"
                 " THEN min(t.last_bucket_ns + %lld, ?6) ELSE ?6 END FROM sel s LEFT JOIN proc_total t ON t.proc = s.p",
                 (long long)hw, (long long)(hw - w));
    size_t off = (size_t)snprintf(
        sql, sizeof sql,
        "WITH RECURSIVE sel(p) AS (%s),"
        " span(p, b, e) AS (%s UNION ALL SELECT p, b + %lld, e FROM span WHERE b + %lld <= e),"
        " keys(k) AS (SELECT ?7 WHERE ?7 <= ?6 UNION ALL SELECT k + %lld FROM keys WHERE k + %lld <= ?6)",
        in_set ? "SELECT value FROM json_each(?3)"
               : PID_PROCS,
        span, (long long)w, (long long)w, (long long)key, (long long)key);
    for (int part = 0; part < 2 && off < sizeof sql; part++) {
        off += (size_t)snprintf(sql + off, sizeof sql - off,
                                "%s SELECT bucket_ns, bucket_ns + %lld, bucket_ns %% %lld = 0, proc, active,"
                                " mem_last_bytes, mem_avg_bytes, %d",
                                part ? " UNION ALL" : "", (long long)w, (long long)key, !part);
        for (int k = 0; k < ncols && off < sizeof sql; k++)
            off += (size_t)snprintf(sql + off, sizeof sql - off, ", %s", ph_metric_column((enum ph_metric)cols[k]));
        if (off < sizeof sql && part)
            off += (size_t)snprintf(sql + off, sizeof sql - off,
                                    " FROM keys CROSS JOIN %s ON bucket_ns = k"
                                    " AND proc = (SELECT min(proc) FROM %s WHERE bucket_ns = k)"
                                    " WHERE proc NOT IN (SELECT p FROM sel)",
                                    table, table);
        else if (off < sizeof sql)
            off += (size_t)snprintf(sql + off, sizeof sql - off,
                                    " FROM span CROSS JOIN %s ON bucket_ns = b AND proc = p WHERE b <= e", table);
    }
    if (off < sizeof sql)
        snprintf(sql + off, sizeof sql - off, " ORDER BY 1, 4");
    if (sql_truncated(sql, sizeof sql))
        return -1;
    return sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK ? 0 : -1;
}

static int prepare_rows(sqlite3 *db, enum ph_tier tier, const int *cols, int ncols, int one_pid,
                        int in_set, sqlite3_stmt **st)
{
    char sql[4096];
    size_t off;
    int64_t width = ph_tiers[tier].width_ns, key = ph_tiers[tier].keyframe_ns;
    /* in_set: ?3 is a JSON array of process ids (ph_query_window_top). */
    const char *who = in_set ? "IN (SELECT value FROM json_each(?3))" : "IN (" PID_PROCS ")";
    char sel[96];
    one_pid = one_pid || in_set;
    snprintf(sel, sizeof sel, "%s%s", !one_pid ? "1" : tier == PH_TIER_RAW ? "ps.proc " : "proc ", one_pid ? who : "");
    if (tier == PH_TIER_RAW)
        off = (size_t)snprintf(sql, sizeof sql,
                               "SELECT s.sample, s.ts_ns, s.keyframe, ps.proc, ps.kind <> 3, NULL, NULL, %s", sel);
    else
        off = (size_t)snprintf(sql, sizeof sql,
                               "SELECT bucket_ns, bucket_ns + %lld, bucket_ns %% %lld = 0, proc, active,"
                               " mem_last_bytes, mem_avg_bytes, %s",
                               (long long)width, (long long)key, sel);
    for (int k = 0; k < ncols; k++)
        off += (size_t)snprintf(sql + off, sizeof sql - off, ", %s", ph_metric_column((enum ph_metric)cols[k]));
    if (tier == PH_TIER_RAW)
        snprintf(sql + off, sizeof sql - off,
                 " FROM sample s JOIN proc_sample ps ON ps.sample = s.sample"
                 " WHERE s.ts_ns > ?1 AND s.ts_ns <= ?2%s%s%s ORDER BY s.ts_ns, s.sample",
                 one_pid ? " AND (s.keyframe = 1 OR " : "", one_pid ? sel : "", one_pid ? ")" : "");
    else
        snprintf(sql + off, sizeof sql - off,
                 " FROM %s WHERE bucket_ns > ?1 - %lld AND bucket_ns <= ?2 - %lld%s%s%s ORDER BY bucket_ns",
                 ph_tiers[tier].procs, (long long)width, (long long)width,
                 one_pid ? " AND (bucket_ns % ?4 = 0 OR " : "", one_pid ? sel : "", one_pid ? ")" : "");
    if (sql_truncated(sql, sizeof sql))
        return -1;
    return sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK ? 0 : -1;
}

/* The time of the last point with process rows in (from, until], as a
 * pass over them would end (INT64_MIN: none). */
static int64_t last_point(sqlite3 *db, enum ph_tier tier, int64_t from, int64_t until)
{
    char sql[512];
    int64_t w = ph_tiers[tier].width_ns, last = INT64_MIN;
    if (tier == PH_TIER_RAW)
        snprintf(sql, sizeof sql,
                 "SELECT max(s.ts_ns) FROM sample s WHERE s.ts_ns > ?1 AND s.ts_ns <= ?2"
                 " AND EXISTS (SELECT 1 FROM proc_sample ps WHERE ps.sample = s.sample)");
    else
        snprintf(sql, sizeof sql, "SELECT max(bucket_ns) + %lld FROM %s WHERE bucket_ns > ?1 - %lld AND bucket_ns <= ?2 - %lld",
                 (long long)w, ph_tiers[tier].procs, (long long)w, (long long)w);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return last;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, until);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        last = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return last;
}

/* The first process id whose first sighting is after t, taking ids to
 * grow with first sightings (the recorder numbers processes as it first
 * sees them): a binary search of point reads. A hint only. */
static int64_t first_id_after(sqlite3_stmt *st, int64_t lo, int64_t hi, int64_t t)
{
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2, p = hi, f = INT64_MAX;
        sqlite3_bind_int64(st, 1, mid);
        if (sqlite3_step(st) == SQLITE_ROW) {
            p = sqlite3_column_int64(st, 0);
            f = sqlite3_column_int64(st, 1);
        }
        sqlite3_reset(st);
        if (f > t)
            hi = mid;
        else
            lo = p + 1;
    }
    return lo;
}

/*
 * About how many processes a pass over (from, until] of tier meets: those
 * with a row at its first point (a keyframe: every live process) and those
 * first seen after it. The per-process arrays are sized from it once
 * rather than doubled: on the benchmark's VM each move of a grown array
 * (realloc's mremap) made the next touch of every page it held cost
 * ~12 us (docs/performance.md), a fifth of a month's per-process answer.
 * A wrong hint costs only that: the arrays still grow when it is short.
 */
static size_t procs_hint(sqlite3 *db, enum ph_tier tier, int64_t from, int64_t until)
{
    char sql[512];
    sqlite3_stmt *st = NULL;
    int64_t nlive = 0, lo = 0, hi = 0, first_ns = from;
    if (tier == PH_TIER_RAW)
        snprintf(sql, sizeof sql,
                 "SELECT s.ts_ns, (SELECT count(*) FROM proc_sample ps WHERE ps.sample = s.sample)"
                 " FROM sample s WHERE s.ts_ns > ?1 ORDER BY s.ts_ns LIMIT 1");
    else
        /* ORDER BY ... LIMIT 1, not min() in a subquery: there SQLite
         * scanned every row after ?1 (0.8 s from the start of a month). */
        snprintf(sql, sizeof sql,
                 "SELECT t.bucket_ns, (SELECT count(*) FROM %s c WHERE c.bucket_ns = t.bucket_ns)"
                 " FROM %s t WHERE t.bucket_ns > ?1 - %lld ORDER BY t.bucket_ns LIMIT 1",
                 ph_tiers[tier].procs, ph_tiers[tier].procs, (long long)ph_tiers[tier].width_ns);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_int64(st, 1, from);
    if (sqlite3_step(st) == SQLITE_ROW) {
        first_ns = sqlite3_column_int64(st, 0);
        nlive = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    /* Two subqueries: min and max together would scan the table. */
    if (sqlite3_prepare_v2(db, "SELECT (SELECT min(proc) FROM process), (SELECT max(proc) FROM process)", -1, &st,
                           NULL) != SQLITE_OK)
        return 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        lo = sqlite3_column_int64(st, 0);
        hi = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    if (hi < lo || hi - lo > INT32_MAX ||
        sqlite3_prepare_v2(db, "SELECT proc, first_ns FROM process WHERE proc >= ?1 ORDER BY proc LIMIT 1", -1, &st,
                           NULL) != SQLITE_OK)
        return 0;
    int64_t a = first_id_after(st, lo, hi + 1, first_ns), b = first_id_after(st, a, hi + 1, until);
    sqlite3_finalize(st);
    int64_t n = nlive + (b - a);
    n += n / 16 + 256; /* slack: the stitching of edge segments appends a few */
    /* Beyond 2^24 processes (ids from a damaged or hostile file) the
     * arrays grow as they are used, as without a hint. */
    return n > 0 && n <= (1 << 24) ? (size_t)n : 0;
}

/* One process row of the pass at time ts (point: its sample or bucket):
 * its value, its figures when inside the window (after wsince). */
static void add_row(qstate *q, sqlite3_stmt *st, int idx, const int *cols, int ncols, int64_t point, int64_t ts,
                    int64_t wsince)
{
    ph_mask counters = q->counters;
    int64_t width = ph_tiers[q->tier].width_ns;
    ph_values v;
    v.have = 0;
    for (int k = 0; k < ncols; k++)
        if (sqlite3_column_type(st, 8 + k) != SQLITE_NULL)
            ph_values_set(&v, (enum ph_metric)cols[k], sqlite3_column_int64(st, 8 + k));
    live *l = &q->lv[idx];
    ph_agg *a = &q->r->procs[idx];
    l->seen = point;
    int64_t peak = ph_mem_of(&v), last = peak, avg = -1;
    if (q->tier != PH_TIER_RAW) {
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            last = sqlite3_column_int64(st, 5);
        if (sqlite3_column_type(st, 6) != SQLITE_NULL)
            avg = sqlite3_column_int64(st, 6);
    }
    if (l->gone_ns && l->gone_ns <= ts)
        last = -1; /* a late row of a process already gone: no carry */
    int inside = ts > wsince;
    /* The kernel's lifetime peak (see lifetime_in_window); and where
     * the platform reports the peak since the previous row, that. */
    int64_t lp = lifetime_peak(&v), life = -1;
    if (!inside && lp > l->hwm_before)
        l->hwm_before = lp;
    if (inside && lp > l->hwm_in) {
        l->hwm_in = lp;
        l->hwm_in_ns = ts;
    }
    if (v.have & PH_BIT(PH_M_FOOTPRINT_INTERVAL_MAX_BYTES))
        life = v.v[PH_M_FOOTPRINT_INTERVAL_MAX_BYTES];
    if (inside && (peak != l->mem || last != l->mem) && (l->mem >= 0 || last >= 0))
        a->changed = 1;
    if (inside && avg >= 0 && l->mark == 0)
        l->mark = ts - width; /* first row: the bucket's own mean covers its bucket */
    if (inside && avg >= 0 && l->mark) {
        int64_t from = ts - width > l->mark ? ts - width : l->mark;
        integrate(l, from);
        l->integ += (double)avg * (double)(ts - from);
        l->alive_ns += ts - from;
        l->mark = ts;
    }
    if (last >= 0 || l->mem >= 0)
        set_mem(q, idx, last, ts);
    if (inside && l->mark == 0 && last >= 0)
        l->mark = ts;
    if (!inside)
        return;
    if (!l->in_window) {
        join_window(q, idx);
        a->first_ns = ts;
    }
    a->last_ns = ts;
    a->rows++;
    a->active |= sqlite3_column_int(st, 4);
    if (peak > a->mem_peak) {
        a->mem_peak = peak;
        a->mem_peak_ns = ts;
    }
    if (life > a->mem_peak) {
        a->mem_peak = life;
        a->mem_peak_ns = ts;
    }
    /* The metrics asked for (memory columns are read whether or not). */
    int64_t *val = a->vals;
    ph_mask slots = a->slots;
    for (int k = 0; k < ncols; k++) {
        int m = cols[k];
        ph_mask bit = PH_BIT(m);
        if (!(v.have & slots & bit))
            continue;
        int64_t *to = val + __builtin_popcountll(slots & (bit - 1));
        if (counters & bit)
            *to += v.v[m];
        else if (!(a->have & bit) || v.v[m] > *to)
            *to = v.v[m];
        a->have |= bit;
    }
}

/* The statement giving a process's pid, uid, name, app (with a cgroup key:
 * its cgroup id), gone and start times; with a cgroup key, every cgroup's
 * key read first (a host has hundreds; one read of the whole table also
 * finds a damaged one, which a lookup per process can miss). */
static int prepare_meta(ph_store *store, qstate *q, sqlite3_stmt **st)
{
    sqlite3 *db = ph_store_db(store);
    int cgroups = q->cg_key && ph_store_version(store) >= 13; /* before schema 13 no process has one */
    if (cgroups) {
        char sql[128];
        snprintf(sql, sizeof sql, "SELECT cgroup, ifnull(%s, '-') FROM cgroup", q_group_col(q->cg_key));
        sqlite3_stmt *cs;
        if (sqlite3_prepare_v2(db, sql, -1, &cs, NULL) != SQLITE_OK)
            return -1;
        int rc;
        while ((rc = sqlite3_step(cs)) == SQLITE_ROW) {
            int at = intern_at(q, (const char *)sqlite3_column_text(cs, 1));
            ph_imap_put(&q->cg_index, sqlite3_column_int64(cs, 0), at);
        }
        sqlite3_finalize(cs);
        if (rc != SQLITE_DONE)
            return -1;
    }
    return sqlite3_prepare_v2(db,
                              cgroups ? "SELECT pid, uid, name, cgroup, coalesce(gone_ns, 0), coalesce(start_ns, 0)"
                                        " FROM process WHERE proc = ?1"
                                      : "SELECT pid, uid, name, app, coalesce(gone_ns, 0), coalesce(start_ns, 0)"
                                        " FROM process WHERE proc = ?1",
                              -1, st, NULL) == SQLITE_OK
               ? 0
               : -1;
}

/*
 * One pass of the engine over a tier's rows for (since, until]. With bw = 0
 * the window is one result; with bw > 0 (raw tier, since and until on
 * multiples of bw) every bucket (b, b + bw] yields its own result through
 * fn, the state carrying over from one bucket to the next: a batch of
 * rollups costs one pass instead of one lookback each.
 */
typedef int (*bucket_fn)(void *ctx, int64_t bucket, ph_result *res);

int q_replay(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, int64_t bw,
               ph_mask want, int flags, bucket_fn fn, void *ctx, ph_result *out, size_t *room, char *err,
               size_t errlen)
{
    return q_replay_pid(store, tier, since, until, bw, want, flags, -1, fn, ctx, out, room, err, errlen);
}

int q_replay_pid(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, int64_t bw, ph_mask want,
                 int flags, int64_t pid, bucket_fn fn, void *ctx, ph_result *out, size_t *room, char *err,
                 size_t errlen)
{
    return q_replay_sel(store, tier, since, until, bw, want, flags, pid, NULL, fn, ctx, out, room, err, errlen);
}

int q_replay_sel(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, int64_t bw, ph_mask want,
                 int flags, int64_t pid, const char *procs, bucket_fn fn, void *ctx, ph_result *out, size_t *room,
                 char *err, size_t errlen)
{
    /* A set of processes reads as one pid does: their rows and the keyframes. */
    int in_set = procs != NULL;
    if (in_set)
        pid = 0;
    int cols[PH_METRIC_COUNT], ncols = 0; /* the metrics read, in column order */
    /* Memory is read always; the aggs keep room only for what was asked. */
    ph_mask slots = want & PH_ALL_METRICS;
    want |= PH_BIT(PH_M_FOOTPRINT_BYTES) | PH_BIT(PH_M_RESIDENT_BYTES) | PH_LIFETIME_PEAKS;
    for (int m = 0; m < PH_METRIC_COUNT; m++)
        if (want & PH_BIT(m))
            cols[ncols++] = m;
    sqlite3 *db = ph_store_db(store);
    qstate q;
    ph_result work;
    ph_window one, *wins = NULL;
    size_t nb = 1, cur = 0;
    sqlite3_stmt *st = NULL;
    int rc = -1;

    memset(&work, 0, sizeof work);
    memset(&q, 0, sizeof q);
    memset(&one, 0, sizeof one);
    q.r = &work;
    q.tier = tier;
    q.by_user = (flags & PH_Q_BY_USER) != 0;
    q.cg_key = flags & PH_Q_CGROUP_KEYS;
    q.grouped = q.by_user || q.cg_key;
    q.counters = ph_metric_counters();
    q.slots = slots;
    ph_imap_init(&q.app_index);
    if (bw > 0) {
        nb = (size_t)((until - since) / bw);
        wins = ph_xcalloc(nb + 1, sizeof *wins);
        if (bucket_stats(db, since, until, bw, wins, nb) < 0)
            goto fail;
    } else {
        one.since = since;
        one.until = until;
        if (q_stats(store, tier, since, until, &one) < 0)
            goto fail;
        wins = &one;
    }
    ph_imap_init(&q.cg_index);
    if (prepare_meta(store, &q, &q.meta) < 0)
        goto fail;

    int seek = tier != PH_TIER_RAW && pid >= 0 && ph_store_version(store) >= 18;
    if ((seek ? prepare_seek(db, tier, cols, ncols, in_set, &st)
              : prepare_rows(db, tier, cols, ncols, pid >= 0, in_set, &st)) < 0)
        goto fail;
    int64_t from = q_lookback_from(db, tier, since);
    size_t hint = pid >= 0 ? 0 : procs_hint(db, tier, from, until);
    /* A reservation: its pages become resident as processes come. */
    if (hint > 256 && hint < SIZE_MAX / sizeof *work.procs) {
        work.procs = malloc(hint * sizeof *work.procs);
        q.lv = malloc(hint * sizeof *q.lv);
        if (work.procs && q.lv) {
            q.cap_procs = hint;
        } else {
            free(work.procs);
            free(q.lv);
            work.procs = NULL;
            q.lv = NULL;
        }
    }
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, until);
    if (pid >= 0) {
        if (in_set)
            sqlite3_bind_text(st, 3, procs, -1, SQLITE_STATIC);
        else
            sqlite3_bind_int64(st, 3, pid);
        if (seek) { /* the buckets of the pass: (from - w, until - w] */
            int64_t w = ph_tiers[tier].width_ns, key = ph_tiers[tier].keyframe_ns;
            int64_t lo = ph_floor_to(from - w, w) + w, hi = ph_floor_to(until - w, w);
            sqlite3_bind_int64(st, 5, lo);
            sqlite3_bind_int64(st, 6, hi);
            sqlite3_bind_int64(st, 7, lo % key == 0 ? lo : ph_floor_to(lo, key) + key);
        } else if (tier != PH_TIER_RAW) {
            sqlite3_bind_int64(st, 4, ph_tiers[tier].keyframe_ns);
        }
    }

    int64_t cur_point = INT64_MIN, cur_ts = 0;
    int64_t wsince = since, wuntil = bw > 0 ? since + bw : until; /* the current window */
    int cur_key = 0, step;
    for (;;) {
        step = sqlite3_step(st);
        int64_t point = 0, ts = INT64_MAX;
        if (step == SQLITE_ROW) {
            point = sqlite3_column_int64(st, 0);
            ts = sqlite3_column_int64(st, 1);
        } else if (step != SQLITE_DONE) {
            goto fail;
        }
        if (step == SQLITE_DONE || point != cur_point) {
            if (cur_point != INT64_MIN) {
                if (cur_key)
                    keyframe_sweep(&q, cur_point, cur_ts);
                close_point(&q, cur_ts);
            }
            /* Close every bucket that ends before this point. */
            while (bw > 0 && ts > wuntil && cur < nb) {
                if (!q.in_window)
                    enter_window(&q, wsince);
                finish_window(&q, wsince, wins[cur].last_ns > wsince ? wins[cur].last_ns : wsince);
                ph_result res;
                snapshot(&q, &wins[cur], &res, 0, NULL);
                int frc = fn(ctx, wsince, &res);
                ph_result_free(&res);
                if (frc < 0)
                    goto fail;
                reset_bucket(&q);
                cur++;
                wsince = wuntil;
                wuntil += bw;
            }
            if (step == SQLITE_DONE)
                break;
            if (!q.in_window && ts > wsince)
                enter_window(&q, wsince);
            expire(&q, ts);
            cur_point = point;
            cur_ts = ts;
            cur_key = sqlite3_column_int(st, 2);
        }
        if (!sqlite3_column_int(st, ROW_SELECTED))
            continue; /* a keyframe's row of another process: the point only */
        int idx = proc_find_or_add(&q, sqlite3_column_int64(st, 3), err, errlen);
        if (idx < 0)
            goto fail;
        add_row(&q, st, idx, cols, ncols, point, ts, wsince);
    }
    if (bw == 0 && pid >= 0) {
        /* The whole pass would have met every point up to the last one
         * with rows, each ending what was gone by then. */
        int64_t last = last_point(db, tier, from, until);
        if (last > cur_ts) {
            if (!q.in_window && last > wsince)
                enter_window(&q, wsince);
            expire(&q, last);
        }
    }
    if (bw == 0) {
        if (!q.in_window)
            enter_window(&q, since);
        finish_window(&q, since, one.last_ns > since ? one.last_ns : since);
        if (tier != PH_TIER_RAW && !q.grouped && pid < 0 && q_app_rows(&q, db, since, until, 0) < 0)
            goto fail;
        snapshot(&q, &one, out, 1, room);
    }
    rc = 0;
fail:
    if (rc < 0 && !err[0])
        ph_store_read_error(store, err, errlen);
    sqlite3_finalize(st);
    sqlite3_finalize(q.meta);
    if (wins != &one)
        free(wins);
    ph_result_free(&work);
    q_state_free(&q);
    return rc;
}

int ph_query_tier_metrics(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, ph_mask want,
                          ph_result *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    return q_replay(store, tier, since, until, 0, want, 0, NULL, NULL, r, NULL, err, errlen);
}

int ph_query_tier(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, ph_result *r,
                  char *err, size_t errlen)
{
    return ph_query_tier_metrics(store, tier, since, until, ~(ph_mask)0, r, err, errlen);
}

int ph_query_raw_buckets_metrics(ph_store *s, int64_t since, int64_t until, int64_t width, ph_mask want, int flags,
                                 int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx,
                                 char *err, size_t errlen)
{
    if (width <= 0 || since % width || until % width || until <= since)
        return -1;
    return q_replay(s, PH_TIER_RAW, since, until, width, want, flags & PH_Q_GROUPED, fn, ctx, NULL, NULL, err,
                    errlen);
}

int ph_query_raw_buckets(ph_store *s, int64_t since, int64_t until, int64_t width,
                         int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx,
                         char *err, size_t errlen)
{
    return ph_query_raw_buckets_metrics(s, since, until, width, ~(ph_mask)0, 0, fn, ctx, err, errlen);
}

void ph_result_free(ph_result *r)
{
    for (size_t i = 0; i < r->nprocs && !r->strs; i++) {
        free(r->procs[i].name);
        free(r->procs[i].app);
    }
    pool_free(r->strs);
    pool_free(r->vals);
    for (size_t i = 0; i < r->napps; i++) {
        free(r->apps[i].name);
        free(r->apps[i].app);
    }
    free(r->procs);
    free(r->apps);
    if (r->rest)
        free(r->rest->vals);
    free(r->rest);
    memset(r, 0, sizeof *r);
}

