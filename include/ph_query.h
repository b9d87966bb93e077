/*
 * ph_query.h: what happened in a time window, per process and per app.
 *
 * Counters are summed over rows whose time lies in (since, until]. Memory
 * is a gauge that holds between rows: a process idle through the window
 * keeps the value of its last row before `since`, so its memory counts even
 * without a row inside. An app's memory peak is the largest sum, at any one
 * sample, of its live processes' values, not a sum of peaks taken at
 * different times.
 *
 * The same engine runs on every tier (raw samples, minute and hour
 * rollups); ph_query_window stitches tiers so a long window is answered
 * from coarse buckets in its interior and finer rows at its edges. Totals
 * are the same whichever tier answers; a coarse tier can only widen the
 * window to whole buckets where the finer data was already pruned.
 */
#ifndef PH_QUERY_H
#define PH_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "ph_metrics.h"
#include "ph_store.h"

enum ph_tier { PH_TIER_RAW, PH_TIER_MINUTE, PH_TIER_HOUR, PH_TIER_COUNT };

const char *ph_tier_name(enum ph_tier t);
int64_t ph_tier_width_ns(enum ph_tier t);    /* 0 for raw */
int64_t ph_tier_keyframe_ns(enum ph_tier t); /* every live process has a row at least this often */

typedef struct ph_agg {
    int64_t proc;      /* process id in the database; 0 for an app */
    int32_t pid;       /* -1 for an app */
    int64_t uid;       /* -1 when unknown */
    char *name;
    char *app;
    int nprocs;        /* processes in the group (1 for a process) */
    int procs_max;     /* apps: most processes alive at once in the window */
    /* Metric values, counters summed and gauges their maximum: one for
     * each metric of `slots` (the metrics the query asked for), in metric
     * order, in memory the result owns. Read them with ph_agg_get: a
     * month's processes are hundreds of thousands of these, and a command
     * reads a few of the 61 metrics. */
    int64_t *vals;
    ph_mask slots;     /* the metrics vals has room for */
    ph_mask have;      /* the metrics with a value (within slots) */
    int64_t mem_peak;  /* bytes; < 0 when no memory value */
    int64_t mem_peak_ns;
    int64_t mem_peak_proc; /* apps: the process whose growth reached the peak */
    int64_t mem_last;  /* value at the window's end; < 0 when gone or unknown */
    int64_t mem_avg;   /* time-weighted mean while alive in the window; < 0 unknown */
    int64_t first_ns, last_ns; /* first and last time seen in the window */
    int64_t rows;      /* rows aggregated */
    int active;        /* ran, was first seen, or was already active in the finer tier */
    int changed;       /* its memory value moved inside the window */
} ph_agg;

/* Where metric m's value lies (m must be one of a->slots). */
static inline int64_t *ph_agg_at(const ph_agg *a, int m)
{
    return a->vals + __builtin_popcountll(a->slots & (PH_BIT(m) - 1));
}
/* Metric m's value, or dflt when it has none. */
static inline int64_t ph_agg_get(const ph_agg *a, int m, int64_t dflt)
{
    return (a->have & PH_BIT(m)) ? *ph_agg_at(a, m) : dflt;
}

typedef struct ph_window {
    int64_t since, until;  /* as asked, ns */
    int64_t samples;       /* samples in the window */
    int64_t covered_ns;    /* sum of their intervals */
    int64_t first_ns, last_ns;
    int64_t procs_denied;  /* largest per-sample count of partly unreadable processes */
    int64_t procs_max;
    int64_t recorder_cpu_ns;
    /* system sums (energy per power domain, CPU capacity, GPU); < 0: not measured */
    union {
        ph_sys sys;
        struct {
            int64_t energy_nj[PH_PWR_DOMAINS];
            int64_t cpu_capacity_ns;
            int64_t gpu_busy_ns, gpu_mcycles, gpu_covered_ns;
        };
    };
} ph_window;

typedef struct ph_segment {
    enum ph_tier tier;
    int64_t since, until;
} ph_segment;

struct ph_pool;
typedef struct ph_result {
    ph_window win;
    ph_agg *procs; size_t nprocs;
    ph_agg *apps;  size_t napps;
    ph_segment seg[16]; size_t nseg; /* which tiers answered which parts */
    /* When set (the engine's answers), the name and app strings of procs[]
     * are its, one copy per distinct string shared between processes (a
     * month has ~363k processes and a few hundred names): edit them in
     * place only in ways that give every holder the same result, never
     * free them alone. When NULL each is its agg's own. apps[] strings
     * are always their agg's own. ph_result_free frees either. */
    struct ph_pool *strs;
    /* The metric values of procs[] and apps[] (each agg's vals). */
    struct ph_pool *vals;
    /* ph_query_window_top: the processes of the window it left out (none
     * of which ranks), their counters summed and nprocs how many; with its
     * own vals. NULL otherwise. */
    ph_agg *rest;
} ph_result;

