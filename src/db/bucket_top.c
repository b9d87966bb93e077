/*
 * The top processes of each window of a run (the contract is
 * include/ph_query.h, ph_query_rollup_proc_top): the report's hover on
 * points longer than a minute, whose charts come from the rollups' app
 * rows (src/db/approws.c), which name no process.
 *
 * FIGURES. A process's figures in a window are those the replay engine
 * (src/db/replay.c) gives it for that window alone, from the same tier:
 *   - CPU: the sum of its rows' cpu_user_ns and cpu_system_ns in the window;
 *   - memory peak: the largest of its value carried into the window (its
 *     last row's mem_last_bytes, unless it was gone by then or missing
 *     from a keyframe bucket since), of its rows' bucket maxima (footprint
 *     where the row has one, else resident), of the macOS interval maximum
 *     footprint, and of the lifetime peak its rows in the window report,
 *     when that peak is higher than what its rows before the window (from
 *     the window's lookback keyframe on) reported, or, with none before,
 *     when it was born in the window.
 * The engine's query of one window starts at the keyframe bucket before it
 * (q_lookback_from) with nothing carried; this pass carries its state from
 * the run's first keyframe bucket. They agree because a keyframe bucket
 * fixes every process's carried value (its row's, else none), and the
 * lifetime peaks "before" are counted from the window's keyframe bucket on,
 * provided that bucket has rows. A window whose has none (the recorder was
 * down then, or had not started) is asked of the engine itself, whose plan
 * may carry values from a finer tier there, as is a window no rollup tier
 * holds whole; the pass resumes after it.
 *
 * Not the same on every tier (so the contract makes it one): an idle
 * process's CPU in a window, 0 on raw keyframe rows, absent (not measured)
 * on a rollup keyframe row: 0 here.
 *
 * PASS. The process rows of (lookback, until] in bucket order, with the
 * columns these figures need. A process's state is kept from its first row
 * until a keyframe bucket it has no row in (then its state is what a
 * process never met has); birth, end and pid are read a page of process ids
 * at a time, the name only for the processes a window lists.
 */
#include "query_private.h"
#include "ph_util.h"

#include <stdlib.h>
#include <string.h>

typedef struct bt_proc {
    int64_t proc;
    int used;         /* 0: a free slot */
    int64_t mem;      /* the value its last row left, -1 none */
    int64_t last_b;   /* bucket of its last row */
    int64_t gone_ns, start_ns; /* 0: unknown / not gone */
    int64_t hwm_kf;   /* the highest lifetime peak of its rows since keyframe bucket kf; -1 none */
    int64_t kf;
    int64_t win;      /* the window it is in (its index in the run); -1 none */
    int64_t hwm_before, hwm_in; /* the current window's */
    int64_t cpu_user, cpu_sys;
    ph_mask have;     /* of cpu_user, cpu_sys */
    int64_t peak;     /* memory peak in the window so far */
    int32_t pid;
    char *name, *app; /* read when first listed; NULL before */
} bt_proc;

/* Birth, end and pid of a page of process ids, read at once: process ids
 * are rowids, about dense, met in about ascending order. */
#define META_SHIFT 10
#define META_PAGE (1 << META_SHIFT)
typedef struct bt_meta {
    int64_t gone[META_PAGE], start[META_PAGE];
    int32_t pid[META_PAGE];
    unsigned char got[META_PAGE];
} bt_meta;

typedef struct bt_pass {
    sqlite3 *db;
    enum ph_tier tier;
    int64_t w, k;
    bt_proc *p;
    size_t np, cap;
    int *free_slots;
    size_t nfree, capfree;
    q_pidx index;      /* proc -> slot */
    ph_imap meta_dir;  /* page number -> index in meta */
    bt_meta **meta;
    size_t nmeta, capmeta;
    sqlite3_stmt *meta_st, *name_st;
    int *inwin;        /* slots in the current window */
    size_t ninwin, capinwin;
} bt_pass;

