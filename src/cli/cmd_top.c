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

static int with_children; /* --children: CPU includes reaped children */

static int64_t sum_or(const ph_agg *a, enum ph_metric m, int64_t dflt)
{
    return (a->have & PH_BIT(m)) ? a->val[m] : dflt;
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

static int64_t cpu_ns(const ph_agg *a)
{
    return ph_qmetric_value(ph_qmetric_find("cpu"), a, with_children);
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

static double cpu_pct(const ph_agg *a, const ph_window *w)
{
    int64_t c = cpu_ns(a);
    return (c < 0 || w->covered_ns <= 0) ? -1 : (double)c * 100.0 / (double)w->covered_ns;
}

static int64_t est_total; /* estimated energy over every process of the window */
static int64_t gpu_total; /* GPU time of every process of the window */

static double sys_gpu_busy(const ph_window *w)
{
    return w->gpu_busy_ns >= 0 && w->gpu_covered_ns > 0 ? 100.0 * (double)w->gpu_busy_ns / (double)w->gpu_covered_ns
                                                        : -1;
}

static double row_gpu_pct(const ph_agg *a, const ph_window *w)
{
    return ph_gpu_pct(sum_or(a, PH_M_GPU_NS, -1), gpu_total, sys_gpu_busy(w), w->covered_ns);
}

static int want_gpu(const top_opts *o)
{
    return strcmp(o->metric->name, "gpu") == 0;
}

static int emit_json(const top_opts *o, const ph_result *r, ph_agg *rows, size_t n)
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
    int64_t sys = r->win.energy_nj[PH_PWR_PACKAGE] >= 0 ? r->win.energy_nj[PH_PWR_PACKAGE]
                                                        : r->win.energy_nj[PH_PWR_PSYS];
    ph_json_num(root, "system_energy_j", sys, 1e9);
    ph_json_num(root, "unattributed_energy_j", sys >= 0 ? sys - est_total : -1, 1e9);
    if (want_gpu(o)) {
        double b = sys_gpu_busy(&r->win);
        if (b >= 0)
            cJSON_AddNumberToObject(root, "gpu_busy_pct", b);
        else
            cJSON_AddNullToObject(root, "gpu_busy_pct");
        cJSON_AddStringToObject(root, "gpu_pct_is", b >= 0 ? "share of GPU time x system busy %"
                                                           : "GPU engine time / wall time");
    }
    cJSON *arr = cJSON_AddArrayToObject(root, "rows");
    for (size_t i = 0; i < n; i++) {
        const ph_agg *a = &rows[i];
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "name", a->name);
        if (o->q.by == PH_BY_PROCESS) {
            cJSON_AddNumberToObject(row, "pid", a->pid);
            cJSON_AddStringToObject(row, "app", a->app);
        } else {
            if (o->q.by == PH_BY_USER)
                cJSON_AddNumberToObject(row, "uid", (double)a->uid);
            ph_qjson_key(&o->q, row, a);
            cJSON_AddNumberToObject(row, "most_alive_at_once", most_alive(a));
        }
        ph_json_num(row, "cpu_s", cpu_ns(a), 1e9);
        ph_json_num(row, "children_cpu_s", child_cpu_ns(a), 1e9);
        double pct = cpu_pct(a, &r->win);
        if (pct < 0)
            cJSON_AddNullToObject(row, "cpu_pct");
        else
            cJSON_AddNumberToObject(row, "cpu_pct", pct);
        ph_json_num(row, "mem_peak_bytes", a->mem_peak, 1);
        ph_json_num(row, "disk_read_bytes", sum_or(a, PH_M_DISK_READ_BYTES, -1), 1);
        ph_json_num(row, "disk_write_bytes", sum_or(a, PH_M_DISK_WRITE_BYTES, -1), 1);
        ph_json_num(row, "energy_j", sum_or(a, PH_M_ENERGY_NJ, -1), 1e9);
        ph_json_num(row, "energy_est_j", sum_or(a, PH_M_ENERGY_EST_NJ, -1), 1e9);
        ph_json_num(row, "wakeups", sum_or(a, PH_M_WAKEUPS, -1), 1);
        if (extra_metric(o))
            ph_json_num(row, o->metric->json, ph_qmetric_value(o->metric, a, 0), o->metric->scale);
        if (want_gpu(o)) {
            double g = row_gpu_pct(a, &r->win);
            if (g >= 0)
                cJSON_AddNumberToObject(row, "gpu_pct", g);
            else
                cJSON_AddNullToObject(row, "gpu_pct");
        }
        cJSON_AddItemToArray(arr, row);
    }
    return ph_json_print(root);
}