/* The window, from whichever tiers answer it best. */
int ph_query_window(ph_store *s, int64_t since, int64_t until, ph_result *out,
                    char *err, size_t errlen);
/* The same, reading only the metrics in `want` (memory always, as the
 * mem_* fields): cheaper, and each agg holds values of want's metrics
 * only (ph_agg_get on another gives its dflt).
 * With PH_Q_APPS_ONLY, rollup tiers answer from their app rows (a few rows per
 * bucket instead of one per process) where those hold every counter of
 * `want` (PH_APP_MINUTE_METRICS, PH_APP_HOUR_METRICS), and from
 * their process rows elsewhere; `procs` then holds only the processes of
 * those, and apps[] the whole window's sums. */
#define PH_APP_METRICS (PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS) | \
                        PH_BIT(PH_M_DISK_READ_BYTES) | PH_BIT(PH_M_DISK_WRITE_BYTES) | \
                        PH_BIT(PH_M_ENERGY_NJ) | PH_BIT(PH_M_WAKEUPS))
/* The minute tier's app rows sum these too (schema 19, from `meta`
 * app_minute_wide_from on), and the hour tier's app and group rows
 * PH_APP_HOUR_METRICS (from app_hour_wide_from on): a query reads a
 * tier's app rows where they hold every counter it asks for, and process
 * rows elsewhere. */
#define PH_APP_MINUTE_METRICS (PH_APP_METRICS | PH_BIT(PH_M_CHILD_CPU_USER_NS) | PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS) | \
                               PH_BIT(PH_M_ENERGY_EST_NJ) | PH_BIT(PH_M_GPU_NS))
#define PH_APP_HOUR_METRICS (PH_APP_MINUTE_METRICS | PH_BIT(PH_M_INSTRUCTIONS) | \
                             PH_BIT(PH_M_CYCLES) | PH_BIT(PH_M_CTXSW_TOTAL) | PH_BIT(PH_M_CTXSW_VOLUNTARY) | \
                             PH_BIT(PH_M_CTXSW_INVOLUNTARY) | PH_BIT(PH_M_FAULTS_TOTAL) | PH_BIT(PH_M_FAULTS_MINOR) | \
                             PH_BIT(PH_M_FAULTS_MAJOR) | PH_BIT(PH_M_SYSCALLS_MACH) | PH_BIT(PH_M_SYSCALLS_UNIX) | \
                             PH_BIT(PH_M_SYSCALLS_READ) | PH_BIT(PH_M_SYSCALLS_WRITE))
#define PH_Q_APPS_ONLY 1 /* rollup tiers answer from app rows */
#define PH_Q_BY_USER 2   /* the groups are users (apps[].app is the uid) */
/* The groups are a cgroup key of each process (its cgroup as last seen;
 * '-' none): apps[].app is the unit, the slice, the full container id or
 * the path. Memory and "most alive at once" are then a group's as for an
 * app: the largest sum of its processes' memory at one sample (raw rows;
 * on rollups the largest at a bucket's end, or as the hour tier's group
 * rows hold it), the most of them alive at once. With PH_Q_APPS_ONLY the
 * hour tier answers from its group rows (schema/016_group_rows.sql). */
#define PH_Q_BY_UNIT 4
#define PH_Q_BY_SLICE 8
#define PH_Q_BY_CONTAINER 16
#define PH_Q_BY_CGROUP 32
#define PH_Q_CGROUP_KEYS (PH_Q_BY_UNIT | PH_Q_BY_SLICE | PH_Q_BY_CONTAINER | PH_Q_BY_CGROUP)
#define PH_Q_GROUPED (PH_Q_BY_USER | PH_Q_CGROUP_KEYS) /* apps[] are not apps */
int ph_query_window_metrics(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags,
                            ph_result *out, char *err, size_t errlen);
/* The same for the processes with pid `pid` only (flags: none of
 * PH_Q_APPS_ONLY, PH_Q_GROUPED): each has the figures the whole window's
 * answer gives it, for the rows of those processes read alone (`show` of a
 * pid over a month need not hold every process of it). apps[] holds only
 * them. */
int ph_query_window_pid(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, int64_t pid,
                        ph_result *out, char *err, size_t errlen);
