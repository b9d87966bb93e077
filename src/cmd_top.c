/* prochist top: the apps or processes that used the most of a metric in a window. */
#include "ph_cmd.h"
#include "ph_format.h"
#include "ph_platform.h"
#include "ph_query.h"
#include "ph_store.h"
#include "ph_time.h"
#include "ph_util.h"

#include <cJSON.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum metric { M_CPU, M_MEM, M_DISK, M_ENERGY, M_WAKEUPS };
static const char *const metric_names[] = {"cpu", "mem", "disk", "energy", "wakeups"};

enum fmt { F_TABLE, F_JSON, F_CSV };

typedef struct top_opts {
    const char *db, *since, *until, *name;
    enum metric metric;
    int by_process, utc, children;
    long limit;
    enum fmt fmt;
} top_opts;

static int64_t sum_or(const ph_agg *a, enum ph_metric m, int64_t dflt)
{
    return (a->have & PH_BIT(m)) ? a->val[m] : dflt;
}

static int with_children; /* --children: CPU includes reaped children */

static int64_t child_cpu_ns(const ph_agg *a)
{
    if (!(a->have & (PH_BIT(PH_M_CHILD_CPU_USER_NS) | PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS))))
        return -1;
    return sum_or(a, PH_M_CHILD_CPU_USER_NS, 0) + sum_or(a, PH_M_CHILD_CPU_SYSTEM_NS, 0);
}

static int64_t cpu_ns(const ph_agg *a)
{
    if (!(a->have & (PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS))))
        return -1;
    int64_t own = sum_or(a, PH_M_CPU_USER_NS, 0) + sum_or(a, PH_M_CPU_SYSTEM_NS, 0);
    int64_t kids = child_cpu_ns(a);
    return with_children && kids > 0 ? own + kids : own;
}

static int64_t disk_bytes(const ph_agg *a)
{
    if (!(a->have & (PH_BIT(PH_M_DISK_READ_BYTES) | PH_BIT(PH_M_DISK_WRITE_BYTES))))
        return -1;
    return sum_or(a, PH_M_DISK_READ_BYTES, 0) + sum_or(a, PH_M_DISK_WRITE_BYTES, 0);
}

static int64_t metric_value(const ph_agg *a, enum metric m)
{
    switch (m) {
    case M_CPU: return cpu_ns(a);
    case M_MEM: return a->mem_peak;
    case M_DISK: return disk_bytes(a);
    case M_ENERGY: return sum_or(a, PH_M_ENERGY_NJ, -1);
    case M_WAKEUPS: return sum_or(a, PH_M_WAKEUPS, -1);
    }
    return -1;
}

static enum metric sort_metric;

static int cmp_agg(const void *x, const void *y)
{
    const ph_agg *a = x, *b = y;
    int64_t va = metric_value(a, sort_metric), vb = metric_value(b, sort_metric);
    if (va != vb)
        return va < vb ? 1 : -1;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    return (a->pid > b->pid) - (a->pid < b->pid);
}

static double cpu_pct(const ph_agg *a, const ph_window *w)
{
    int64_t c = cpu_ns(a);
    return (c < 0 || w->covered_ns <= 0) ? -1 : (double)c * 100.0 / (double)w->covered_ns;
}

static void json_num_or_null(cJSON *o, const char *k, int64_t v, double scale)
{
    if (v < 0)
        cJSON_AddNullToObject(o, k);
    else
        cJSON_AddNumberToObject(o, k, (double)v / scale);
}