static void csv_num(int64_t v, double scale)
{
    if (v < 0)
        fputs(",", stdout);
    else if (scale == 1)
        printf(",%lld", (long long)v);
    else
        printf(",%.9g", (double)v / scale);
}

/* The columns of the JSON rows, in their order: one set of names for both. */
static int emit_csv(const top_opts *o, const ph_result *r, ph_agg *rows, size_t n)
{
    int byp = o->q.by == PH_BY_PROCESS, byu = o->q.by == PH_BY_USER, byc = o->q.by == PH_BY_CONTAINER;
    printf("name,%s%s%scpu_s,children_cpu_s,cpu_pct,mem_peak_bytes,disk_read_bytes,disk_write_bytes,energy_j,"
           "energy_est_j,wakeups%s%s%s\n",
           byp ? "pid,app," : "", byc ? "container_id," : "",
           byu ? "uid,most_alive_at_once," : byp ? "" : "most_alive_at_once,", extra_metric(o) ? "," : "", extra_metric(o) ? o->metric->json : "", want_gpu(o) ? ",gpu_pct" : "");
    for (size_t i = 0; i < n; i++) {
        const ph_agg *a = &rows[i];
        ph_csv_field(stdout, a->name);
        if (byp) {
            printf(",%d,", a->pid);
            ph_csv_field(stdout, a->app);
        } else {
            if (byc) {
                fputc(',', stdout);
                ph_csv_field(stdout, a->app);
            }
            if (byu)
                printf(",%lld", (long long)a->uid);
            printf(",%d", most_alive(a));
        }
        csv_num(cpu_ns(a), 1e9);
        csv_num(child_cpu_ns(a), 1e9);
        double pct = cpu_pct(a, &r->win);
        if (pct < 0)
            fputs(",", stdout);
        else
            printf(",%.3f", pct);
        csv_num(a->mem_peak, 1);
        csv_num(sum_or(a, PH_M_DISK_READ_BYTES, -1), 1);
        csv_num(sum_or(a, PH_M_DISK_WRITE_BYTES, -1), 1);
        csv_num(sum_or(a, PH_M_ENERGY_NJ, -1), 1e9);
        csv_num(sum_or(a, PH_M_ENERGY_EST_NJ, -1), 1e9);
        csv_num(sum_or(a, PH_M_WAKEUPS, -1), 1);
        if (extra_metric(o))
            csv_num(ph_qmetric_value(o->metric, a, 0), o->metric->scale);
        if (want_gpu(o)) {
            double g = row_gpu_pct(a, &r->win);
            if (g < 0)
                fputs(",", stdout);
            else
                printf(",%.3f", g);
        }
        putchar('\n');
    }
    return ferror(stdout) ? -1 : 0;
}