/* The row's columns: bucket_ns, proc, then these, worked out by SQLite
 * (one column call each instead of a NULL test and a read per metric):
 * the value it leaves (mem_last_bytes, else the bucket's maximum, as the
 * replay engine takes it), its maximum (footprint where the row has one,
 * else resident: ph_mem_of), its lifetime peak in the same measure, the
 * macOS interval maximum (-1: none), the CPU counters (0: none) and which
 * of them it has (1 user, 2 system). */
enum { C_LAST = 2, C_PEAK, C_LIFE, C_INTERVAL, C_USER, C_SYS, C_HAVE };

static const bt_meta *meta_of(bt_pass *b, int64_t proc, int *slot)
{
    int64_t no = proc >> META_SHIFT;
    *slot = (int)(proc & (META_PAGE - 1));
    int *pi = ph_imap_get(&b->meta_dir, no);
    if (pi)
        return b->meta[*pi];
    if (b->nmeta == b->capmeta) {
        b->capmeta = b->capmeta ? b->capmeta * 2 : 64;
        b->meta = ph_xrealloc(b->meta, b->capmeta * sizeof *b->meta);
    }
    bt_meta *m = ph_xcalloc(1, sizeof *m);
    b->meta[b->nmeta] = m;
    ph_imap_put(&b->meta_dir, no, (int)b->nmeta++);
    sqlite3_bind_int64(b->meta_st, 1, no * META_PAGE);
    sqlite3_bind_int64(b->meta_st, 2, no * META_PAGE + (META_PAGE - 1));
    int step;
    while ((step = sqlite3_step(b->meta_st)) == SQLITE_ROW) {
        int i = (int)(sqlite3_column_int64(b->meta_st, 0) & (META_PAGE - 1));
        m->pid[i] = sqlite3_column_int(b->meta_st, 1);
        m->gone[i] = sqlite3_column_int64(b->meta_st, 2);
        m->start[i] = sqlite3_column_int64(b->meta_st, 3);
        m->got[i] = 1;
    }
    sqlite3_reset(b->meta_st);
    return step == SQLITE_DONE ? m : NULL;
}

/* The slot of proc, a new one (its state: never met) when it has none;
 * -1 with err when the process table has no such process. */
static int slot_of(bt_pass *b, int64_t proc, char *err, size_t errlen)
{
    int i = q_pidx_get(&b->index, proc);
    if (i >= 0)
        return i;
    int ms;
    const bt_meta *m = meta_of(b, proc, &ms);
    if (!m) {
        ph_fmt(err, errlen, "cannot read the processes: %s", sqlite3_errmsg(b->db));
        return -1;
    }
    if (!m->got[ms]) {
        ph_db_no_process_row(b->db, proc, err, errlen);
        return -1;
    }
    if (b->nfree) {
        i = b->free_slots[--b->nfree];
    } else {
        if (b->np == b->cap) {
            b->cap = b->cap ? b->cap * 2 : 1024;
            b->p = ph_xrealloc(b->p, b->cap * sizeof *b->p);
        }
        i = (int)b->np++;
    }
    bt_proc *p = &b->p[i];
    memset(p, 0, sizeof *p);
    p->proc = proc;
    p->used = 1;
    p->mem = p->hwm_kf = p->hwm_before = p->hwm_in = p->peak = -1;
    p->last_b = p->kf = p->win = INT64_MIN;
    p->gone_ns = m->gone[ms];
    p->start_ns = m->start[ms];
    p->pid = m->pid[ms];
    q_pidx_put(&b->index, proc, i);
    return i;
}

/* Past keyframe bucket kf: a process with no row there and not in the
 * current window has the state of one never met; its slot is freed. */