/* The processes of the window that can rank in the first `limit` by
 * rank(a, ctx), largest first: every one of them that a sort of
 * ph_query_window_metrics(s, since, until, want, flags)'s procs by rank
 * would put there, and any tied with the last of them, each with the
 * figures that answer gives it, and perhaps more; win and seg as it gives
 * them; apps[] of the processes returned only; rest how many others
 * there are and their counters of rest_need (of want's) summed. rank sees the values
 * of the metrics of rank_need (a subset of want's), mem_peak, first_ns
 * and last_ns only, and must not fall when the memory peak rises. Over a month it reads proc_total
 * (schema/018_proc_total.sql) and the hour rows of a few thousand
 * processes instead of every one (src/db/proctop.c). 1 when answered; 0
 * when this window or these flags are not its case (flags must be none of
 * PH_Q_APPS_ONLY, PH_Q_GROUPED; out is then empty: ask
 * ph_query_window_metrics); -1 with err. */
/* Ties of rank are ordered by name, pid and process id, ascending, as
 * every command orders them: when no process inside the window measured
 * what rank reads (rank_need's counters), all of them tie and only the
 * first `limit` in that order are read.
 * With keep (a filter on a process's name and app, NULL none; `--name`,
 * which is a name when some process of the window has it as its name or
 * app, else a glob): keep says whether it takes a process as a name
 * (PH_KEEP_LITERAL), as a glob (PH_KEEP_GLOB), or both. The ranking is
 * then among the processes it takes, in the way that applies (a name when
 * an inside process has it); the processes of the window's edges are
 * returned whatever keep says, and the caller, deciding between name and
 * glob on what is returned, picks among them the same rows as from every
 * process of the window. */
#define PH_KEEP_LITERAL 1
#define PH_KEEP_GLOB 2
typedef int64_t (*ph_rank_fn)(const ph_agg *a, void *ctx);
typedef int (*ph_keep_fn)(const char *name, const char *app, void *kctx);
int ph_query_window_top(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, ph_mask rank_need,
                        ph_mask rest_need, ph_rank_fn rank, void *ctx, size_t limit, ph_keep_fn keep, void *kctx,
                        ph_result *out, char *err, size_t errlen);
/* One process of a window and one figure of it (ph_query_window_values). */
typedef struct ph_pvalue {
    int64_t proc;     /* the process id (process.proc) */
    int64_t value; /* value() of its figures */
    int name;      /* its process row's: the set's names[name] */
    int pid;
} ph_pvalue;
typedef struct ph_pvalues {
    ph_pvalue *v;
    size_t n;
    char **names; /* the distinct names of v[], each once (edit in place, never free alone) */
    size_t nnames;
} ph_pvalues;
void ph_pvalues_free(ph_pvalues *pv);
/* Every process of the window with one figure, for the cost of a pass
 * over proc_total and the rows of the processes at the window's edges
 * (src/db/proctop.c): out is the window's answer for those, as
 * ph_query_window_metrics(s, since, until, want, flags) gives it (procs[]
 * the edge processes only; win the whole window's); inside every other
 * process of the window, each with value() of its figures, which are the
 * ones that answer would give. value sees the counters of rank_need (a
 * subset of want's) only. 1 when answered; 0 when this window or these
 * flags are not its case (as ph_query_window_top; out and inside are then
 * empty: ask ph_query_window_metrics); -1 with err. */
int ph_query_window_values(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, ph_mask rank_need,
                           ph_rank_fn value, void *ctx, ph_result *out, ph_pvalues *inside, char *err,
                           size_t errlen);
/* value() also sees an inside process's mem_peak: not its peak but the
 * largest memory figure proc_total has of it, at least that peak (-1 when
 * none: then the peak is unknown too). The processes whose peak matters
 * are then read with ph_query_window_set: procs[0..n), inside processes of
 * a ph_query_window_values call on the same window in the same snapshot
 * (ph_store_read_begin), read in the window's hour segment, where all
 * their rows lie. out->procs: their figures, as ph_query_window_metrics
 * gives them (out->win is the hour segment's alone). 1 read; 0 when not
 * its case; -1 with err. */
int ph_query_window_set(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, const int64_t *procs,
                        size_t n, ph_result *out, char *err, size_t errlen);
/* The apps (or users, or cgroup keys: flags' PH_Q_GROUPED) of the window
 * (flags: not PH_Q_APPS_ONLY), with the figures
 * ph_query_window_metrics(s, since, until, want, flags | PH_Q_APPS_ONLY)
 * gives them (the counters and memory of the rollups' app rows, and the
 * hour tier's group rows, where they hold them), and how many distinct
 * processes each had and when the first and last was seen (nprocs,
 * first_ns, last_ns) as a pass over every process gives them, counted
 * from proc_total and the rows of the processes at the window's edges only
 * (src/db/proctop.c); procs[] is not the window's; *nread how many
 * processes were read. 1 when answered; 0 when this window or these flags
 * are not its case (out is then empty: ask ph_query_window_metrics); -1
 * with err. */
