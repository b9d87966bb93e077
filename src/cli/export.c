/* Prometheus / OpenMetrics exposition of app (or unit, slice, container)
 * totals (include/ph_export.h). */
#include "ph_export.h"
#include "ph_cgroup.h"
#include "ph_db.h"
#include "ph_system_series.h"
#include "ph_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct app_row {
    char *app;   /* the label value: an app, or a unit, slice, container */
    double v[8]; /* cpu s, read B, written B, energy J, wakeups, memory peak B,
                    estimated energy J, GPU s */
    int has[8];
} app_row;

/* Family names are prochist_<what>_<name>; "%s" in help is "app", "unit",
 * "slice" or "container". */
static const struct {
    const char *name, *type, *unit, *help;
} fam[8] = {
    {"cpu_seconds", "counter", "seconds", "CPU time (user + system) of the %s's processes since recording began."},
    {"disk_read_bytes", "counter", "bytes", "Bytes the %s's processes read from storage since recording began."},
    {"disk_written_bytes", "counter", "bytes", "Bytes the %s's processes wrote to storage since recording began."},
    {"energy_joules", "counter", "joules", "Energy the platform measured for the %s's processes since recording began."},
    {"wakeups", "counter", "", "Wakeups of the %s's processes since recording began."},
    {"memory_peak_bytes", "gauge", "bytes", "Largest memory (footprint, else resident) of the %s's processes at one moment in the last window."},
    {"energy_estimated_joules", "counter", "joules", "Energy estimated for the %s's processes (the package energy by CPU share: not measured per process) since recording began."},
    {"gpu_seconds", "counter", "seconds", "GPU engine busy time of the %s's processes since recording began."},
};

void ph_export_label(ph_buf *b, const char *value)
{
    char *v = ph_xstrdup(value);
    ph_utf8_sanitize(v);
    for (const char *p = v; *p; p++) {
        if (*p == '\\')
            ph_buf_puts(b, "\\\\");
        else if (*p == '"')
            ph_buf_puts(b, "\\\"");
        else if (*p == '\n')
            ph_buf_puts(b, "\\n");
        else if (ph_ctrl_len(p)) {
            /* The text format escapes only \\, \" and \n: any other control
             * character (ESC, U+009B, ...) would reach whoever reads it. */
            ph_buf_puts(b, "?");
            p += ph_ctrl_len(p) - 1;
        } else
            ph_buf_append(b, p, 1);
    }
    free(v);
}

static int fam_k;

static int cmp_fam(const void *x, const void *y)
{
    const app_row *a = x, *b = y;
    if (a->v[fam_k] != b->v[fam_k])
        return a->v[fam_k] < b->v[fam_k] ? 1 : -1;
    return strcmp(a->app, b->app);
}

static void number(ph_buf *b, double v, int integer)
{
    if (integer)
        ph_buf_printf(b, "%.0f", v);
    else
        ph_buf_printf(b, "%.9f", v);
}

static void family(ph_buf *b, const ph_export_opts *o, const char *what, int k, app_row *rows, size_t n)
{
    size_t have = 0;
    for (size_t i = 0; i < n; i++)
        have += rows[i].has[k];
    if (!have)
        return;
    char name[96], help[256];
    snprintf(name, sizeof name, "prochist_%s_%s", what, fam[k].name);
    snprintf(help, sizeof help, fam[k].help, what);
    const char *sfx = (!o->openmetrics && strcmp(fam[k].type, "counter") == 0) ? "_total" : "";
    ph_buf_printf(b, "# HELP %s%s %s\n# TYPE %s%s %s\n", name, sfx, help, name, sfx, fam[k].type);
    if (o->openmetrics && fam[k].unit[0])
        ph_buf_printf(b, "# UNIT %s %s\n", name, fam[k].unit);
    fam_k = k;
    qsort(rows, n, sizeof *rows, cmp_fam);
    const char *sample_sfx = strcmp(fam[k].type, "counter") == 0 ? "_total" : "";
    double other = 0;
    int others = 0, shown = 0, integer = k == 1 || k == 2 || k == 4 || k == 5;
    for (size_t i = 0; i < n; i++) {
        if (!rows[i].has[k])
            continue;
        if (shown >= o->top) {
            if (k == 5) { /* a peak of others: their largest */
                if (rows[i].v[k] > other)
                    other = rows[i].v[k];
            } else {
                other += rows[i].v[k];
            }
            others = 1;
            continue;
        }
        ph_buf_printf(b, "%s%s{%s=\"", name, sample_sfx, what);
        ph_export_label(b, rows[i].app);
        ph_buf_puts(b, "\"} ");
        number(b, rows[i].v[k], integer);
        ph_buf_puts(b, "\n");
        shown++;
    }
    if (others) {
        ph_buf_printf(b, "%s%s{%s=\"other\"} ", name, sample_sfx, what);
        number(b, other, integer);
        ph_buf_puts(b, "\n");
    }
}

