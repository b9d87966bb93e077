/* prochist report: one self-contained HTML page of a window: charts over
 * time, top apps (or, --by, units, slices, containers, cgroups) per metric,
 * memory peaks, what changed. The numbers come
 * from the query engine (ph_query_window_metrics), the same calls `top` and
 * `show` make; src/report_html.c draws them. */
#include "ph_cmd.h"
#include "ph_qcmd.h"
#include "ph_db.h"
#include "ph_report.h"
#include "ph_time.h"
#include "ph_util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>


/* Point widths, finest first: the first that cuts the window into at most
 * MAX_POINTS is used. Multiples of the rollup widths from 1m up, so a
 * coarse tier answers whole buckets. */
#define MAX_POINTS 400
static const int64_t widths_s[] = {10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800,
                                   21600, 43200, 86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400};

static int64_t point_width(int64_t span)
{
    for (size_t i = 0; i < PH_ARRAY_LEN(widths_s); i++)
        if (span / (widths_s[i] * PH_NS_PER_SEC) < MAX_POINTS)
            return widths_s[i] * PH_NS_PER_SEC;
    int64_t w = 28 * 86400 * PH_NS_PER_SEC;
    while (span / w >= MAX_POINTS)
        w *= 2;
    return w;
}

static int64_t chart_value(enum ph_rep_chart c, const ph_agg *a)
{
    static const ph_qmetric *cpu, *energy;
    if (!cpu) {
        cpu = ph_qmetric_find("cpu");
        energy = ph_qmetric_find("energy");
    }
    switch (c) {
    case PH_REP_CPU: return ph_qmetric_value(cpu, a, 0);
    case PH_REP_MEM: return a->mem_peak;
    case PH_REP_READ: return ph_agg_get(a, PH_M_DISK_READ_BYTES, -1);
    case PH_REP_WRITE: return ph_agg_get(a, PH_M_DISK_WRITE_BYTES, -1);
    case PH_REP_ENERGY: return ph_qmetric_value(energy, a, 0);
    default: return -1;
    }
}

static int cmp_name(const void *x, const void *y)
{
    return strcmp(((const ph_rep_app *const *)x)[0]->name, ((const ph_rep_app *const *)y)[0]->name);
}

/* Apps by name, for matching the points' and the previous window's rows. */
typedef struct app_index {
    ph_rep_app **by_name;
    size_t n;
} app_index;

static ph_rep_app *find_app(const app_index *ix, const char *raw)
{
    ph_rep_app key, *kp = &key;
    ph_report_clean_name(raw, key.name, sizeof key.name);
    ph_rep_app **hit = bsearch(&kp, ix->by_name, ix->n, sizeof *ix->by_name, cmp_name);
    return hit ? *hit : NULL;
}

static void point_top(ph_rep_point *p, const ph_agg *list, size_t n, int procs);

/* One point's result into the series, the totals and the hover list. */
static void absorb(ph_report *r, const app_index *ix, int by_cg, size_t p, ph_result *b)
{
    ph_rep_point *pt = &r->pts[p];
    int64_t *tot = &r->total[p * PH_REP_NCHART];
    pt->samples = b->win.samples;
    pt->covered_ns = b->win.covered_ns;
    if (pt->samples <= 0)
        return;
    r->sys[p] = b->win.sys;
    /* Its groups (apps, or a cgroup key's groups, named as the page's). */
    const ph_agg *rows = b->apps;
    size_t nrows = b->napps;
    for (size_t i = 0; i < nrows; i++) {
        ph_rep_app *ra = find_app(ix, by_cg ? rows[i].name : rows[i].app);
        for (int c = 0; c < PH_REP_NCHART; c++) {
            int64_t v = chart_value(c, &rows[i]);
            if (v < 0)
                continue;
            tot[c] = (tot[c] < 0 ? 0 : tot[c]) + v;
            if (ra) {
                int64_t *s = &ra->series[p * PH_REP_NCHART + c];
                *s = (*s < 0 ? 0 : *s) + v;
            }
        }
    }
    if (r->procs_per_point && b->nprocs)
        point_top(pt, b->procs, b->nprocs, 1);
    else
        point_top(pt, b->apps, b->napps, 0);
}

