/*
 * The app-row engine: what a rollup tier's app rows say of a window (the
 * contract is include/ph_query.h; the rows are written by src/db/rollup.c).
 *
 * FORMAT. app_minute and app_hour (schema/003_rollups.sql): one row per
 * app and bucket it had processes in, holding the exact peak of the sum of
 * its processes' memory in the bucket (mem_peak_bytes, when, and the
 * process whose growth reached it), the sum at the bucket's end
 * (mem_last_bytes), the most processes alive at once, and the bucket's
 * sums of the PH_APP_METRICS counters. Idle, unchanged apps have no row
 * between keyframes (a minute bucket on each whole hour, an hour bucket on
 * each whole day), where every app alive has one.
 *
 * PASS. The rows of (lookback, until], in bucket order, carry each app's
 * last value forward; an app without a row in a keyframe bucket is gone.
 * The value carried into `since` is a point of the window (as in the
 * replay engine); rows after it give peaks, counts and sums.
 */
#include "query_private.h"
#include "ph_util.h"

#include <stdlib.h>
#include <string.h>

/* The app counters of a row, in column order after the seven first; the
 * hour tier's rows of schema 19 hold the wide ones after them. */
static const enum ph_metric app_counter[] = {
    PH_M_CPU_USER_NS,       PH_M_CPU_SYSTEM_NS,       PH_M_DISK_READ_BYTES, PH_M_DISK_WRITE_BYTES,
    PH_M_ENERGY_NJ,         PH_M_WAKEUPS,             PH_M_CHILD_CPU_USER_NS, PH_M_CHILD_CPU_SYSTEM_NS,
    PH_M_ENERGY_EST_NJ,     PH_M_GPU_NS,              PH_M_INSTRUCTIONS,    PH_M_CYCLES,
    PH_M_CTXSW_TOTAL,       PH_M_CTXSW_VOLUNTARY,     PH_M_CTXSW_INVOLUNTARY, PH_M_FAULTS_TOTAL,
    PH_M_FAULTS_MINOR,      PH_M_FAULTS_MAJOR,        PH_M_SYSCALLS_MACH,   PH_M_SYSCALLS_UNIX,
    PH_M_SYSCALLS_READ,     PH_M_SYSCALLS_WRITE,
};
#define NARROW_COUNTERS 6
#define MINUTE_COUNTERS 10

/* How many of app_counter tier's app and group rows hold. */
static int row_counters(sqlite3 *db, enum ph_tier tier)
{
    if (ph_sql_int_or(db, "PRAGMA user_version", 0, 0) < 19)
        return NARROW_COUNTERS;
    if (tier == PH_TIER_HOUR)
        return (int)PH_ARRAY_LEN(app_counter);
    /* (a file of the first schema 19 has no minute columns: no mark either) */
    return ph_sql_int_or(db, "SELECT count(*) FROM meta WHERE key = 'app_minute_wide_from'", 0, 0) == 1
               ? MINUTE_COUNTERS
               : NARROW_COUNTERS;
}

static ph_mask counters_mask(int n)
{
    ph_mask m = 0;
    for (int c = 0; c < n; c++)
        m |= PH_BIT(app_counter[c]);
    return m;
}

/* An empty query state over tier, filling work; its groups are apps, or
 * the key of flags (PH_Q_GROUP_ROW_KEYS: read from group rows). */
static void qstate_begin(qstate *q, ph_result *work, int tier, int flags)
{
    memset(work, 0, sizeof *work);
    memset(q, 0, sizeof *q);
    q->r = work;
    q->tier = tier;
    q->cg_key = flags & PH_Q_CGROUP_KEYS;
    q->by_user = (flags & PH_Q_BY_USER) != 0;
    q->grouped = q->cg_key != 0 || q->by_user;
    q->slots = PH_APP_METRICS;
    ph_imap_init(&q->app_index);
}

