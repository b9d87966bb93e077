/* prochist top: the apps or processes that used the most of a metric in a window. */
#include "ph_at.h"
#include "ph_cmd.h"
#include "ph_format.h"
#include "ph_platform.h"
#include "ph_qcmd.h"
#include "ph_db.h"
#include "ph_time.h"
#include "ph_util.h"

#include <cJSON.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct top_opts {
    ph_qopts q;
    const ph_qmetric *metric;
    const char *at;  /* --at TIME */
    int64_t at_ns;
    ph_at at_iv;     /* the interval holding it */
    int explain; /* --explain: the query plan to stderr */
} top_opts;

/* Sums over every process of the window, before any filter: the shares
 * the rows are a part of. */
typedef struct top_totals {
    int64_t est_nj; /* estimated energy */
    int64_t gpu_ns; /* GPU time */
} top_totals;

static int64_t sum_or(const ph_agg *a, enum ph_metric m, int64_t dflt)
{
    return ph_agg_get(a, m, dflt);
}

static int64_t child_cpu_ns(const ph_agg *a)
{
    if (!(a->have & (PH_BIT(PH_M_CHILD_CPU_USER_NS) | PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS))))
        return -1;
    return sum_or(a, PH_M_CHILD_CPU_USER_NS, 0) + sum_or(a, PH_M_CHILD_CPU_SYSTEM_NS, 0);
}

/* "Most alive at once": the most processes of the group alive at any one
 * sample (at least 1 for a group that had a process, even one only its
 * exit record saw). Not the distinct processes of `apps`. */
static int most_alive(const ph_agg *a)
{
    int n = a->procs_max;
    return n > 0 ? n : a->nprocs > 0 ? 1 : 0;
}

/* children: --children, CPU includes reaped children. */
static int64_t cpu_ns(const ph_agg *a, int children)
{
    return ph_qmetric_value(ph_qmetric_find("cpu"), a, children);
}

/* The sort value of a row (ph_query_window_top's rank). */
static int64_t top_rank(const ph_agg *a, void *ctx)
{
    const top_opts *o = ctx;
    return ph_qmetric_value(o->metric, a, o->q.children);
}

/* Rows of the same sort value (ph_agg_top_keyed orders by it first). */
static int cmp_agg(const void *x, const void *y)
{
    const ph_agg *a = x, *b = y;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    if (a->pid != b->pid)
        return (a->pid > b->pid) - (a->pid < b->pid);
    return (a->proc > b->proc) - (a->proc < b->proc); /* a pid reused under the same name */
}

/* The sort metric, when it is not one of the columns always shown. */
static int extra_metric(const top_opts *o)
{
    static const char *const base[] = {"cpu", "mem", "disk", "energy", "wakeups"};
    for (size_t i = 0; i < PH_ARRAY_LEN(base); i++)
        if (strcmp(o->metric->name, base[i]) == 0)
            return 0;
    return 1;
}

static double cpu_pct(const ph_agg *a, int children, const ph_window *w)
{
    int64_t c = cpu_ns(a, children);
    return (c < 0 || w->covered_ns <= 0) ? -1 : (double)c * 100.0 / (double)w->covered_ns;
}

/* The sum of metric m over the window: its apps' (or groups') sums, which
 * hold every process's, whichever rows answered each part. */
static int64_t window_total(const ph_result *r, enum ph_metric m)
{
    int64_t t = 0;
    for (size_t i = 0; i < r->napps; i++)
        t += ph_agg_get(&r->apps[i], m, 0);
    if (r->rest) /* the processes ph_query_window_top left out */
        t += ph_agg_get(r->rest, m, 0);
    return t;
}

static double sys_gpu_busy(const ph_window *w)
{
    return w->gpu_busy_ns >= 0 && w->gpu_covered_ns > 0 ? 100.0 * (double)w->gpu_busy_ns / (double)w->gpu_covered_ns
                                                        : -1;
}

static double row_gpu_pct(const ph_agg *a, int64_t gpu_total, const ph_window *w)
{
    return ph_gpu_pct(sum_or(a, PH_M_GPU_NS, -1), gpu_total, sys_gpu_busy(w), w->covered_ns);
}

static int want_gpu(const top_opts *o)
{
    return strcmp(o->metric->name, "gpu") == 0;
}

/* The metrics the columns below read (and the sort metric's): a month's
 * processes each hold room for these only. */