static int emit_json(const top_opts *o, const ph_result *r, ph_agg *rows, size_t n)
{
    char ts[40];
    cJSON *root = cJSON_CreateObject();
    ph_time_iso_utc(r->win.since, ts, sizeof ts);
    cJSON_AddStringToObject(root, "since", ts);
    ph_time_iso_utc(r->win.until, ts, sizeof ts);
    cJSON_AddStringToObject(root, "until", ts);
    cJSON_AddStringToObject(root, "metric", metric_names[o->metric]);
    cJSON_AddStringToObject(root, "by", o->by_process ? "process" : "app");
    cJSON_AddBoolToObject(root, "cpu_includes_children", o->children);
    cJSON_AddNumberToObject(root, "samples", (double)r->win.samples);
    cJSON_AddNumberToObject(root, "covered_s", (double)r->win.covered_ns / 1e9);
    cJSON_AddNumberToObject(root, "procs_denied", (double)r->win.procs_denied);
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
    cJSON *arr = cJSON_AddArrayToObject(root, "rows");
    for (size_t i = 0; i < n; i++) {
        const ph_agg *a = &rows[i];
        cJSON *row = cJSON_CreateObject();
        cJSON_AddStringToObject(row, "name", a->name);
        if (o->by_process) {
            cJSON_AddNumberToObject(row, "pid", a->pid);
            cJSON_AddStringToObject(row, "app", a->app);
        } else {
            cJSON_AddNumberToObject(row, "processes", a->nprocs);
        }
        json_num_or_null(row, "cpu_s", cpu_ns(a), 1e9);
        json_num_or_null(row, "children_cpu_s", child_cpu_ns(a), 1e9);
        double pct = cpu_pct(a, &r->win);
        if (pct < 0)
            cJSON_AddNullToObject(row, "cpu_pct");
        else
            cJSON_AddNumberToObject(row, "cpu_pct", pct);
        json_num_or_null(row, "mem_peak_bytes", a->mem_peak, 1);
        json_num_or_null(row, "disk_read_bytes", sum_or(a, PH_M_DISK_READ_BYTES, -1), 1);
        json_num_or_null(row, "disk_write_bytes", sum_or(a, PH_M_DISK_WRITE_BYTES, -1), 1);
        json_num_or_null(row, "energy_j", sum_or(a, PH_M_ENERGY_NJ, -1), 1e9);
        json_num_or_null(row, "wakeups", sum_or(a, PH_M_WAKEUPS, -1), 1);
        cJSON_AddItemToArray(arr, row);
    }
    char *text = cJSON_Print(root);
    int rc = text && printf("%s\n", text) >= 0 ? 0 : -1;
    cJSON_free(text);
    cJSON_Delete(root);
    return rc;
}