typedef struct fill_ctx {
    ph_report *r;
    const app_index *ix;
    const ph_qopts *cg; /* a cgroup key's options; NULL: apps */
    int64_t from;
} fill_ctx;

static int fill_bucket(void *ctx, int64_t bucket, ph_result *res)
{
    fill_ctx *fc = ctx;
    size_t p = (size_t)((bucket - fc->from) / fc->r->width);
    if (fc->cg)
        ph_qname_groups(fc->cg, res);
    if (p < fc->r->npts)
        absorb(fc->r, fc->ix, fc->cg != NULL, p, res);
    return 0;
}

/* A point's top processes (ph_query_rollup_proc_top) into its hover: a
 * point without samples lists nothing, as absorb leaves it. */
static int fill_top(void *ctx, int64_t bucket, ph_result *res)
{
    fill_ctx *fc = ctx;
    size_t p = (size_t)((bucket - fc->from) / fc->r->width);
    if (p < fc->r->npts && fc->r->pts[p].samples > 0)
        point_top(&fc->r->pts[p], res->procs, res->nprocs, 1);
    return 0;
}

/* Where the raw tier starts (meta raw_pruned_to; INT64_MIN: never pruned). */
static int64_t raw_pruned_to(ph_store *store)
{
    int64_t v = INT64_MIN;
    if (ph_meta_get_int(store, PH_META_RAW_PRUNED_TO, &v) < 0)
        return INT64_MAX; /* unknown: take the safe path */
    return v;
}

static int cmp_app_cpu(const void *x, const void *y)
{
    const ph_rep_app *a = x, *b = y;
    if (a->total[PH_REP_CPU] != b->total[PH_REP_CPU])
        return a->total[PH_REP_CPU] < b->total[PH_REP_CPU] ? 1 : -1;
    return strcmp(a->name, b->name);
}

static int cmp_proc_cpu(const void *x, const void *y)
{
    const ph_rep_proc *a = x, *b = y;
    if (a->cpu_ns != b->cpu_ns)
        return a->cpu_ns < b->cpu_ns ? 1 : -1;
    if (a->mem != b->mem)
        return a->mem < b->mem ? 1 : -1;
    return strcmp(a->name, b->name);
}

/* The top processes (or apps) of a point by CPU, then memory. */
static void point_top(ph_rep_point *p, const ph_agg *list, size_t n, int procs)
{
    ph_rep_proc cand[PH_REP_HOVER + 1];
    int nc = 0;
    for (size_t i = 0; i < n; i++) {
        ph_rep_proc c;
        c.cpu_ns = chart_value(PH_REP_CPU, &list[i]);
        c.mem = list[i].mem_peak;
        if (c.cpu_ns <= 0 && c.mem <= 0)
            continue;
        if (nc == PH_REP_HOVER && cmp_proc_cpu(&c, &cand[nc - 1]) >= 0)
            continue; /* cheap reject before the name is cleaned */
        ph_report_clean_name(procs ? list[i].name : list[i].app, c.name, sizeof c.name);
        c.pid = procs ? list[i].pid : -1;
        int k = nc < PH_REP_HOVER ? nc++ : nc - 1;
        cand[k] = c;
        while (k > 0 && cmp_proc_cpu(&cand[k], &cand[k - 1]) < 0) {
            ph_rep_proc t = cand[k];
            cand[k] = cand[k - 1];
            cand[k - 1] = t;
            k--;
        }
    }
    memcpy(p->top, cand, (size_t)nc * sizeof *cand);
    p->ntop = nc;
}

