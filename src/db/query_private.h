/*
 * query_private.h: what the three files of the query engine share (the
 * contract is include/ph_query.h): replay.c replays a tier's process rows,
 * approws.c reads the rollups' app rows, plan.c splits a window into
 * segments and stitches their answers.
 */
#ifndef PH_QUERY_PRIVATE_H
#define PH_QUERY_PRIVATE_H

#include "db_private.h"
#include "ph_util.h"

typedef struct live {
    int64_t mem;      /* current value, -1 none */
    int64_t gone_ns;  /* 0: not gone */
    int64_t seen;     /* bucket/sample id of its last row */
    int app;          /* index into apps */
    int in_window;
    double integ;     /* sum of value * time, inside the window */
    int64_t alive_ns; /* time covered by integ */
    int64_t mark;     /* time up to which integ is accounted; 0: not counting */
    int64_t hwm_before; /* highest lifetime peak its rows before the window reported; -1 none */
    int64_t hwm_in, hwm_in_ns; /* the same inside the window, and when first reported */
    int64_t start_ns;   /* its birth (wall clock); 0 unknown */
    int alive_pos;      /* index in qstate.alive while it holds a value; -1 not */
} live;

/* Process id in the database -> index in the pass's arrays. The ids are
 * rowids, dense and met in about ascending order (the recorder numbers
 * processes as it first sees them): pages of PIDX_PAGE slots found through
 * a small map of page numbers, and the last page used kept at hand. A hash
 * map over a month's ~363k processes cost three cache misses a lookup and
 * its regrowths several MiB of fresh pages; this is 4 bytes a process. */
#define PIDX_SHIFT 10
#define PIDX_PAGE (1 << PIDX_SHIFT)
typedef struct q_pidx {
    ph_imap dir;       /* page number -> index in pages */
    int **pages;       /* each PIDX_PAGE slots: index + 1, 0 for none */
    size_t npages, cap;
    int64_t last_no;   /* page number of last, when last is set */
    int *last;
} q_pidx;

/* The index of process id `proc`, or -1; q_pidx_put records it. A zeroed
 * q_pidx is empty. */
int q_pidx_get(q_pidx *x, int64_t proc);
void q_pidx_put(q_pidx *x, int64_t proc, int idx);
void q_pidx_free(q_pidx *x);

/* Memory a result owns: the strings of its processes (ph_result.strs:
 * interned names and apps) and the metric values of its aggs
 * (ph_result.vals). Blocks of bytes, each block the next's owner, freed
 * with the result and never one piece at a time. */
struct ph_pool {
    struct ph_pool *next;
    size_t used, cap; /* bytes */
    _Alignas(int64_t) unsigned char data[];
};
/* Append src's blocks to *dst (src is empty after). */
void q_pool_move(struct ph_pool **dst, struct ph_pool **src);
/* Room in r for a's values of `slots`, all 0; a->have is cleared. */
void q_agg_room(ph_result *r, ph_agg *a, ph_mask slots);
/* a's values copied into r's pool (a copied out of another result). */
void q_agg_own(ph_result *r, ph_agg *a);
/* b's values into a (counters add, gauges take the maximum), a's room
 * widened in r where b has metrics a has no room for. */
void q_agg_add_vals(ph_result *r, ph_agg *a, const ph_agg *b);

typedef struct qstate {
    enum ph_tier tier;
    int wide;           /* app-row passes: how many counters the rows hold (approws.c; 0: the first six) */
    ph_result *r;
    live *lv;
    size_t cap_procs, cap_apps;
    q_pidx proc_index;
    ph_imap app_index;
    int64_t *app_sum;
    int *app_live;      /* processes of the app alive now */
    int64_t *app_grower; /* the process that last grew the app's sum */
    int64_t *app_carry; /* rollup tiers: app value carried from app rows */
    int *dirty; size_t ndirty; unsigned char *is_dirty;
    struct { int64_t at; int idx; } *heap; size_t nheap, capheap;
    /* The processes holding a value (mem >= 0): a keyframe sweeps these, not
     * every process the pass has met (over a month: hundreds of thousands,
     * swept at every keyframe bucket). */
    int *alive; size_t nalive, capalive;
    /* The processes in the current window (in_window set), in the order
     * they entered it: a bucket's end visits these, not every process the
     * pass has met (a day of raw buckets: 288 windows over ~10^4 processes). */
    int *inwin; size_t ninwin, capinwin;
    sqlite3_stmt *meta;
    int in_window;      /* the state is past `since` */
    int by_user;        /* group by user id instead of app */
    int grouped;        /* apps[] are users or cgroup keys (PH_Q_GROUPED) */
    int cg_key;         /* the PH_Q_CGROUP_KEYS flag of the groups; 0 none */
    ph_imap cg_index;   /* cgroup id -> index in strv of its key */
    ph_imap str_index;  /* interned strings of r->strs, by hash (ph_smap_find) */
    char **strv; size_t nstrv, capstrv;
    ph_mask counters;   /* the metrics that are counters (summed) */
    ph_mask slots;      /* the metrics each agg has room for (what was asked) */
} qstate;

/* The grouping keys the hour tier keeps group rows of: the cgroup keys
 * (schema 16) and the user (schema 17). */