static void csv_field(const char *s)
{
    if (strpbrk(s, ",\"\n\r")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
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

static int emit_csv(const top_opts *o, const ph_result *r, ph_agg *rows, size_t n)
{
    printf("name,%s,cpu_s,cpu_pct,mem_peak_bytes,disk_read_bytes,disk_write_bytes,energy_j,wakeups\n",
           o->by_process ? "pid" : "processes");
    for (size_t i = 0; i < n; i++) {
        const ph_agg *a = &rows[i];
        csv_field(a->name);
        printf(",%d", o->by_process ? a->pid : a->nprocs);
        csv_num(cpu_ns(a), 1e9);
        double pct = cpu_pct(a, &r->win);
        if (pct < 0)
            fputs(",", stdout);
        else
            printf(",%.3f", pct);
        csv_num(a->mem_peak, 1);
        csv_num(sum_or(a, PH_M_DISK_READ_BYTES, -1), 1);
        csv_num(sum_or(a, PH_M_DISK_WRITE_BYTES, -1), 1);
        csv_num(sum_or(a, PH_M_ENERGY_NJ, -1), 1e9);
        csv_num(sum_or(a, PH_M_WAKEUPS, -1), 1);
        putchar('\n');
    }
    return ferror(stdout) ? -1 : 0;
}

static int emit_table(const top_opts *o, const ph_result *r, ph_agg *rows, size_t n)
{
    int has_energy = 0, has_wakeups = 0;
    for (size_t i = 0; i < n; i++) {
        has_energy |= (rows[i].have & PH_BIT(PH_M_ENERGY_NJ)) != 0;
        has_wakeups |= (rows[i].have & PH_BIT(PH_M_WAKEUPS)) != 0;
    }
    const char *heads[10];
    int right[10];
    size_t nc = 0;
    heads[nc] = o->by_process ? "PROCESS" : "APP", right[nc++] = 0;
    heads[nc] = o->by_process ? "PID" : "PROCS", right[nc++] = 1;
    heads[nc] = "CPU", right[nc++] = 1;
    heads[nc] = "CPU%", right[nc++] = 1;
    heads[nc] = "MEM PEAK", right[nc++] = 1;
    heads[nc] = "DISK READ", right[nc++] = 1;
    heads[nc] = "DISK WRITE", right[nc++] = 1;
    if (has_energy || o->metric == M_ENERGY)
        heads[nc] = "ENERGY", right[nc++] = 1;
    if (has_wakeups || o->metric == M_WAKEUPS)
        heads[nc] = "WAKEUPS", right[nc++] = 1;

    ph_table t;
    ph_table_init(&t, nc, heads, right);
    for (size_t i = 0; i < n; i++) {
        const ph_agg *a = &rows[i];
        char c[10][48];
        const char *cells[10];
        size_t k = 0;
        snprintf(c[k], sizeof c[k], "%s", a->name), k++;
        snprintf(c[k], sizeof c[k], "%d", o->by_process ? a->pid : a->nprocs), k++;
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
        if (has_energy || o->metric == M_ENERGY)
            ph_fmt_energy(sum_or(a, PH_M_ENERGY_NJ, -1), c[k], sizeof c[k]), k++;
        if (has_wakeups || o->metric == M_WAKEUPS)
            ph_fmt_count(sum_or(a, PH_M_WAKEUPS, -1), c[k], sizeof c[k]), k++;
        for (size_t j = 0; j < k; j++)
            cells[j] = c[j];
        ph_table_add(&t, cells);
    }
    char a[40], b[40];
    ph_time_display(r->win.since, o->utc, a, sizeof a);
    ph_time_display(r->win.until, o->utc, b, sizeof b);
    printf("%s to %s, %lld samples, sorted by %s\n", a, b, (long long)r->win.samples,
           metric_names[o->metric]);
    ph_table_print(&t, stdout, ph_use_colour(stdout));
    ph_table_free(&t);
    return ferror(stdout) ? -1 : 0;
}

static int parse_args(int argc, char **argv, top_opts *o)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'},
        {"cpu", no_argument, NULL, 'C'},
        {"mem", no_argument, NULL, 'M'},
        {"disk", no_argument, NULL, 'D'},
        {"energy", no_argument, NULL, 'E'},
        {"wakeups", no_argument, NULL, 'W'},
        {"by", required_argument, NULL, 'b'},
        {"limit", required_argument, NULL, 'n'},
        {"format", required_argument, NULL, 'f'},
        {"name", required_argument, NULL, 'N'},
        {"utc", no_argument, NULL, 'U'},
        {"children", no_argument, NULL, 'K'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    char *end;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":n:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o->db = optarg; break;
        case 's': o->since = optarg; break;
        case 'u': o->until = optarg; break;
        case 'C': o->metric = M_CPU; break;
        case 'M': o->metric = M_MEM; break;
        case 'D': o->metric = M_DISK; break;
        case 'E': o->metric = M_ENERGY; break;
        case 'W': o->metric = M_WAKEUPS; break;
        case 'U': o->utc = 1; break;
        case 'K': o->children = 1; break;
        case 'N': o->name = optarg; break;
        case 'b':
            if (strcmp(optarg, "app") == 0)
                o->by_process = 0;
            else if (strcmp(optarg, "process") == 0)
                o->by_process = 1;
            else {
                ph_err("bad --by '%s': use app or process", optarg);
                return -1;
            }
            break;
        case 'n':
            o->limit = strtol(optarg, &end, 10);
            if (end == optarg || *end || o->limit < 1) {
                ph_err("bad --limit '%s': give a whole number, 1 or more", optarg);
                return -1;
            }
            break;
        case 'f':
            if (strcmp(optarg, "table") == 0)
                o->fmt = F_TABLE;
            else if (strcmp(optarg, "json") == 0)
                o->fmt = F_JSON;
            else if (strcmp(optarg, "csv") == 0)
                o->fmt = F_CSV;
            else {
                ph_err("bad --format '%s': use table, json or csv", optarg);
                return -1;
            }
            break;
        case 'h': ph_cmd_print_help(&ph_cmd_top, 0); return 1;
        case ':':
            ph_err("option '%s' needs a value", argv[optind - 1]);
            return -1;
        default:
            ph_err("unknown option '%s' for top; see 'prochist top --help'", argv[optind - 1]);
            return -1;
        }
    }
    if (optind < argc) {
        ph_err("unexpected argument '%s' for top", argv[optind]);
        return -1;
    }
    return 0;
}