/* The process that reached an app's memory peak. */
static void peak_who(ph_store *store, ph_rep_app *ra, int64_t proc)
{
    char name[1024]; /* as stored: cleaned below */
    int32_t pid;
    ra->peak_pid = -1;
    ra->peak_name[0] = '\0';
    if (proc > 0 && ph_db_process_who(store, proc, &pid, name, sizeof name)) {
        ra->peak_pid = pid;
        ph_report_clean_name(name, ra->peak_name, sizeof ra->peak_name);
    }
}

static void pick_bands(ph_report *r)
{
    int next_colour = 0;
    for (int c = 0; c < PH_REP_NCHART; c++) {
        /* The largest totals of the chart over the window, ties by CPU order. */
        int nb = 0;
        for (int k = 0; k < PH_REP_BANDS; k++) {
            int best = -1;
            for (size_t i = 0; i < r->napps; i++) {
                int taken = 0;
                for (int j = 0; j < nb; j++)
                    taken |= r->band[c][j] == (int)i;
                if (!taken && r->apps[i].total[c] > 0 && (best < 0 || r->apps[i].total[c] > r->apps[best].total[c]))
                    best = (int)i;
            }
            r->band[c][k] = best;
            if (best >= 0)
                nb++;
        }
        /* One colour per app across every chart, given in page order. */
        for (int k = 0; k < nb; k++)
            if (r->apps[r->band[c][k]].colour < 0)
                r->apps[r->band[c][k]].colour = next_colour++;
    }
}

static void report_free(ph_report *r)
{
    for (size_t i = 0; i < r->napps; i++)
        free(r->apps[i].series);
    free(r->apps);
    free(r->pts);
    free(r->total);
    free(r->sys);
}