static int emit_table(const top_opts *o, const ph_result *r, ph_agg *rows, size_t n)
{
    int has_energy = 0, has_wakeups = 0, measured = 0;
    const ph_qmetric *energy = ph_qmetric_find("energy");
    for (size_t i = 0; i < n; i++) {
        has_energy |= (rows[i].have & (PH_BIT(PH_M_ENERGY_NJ) | PH_BIT(PH_M_ENERGY_EST_NJ))) != 0;
        measured |= (rows[i].have & PH_BIT(PH_M_ENERGY_NJ)) != 0;
        has_wakeups |= (rows[i].have & PH_BIT(PH_M_WAKEUPS)) != 0;
    }
    const char *heads[12];
    int right[12];
    size_t nc = 0;
    int by_process = o->q.by == PH_BY_PROCESS;
    int want_energy = strcmp(o->metric->name, "energy") == 0, want_wakeups = strcmp(o->metric->name, "wakeups") == 0;
    heads[nc] = ph_by_heads[o->q.by], right[nc++] = 0;
    heads[nc] = by_process ? "PID" : "MAX ALIVE", right[nc++] = 1;
    heads[nc] = "CPU", right[nc++] = 1;
    heads[nc] = "CPU%", right[nc++] = 1;
    heads[nc] = "MEM PEAK", right[nc++] = 1;
    heads[nc] = "DISK READ", right[nc++] = 1;
    heads[nc] = "DISK WRITE", right[nc++] = 1;
    if (has_energy || want_energy)
        heads[nc] = measured ? "ENERGY" : "ENERGY (EST)", right[nc++] = 1;
    if (has_wakeups || want_wakeups)
        heads[nc] = "WAKEUPS", right[nc++] = 1;
    if (extra_metric(o))
        heads[nc] = o->metric->head, right[nc++] = 1;
    if (want_gpu(o))
        heads[nc] = "GPU%", right[nc++] = 1;

    ph_table t;
    ph_table_init(&t, nc, heads, right);
    for (size_t i = 0; i < n; i++) {
        const ph_agg *a = &rows[i];
        char c[12][48];
        const char *cells[12];
        size_t k = 0;
        snprintf(c[k], sizeof c[k], "%s", a->name), k++;
        snprintf(c[k], sizeof c[k], "%d", by_process ? a->pid : most_alive(a)), k++;
        ph_fmt_duration(cpu_ns(a), c[k], sizeof c[k]), k++;
        double pct = cpu_pct(a, &r->win);
        if (pct < 0)
            snprintf(c[k], sizeof c[k], "-");
        else
            snprintf(c[k], sizeof c[k], "%.1f%%", pct);
        k++;
        ph_fmt_bytes(a->mem_peak, c[k], sizeof c[k]), k++;
        ph_fmt_bytes(sum_or(a, PH_M_DISK_READ_BYTES, -1), c[k], sizeof c[k]), k++;
        ph_fmt_bytes(sum_or(a, PH_M_DISK_WRITE_BYTES, -1), c[k], sizeof c[k]), k++;
        if (has_energy || want_energy)
            ph_fmt_energy(ph_qmetric_value(energy, a, 0), c[k], sizeof c[k]), k++;
        if (has_wakeups || want_wakeups)
            ph_fmt_count(sum_or(a, PH_M_WAKEUPS, -1), c[k], sizeof c[k]), k++;
        if (extra_metric(o))
            ph_fmt_unit(o->metric->unit, ph_qmetric_value(o->metric, a, 0), c[k], sizeof c[k]), k++;
        if (want_gpu(o)) {
            double g = row_gpu_pct(a, &r->win);
            if (g < 0)
                snprintf(c[k], sizeof c[k], "-");
            else
                snprintf(c[k], sizeof c[k], "%.1f%%", g);
            k++;
        }
        for (size_t j = 0; j < k; j++)
            cells[j] = c[j];
        ph_table_add(&t, cells);
    }
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
    int64_t sys = r->win.energy_nj[PH_PWR_PACKAGE] >= 0 ? r->win.energy_nj[PH_PWR_PACKAGE]
                                                        : r->win.energy_nj[PH_PWR_PSYS];
    if ((has_energy || want_energy) && sys >= 0) {
        /* The rest of the package energy: idle, and what no sample saw. */
        char un[48];
        const char *cells[12];
        ph_fmt_energy(sys > est_total ? sys - est_total : 0, un, sizeof un);
        for (size_t j = 0; j < nc; j++)
            cells[j] = "";
        cells[0] = "(unattributed)";
        cells[nc - 1 - (has_wakeups || want_wakeups) - extra_metric(o) - want_gpu(o)] = un;
        ph_table_add(&t, cells);
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
    if (c == 2101)
        o->at = arg;
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
    if (o.at && o.q.window_given) {
        ph_err("--at and --since/--until conflict: --at is the one interval holding a moment");
        return PH_EXIT_USAGE;
    }
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
    with_children = o.q.children;
    int qflags = 0;
    if (o.q.by == PH_BY_APP && o.metric->app_rows && !o.q.children)
        qflags |= PH_Q_APPS_ONLY; /* app rows answer long windows fast */
    if (o.q.by == PH_BY_USER)
        qflags |= PH_Q_BY_USER;
    qflags = ph_qflags(&o.q, qflags);
    if (o.explain)
        ph_query_explain(store, o.q.since_ns, o.q.until_ns, qflags, stderr);
    if (ph_qwindow(&o.q, store, o.q.since_ns, o.q.until_ns, ph_qmetric_need(), qflags, &r) < 0) {
        ph_store_close(store);
        return PH_EXIT_FAIL;
    }
    int privileged = meta_privileged(store);
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

    /* Estimated energy of every process in the window, before any filter. */
    est_total = 0;
    for (size_t i = 0; i < r.nprocs; i++)
        if (r.procs[i].have & PH_BIT(PH_M_ENERGY_EST_NJ))
            est_total += r.procs[i].val[PH_M_ENERGY_EST_NJ];
    for (size_t i = 0; i < r.napps && !r.nprocs; i++)
        if (r.apps[i].have & PH_BIT(PH_M_ENERGY_EST_NJ))
            est_total += r.apps[i].val[PH_M_ENERGY_EST_NJ];
    gpu_total = 0;
    for (size_t i = 0; i < r.nprocs; i++)
        if (r.procs[i].have & PH_BIT(PH_M_GPU_NS))
            gpu_total += r.procs[i].val[PH_M_GPU_NS];
    for (size_t i = 0; i < r.napps && !r.nprocs; i++)
        if (r.apps[i].have & PH_BIT(PH_M_GPU_NS))
            gpu_total += r.apps[i].val[PH_M_GPU_NS];

    ph_agg *all, *rows;
    size_t nall = ph_group(&o.q, &r, NULL, &all);
    int64_t *keys = ph_xcalloc(nall + 1, sizeof *keys);
    for (size_t i = 0; i < nall; i++)
        keys[i] = ph_qmetric_value(o.metric, &all[i], with_children);
    size_t n = ph_agg_top_keyed(all, nall, keys, (size_t)o.q.limit, cmp_agg, &rows);
    free(keys);
    if (!empty)
        empty = ph_qname_missed(&o.q, n);

    int have_metric = 0;
    for (size_t i = 0; i < n; i++)
        have_metric |= ph_qmetric_value(o.metric, &rows[i], with_children) >= 0;
    if (empty) /* the empty answer's note said it all: one line */
        ;
    else if (!have_metric && n && r.win.covered_ns <= 0)
        ph_err("note: no %s yet: this window holds only a first sample, which is a baseline; "
               "counters need the recorder's next sample", o.metric->name);
    else if (!have_metric && n)
        ph_err("note: no %s was recorded in this window: nothing used it, or the recording "
               "platform has no per-process source for it", o.metric->name);

    if (o.q.fmt == PH_FMT_JSON)
        rc = emit_json(&o, &r, rows, n);
    else if (o.q.fmt == PH_FMT_CSV)
        rc = emit_csv(&o, &r, rows, n);
    else if (empty) /* the note said it */
        rc = 0;
    else {
        rc = emit_table(&o, &r, rows, n);
        /* Partial coverage is said, not hidden, with the reason that holds:
         * the recorder says whether it was privileged. */
        const char *why = privileged == 1
                              ? "the recorder was privileged: the kernel refuses some processes even to "
                                "root (e.g. those of another user namespace)"
                          : privileged == 0 ? "the recorder was unprivileged: it sees other users' processes "
                                              "only in part; run it as root to see all"
                                            : "an unprivileged recorder sees other users' processes only in part";
        if (r.win.procs_denied == 1)
            ph_err("note: coverage was partial: a process was partly unreadable (permission denied); %s", why);
        else if (r.win.procs_denied > 1)
            ph_err("note: coverage was partial: up to %lld processes a sample were partly unreadable "
                   "(permission denied); %s",
                   (long long)r.win.procs_denied, why);
    }
    free(rows);
    ph_result_free(&r);
    if (fflush(stdout) != 0 || rc < 0) {
        ph_err("cannot write the output");
        return PH_EXIT_FAIL;
    }
    return empty ? PH_EXIT_EMPTY : PH_EXIT_OK;
}


const ph_cmd ph_cmd_top = {
    "top",
    "",
    0,
    "Show the apps, processes, users or units that used the most in a time window.",
    top_opts_decl,
    "  MAX ALIVE (JSON most_alive_at_once): most processes of the group alive at one sample\n",
    top_exec,
};