static void gauge(ph_buf *b, const ph_export_opts *o, const char *name, const char *type, const char *help,
                  double v, int integer)
{
    const char *sfx = (!o->openmetrics && strcmp(type, "counter") == 0) ? "_total" : "";
    ph_buf_printf(b, "# HELP %s%s %s\n# TYPE %s%s %s\n%s%s ", name, sfx, help, name, sfx, type, name,
                  strcmp(type, "counter") == 0 ? "_total" : "");
    number(b, v, integer);
    ph_buf_puts(b, "\n");
}

/* Build, system energy per power domain (over the retained history: the
 * tiers' sums), the GPU over the last window, the recorder's own CPU. */
static int system_series(ph_buf *b, const ph_export_opts *o, ph_store *s, char *err, size_t errlen)
{
    static const char *const domain[PH_PWR_DOMAINS] = {"package", "core", "uncore", "dram", "psys", "gpu", "ane"};
    ph_sys_totals all, last;
    if (ph_sys_totals_window(s, 0, o->now_ns, &all, err, errlen) < 0 ||
        ph_sys_totals_window(s, o->now_ns - o->mem_window_ns, o->now_ns, &last, err, errlen) < 0)
        return -1;
    ph_buf_printf(b, "# HELP prochist_build_info prochist's version and platform (always 1).\n"
                     "# TYPE prochist_build_info gauge\nprochist_build_info{version=\"%s\",platform=\"%s\"} 1\n",
                  PH_VERSION, ph_platform_name());
    int any = 0;
    for (int d = 0; d < PH_PWR_DOMAINS; d++)
        any |= all.sys.energy_nj[d] >= 0;
    if (any) {
        const char *sfx = o->openmetrics ? "" : "_total";
        ph_buf_printf(b, "# HELP prochist_system_energy_joules%s Energy each power domain used while recorded "
                         "(domains overlap: core is part of package), over the retained history.\n"
                         "# TYPE prochist_system_energy_joules%s counter\n", sfx, sfx);
        if (o->openmetrics)
            ph_buf_puts(b, "# UNIT prochist_system_energy_joules joules\n");
        for (int d = 0; d < PH_PWR_DOMAINS; d++)
            if (all.sys.energy_nj[d] >= 0)
                ph_buf_printf(b, "prochist_system_energy_joules_total{domain=\"%s\"} %.9f\n", domain[d],
                              (double)all.sys.energy_nj[d] / 1e9);
    }
    if (last.sys.gpu_covered_ns > 0 && last.sys.gpu_busy_ns >= 0)
        gauge(b, o, "prochist_system_gpu_busy_ratio", "gauge", "Share of the last window the GPU was busy (0-1).",
              (double)last.sys.gpu_busy_ns / (double)last.sys.gpu_covered_ns, 0);
    if (last.sys.gpu_covered_ns > 0 && last.sys.gpu_mcycles >= 0)
        gauge(b, o, "prochist_system_gpu_clock_hertz", "gauge", "Average GPU core clock over the last window.",
              (double)last.sys.gpu_mcycles * 1e15 / (double)last.sys.gpu_covered_ns, 0);
    gauge(b, o, "prochist_recorder_cpu_seconds", "counter",
          "CPU the recorder itself used while recording, over the retained history.",
          (double)all.recorder_cpu_ns / 1e9, 0);
    return 0;
}

static int cmp_label(const void *x, const void *y)
{
    const ph_cgroup_total *a = x, *b = y;
    return strcmp(a->label, b->label);
}

/* Units, slices or containers: their totals (cgroup_total, counted as
 * minutes are rolled up), CPU and storage. Several container ids may share
 * a short id: the label is the short one, their values summed (sorted by
 * label first: a host that ran many containers has many rows). */
static int cgroup_rows(ph_store *s, const char *what, app_row **rows, size_t *n, char *err, size_t errlen)
{
    ph_cgroup_total *t;
    size_t nt;
    *rows = NULL;
    *n = 0;
    if (ph_db_cgroup_totals(s, what, &t, &nt, err, errlen) < 0)
        return -1;
    if (nt > 1)
        qsort(t, nt, sizeof *t, cmp_label);
    *rows = ph_xcalloc(nt ? nt : 1, sizeof **rows);
    for (size_t i = 0; i < nt; i++) {
        if (*n == 0 || strcmp((*rows)[*n - 1].app, t[i].label) != 0) {
            app_row *r = &(*rows)[(*n)++];
            r->app = ph_xstrdup(t[i].label);
            r->has[0] = r->has[1] = r->has[2] = 1;
        }
        app_row *r = &(*rows)[*n - 1];
        r->v[0] += (double)t[i].cpu_ns / 1e9;
        r->v[1] += (double)t[i].disk_read_bytes;
        r->v[2] += (double)t[i].disk_write_bytes;
    }
    ph_db_cgroup_totals_free(t, nt);
    return 0;
}