static int64_t opt_col(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

/* The window begins: the value each app carries in is a point of it. */
static void enter(qstate *q, int64_t since, int totals)
{
    ph_result *r = q->r;
    for (size_t i = 0; i < r->napps; i++)
        if (q->app_carry[i] >= 0 && q->app_carry[i] > r->apps[i].mem_peak) {
            r->apps[i].mem_peak = q->app_carry[i];
            r->apps[i].mem_peak_ns = since;
            if (totals)
                r->apps[i].nprocs = 1; /* alive in the window */
        }
}

/* One app row of a bucket ending at ts. */
static void add_row(qstate *q, sqlite3_stmt *st, int a, int64_t ts, int64_t since, int totals)
{
    ph_agg *g = &q->r->apps[a];
    int64_t peak = opt_col(st, 2), last = opt_col(st, 4);
    if (ts > since) {
        int procs = sqlite3_column_int(st, 5);
        if (procs > g->procs_max)
            g->procs_max = procs;
        if (peak != q->app_carry[a] || last != q->app_carry[a])
            g->changed = 1;
        if (peak > g->mem_peak) {
            g->mem_peak = peak;
            g->mem_peak_ns = sqlite3_column_int64(st, 3);
            g->mem_peak_proc = sqlite3_column_int64(st, 6);
        }
        if (totals) {
            g->nprocs = 1;
            size_t ncounters = q->wide ? (size_t)q->wide : NARROW_COUNTERS;
            for (size_t c = 0; c < ncounters; c++) {
                if (sqlite3_column_type(st, 7 + (int)c) == SQLITE_NULL || !(g->slots & PH_BIT(app_counter[c])))
                    continue;
                *ph_agg_at(g, app_counter[c]) += sqlite3_column_int64(st, 7 + (int)c);
                g->have |= PH_BIT(app_counter[c]);
            }
            if (!g->first_ns)
                g->first_ns = ts;
            g->last_ns = ts;
        }
    }
    q->app_carry[a] = last;
}

/* A tier's app rows of the buckets ending in (from, until], in bucket
 * order: the one statement both app-row readers step through. With a
 * grouping key (gkey: one of PH_Q_GROUP_ROW_KEYS), the hour tier's group
 * rows of that key instead (the same columns, the key in place of the
 * app). */
static int prepare_app_rows(sqlite3 *db, const ph_tier_desc *d, int gkey, int64_t from, int64_t until, int wide,
                            sqlite3_stmt **st)
{
    char sql[1024], extra[512] = "";
    long long w = (long long)d->width_ns;
    size_t off = 0;
    for (size_t c = NARROW_COUNTERS; c < (size_t)wide; c++)
        off += (size_t)snprintf(extra + off, sizeof extra - off, ", %s", ph_metric_column(app_counter[c]));
    snprintf(sql, sizeof sql,
             "SELECT bucket_ns, %s, mem_peak_bytes, mem_peak_ns, mem_last_bytes, procs, mem_peak_proc,"
             " cpu_user_ns, cpu_system_ns, disk_read_bytes, disk_write_bytes, energy_nj, wakeups%s FROM %s"
             " WHERE %sbucket_ns > ?1 - %lld AND bucket_ns <= ?2 - %lld ORDER BY bucket_ns",
             gkey ? "key" : "app", extra, gkey ? PH_GROUP_ROWS : d->apps, gkey ? "dim = ?3 AND " : "", w, w);
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(*st, 1, from);
    sqlite3_bind_int64(*st, 2, until);
    if (gkey)
        sqlite3_bind_text(*st, 3, q_group_dim(gkey), -1, SQLITE_STATIC);
    return 0;
}

int q_app_rows(qstate *q, sqlite3 *db, int64_t since, int64_t until, int totals)
{
    const ph_tier_desc *d = &ph_tiers[q->tier];
    int64_t w = d->width_ns, k = d->keyframe_ns;
    ph_result *r = q->r;
    sqlite3_stmt *st;
    if (prepare_app_rows(db, d, q->cg_key | (q->by_user ? PH_Q_BY_USER : 0), q_lookback_from(db, q->tier, since),
                         until, q->wide, &st) < 0)
        return -1;
    int64_t cur_bucket = INT64_MIN;
    int entered = 0, step;
    unsigned char *seen = NULL; /* apps met in the current keyframe bucket */
    size_t nseen = 0;
    for (;;) {
        step = sqlite3_step(st);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            break;
        int64_t bucket = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : INT64_MAX;
        if (bucket != cur_bucket) {
            if (cur_bucket != INT64_MIN && cur_bucket % k == 0) /* keyframe: unseen apps are gone */
                for (size_t i = 0; i < nseen; i++)
                    if (!seen[i])
                        q->app_carry[i] = -1;
            if (!entered && (step == SQLITE_DONE || bucket + w > since)) {
                entered = 1;
                enter(q, since, totals);
            }
            if (step == SQLITE_DONE)
                break;
            cur_bucket = bucket;
            nseen = bucket % k == 0 ? r->napps : 0;
            if (nseen) {
                seen = ph_xrealloc(seen, nseen);
                memset(seen, 0, nseen);
            }
        }
        int a = q_app_find_or_add(q, (const char *)sqlite3_column_text(st, 1));
        if ((size_t)a < nseen)
            seen[a] = 1;
        add_row(q, st, a, bucket + w, since, totals);
    }
    for (size_t i = 0; i < r->napps; i++)
        r->apps[i].mem_last = q->app_carry[i];
    free(seen);
    sqlite3_finalize(st);
    return step == SQLITE_DONE ? 0 : -1;
}

int q_group_rows_cover(ph_store *s, enum ph_tier tier, int64_t since, int flags)
{
    int64_t from_bucket;
    int user = (flags & PH_Q_BY_USER) != 0;
    if (tier != PH_TIER_HOUR || !(flags & PH_Q_GROUP_ROW_KEYS) || ph_store_version(s) < (user ? 17 : 16) ||
        ph_meta_get_int(s, user ? PH_META_USER_HOUR_FROM : PH_META_GROUP_HOUR_FROM, &from_bucket) != 1)
        return 0;
    /* The pass starts at the keyframe bucket before `since`. */
    return q_lookback_from(ph_store_db(s), tier, since) + 1 - ph_tiers[tier].width_ns >= from_bucket;
}

int q_wide_rows_cover(ph_store *s, enum ph_tier tier, int64_t since)
{
    int64_t from_bucket;
    if (tier == PH_TIER_RAW || ph_store_version(s) < 19 ||
        ph_meta_get_int(s, tier == PH_TIER_HOUR ? PH_META_APP_HOUR_WIDE_FROM : PH_META_APP_MINUTE_WIDE_FROM,
                        &from_bucket) != 1)
        return 0;
    return q_lookback_from(ph_store_db(s), tier, since) + 1 - ph_tiers[tier].width_ns >= from_bucket;
}

int q_app_segment(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, int flags, ph_result *out,
                  char *err, size_t errlen)
{
    qstate q;
    ph_result work;
    int rc = -1;
    memset(out, 0, sizeof *out);
    qstate_begin(&q, &work, tier, flags);
    q.wide = row_counters(ph_store_db(store), tier);
    q.slots |= counters_mask(q.wide);
    out->win.since = since;
    out->win.until = until;
    out->nseg = 1;
    out->seg[0].tier = tier;
    out->seg[0].since = since;
    out->seg[0].until = until;
    if (q_stats(store, tier, since, until, &out->win) < 0 || q_app_rows(&q, ph_store_db(store), since, until, 1) < 0)
        goto fail;
    /* Keep the apps that were in the window. */
    out->apps = ph_xcalloc(work.napps + 1, sizeof *out->apps);
    for (size_t i = 0; i < work.napps; i++) {
        if (!work.apps[i].nprocs)
            continue;
        ph_agg *g = &out->apps[out->napps++];
        *g = work.apps[i];
        g->name = ph_xstrdup(g->name);
        g->app = ph_xstrdup(g->app);
        q_agg_own(out, g);
        g->nprocs = g->procs_max;
    }
    rc = 0;
fail:
    if (rc < 0 && !err[0])
        ph_store_read_error(store, err, errlen);
    ph_result_free(&work);
    q_state_free(&q);
    return rc;
}

/*
 * BUCKETS. The same pass over (since, until] in windows of bw (the report's
 * points): each window's answer is what q_app_segment gives on it alone.
 * That query starts at the keyframe bucket before its window, with nothing
 * carried; this pass carries the state from the one before. The two agree
 * because a keyframe bucket fixes every app's carried value (its row's,
 * else gone) whatever came before it, provided the bucket has rows: when
 * one in the range has none (the recorder was down), the pass refuses (1)
 * before answering anything, and the caller asks window by window.
 */

/* The window's apps into out (as q_app_segment keeps them), then their
 * window figures restart (as a new app's). */
static void app_window_out(qstate *q, ph_result *out)
{
    ph_result *r = q->r;
    out->apps = ph_xcalloc(r->napps + 1, sizeof *out->apps);
    for (size_t i = 0; i < r->napps; i++) {
        ph_agg *a = &r->apps[i];
        a->mem_last = q->app_carry[i];
        if (a->nprocs) {
            ph_agg *g = &out->apps[out->napps++];
            *g = *a;
            g->name = ph_xstrdup(g->name);
            g->app = ph_xstrdup(g->app);
            q_agg_own(out, g);
            g->nprocs = g->procs_max;
        }
        char *name = a->name, *app = a->app;
        int64_t *val = a->vals;
        ph_mask slots = a->slots;
        memset(a, 0, sizeof *a);
        a->name = name;
        a->app = app;
        a->vals = val; /* its room, emptied */
        a->slots = slots;
        if (val)
            memset(val, 0, (size_t)__builtin_popcountll(slots) * sizeof *val);
        a->pid = -1;
        a->uid = -1;
        a->mem_peak = a->mem_last = a->mem_avg = -1;
    }
}

/* 1 when a keyframe bucket after the pass's first one, up to the last
 * bucket read, has no app row; 0 when each has; -1 on an error. */
static int keyframe_gap(sqlite3 *db, const ph_tier_desc *d, int gkey, int64_t b0, int64_t until)
{
    int64_t w = d->width_ns, k = d->keyframe_ns;
    int64_t last = ph_floor_to(until - w, k); /* the last keyframe bucket read */
    if (last <= b0)
        return 0;
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(DISTINCT bucket_ns) FROM %s WHERE %sbucket_ns > ?1 AND bucket_ns <= ?2 AND bucket_ns %% %lld = 0",
             gkey ? PH_GROUP_ROWS : d->apps, gkey ? "dim = ?3 AND " : "", (long long)k);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, b0);
    sqlite3_bind_int64(st, 2, last);
    if (gkey)
        sqlite3_bind_text(st, 3, q_group_dim(gkey), -1, SQLITE_STATIC);
    int64_t n = -1;
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (n < 0)
        return -1;
    return n != (last - b0) / k;
}