static ph_mask top_need(const top_opts *o)
{
    ph_mask m = o->metric->need;
    static const char *const shown[] = {"cpu", "disk", "energy", "wakeups", "gpu"};
    for (size_t i = 0; i < PH_ARRAY_LEN(shown); i++)
        m |= ph_qmetric_find(shown[i])->need;
    return m | PH_BIT(PH_M_CHILD_CPU_USER_NS) | PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS);
}

/* The columns, once, for the table, the JSON rows and the CSV. */
enum {
    C_NAME, C_PID, C_APP, C_UID, C_KEY, C_CID, C_ALIVE, C_CPU, C_KIDS, C_PCT, C_MEM, C_RD, C_WR,
    C_ENERGY, C_EST, C_WAKE, C_EXTRA, C_GPU, NC
};
static const ph_col top_cols[NC] = {
    [C_NAME] = {"name", NULL, PH_K_STR, 0}, /* head: ph_by_heads[--by] */
    [C_PID] = {"pid", "PID", PH_K_INT, 0},
    [C_APP] = {"app", NULL, PH_K_STR, 0},
    [C_UID] = {"uid", NULL, PH_K_INT, 0},
    [C_KEY] = {NULL, NULL, PH_K_STR, 0},
    [C_CID] = {NULL, NULL, PH_K_STR, 0},
    [C_ALIVE] = {"most_alive_at_once", "MAX ALIVE", PH_K_INT, 0},
    [C_CPU] = {"cpu_s", "CPU", PH_K_NS, 0},
    [C_KIDS] = {"children_cpu_s", NULL, PH_K_NS, 0},
    [C_PCT] = {"cpu_pct", "CPU%", PH_K_PCT, 0},
    [C_MEM] = {"mem_peak_bytes", "MEM PEAK", PH_K_BYTES, 0},
    [C_RD] = {"disk_read_bytes", "DISK READ", PH_K_BYTES, 0},
    [C_WR] = {"disk_write_bytes", "DISK WRITE", PH_K_BYTES, 0},
    [C_ENERGY] = {"energy_j", "ENERGY", PH_K_NJ, PH_COL_SPARSE},
    [C_EST] = {"energy_est_j", "ENERGY (EST)", PH_K_NJ, PH_COL_SPARSE},
    [C_WAKE] = {"wakeups", "WAKEUPS", PH_K_COUNT, PH_COL_SPARSE},
    [C_EXTRA] = {NULL, NULL, PH_K_COUNT, 0}, /* the sort metric, when not one of the above */
    [C_GPU] = {"gpu_pct", "GPU%", PH_K_PCT, 0},
};

/* The grid of rows, its columns in cols (NC). */
static void top_grid(const top_opts *o, const ph_result *r, const top_totals *tot, ph_agg *rows, size_t n,
                     ph_col *cols, ph_grid *g)
{
    static const enum ph_ckind kind[] = {[PH_UNIT_NS] = PH_K_NS, [PH_UNIT_BYTES] = PH_K_BYTES,
                                         [PH_UNIT_NJ] = PH_K_NJ, [PH_UNIT_COUNT] = PH_K_COUNT};
    int byp = o->q.by == PH_BY_PROCESS, measured = 0;
    memcpy(cols, top_cols, sizeof top_cols);
    cols[C_NAME].head = ph_by_heads[o->q.by];
    if (byp)
        cols[C_ALIVE].key = cols[C_ALIVE].head = NULL;
    else
        cols[C_PID].key = cols[C_PID].head = cols[C_APP].key = NULL;
    if (o->q.by != PH_BY_USER)
        cols[C_UID].key = NULL;
    ph_qcols_key(&o->q, &cols[C_KEY], &cols[C_CID]);
    for (size_t i = 0; i < n; i++)
        measured |= (rows[i].have & PH_BIT(PH_M_ENERGY_NJ)) != 0;
    if (strcmp(o->metric->name, "energy") == 0 && !measured) /* asked for: shown, if only as '-' */
        cols[C_EST].flags = 0;
    if (strcmp(o->metric->name, "wakeups") == 0)
        cols[C_WAKE].flags = 0;
    if (extra_metric(o))
        cols[C_EXTRA] = (ph_col){o->metric->json, o->metric->head, kind[o->metric->unit], 0};
    if (!want_gpu(o))
        cols[C_GPU].key = cols[C_GPU].head = NULL;
    ph_grid_init(g, cols, NC);
    for (size_t i = 0; i < n; i++) {
        const ph_agg *a = &rows[i];
        ph_cell *c = ph_grid_row(g);
        ph_cell_str(&c[C_NAME], a->name);
        ph_cell_int(&c[C_PID], a->pid);
        ph_cell_str(&c[C_APP], a->app);
        ph_cell_int(&c[C_UID], a->uid);
        ph_qcells_key(&o->q, &c[C_KEY], &c[C_CID], a);
        ph_cell_int(&c[C_ALIVE], most_alive(a));
        ph_cell_val(&c[C_CPU], cpu_ns(a, o->q.children));
        ph_cell_val(&c[C_KIDS], child_cpu_ns(a));
        ph_cell_dbl(&c[C_PCT], cpu_pct(a, o->q.children, &r->win));
        ph_cell_val(&c[C_MEM], a->mem_peak);
        ph_cell_val(&c[C_RD], sum_or(a, PH_M_DISK_READ_BYTES, -1));
        ph_cell_val(&c[C_WR], sum_or(a, PH_M_DISK_WRITE_BYTES, -1));
        ph_cell_val(&c[C_ENERGY], sum_or(a, PH_M_ENERGY_NJ, -1));
        ph_cell_val(&c[C_EST], sum_or(a, PH_M_ENERGY_EST_NJ, -1));
        ph_cell_val(&c[C_WAKE], sum_or(a, PH_M_WAKEUPS, -1));
        ph_cell_val(&c[C_EXTRA], ph_qmetric_value(o->metric, a, 0));
        ph_cell_dbl(&c[C_GPU], row_gpu_pct(a, tot->gpu_ns, &r->win));
    }
}