int ph_export(ph_store *s, const ph_export_opts *o, ph_buf *out, char *err, size_t errlen)
{
    return ph_export_by(s, o, NULL, out, err, errlen);
}

int ph_export_by(ph_store *s, const ph_export_opts *o, const char *by, ph_buf *out, char *err, size_t errlen)
{
    app_row *rows = NULL;
    size_t n = 0, cap = 0;
    int rc = -1;
    if (by && strcmp(by, "app") != 0) {
        if (cgroup_rows(s, by, &rows, &n, err, errlen) < 0)
            return -1;
        for (int k = 0; k < 3; k++)
            family(out, o, by, k, rows, n);
        goto system;
    }
    ph_app_total *tot;
    size_t ntot;
    if (ph_db_app_totals(s, &tot, &ntot, err, errlen) < 0)
        return -1;
    /* Families a database does not have (schema 11: no estimated energy
     * or GPU totals yet) read as not measured and are left out. */
    for (size_t i = 0; i < ntot; i++) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            rows = ph_xrealloc(rows, cap * sizeof *rows);
        }
        ph_app_total *t = &tot[i];
        app_row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        r->app = t->app;
        t->app = NULL;
        r->v[0] = (double)t->cpu_ns / 1e9;
        r->v[1] = (double)t->disk_read_bytes;
        r->v[2] = (double)t->disk_write_bytes;
        r->has[0] = r->has[1] = r->has[2] = 1;
        const int64_t opt[] = {t->energy_nj, t->wakeups, t->energy_est_nj, t->gpu_ns};
        const int slot[] = {3, 4, 6, 7};
        const double scale[] = {1e9, 1, 1e9, 1e9};
        for (int k = 0; k < 4; k++)
            if (opt[k] >= 0) {
                r->v[slot[k]] = (double)opt[k] / scale[k];
                r->has[slot[k]] = 1;
            }
    }
    ph_db_app_totals_free(tot, ntot);

    /* Memory peaks of the last window, by app. */
    ph_result res;
    if (ph_query_window_metrics(s, o->now_ns - o->mem_window_ns, o->now_ns, 0, PH_Q_APPS_ONLY, &res, err,
                                errlen) == 0) {
        for (size_t i = 0; i < res.napps; i++) {
            if (res.apps[i].mem_peak < 0)
                continue;
            size_t j;
            for (j = 0; j < n && strcmp(rows[j].app, res.apps[i].app) != 0; j++)
                ;
            if (j == n) {
                if (n == cap) {
                    cap = cap ? cap * 2 : 64;
                    rows = ph_xrealloc(rows, cap * sizeof *rows);
                }
                memset(&rows[n], 0, sizeof rows[n]);
                rows[n++].app = ph_xstrdup(res.apps[i].app);
            }
            rows[j].v[5] = (double)res.apps[i].mem_peak;
            rows[j].has[5] = 1;
        }
        ph_result_free(&res);
    } else {
        goto out;
    }
    for (int k = 0; k < 8; k++)
        family(out, o, "app", k, rows, n);

system:
    if (system_series(out, o, s, err, errlen) < 0)
        goto out;
    /* The recorder's own health. */
    ph_db_health h;
    ph_db_health_read(s, &h);
    int64_t samples = h.samples_total, last = h.last_ts, procs = h.last_procs, denied = h.last_denied;
    struct stat sb;
    double size = (o->db_path && stat(o->db_path, &sb) == 0) ? (double)sb.st_size : 0;
    gauge(out, o, "prochist_recorder_samples", "counter", "Samples the recorder has written.", (double)samples, 1);
    gauge(out, o, "prochist_recorder_last_sample_timestamp_seconds", "gauge",
          "Wall-clock time of the newest sample.", (double)last / 1e9, 0);
    gauge(out, o, "prochist_recorder_processes", "gauge", "Processes read in the newest sample.", (double)procs, 1);
    gauge(out, o, "prochist_recorder_processes_unreadable", "gauge",
          "Processes in the newest sample with some source refused (permission).", (double)denied, 1);
    gauge(out, o, "prochist_database_bytes", "gauge", "Size of the database file.", size, 1);
    if (o->openmetrics)
        ph_buf_puts(out, "# EOF\n");
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(rows[i].app);
    free(rows);
    return rc;
}