int ph_query_window_apps(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, ph_result *out,
                         int64_t *nread, char *err, size_t errlen);
/* The window from one tier only (rollups and tests). */
int ph_query_tier(ph_store *s, enum ph_tier tier, int64_t since, int64_t until,
                  ph_result *out, char *err, size_t errlen);
int ph_query_tier_metrics(ph_store *s, enum ph_tier tier, int64_t since, int64_t until, ph_mask want,
                          ph_result *out, char *err, size_t errlen);
/* One pass over raw rows for (since, until], both multiples of width: fn
 * gets the result of each bucket (b, b + width] in order, the same as
 * ph_query_tier on that bucket would give, for the cost of one pass. */
int ph_query_raw_buckets(ph_store *s, int64_t since, int64_t until, int64_t width,
                         int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx,
                         char *err, size_t errlen);
/* The same, reading only the metrics in `want` (memory always), as
 * ph_query_window_metrics: each bucket's figures of those metrics are the
 * same, for fewer columns read per row; its groups those of flags'
 * PH_Q_GROUPED key (0: apps). */
int ph_query_raw_buckets_metrics(ph_store *s, int64_t since, int64_t until, int64_t width, ph_mask want, int flags,
                                 int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx,
                                 char *err, size_t errlen);
/* Windows of `width` over (since, until] (multiples of width), each
 * answered as ph_query_window_metrics(..., want, PH_Q_APPS_ONLY) answers
 * it, fn getting them in order. A run of windows that one rollup tier
 * answers whole is read in one pass over that tier's app rows (the report's
 * points: one read of a month instead of one per point, each from its
 * keyframe); the others are asked one by one. 0, or -1 with err. */
int ph_query_app_buckets(ph_store *s, int64_t since, int64_t until, int64_t width, ph_mask want,
                         int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx, char *err,
                         size_t errlen);
/* --explain: the plan ph_query_window_metrics follows with `want` and `flags`, one
 * line a segment to f: its tier and span, the table and index it reads
 * (from the lookback start), and how many rows that range holds, so that a
 * slow answer can be traced to a tier or a missing rollup. */
#include <stdio.h>
void ph_query_explain(ph_store *s, int64_t since, int64_t until, ph_mask want, int flags, FILE *f);
/* The segments ph_query_window would use, given the store's horizons. */
size_t ph_query_plan(ph_store *s, int64_t since, int64_t until, ph_segment *seg, size_t max);
void ph_result_free(ph_result *r);

/* The first `limit` of rows[0..n) in cmp's order (what a sort of all n then
 * a cut would give, up to rows cmp calls equal), sorted, as shallow copies:
 * the strings stay rows'. cmp gets pointers into rows. *out is malloc'd
 * (free it alone). Costs about n log(limit) comparisons: a month has
 * hundreds of thousands of processes and the commands show a few. */
size_t ph_agg_top(ph_agg *rows, size_t n, size_t limit, int (*cmp)(const void *, const void *),
                  ph_agg **out);
/* The same, in the order of keys[i] (rows[i]'s sort value, computed once
 * by the caller) descending, then cmp: a month's processes compared
 * millions of times need not recompute it. */
size_t ph_agg_top_keyed(ph_agg *rows, size_t n, const int64_t *keys, size_t limit,
                        int (*cmp)(const void *, const void *), ph_agg **out);

/* Memory value of a row: footprint when the platform has it, else resident. */
int64_t ph_mem_of(const ph_values *v);

/* The top processes of each window of `width` over (since, until]
 * (multiples of width; the report's points longer than a minute): fn gets
 * each window (b, b + width] in order, res->procs holding its processes
 * ranked by CPU (cpu_user_ns + cpu_system_ns, their `have` bits set as
 * measured), then memory peak, both descending: the first `limit`, and any
 * more tied with the last of them on both (the caller breaks ties, by
 * name). A process with neither CPU nor memory above 0 is left out. Each
 * has proc, pid, name, app, the CPU counters and mem_peak exactly as
 * ph_query_window_metrics gives them for that window alone (`top --by
 * process`); nothing else of the window is set but res->win.since/until
 * and res->seg. A run of windows one rollup tier holds whole (the tier
 * ph_query_rollup_app_buckets reads) is one pass over that tier's process
 * rows (src/db/bucket_top.c); the others are asked one by one. 0, or -1
 * with err. */
int ph_query_rollup_proc_top(ph_store *s, int64_t since, int64_t until, int64_t width, size_t limit,
                             int (*fn)(void *ctx, int64_t bucket, ph_result *res), void *ctx, char *err,
                             size_t errlen);

#endif