static int top_exec(int argc, char **argv)
{
    top_opts o = {.since = "1h", .until = "now", .limit = 10};
    int64_t now = ph_now_wall_ns(), since, until;
    char path[PH_PATH_MAX], err[512] = "";
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc > 0 ? PH_EXIT_OK : PH_EXIT_USAGE;
    if (ph_time_parse(o.since, now, &since) < 0) {
        ph_err("bad --since '%s': use a duration like 90s, 10m, 1h30m, 2d, 1w, or a time like 2026-11-26 14:00", o.since);
        return PH_EXIT_USAGE;
    }
    if (ph_time_parse(o.until, now, &until) < 0) {
        ph_err("bad --until '%s': use a duration like 10m (that long ago), 'now', or a time like 2026-11-26 14:00", o.until);
        return PH_EXIT_USAGE;
    }
    if (until <= since) {
        ph_err("--until (%s) is not after --since (%s)", o.until, o.since);
        return PH_EXIT_USAGE;
    }
    if (ph_db_path(o.db, 0, path, sizeof path) < 0)
        return PH_EXIT_FAIL;

    ph_store *store;
    if (ph_store_open(path, PH_STORE_READ, &store, err, sizeof err) < 0) {
        ph_err("%s", err);
        return PH_EXIT_FAIL;
    }
    ph_result r;
    ph_mask want = PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS) | PH_BIT(PH_M_DISK_READ_BYTES) |
                   PH_BIT(PH_M_DISK_WRITE_BYTES) | PH_BIT(PH_M_ENERGY_NJ) | PH_BIT(PH_M_WAKEUPS) |
                   PH_BIT(PH_M_CHILD_CPU_USER_NS) | PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS);
    with_children = o.children;
    /* App rows carry no child time: --children reads process rows. */
    int apps_only = !o.by_process && !o.children;
    if (ph_query_window_metrics(store, since, until, want, apps_only, &r, err, sizeof err) < 0) {
        ph_err("%s", err);
        ph_store_close(store);
        return PH_EXIT_FAIL;
    }
    ph_store_close(store);
    if (r.win.samples == 0) {
        char a[40], b[40];
        ph_time_display(since, o.utc, a, sizeof a);
        ph_time_display(until, o.utc, b, sizeof b);
        ph_err("no samples between %s and %s in %s (is the recorder running?)", a, b, path);
        ph_result_free(&r);
        return PH_EXIT_FAIL;
    }

    ph_agg *rows = o.by_process ? r.procs : r.apps;
    size_t n = o.by_process ? r.nprocs : r.napps;
    if (o.name) { /* a glob on name or app; never reaches SQL */
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            if (fnmatch(o.name, rows[i].name, 0) == 0 || fnmatch(o.name, rows[i].app, 0) == 0) {
                ph_agg tmp = rows[k];
                rows[k++] = rows[i];
                rows[i] = tmp;
            }
        }
        n = k;
    }
    sort_metric = o.metric;
    qsort(rows, n, sizeof *rows, cmp_agg);
    if (n > (size_t)o.limit)
        n = (size_t)o.limit;

    int have_metric = 0;
    for (size_t i = 0; i < n; i++)
        have_metric |= metric_value(&rows[i], o.metric) >= 0;
    if (!have_metric && o.metric == M_ENERGY)
        ph_err("note: no per-process energy was recorded in this window (%s records none without a power source)",
               ph_platform_name());
    else if (!have_metric && o.metric == M_WAKEUPS)
        ph_err("note: no wakeup counts were recorded in this window (%s has no per-process source)",
               ph_platform_name());

    if (o.fmt == F_JSON)
        rc = emit_json(&o, &r, rows, n);
    else if (o.fmt == F_CSV)
        rc = emit_csv(&o, &r, rows, n);
    else {
        rc = emit_table(&o, &r, rows, n);
        if (r.win.procs_denied)
            ph_err("note: up to %lld processes a sample were partly unreadable (permission); run the recorder as root to see all",
                   (long long)r.win.procs_denied);
    }
    ph_result_free(&r);
    if (fflush(stdout) != 0 || rc < 0) {
        ph_err("cannot write the output");
        return PH_EXIT_FAIL;
    }
    return PH_EXIT_OK;
}

const ph_cmd ph_cmd_top = {
    "top",
    "[--cpu|--mem|--disk|--energy|--wakeups] [--since WHEN] [--until WHEN] [--by app|process] [-n N] [--format table|json|csv]",
    "Show the apps or processes that used the most in a time window.",
    "  --cpu              sort by CPU time (default)\n"
    "  --mem              sort by peak memory (footprint, else resident) in the window\n"
    "  --disk             sort by bytes read + written to storage\n"
    "  --energy           sort by energy (where the platform measures it)\n"
    "  --wakeups          sort by wakeups (where the platform counts them)\n"
    "  --since WHEN       window start (default 1h): 90s, 10m, 1h30m, 2d, 1w, today,\n"
    "                     yesterday, 2026-11-26, 2026-11-26 14:00, 2026-11-26T14:00Z\n"
    "  --until WHEN       window end (default now), same forms\n"
    "  --by app|process   group processes by app (default) or list each process\n"
    "  --name GLOB        only names or apps matching GLOB (e.g. 'chrom*')\n"
    "  -n, --limit N      rows to show (default 10)\n"
    "  -f, --format FMT   table (default), json or csv; json/csv use base units\n"
    "  --children         CPU includes reaped children (e.g. make with its compilers;\n"
    "                     children seen alive are not counted twice)\n"
    "  --utc              show times in UTC\n"
    "  --db PATH          database (default $PROCHIST_DB, else the per-user state directory)\n",
    top_exec,
};