static void after_keyframe(bt_pass *b, int64_t kf, int64_t win)
{
    for (size_t i = 0; i < b->np; i++) {
        bt_proc *p = &b->p[i];
        if (!p->used || p->last_b >= kf || p->win == win)
            continue;
        q_pidx_put(&b->index, p->proc, -1);
        p->used = 0;
        free(p->name);
        free(p->app);
        if (b->nfree == b->capfree) {
            b->capfree = b->capfree ? b->capfree * 2 : 1024;
            b->free_slots = ph_xrealloc(b->free_slots, b->capfree * sizeof *b->free_slots);
        }
        b->free_slots[b->nfree++] = (int)i;
    }
}

static void join(bt_pass *b, int i, int64_t win)
{
    bt_proc *p = &b->p[i];
    p->win = win;
    p->cpu_user = p->cpu_sys = 0;
    p->have = 0;
    p->peak = -1;
    p->hwm_in = -1;
    /* Its rows before the window, from the window's lookback keyframe on
     * (rows of an older keyframe period are not the query's). */
    p->hwm_before = -1;
    if (b->ninwin == b->capinwin) {
        b->capinwin = b->capinwin ? b->capinwin * 2 : 256;
        b->inwin = ph_xrealloc(b->inwin, b->capinwin * sizeof *b->inwin);
    }
    b->inwin[b->ninwin++] = i;
}

/* Window `win` (since, ...] begins: every process holding a value at
 * since is in it, that value a point of its memory. b0: the keyframe
 * bucket its query would start at. */
static void enter(bt_pass *b, int64_t win, int64_t since)
{
    int64_t b0 = ph_floor_to(since - b->w, b->k);
    for (size_t i = 0; i < b->np; i++) {
        bt_proc *p = &b->p[i];
        if (!p->used || p->win == win || p->mem < 0 || p->last_b < b0 || (p->gone_ns && p->gone_ns <= since))
            continue;
        join(b, (int)i, win);
        p->hwm_before = p->kf == b0 ? p->hwm_kf : -1;
        p->peak = p->mem;
    }
}

/* One row of bucket bk (its time ts = bk + w), the current window `win`
 * (wsince, ...], entered when ts is inside it. */
static void add_row(bt_pass *b, sqlite3_stmt *st, int i, int64_t bk, int64_t win, int64_t wsince)
{
    bt_proc *p = &b->p[i];
    int64_t ts = bk + b->w, kf = ph_floor_to(bk, b->k);
    int64_t peak = sqlite3_column_int64(st, C_PEAK), last = sqlite3_column_int64(st, C_LAST);
    int64_t lp = sqlite3_column_int64(st, C_LIFE), life = sqlite3_column_int64(st, C_INTERVAL);
    if (p->gone_ns && p->gone_ns <= ts)
        last = -1; /* a late row of a process already gone: no carry */
    int inside = ts > wsince;
    if (inside && p->win != win) {
        /* Its first row in the window: what its rows before reported. */
        int64_t b0 = ph_floor_to(wsince - b->w, b->k);
        int64_t before = p->kf == b0 ? p->hwm_kf : -1;
        join(b, i, win);
        p->hwm_before = before;
    }
    if (p->kf != kf) {
        p->kf = kf;
        p->hwm_kf = -1;
    }
    if (lp > p->hwm_kf)
        p->hwm_kf = lp;
    p->mem = last < 0 ? -1 : last;
    p->last_b = bk;
    if (!inside)
        return;
    if (lp > p->hwm_in)
        p->hwm_in = lp;
    if (peak > p->peak)
        p->peak = peak;
    if (life > p->peak)
        p->peak = life;
    int have = sqlite3_column_int(st, C_HAVE);
    p->cpu_user += sqlite3_column_int64(st, C_USER);
    p->cpu_sys += sqlite3_column_int64(st, C_SYS);
    if (have & 1)
        p->have |= PH_BIT(PH_M_CPU_USER_NS);
    if (have & 2)
        p->have |= PH_BIT(PH_M_CPU_SYSTEM_NS);
}

/* ---- choosing a window's processes ---- */

typedef struct bt_cand {
    int64_t cpu, mem;
    size_t at; /* index in the source */
} bt_cand;