/* The system's energy in the window: the package's, else the platform's. */
static int64_t system_nj(const ph_result *r)
{
    return r->win.energy_nj[PH_PWR_PACKAGE] >= 0 ? r->win.energy_nj[PH_PWR_PACKAGE] : r->win.energy_nj[PH_PWR_PSYS];
}

static int emit_json(const top_opts *o, const ph_result *r, const top_totals *tot, const ph_grid *g)
{
    char ts[40];
    cJSON *root = cJSON_CreateObject();
    ph_time_iso_utc(r->win.since, ts, sizeof ts);
    cJSON_AddStringToObject(root, "since", ts);
    ph_time_iso_utc(r->win.until, ts, sizeof ts);
    cJSON_AddStringToObject(root, "until", ts);
    cJSON_AddStringToObject(root, "metric", o->metric->name);
    cJSON_AddStringToObject(root, "by", ph_by_names[o->q.by]);
    cJSON_AddBoolToObject(root, "cpu_includes_children", o->q.children);
    cJSON_AddNumberToObject(root, "samples", (double)r->win.samples);
    cJSON_AddNumberToObject(root, "covered_s", (double)r->win.covered_ns / 1e9);
    cJSON_AddNumberToObject(root, "procs_denied", (double)r->win.procs_denied);
    if (o->at) { /* --at: the moment asked, and the interval that holds it */
        ph_time_iso_utc(o->at_ns, ts, sizeof ts);
        cJSON_AddStringToObject(root, "at", ts);
        cJSON_AddStringToObject(root, "at_tier", ph_tier_name(o->at_iv.tier));
    }
    ph_qjson_common(&o->q, root);
    cJSON *tiers = cJSON_AddArrayToObject(root, "tiers");
    for (size_t i = 0; i < r->nseg; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "tier", ph_tier_name(r->seg[i].tier));
        ph_time_iso_utc(r->seg[i].since, ts, sizeof ts);
        cJSON_AddStringToObject(t, "since", ts);
        ph_time_iso_utc(r->seg[i].until, ts, sizeof ts);
        cJSON_AddStringToObject(t, "until", ts);
        cJSON_AddItemToArray(tiers, t);
    }
    /* The system's energy, and what no process row accounts for. */
    int64_t sys = system_nj(r);
    ph_json_num(root, "system_energy_j", sys, 1e9);
    ph_json_num(root, "unattributed_energy_j", sys >= 0 ? sys - tot->est_nj : -1, 1e9);
    if (want_gpu(o)) {
        double b = sys_gpu_busy(&r->win);
        if (b >= 0)
            cJSON_AddNumberToObject(root, "gpu_busy_pct", b);
        else
            cJSON_AddNullToObject(root, "gpu_busy_pct");
        cJSON_AddStringToObject(root, "gpu_pct_is", b >= 0 ? "share of GPU time x system busy %"
                                                           : "GPU engine time / wall time");
    }
    ph_grid_json(g, cJSON_AddArrayToObject(root, "rows"));
    return ph_json_print(root);
}