#define PH_Q_GROUP_ROW_KEYS (PH_Q_CGROUP_KEYS | PH_Q_BY_USER)
/* A grouping key's dimension as group rows name it ("unit", "slice",
 * "container", "cgroup", "user"); NULL when flags hold none. */
const char *q_group_dim(int flags);

/* The cgroup table's column holding the values of flags' cgroup key
 * ("unit", "slice", "container_id", "path"); NULL when flags hold none. */
const char *q_group_col(int flags);
/* ph_smap_find's name_of for an array of ph_agg keyed by app. */
const char *q_agg_app(const void *ctx, int idx);
/* The index of an app (or user) in q->r->apps, added when new. */
int q_app_find_or_add(qstate *q, const char *app);
/* Free the working state (not q->r). */
void q_state_free(qstate *q);
/* The window statistics of (since, until] from a tier's sample rows. */
int q_stats(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, ph_window *w);
/* Where a pass must start to know the state at `since` (exclusive). */
int64_t q_lookback_from(sqlite3 *db, enum ph_tier tier, int64_t since);
/* Each tier's rolled-up end and pruned start, from the meta table (plan.c). */
void q_tier_marks(ph_store *s, int64_t done[PH_TIER_COUNT], int64_t pruned[PH_TIER_COUNT]);
/* The coarsest rollup tier holding (a, a + width] whole: its buckets divide
 * width, it is rolled up to a + width, and its rows from the pass's first
 * keyframe bucket on are kept; -1 none. The report's app points and their
 * hover's processes are read from the tier this chooses. */
int q_rollup_tier_for(const int64_t *done, const int64_t *pruned, int64_t a, int64_t width);

/* One pass of the replay engine over a tier's process rows (replay.c):
 * with bw > 0, fn gets each bucket of width bw; else *out the window.
 * With `room`, out->procs keeps the pass's reservation and *room is how
 * many entries it holds (>= out->nprocs): a stitch appends to it in place
 * (moving a month's array costs every page of it again, see replay.c). */
int q_replay(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, int64_t bw, ph_mask want,
             int flags, int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx, ph_result *out,
             size_t *room, char *err, size_t errlen);
/* The same, reading only the processes with pid `pid` when pid >= 0 (their
 * figures are what the whole pass gives them; the apps hold them only). */
int q_replay_pid(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, int64_t bw, ph_mask want,
                 int flags, int64_t pid, int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx,
                 ph_result *out, size_t *room, char *err, size_t errlen);
/* The same with `procs` (non-NULL: a JSON array of process ids) reading
 * only those processes, as one pid's are read (pid is then ignored). */
int q_replay_sel(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, int64_t bw, ph_mask want,
                 int flags, int64_t pid, const char *procs, int (*fn)(void *ctx, int64_t bucket, ph_result *res),
                 void *ctx, ph_result *out, size_t *room, char *err, size_t errlen);

/* ph_query_window_metrics with one segment of its plan (seg, as
 * ph_query_plan gives it) read for the processes of `procs` only (a JSON
 * array of process ids), the others whole (src/db/proctop.c). */
typedef struct q_segsel {
    ph_segment seg;
    const char *procs;
} q_segsel;
int q_window_sel(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, const q_segsel *sel,
                 ph_result *out, char *err, size_t errlen);

/* The app-row engine (approws.c): one pass over a rollup tier's app rows
 * of (lookback, until], carrying each app's value across buckets. It sets
 * the apps' exact memory peaks (and who reached them), their last value,
 * the most processes alive at once; with `totals` also the app counters of
 * PH_APP_METRICS, summed, and marks each app met in the window (nprocs 1). */
int q_app_rows(qstate *q, sqlite3 *db, int64_t since, int64_t until, int totals);
/* A rollup segment answered from app rows only (PH_Q_APPS_ONLY). */
/* The same for each window (b, b + bw] of (since, until] in one pass (bw a
 * multiple of the tier's width, since and until multiples of bw): fn gets
 * what q_app_segment gives on that window. 1 (fn never called) when a
 * keyframe bucket in the range has no app row: ask window by window.
 * With a key of PH_Q_GROUP_ROW_KEYS in flags, the hour tier's group rows
 * of that key. */
int q_app_buckets(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, int64_t bw, int flags,
                  int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx, char *err, size_t errlen);
/* With a key of PH_Q_GROUP_ROW_KEYS in flags, the hour tier's group rows
 * of that key answer instead (q_group_rows_cover says where they do). */
int q_app_segment(ph_store *store, enum ph_tier tier, int64_t since, int64_t until, int flags, ph_result *out,
                  char *err, size_t errlen);
/* The table of group rows (schema/016_group_rows.sql, users from
 * 017_user_rows.sql): the hour tier's. */
#define PH_GROUP_ROWS "group_hour"
/* 1 when the group rows of flags' key (one of PH_Q_GROUP_ROW_KEYS) answer
 * tier's (since, until] whole: the hour tier, with rows of that key
 * written since before the pass's lookback start; 0 not. */
int q_group_rows_cover(ph_store *s, enum ph_tier tier, int64_t since, int flags);
/* Whether tier's app (and group) rows hold PH_APP_MINUTE_METRICS (the
 * minute tier) or PH_APP_HOUR_METRICS (the hour tier) from the lookback
 * of `since` on (schema 19, meta app_minute_wide_from, app_hour_wide_from). */
int q_wide_rows_cover(ph_store *s, enum ph_tier tier, int64_t since);

#endif