static int cmp_cand(const void *x, const void *y)
{
    const bt_cand *a = x, *b = y;
    if (a->cpu != b->cpu)
        return a->cpu < b->cpu ? 1 : -1;
    if (a->mem != b->mem)
        return a->mem < b->mem ? 1 : -1;
    return (a->at > b->at) - (a->at < b->at);
}

/* A process without CPU counters in the window ran for none of it (only
 * its carried value, or a keyframe row of an idle process: raw keyframe
 * rows say 0, rollup ones hold no counters): 0 on every tier. */
static int64_t cpu_of(ph_mask have, int64_t user, int64_t sys)
{
    if (!(have & (PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS))))
        return 0;
    return ((have & PH_BIT(PH_M_CPU_USER_NS)) ? user : 0) + ((have & PH_BIT(PH_M_CPU_SYSTEM_NS)) ? sys : 0);
}

/* Put the first `limit` of c[0..n) (and those tied with the last of them
 * on both figures) first, in order: how many. A window has thousands of
 * processes and the hover lists six: for a small limit, one walk keeping
 * the best so far, not a sort of all. */
static size_t choose(bt_cand *c, size_t n, size_t limit)
{
    if (limit == 0)
        return 0;
    if (n <= limit || limit > 64) {
        qsort(c, n, sizeof *c, cmp_cand);
    } else {
        size_t k = 0; /* c[0..k): the best so far, sorted */
        for (size_t i = 0; i < n; i++) {
            if (k == limit && cmp_cand(&c[i], &c[k - 1]) >= 0)
                continue;
            bt_cand x = c[i];
            size_t j = k < limit ? k++ : k - 1;
            c[i] = c[j]; /* the one displaced (or itself) stays among the rest */
            while (j > 0 && cmp_cand(&x, &c[j - 1]) < 0) {
                c[j] = c[j - 1];
                j--;
            }
            c[j] = x;
        }
        /* The rest tied with the last kept, after it. */
        size_t m = k;
        for (size_t i = k; i < n; i++)
            if (c[i].cpu == c[k - 1].cpu && c[i].mem == c[k - 1].mem) {
                bt_cand t = c[m];
                c[m++] = c[i];
                c[i] = t;
            }
        return m;
    }
    if (n <= limit)
        return n;
    size_t k = limit;
    while (k < n && c[k].cpu == c[limit - 1].cpu && c[k].mem == c[limit - 1].mem)
        k++;
    return k;
}

/* The pass's chosen processes of the current window into res->procs. */
static int window_out(bt_pass *b, size_t limit, ph_result *res, char *err, size_t errlen)
{
    bt_cand *c = ph_xcalloc(b->ninwin + 1, sizeof *c);
    size_t n = 0;
    for (size_t k = 0; k < b->ninwin; k++) {
        bt_proc *p = &b->p[b->inwin[k]];
        /* A lifetime peak reached in the window (replay.c lifetime_in_window). */
        if (p->hwm_in >= 0 && p->hwm_in > p->peak &&
            (p->hwm_before >= 0 ? p->hwm_in > p->hwm_before : p->start_ns > res->win.since))
            p->peak = p->hwm_in;
        int64_t cpu = cpu_of(p->have, p->cpu_user, p->cpu_sys);
        if (cpu <= 0 && p->peak <= 0)
            continue;
        c[n].cpu = cpu;
        c[n].mem = p->peak;
        c[n].at = (size_t)b->inwin[k];
        n++;
    }
    n = choose(c, n, limit);
    res->procs = ph_xcalloc(n + 1, sizeof *res->procs);
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        bt_proc *p = &b->p[c[k].at];
        ph_agg *a = &res->procs[res->nprocs];
        a->proc = p->proc;
        a->pid = p->pid;
        a->uid = -1;
        a->nprocs = 1;
        q_agg_room(res, a, PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS));
        a->have = p->have ? p->have : a->slots;
        *ph_agg_at(a, PH_M_CPU_USER_NS) = p->cpu_user;
        *ph_agg_at(a, PH_M_CPU_SYSTEM_NS) = p->cpu_sys;
        a->mem_peak = p->peak;
        a->mem_last = a->mem_avg = -1;
        if (!p->name) { /* a process listed in many windows is read once */
            sqlite3_bind_int64(b->name_st, 1, p->proc);
            if (sqlite3_step(b->name_st) == SQLITE_ROW) {
                p->name = ph_xstrdup((const char *)sqlite3_column_text(b->name_st, 0));
                p->app = ph_xstrdup((const char *)sqlite3_column_text(b->name_st, 1));
            }
            sqlite3_reset(b->name_st);
        }
        if (p->name) {
            a->name = ph_xstrdup(p->name);
            a->app = ph_xstrdup(p->app);
            res->nprocs++;
        } else {
            ph_db_no_process_row(b->db, p->proc, err, errlen);
            rc = -1;
        }
    }
    free(c);
    b->ninwin = 0;
    return rc;
}