/* Fill the report from the store: 0, or -1 with err. */
static int build(ph_store *store, const ph_qopts *o, ph_report *r, char *err, size_t errlen)
{
    ph_result w;
    ph_mask need = ph_qmetric_need();
    int by_cg = PH_BY_IS_CGROUP(o->by);
    /* The whole window exactly as `top` asks it, so the totals are its. */
    if (ph_query_window_metrics(store, o->since_ns, o->until_ns, need, ph_qflags(o, PH_Q_APPS_ONLY), &w, err,
                                errlen) < 0)
        return -1;
    ph_qname_groups(o, &w);
    r->win = w.win;
    r->nseg = w.nseg;
    memcpy(r->seg, w.seg, sizeof w.seg);
    r->napps = w.napps;
    r->apps = ph_xcalloc(w.napps + 1, sizeof *r->apps);
    for (size_t i = 0; i < w.napps; i++) {
        ph_rep_app *ra = &r->apps[i];
        const ph_agg *a = &w.apps[i];
        ph_report_clean_name(by_cg ? a->name : a->app, ra->name, sizeof ra->name);
        ra->procs = a->procs_max ? a->procs_max : a->nprocs;
        for (int c = 0; c < PH_REP_NCHART; c++) {
            ra->total[c] = chart_value(c, a);
            ra->prev[c] = -1;
        }
        ra->mem_peak_ns = a->mem_peak_ns;
        peak_who(store, ra, a->mem_peak_proc);
        ra->colour = -1;
    }
    /* The energy chart is the per-process estimate where the system's
     * energy was measured and no process's was (src/db/store.c). */
    int estimated_energy = 0;
    for (int d = 0; d < PH_PWR_DOMAINS; d++)
        estimated_energy |= w.win.sys.energy_nj[d] >= 0;
    for (size_t i = 0; i < w.napps && estimated_energy; i++)
        if (w.apps[i].have & PH_BIT(PH_M_ENERGY_NJ))
            estimated_energy = 0;
    ph_result_free(&w);
    qsort(r->apps, r->napps, sizeof *r->apps, cmp_app_cpu);
    /* Two raw names may clean to one: the later ones then fall into "other". */
    app_index ix = {ph_xcalloc(r->napps + 1, sizeof *ix.by_name), r->napps};
    for (size_t i = 0; i < r->napps; i++)
        ix.by_name[i] = &r->apps[i];
    qsort(ix.by_name, ix.n, sizeof *ix.by_name, cmp_name);
    int rc = 0;

    int64_t from = o->since_ns - ((o->since_ns % r->width) + r->width) % r->width;
    r->npts = (size_t)((o->until_ns - from + r->width - 1) / r->width);
    r->pts = ph_xcalloc(r->npts + 1, sizeof *r->pts);
    r->total = ph_xmalloc((r->npts + 1) * PH_REP_NCHART * sizeof *r->total);
    for (size_t i = 0; i < r->napps; i++) {
        r->apps[i].series = ph_xmalloc((r->npts + 1) * PH_REP_NCHART * sizeof(int64_t));
        for (size_t k = 0; k < r->npts * PH_REP_NCHART; k++)
            r->apps[i].series[k] = -1;
    }
    /* Per-process queries while a point is short enough to be cheap;
     * longer points' charts are answered from the rollups' app rows, their
     * hover lists from the process rows (both below). */
    r->procs_per_point = r->width <= 60 * PH_NS_PER_SEC;
    for (size_t p = 0; p < r->npts; p++) {
        ph_rep_point *pt = &r->pts[p];
        pt->t0 = from + (int64_t)p * r->width;
        pt->t1 = pt->t0 + r->width;
        if (pt->t0 < o->since_ns)
            pt->t0 = o->since_ns;
        if (pt->t1 > o->until_ns)
            pt->t1 = o->until_ns;
        for (int c = 0; c < PH_REP_NCHART; c++)
            r->total[p * PH_REP_NCHART + c] = -1;
    }
    r->sys = ph_xmalloc((r->npts + 1) * sizeof *r->sys);
    for (size_t p = 0; p < r->npts; p++)
        ph_sys_unknown(&r->sys[p]);
    fill_ctx fc = {r, &ix, by_cg ? o : NULL, from};
    size_t p0 = 0, p1 = r->npts; /* [p0, p1): whole points, answered by one pass */
    if (o->since_ns != from)
        p0 = 1; /* the first point is clipped by the window */
    if (o->until_ns != from + (int64_t)r->npts * r->width)
        p1 = r->npts - 1; /* and the last */
    int64_t pa = from + (int64_t)p0 * r->width, pb = from + (int64_t)p1 * r->width;
    int64_t pruned = raw_pruned_to(store);
    int raw_there = pruned < pa - ph_tier_keyframe_ns(PH_TIER_RAW);
    /* Points longer than a minute: one pass over the coarsest
     * rollup tier holding each run of them (the hour rows for a month of
     * 2-hour points, the minute rows for a day of 5-minute points), whose
     * app figures are those of a query of each point; instead of a query
     * per point, or a replay of every raw row of a day (4x the CPU on
     * the busy generated history, docs/performance.md). Except where the
     * energy chart is the per-process estimate (system energy measured,
     * none per process), which app rows do not hold: there raw rows
     * answer, as below. */
    int rollup_pass = p1 > p0 && !r->procs_per_point && !(estimated_energy && raw_there) &&
                      (!by_cg || r->width % (3600 * PH_NS_PER_SEC) == 0); /* group rows are hours */
    if (rollup_pass &&
        ph_query_rollup_app_buckets(store, pa, pb, r->width, need, ph_qflags(o, 0), fill_bucket, &fc, err, errlen) < 0) {
        if (!err[0])
            snprintf(err, errlen, "cannot read the rollups");
        rc = -1;
    }
    /* Their hover: the top processes of each, from one pass over the same
     * tier's process rows (the app rows name none), each process with the
     * CPU and memory peak a query of the point alone gives it; the clipped
     * points at the ends are asked per process below, as short points are. */
    if (rollup_pass && rc == 0) {
        if (ph_query_rollup_proc_top(store, pa, pb, r->width, PH_REP_HOVER, fill_top, &fc, err, errlen) < 0) {
            if (!err[0])
                snprintf(err, errlen, "cannot read the rollups");
            rc = -1;
        }
        r->procs_per_point = 1;
    }
    /* Whole points inside the raw tier's horizon otherwise: one pass over
     * the raw rows (ph_query_raw_buckets gives each bucket what a query of
     * it would), instead of a query per point, each reading back to a
     * keyframe. */
    int one_pass = !rollup_pass && p1 > p0 && raw_there;
    if (one_pass)
        r->procs_per_point = 1; /* raw rows name the processes anyway */
    if (one_pass && rc == 0 &&
        ph_query_raw_buckets_metrics(store, pa, pb, r->width, need, ph_qflags(o, 0), fill_bucket, &fc, err,
                                     errlen) < 0) {
        if (!err[0])
            snprintf(err, errlen, "cannot read the raw samples");
        rc = -1;
    }
    for (size_t p = 0; p < r->npts && rc == 0; p++) {
        if ((one_pass || rollup_pass) && p >= p0 && p < p1)
            continue;
        ph_result b;
        /* Grouped by a cgroup key, each point as `top --by KEY` groups it
         * (the hour tier's group rows answer points over a minute). */
        if (ph_query_window_metrics(store, r->pts[p].t0, r->pts[p].t1, need,
                                    ph_qflags(o, r->procs_per_point ? 0 : PH_Q_APPS_ONLY), &b, err, errlen) < 0) {
            rc = -1;
            break;
        }
        ph_qname_groups(o, &b);
        absorb(r, &ix, by_cg, p, &b);
        ph_result_free(&b);
    }

    /* The previous window of the same length, for "what changed". */
    int64_t span = o->until_ns - o->since_ns;
    int prc = rc == 0 ? ph_query_window_metrics(store, o->since_ns - span, o->since_ns, need,
                                                ph_qflags(o, PH_Q_APPS_ONLY), &w, err, errlen)
                      : -1;
    if (prc == 0)
        ph_qname_groups(o, &w);
    if (prc == 0) {
        r->prev_samples = w.win.samples;
        r->have_prev = w.win.samples > 0;
        for (size_t i = 0; i < w.napps && r->have_prev; i++) {
            ph_rep_app *ra = find_app(&ix, by_cg ? w.apps[i].name : w.apps[i].app);
            if (ra)
                for (int c = 0; c < PH_REP_NCHART; c++)
                    ra->prev[c] = chart_value(c, &w.apps[i]);
        }
        ph_result_free(&w);
    } else if (rc == 0) {
        rc = -1;
    }
    free(ix.by_name);
    if (rc < 0)
        return -1;
    for (int c = 0; c < PH_REP_NCHART; c++)
        for (size_t p = 0; p < r->npts; p++)
            r->has[c] |= r->total[p * PH_REP_NCHART + c] > 0;
    for (size_t p = 0; p < r->npts; p++) {
        const ph_sys *sv = &r->sys[p];
        for (int d = 0; d < PH_PWR_DOMAINS; d++)
            r->has_domain[d] |= sv->energy_nj[d] >= 0;
        r->has_gpu_busy |= sv->gpu_busy_ns >= 0 && sv->gpu_covered_ns > 0;
    }
    pick_bands(r);
    return 0;
}