static int emit_table(const top_opts *o, const ph_result *r, const top_totals *tot, const ph_grid *g)
{
    ph_table t;
    int shown[NC];
    ph_grid_table(g, &t, o->q.utc, shown);
    char a[40], b[40];
    ph_time_display(r->win.since, o->q.utc, a, sizeof a);
    ph_time_display(r->win.until, o->q.utc, b, sizeof b);
    if (o->at) {
        char at[40];
        ph_time_display(o->at_ns, o->q.utc, at, sizeof at);
        printf("at %s: the %s %s to %s holding it, %lld samples, sorted by %s%s\n", at,
               o->at_iv.tier == PH_TIER_RAW      ? "sample interval"
               : o->at_iv.tier == PH_TIER_MINUTE ? "minute bucket"
                                                 : "hour bucket",
               a,
               b, (long long)r->win.samples, o->metric->name, o->q.children ? " (with children)" : "");
    } else {
        printf("%s to %s, %lld samples, sorted by %s%s\n", a, b, (long long)r->win.samples, o->metric->name,
               o->q.children ? " (with children)" : "");
    }
    int64_t sys = system_nj(r);
    int ecol = shown[C_EST] >= 0 ? shown[C_EST] : shown[C_ENERGY];
    if (ecol >= 0 && sys >= 0) {
        /* The rest of the package energy: idle, and what no sample saw. */
        char un[48];
        const char **cells = ph_xcalloc(t.ncols + 1, sizeof *cells);
        ph_fmt_energy(sys > tot->est_nj ? sys - tot->est_nj : 0, un, sizeof un);
        for (size_t j = 0; j < t.ncols; j++)
            cells[j] = "";
        cells[0] = "(unattributed)";
        cells[ecol] = un;
        ph_table_add(&t, cells);
        free(cells);
    }
    ph_table_print(&t, stdout, ph_use_colour(stdout));
    ph_table_free(&t);
    return ferror(stdout) ? -1 : 0;
}

/* meta.recorder_privileged of the newest recorder: 1, 0, or -1 (a database
 * of a recorder that did not say). */
static int meta_privileged(ph_store *s)
{
    char v[8];
    if (ph_meta_get_text(s, PH_META_RECORDER_PRIVILEGED, v, sizeof v) != 1)
        return -1;
    return strcmp(v, "1") == 0 ? 1 : 0;
}

/* Partial coverage is said, not hidden, with the reason that holds: the
 * recorder says whether it was privileged (meta_privileged). denied: the
 * window's most processes a sample partly unreadable. */
static void note_partial(int64_t denied, int privileged)
{
    const char *why = privileged == 1
                          ? "the recorder was privileged: the kernel refuses some processes even to "
                            "root (e.g. those of another user namespace)"
                      : privileged == 0 ? "the recorder was unprivileged: it sees other users' processes "
                                          "only in part; run it as root to see all"
                                        : "an unprivileged recorder sees other users' processes only in part";
    if (denied == 1)
        ph_err("note: coverage was partial: a process was partly unreadable (permission denied); %s", why);
    else if (denied > 1)
        ph_err("note: coverage was partial: up to %lld processes a sample were partly unreadable "
               "(permission denied); %s",
               (long long)denied, why);
}

#define METRIC(name, id, help) {name, 0, id, NULL, help, NULL, "metric"}
static const ph_opt top_opts_decl[] = {
    METRIC("cpu", 2000, "sort by CPU time (the default)"),
    METRIC("mem", 2001, "sort by peak memory (footprint, else resident) in the window"),
    METRIC("disk", 2002, "sort by bytes read + written to storage"),
    METRIC("energy", 2003, "sort by energy (where the platform measures it)"),
    METRIC("wakeups", 2004, "sort by wakeups (where the platform counts them)"),
    METRIC("instructions", 2005, "sort by instructions retired (where counted)"),
    METRIC("cycles", 2006, "sort by CPU cycles (where counted)"),
    METRIC("ctxsw", 2007, "sort by context switches"),
    METRIC("faults", 2008, "sort by page faults"),
    METRIC("syscalls", 2009, "sort by system calls (where counted)"),
    METRIC("gpu", 2010, "sort by GPU time; adds GPU% (JSON gpu_pct)"),
    PH_QO_SORT("the same by name: cpu, mem, disk, energy, wakeups, ..."),
    PH_QO_SINCE("1h"),
    PH_QO_UNTIL,
    {"at", 0, 2101, "WHEN",
     "what ran at one moment: the sample interval holding WHEN,\nfrom the finest tier that still has it (raw, "
     "else the\nminute or hour bucket; the header line and JSON at_tier\nsay which), e.g. --at 03:10",
     NULL, "end"},
    PH_QO_BY,
    PH_QO_NAME,
    PH_QO_CHILDREN("CPU includes reaped children (counted once)"),
    PH_QO_LIMIT("10"),
    PH_QO_FORMAT,
    PH_QO_UTC,
    PH_QO_DB,
    {"explain", 0, 2100, NULL,
     "print the query plan to stderr: each segment's tier, span,\ntable and index, and the rows it reads", NULL,
     NULL},
    PH_OPT_END,
};
#undef METRIC