static void pass_free(bt_pass *b)
{
    for (size_t i = 0; i < b->np; i++)
        if (b->p[i].used) {
            free(b->p[i].name);
            free(b->p[i].app);
        }
    free(b->p);
    free(b->free_slots);
    q_pidx_free(&b->index);
    for (size_t i = 0; i < b->nmeta; i++)
        free(b->meta[i]);
    free(b->meta);
    ph_imap_free(&b->meta_dir);
    sqlite3_finalize(b->meta_st);
    sqlite3_finalize(b->name_st);
    free(b->inwin);
}

typedef int (*bt_fn)(void *ctx, int64_t bucket, ph_result *res);

/* Windows of bw over (since, until] from tier's process rows in one pass
 * (each window's lookback keyframe bucket has rows): 0, or -1 with err. */
static int tier_pass(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, int64_t bw, size_t limit,
                     bt_fn fn, void *ctx, char *err, size_t errlen)
{
    const ph_tier_desc *d = &ph_tiers[tier];
    sqlite3 *db = ph_store_db(store);
    int64_t from = q_lookback_from(db, tier, since);
    bt_pass b;
    memset(&b, 0, sizeof b);
    b.db = db;
    b.tier = tier;
    b.w = d->width_ns;
    b.k = d->keyframe_ns;
    ph_imap_init(&b.meta_dir);
    sqlite3_stmt *st = NULL;
    int rc = -1;
    char sql[1024];
    const char *foot = ph_metric_column(PH_M_FOOTPRINT_BYTES), *rss = ph_metric_column(PH_M_RESIDENT_BYTES);
    const char *user = ph_metric_column(PH_M_CPU_USER_NS), *sys = ph_metric_column(PH_M_CPU_SYSTEM_NS);
    snprintf(sql, sizeof sql,
             "SELECT bucket_ns, proc, coalesce(mem_last_bytes, %s, %s, -1), coalesce(%s, %s, -1),"
             " CASE WHEN %s IS NOT NULL THEN coalesce(%s, -1) ELSE coalesce(%s, -1) END, coalesce(%s, -1),"
             " coalesce(%s, 0), coalesce(%s, 0), (%s IS NOT NULL) + 2 * (%s IS NOT NULL)"
             " FROM %s WHERE bucket_ns > ?1 - ?3 AND bucket_ns <= ?2 - ?3 ORDER BY bucket_ns",
             foot, rss, foot, rss, foot, ph_metric_column(PH_M_FOOTPRINT_LIFETIME_MAX_BYTES),
             ph_metric_column(PH_M_PEAK_RESIDENT_BYTES), ph_metric_column(PH_M_FOOTPRINT_INTERVAL_MAX_BYTES), user,
             sys, user, sys, d->procs);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "SELECT proc, pid, coalesce(gone_ns, 0), coalesce(start_ns, 0) FROM process"
                           " WHERE proc BETWEEN ?1 AND ?2",
                           -1, &b.meta_st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT name, app FROM process WHERE proc = ?1", -1, &b.name_st, NULL) != SQLITE_OK)
        goto fail;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, until);
    sqlite3_bind_int64(st, 3, b.w);
    size_t nb = (size_t)((until - since) / bw), cur = 0;
    int64_t cur_b = INT64_MIN, wsince = since;
    int entered = 0, step;
    for (;;) {
        step = sqlite3_step(st);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            goto fail;
        int done = step == SQLITE_DONE;
        int64_t bk = done ? INT64_MAX : sqlite3_column_int64(st, 0);
        if (bk != cur_b) {
            if (cur_b != INT64_MIN && cur_b % b.k == 0)
                after_keyframe(&b, cur_b, entered ? (int64_t)cur : -1);
            /* Every window that ends before this bucket does is answered. */
            while (cur < nb && (done || bk + b.w > wsince + bw)) {
                if (!entered)
                    enter(&b, (int64_t)cur, wsince);
                ph_result res;
                memset(&res, 0, sizeof res);
                res.win.since = wsince;
                res.win.until = wsince + bw;
                res.nseg = 1;
                res.seg[0].tier = tier;
                res.seg[0].since = wsince;
                res.seg[0].until = wsince + bw;
                if (window_out(&b, limit, &res, err, errlen) < 0) {
                    ph_result_free(&res);
                    goto fail;
                }
                int frc = fn(ctx, wsince, &res);
                ph_result_free(&res);
                if (frc < 0)
                    goto fail;
                cur++;
                entered = 0;
                wsince += bw;
            }
            if (done)
                break;
            if (!entered && bk + b.w > wsince) {
                entered = 1;
                enter(&b, (int64_t)cur, wsince);
            }
            cur_b = bk;
        }
        int i = slot_of(&b, sqlite3_column_int64(st, 1), err, errlen);
        if (i < 0)
            goto fail;
        add_row(&b, st, i, bk, entered ? (int64_t)cur : -1, wsince);
    }
    rc = 0;