int q_app_buckets(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, int64_t bw, int flags,
                  int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx, char *err, size_t errlen)
{
    int gkey = flags & PH_Q_GROUP_ROW_KEYS;
    const ph_tier_desc *d = &ph_tiers[tier];
    int64_t w = d->width_ns, k = d->keyframe_ns;
    sqlite3 *db = ph_store_db(store);
    int64_t from = q_lookback_from(db, tier, since);
    int64_t b0 = from + 1 - w; /* the keyframe bucket the pass starts at */
    int gap = keyframe_gap(db, d, gkey, b0, until);
    if (gap != 0) {
        if (gap < 0)
            ph_store_read_error(store, err, errlen);
        return gap;
    }
    qstate q;
    ph_result work;
    qstate_begin(&q, &work, tier, gkey);
    q.wide = row_counters(db, tier);
    q.slots |= counters_mask(q.wide);
    sqlite3_stmt *st = NULL;
    unsigned char *seen = NULL; /* apps met in the current keyframe bucket */
    size_t nseen = 0, nb = (size_t)((until - since) / bw), cur = 0;
    int rc = -1, step, entered = 0;
    if (prepare_app_rows(db, d, gkey, from, until, q.wide, &st) < 0)
        goto fail;
    int64_t cur_bucket = INT64_MIN, wsince = since, wuntil = since + bw;
    for (;;) {
        step = sqlite3_step(st);
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            goto fail;
        int done = step == SQLITE_DONE;
        int64_t bucket = done ? INT64_MAX : sqlite3_column_int64(st, 0);
        if (bucket != cur_bucket) {
            if (cur_bucket != INT64_MIN && cur_bucket % k == 0) /* keyframe: unseen apps are gone */
                for (size_t i = 0; i < nseen; i++)
                    if (!seen[i])
                        q.app_carry[i] = -1;
            /* Every window that ends before this bucket does is answered. */
            while (cur < nb && (done || bucket + w > wuntil)) {
                if (!entered)
                    enter(&q, wsince, 1);
                ph_result res;
                memset(&res, 0, sizeof res);
                res.win.since = wsince;
                res.win.until = wuntil;
                res.nseg = 1;
                res.seg[0].tier = tier;
                res.seg[0].since = wsince;
                res.seg[0].until = wuntil;
                if (q_stats(store, tier, wsince, wuntil, &res.win) < 0)
                    goto fail;
                app_window_out(&q, &res);
                int frc = fn(ctx, wsince, &res);
                ph_result_free(&res);
                if (frc < 0)
                    goto fail;
                cur++;
                entered = 0;
                wsince = wuntil;
                wuntil += bw;
            }
            if (done)
                break;
            if (!entered && bucket + w > wsince) {
                entered = 1;
                enter(&q, wsince, 1);
            }
            cur_bucket = bucket;
            nseen = bucket % k == 0 ? work.napps : 0;
            if (nseen) {
                seen = ph_xrealloc(seen, nseen);
                memset(seen, 0, nseen);
            }
        }
        int a = q_app_find_or_add(&q, (const char *)sqlite3_column_text(st, 1));
        if ((size_t)a < nseen)
            seen[a] = 1;
        add_row(&q, st, a, bucket + w, wsince, 1);
    }
    rc = 0;
fail:
    if (rc < 0 && !err[0])
        ph_store_read_error(store, err, errlen);
    free(seen);
    sqlite3_finalize(st);
    ph_result_free(&work);
    q_state_free(&q);
    return rc;
}