/* --cpu, --mem, ... (the "metric" group above: each names a catalogue
 * metric), 2100 --explain, 2101 --at. One metric: a second, different one
 * would silently win, so it is refused. */
static int take_metric(void *ctx, int c, const char *arg)
{
    top_opts *o = ctx;
    const ph_qmetric **m = &o->metric;
    if (c == 2100)
        o->explain = 1;
    if (c == 2101) {
        o->at = arg;
        o->q.window_conflict = "--at and --since/--until conflict: --at is the one interval holding a moment";
    }
    const ph_opt *d = top_opts_decl;
    while (d->name && !(d->key == c && d->group && strcmp(d->group, "metric") == 0))
        d++;
    if (d->name) {
        const ph_qmetric *want = ph_qmetric_find(d->name);
        if (*m && *m != want) {
            ph_err("--%s and --%s conflict: give one metric", (*m)->name, want->name);
            return PH_EXIT_USAGE;
        }
        *m = want;
    }
    return 0;
}

static int top_exec(int argc, char **argv)
{
    top_opts o;
    int rc;
    char err[512] = "";
    ph_qopts_init(&o.q, NULL);
    o.metric = NULL;
    o.at = NULL;
    o.explain = 0;
    if ((rc = ph_qopts_parse(&o.q, &ph_cmd_top, argc, argv, take_metric, &o)) >= 0)
        return rc;
    if (o.at && ph_qtime("--at", o.at, ph_now_wall_ns(), o.q.utc, &o.at_ns))
        return PH_EXIT_USAGE;
    if (o.q.sort && o.metric && o.metric != ph_qmetric_find(o.q.sort)) {
        ph_err("--%s and --sort %s conflict: give one metric", o.metric->name, o.q.sort);
        return PH_EXIT_USAGE;
    }
    if (o.q.sort)
        o.metric = ph_qmetric_find(o.q.sort);
    if (!o.metric)
        o.metric = ph_qmetric_find("cpu");

    ph_store *store;
    if ((rc = ph_qopen(&o.q, &store)) != 0)
        return rc;
    if (o.at) { /* the window is the interval of the finest tier holding the moment */
        int arc = ph_query_at(store, o.at_ns, &o.at_iv, err, sizeof err);
        if (arc < 0) {
            ph_err("%s", err);
            ph_store_close(store);
            return PH_EXIT_FAIL;
        }
        if (arc == 0) {
            o.q.since_ns = o.at_iv.since;
            o.q.until_ns = o.at_iv.until;
        } else { /* nothing holds it: an empty answer about that moment */
            o.q.since_ns = o.at_ns - 1;
            o.q.until_ns = o.at_ns;
            o.at_iv.tier = PH_TIER_RAW;
            o.at_iv.since = o.q.since_ns;
            o.at_iv.until = o.q.until_ns;
        }
    }
    ph_result r;
    int qflags = 0;
    if (o.q.by == PH_BY_APP || o.q.by == PH_BY_USER || PH_BY_IS_CGROUP(o.q.by))
        qflags |= PH_Q_APPS_ONLY; /* app (and group) rows answer long windows fast, where they hold the metric */
    if (o.q.by == PH_BY_USER)
        qflags |= PH_Q_BY_USER;
    qflags = ph_qflags(&o.q, qflags);
    if (o.explain)
        ph_query_explain(store, o.q.since_ns, o.q.until_ns, top_need(&o), qflags, stderr);
    ph_mask rank_need = o.metric->need | (o.q.children ? PH_BIT(PH_M_CHILD_CPU_USER_NS) |
                                                                 PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS)
                                                           : 0);
    if (ph_qwindow_top(&o.q, store, o.q.since_ns, o.q.until_ns, top_need(&o), qflags, rank_need,
                       PH_BIT(PH_M_ENERGY_EST_NJ) | PH_BIT(PH_M_GPU_NS), top_rank, &o,
                       (size_t)o.q.limit, o.explain, &r) < 0) {
        ph_store_close(store);
        return PH_EXIT_FAIL;
    }
    int privileged = meta_privileged(store);
    /* With exit records every reaped child has a row of its own, so its
     * parent's child columns hold only what no record covered: --children
     * then adds little, and a user asking "what did my build take" should
     * know where the rest is. */
    char mode[64] = "";
    int exit_records = o.q.children && ph_meta_get_text(store, PH_META_EXIT_MODE, mode, sizeof mode) == 1 &&
                       strncmp(mode, "exit records", 12) == 0;
    ph_store_close(store);
    /* An empty answer (no samples, or --name matched nothing) is still a
     * whole JSON or CSV document, and exit status 1 (include/ph_qcmd.h). */
    int empty = 0;
    if (r.win.samples == 0) {
        if (o.at) {
            char at[40];
            ph_time_display(o.at_ns, o.q.utc, at, sizeof at);
            snprintf(o.q.note, sizeof o.q.note, "no tier of %s holds %s: not recorded, or pruned since", o.q.path,
                     at);
            ph_err("%s", o.q.note);
            empty = 1;
        } else {
            empty = ph_qno_data(&o.q, o.q.since_ns, o.q.until_ns) != 0;
        }
    }

    top_totals tot = {window_total(&r, PH_M_ENERGY_EST_NJ), window_total(&r, PH_M_GPU_NS)};

    ph_agg *all, *rows;
    size_t nall = ph_group(&o.q, &r, NULL, &all);
    if (empty)
        nall = 0; /* memory carried in from before the window is not a row of it */
    int64_t *keys = ph_xcalloc(nall + 1, sizeof *keys);
    for (size_t i = 0; i < nall; i++)
        keys[i] = top_rank(&all[i], &o);
    size_t n = ph_agg_top_keyed(all, nall, keys, (size_t)o.q.limit, cmp_agg, &rows);
    free(keys);
    if (!empty)
        empty = ph_qname_missed(&o.q, n);

    int have_metric = 0;
    for (size_t i = 0; i < n; i++)
        have_metric |= ph_qmetric_value(o.metric, &rows[i], o.q.children) >= 0;
    if (empty) /* the empty answer's note said it all: one line */
        ;
    else if (!have_metric && n && r.win.covered_ns <= 0)
        ph_err("note: no %s yet: this window holds only a first sample, which is a baseline; "
               "counters need the recorder's next sample", o.metric->name);
    else if (!have_metric && n)
        ph_err("note: no %s was recorded in this window: nothing used it, or the recording "
               "platform has no per-process source for it", o.metric->name);

    ph_col cols[NC];
    ph_grid g;
    top_grid(&o, &r, &tot, rows, n, cols, &g);
    if (o.q.fmt == PH_FMT_JSON)
        rc = emit_json(&o, &r, &tot, &g);
    else if (o.q.fmt == PH_FMT_CSV) {
        ph_grid_csv(&g, stdout);
        rc = ferror(stdout) ? -1 : 0;
    } else if (empty) /* the note said it */
        rc = 0;
    else {
        rc = emit_table(&o, &r, &tot, &g);
        note_partial(r.win.procs_denied, privileged);
        if (exit_records)
            ph_err("note: exit records were on: reaped children have rows of their own (see --by process), "
                   "so --children adds only what no record covered");
    }
    ph_grid_free(&g);
    free(rows);
    ph_result_free(&r);
    if (fflush(stdout) != 0 || rc < 0)
        return PH_EXIT_FAIL; /* main says why */
    return empty ? PH_EXIT_EMPTY : PH_EXIT_OK;
}


const ph_cmd ph_cmd_top = {
    "top",
    "",
    0,
    "Show the apps, processes, users or units that used the most in a time window.",
    top_opts_decl,
    "  MAX ALIVE (JSON most_alive_at_once): most processes of the group alive at one sample\n"
    "  CPU% (JSON cpu_pct): CPU time over the time the samples cover (JSON covered_s), in % of\n"
    "  one core: 200% is two cores busy; a window the recorder covered in part counts only that part\n",
    top_exec,
};