fail:
    if (rc < 0 && !err[0])
        ph_store_read_error(store, err, errlen);
    sqlite3_finalize(st);
    pass_free(&b);
    return rc;
}

/* One window asked of the engine, its processes chosen as the pass's. */
static int window_alone(ph_store *s, int64_t at, int64_t bw, size_t limit, bt_fn fn, void *ctx, char *err,
                        size_t errlen)
{
    ph_result one;
    ph_mask cpu = PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS);
    if (ph_query_window_metrics(s, at, at + bw, cpu, 0, &one, err, errlen) < 0)
        return -1;
    bt_cand *c = ph_xcalloc(one.nprocs + 1, sizeof *c);
    size_t n = 0;
    for (size_t i = 0; i < one.nprocs; i++) {
        const ph_agg *p = &one.procs[i];
        int64_t v = cpu_of(p->have, ph_agg_get(p, PH_M_CPU_USER_NS, 0), ph_agg_get(p, PH_M_CPU_SYSTEM_NS, 0));
        if (v <= 0 && p->mem_peak <= 0)
            continue;
        c[n].cpu = v;
        c[n].mem = p->mem_peak;
        c[n].at = i;
        n++;
    }
    n = choose(c, n, limit);
    ph_result res;
    memset(&res, 0, sizeof res);
    res.win = one.win;
    res.nseg = one.nseg;
    memcpy(res.seg, one.seg, sizeof one.seg);
    res.procs = ph_xcalloc(n + 1, sizeof *res.procs);
    for (size_t k = 0; k < n; k++) {
        const ph_agg *p = &one.procs[c[k].at];
        ph_agg *a = &res.procs[res.nprocs++];
        memset(a, 0, sizeof *a);
        a->proc = p->proc;
        a->pid = p->pid;
        a->uid = p->uid;
        a->nprocs = 1;
        q_agg_room(&res, a, cpu);
        a->have = p->have & cpu;
        *ph_agg_at(a, PH_M_CPU_USER_NS) = ph_agg_get(p, PH_M_CPU_USER_NS, 0);
        *ph_agg_at(a, PH_M_CPU_SYSTEM_NS) = ph_agg_get(p, PH_M_CPU_SYSTEM_NS, 0);
        if (!a->have)
            a->have = cpu; /* ran for none of it: 0 */
        a->mem_peak = p->mem_peak;
        a->mem_last = a->mem_avg = -1;
        a->name = ph_xstrdup(p->name);
        a->app = ph_xstrdup(p->app);
    }
    free(c);
    ph_result_free(&one);
    int frc = fn(ctx, at, &res);
    ph_result_free(&res);
    return frc < 0 ? -1 : 0;
}