static int take_output(void *ctx, int c, const char *arg)
{
    if (c == 'o')
        *(const char **)ctx = arg;
    return 0;
}

static int report_exec(int argc, char **argv)
{
    ph_qopts o;
    const char *out = "-";
    int rc;
    ph_qopts_init(&o, NULL);
    if ((rc = ph_qopts_parse(&o, &ph_cmd_report, argc, argv, take_output, &out)) >= 0)
        return rc;
    if (!*out) {
        ph_err("-o needs a file name (or - for standard output)");
        return PH_EXIT_USAGE;
    }
    if (o.by == PH_BY_PROCESS || o.by == PH_BY_USER) {
        ph_err("report groups by app, unit, slice, container or cgroup, not %s", ph_by_names[o.by]);
        return PH_EXIT_USAGE;
    }

    ph_store *store;
    if ((rc = ph_qopen(&o, &store)) != 0)
        return rc;
    ph_report r;
    memset(&r, 0, sizeof r);
    char err[512] = "";
    r.since = o.since_ns;
    r.until = o.until_ns;
    r.utc = o.utc;
    r.key = PH_BY_IS_CGROUP(o.by) ? ph_by_names[o.by] : NULL;
    r.generated = ph_now_wall_ns();
    r.width = point_width(o.until_ns - o.since_ns);
    if (gethostname(r.host, sizeof r.host - 1) != 0)
        snprintf(r.host, sizeof r.host, "unknown");
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(r.os, sizeof r.os, "%s %s %s", u.sysname, u.release, u.machine);
    if (build(store, &o, &r, err, sizeof err) < 0) {
        ph_err("%s", err);
        report_free(&r);
        ph_store_close(store);
        return PH_EXIT_FAIL;
    }
    ph_store_close(store);

    /* A file appears whole or not at all: written beside, then renamed.
     * What is there and is not a file (/dev/null, /dev/stdout, a FIFO) is
     * written into, as a shell redirection would: renamed over, it would
     * be replaced by a file (run as root, /dev/null itself). */
    char tmp[PH_PATH_MAX + 16];
    FILE *f = stdout;
    int to_file = strcmp(out, "-") != 0, direct = 0;
    struct stat sb;
    if (to_file && stat(out, &sb) == 0 && !S_ISREG(sb.st_mode)) {
        if (S_ISDIR(sb.st_mode)) {
            ph_err("cannot write %s: it is a directory", out);
            report_free(&r);
            return PH_EXIT_FAIL;
        }
        direct = 1;
    }
    if (to_file) {
        if (!direct && ph_fmt(tmp, sizeof tmp, "%s.tmp%ld", out, (long)getpid()) < 0) {
            ph_err("output path too long: %s", out);
            report_free(&r);
            return PH_EXIT_USAGE;
        }
        int fd = direct ? open(out, O_WRONLY | O_NOCTTY | O_CLOEXEC)
                        : open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || !(f = fdopen(fd, "w"))) {
            ph_err("cannot write %s: %s", out, strerror(errno));
            if (fd >= 0)
                close(fd);
            report_free(&r);
            return PH_EXIT_FAIL;
        }
    }
    int werr = ph_report_write_html(f, &r) < 0;
    werr |= fflush(f) != 0 || ferror(f);
    if (to_file) {
        werr |= fclose(f) != 0;
        if (!direct && !werr && rename(tmp, out) != 0)
            werr = 1;
        if (!direct && werr)
            unlink(tmp);
    }
    report_free(&r);
    if (werr && !to_file)
        return PH_EXIT_FAIL; /* standard output: main says why */
    if (werr) {
        ph_err("cannot write %s: %s", out, strerror(errno));
        return PH_EXIT_FAIL;
    }
    /* The page says there was nothing; the status says it too, as `top` does. */
    if (r.win.samples == 0)
        return ph_qno_data(&o, o.since_ns, o.until_ns);
    return PH_EXIT_OK;
}

static const ph_opt report_opts[] = {
    PH_QO_SINCE("1d"),
    PH_QO_UNTIL,
    {"by", 0, PH_QOPT_BY, "KEY",
     "what the charts and tables group by: app, or (Linux) the\nsystemd unit, slice, container or cgroup path "
     "(no cgroup\nrecorded: '-')", "app", NULL},
    {"output", 'o', 'o', "FILE", "write the page to FILE (default: standard output)", NULL, NULL},
    PH_QO_UTC,
    PH_QO_DB,
    PH_OPT_END,
};

const ph_cmd ph_cmd_report = {
    "report",
    "",
    0,
    "Write one self-contained HTML page of a window: charts, top apps, peaks.",
    report_opts,
    "  The page needs no network. With no samples in the window it still writes a\n"
    "  page saying so, and exits 1.\n"
    "  With --by unit|slice|container|cgroup the bands and tables are those groups,\n"
    "  with the totals of 'top --by KEY' ('prochist report --by unit -o units.html').\n",
    report_exec,
};