/* 1 when the keyframe bucket window (a, ...] of tier is asked from (its
 * query's lookback) has process rows, 0 when it has none, -1 on an error.
 * kb/known: the last bucket asked and its answer. */
static int lookback_has_rows(sqlite3 *db, sqlite3_stmt *st, enum ph_tier tier, int64_t a, int64_t *kb, int *known)
{
    int64_t b0 = q_lookback_from(db, tier, a) + 1 - ph_tiers[tier].width_ns;
    if (b0 == *kb)
        return *known;
    sqlite3_bind_int64(st, 1, b0);
    int step = sqlite3_step(st);
    sqlite3_reset(st);
    *kb = b0;
    *known = step == SQLITE_ROW ? 1 : step == SQLITE_DONE ? 0 : -1;
    return *known;
}

/* Windows of (a, b] from tier: each run of windows whose lookback keyframe
 * bucket has rows in one pass; a window whose has none (the recorder was
 * down then) asked alone, as the pass would carry values across it. */
static int run(ph_store *s, enum ph_tier tier, int64_t a, int64_t b, int64_t bw, size_t limit, bt_fn fn, void *ctx,
               char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    char sql[160];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql, "SELECT 1 FROM %s WHERE bucket_ns = ?1 LIMIT 1", ph_tiers[tier].procs);
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        ph_store_read_error(s, err, errlen);
        return -1;
    }
    int64_t kb = INT64_MIN;
    int known = 0, rc = 0;
    for (int64_t x = a; x < b && rc == 0;) {
        int has = lookback_has_rows(db, st, tier, x, &kb, &known);
        if (has < 0) {
            ph_store_read_error(s, err, errlen);
            rc = -1;
        } else if (!has) {
            rc = window_alone(s, x, bw, limit, fn, ctx, err, errlen);
            x += bw;
        } else {
            int64_t y = x + bw;
            while (y < b && (has = lookback_has_rows(db, st, tier, y, &kb, &known)) == 1)
                y += bw;
            if (has < 0) {
                ph_store_read_error(s, err, errlen);
                rc = -1;
            } else {
                rc = tier_pass(s, tier, x, y, bw, limit, fn, ctx, err, errlen);
                x = y;
            }
        }
    }
    sqlite3_finalize(st);
    return rc;
}

int ph_query_rollup_proc_top(ph_store *s, int64_t since, int64_t until, int64_t width, size_t limit,
                             int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx, char *err,
                             size_t errlen)
{
    if (width <= 0 || since % width || until % width || until <= since) {
        ph_fmt(err, errlen, "bad windows for the top processes of each");
        return -1;
    }
    int64_t done[PH_TIER_COUNT], pruned[PH_TIER_COUNT];
    q_tier_marks(s, done, pruned);
    for (int64_t a = since; a < until;) {
        int tier = q_rollup_tier_for(done, pruned, a, width);
        int64_t b = a + width;
        while (b < until && q_rollup_tier_for(done, pruned, b, width) == tier)
            b += width;
        if (tier >= 0) {
            if (run(s, (enum ph_tier)tier, a, b, width, limit, fn, ctx, err, errlen) < 0)
                return -1;
        } else {
            for (int64_t x = a; x < b; x += width)
                if (window_alone(s, x, width, limit, fn, ctx, err, errlen) < 0)
                    return -1;
        }
        a = b;
    }
    return 0;
}
