/* What the query commands share (include/ph_qcmd.h). */
#include "ph_qcmd.h"
#include "ph_cgroup.h"
#include "ph_cmd.h"
#include "ph_db.h"
#include "ph_format.h"
#include "ph_time.h"
#include "ph_util.h"

#include <cJSON.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const ph_by_names[] = {"app", "process", "user", "unit", "slice", "container", "cgroup"};
const char *const ph_by_heads[] = {"APP", "PROCESS", "USER", "UNIT", "SLICE", "CONTAINER", "CGROUP"};

void ph_qopts_init(ph_qopts *o, const char *default_since)
{
    memset(o, 0, sizeof *o);
    o->since = default_since;
    o->until = "now";
    o->limit = 10;
}

int ph_qopts_handle(ph_qopts *o, int c, const char *arg)
{
    switch (c) {
    case PH_QOPT_DB: o->db = arg; return 1;
    case PH_QOPT_SINCE: o->since = arg; return 1;
    case PH_QOPT_UNTIL: o->until = arg; return 1;
    case PH_QOPT_UTC: o->utc = 1; return 1;
    case PH_QOPT_NAME: o->name = arg; return 1;
    case PH_QOPT_CHILDREN: o->children = 1; return 1;
    case PH_QOPT_SORT:
        if (!ph_qmetric_find(arg)) {
            ph_err("unknown metric '%s' for --sort: use cpu, mem, disk, energy, wakeups, instructions,"
                   " cycles, ctxsw, faults, syscalls or gpu", arg);
            return -1;
        }
        o->sort = arg;
        return 1;
    case PH_QOPT_BY:
        for (int b = PH_BY_APP; b <= PH_BY_CGROUP; b++)
            if (strcmp(arg, ph_by_names[b]) == 0) {
                if (PH_BY_IS_CGROUP(b) && !ph_platform_has_cgroups()) {
                    ph_err("--by %s is Linux-only: this platform has no cgroups (use app, process or user)", arg);
                    return -1;
                }
                o->by = (enum ph_by)b;
                return 1;
            }
        ph_err("bad --by '%s': use app, process, user, unit, slice, container or cgroup", arg);
        return -1;
    case 'n': {
        int64_t v;
        if (ph_parse_uint(arg, 1000000000, &v) < 0 || v < 1) {
            ph_err("bad --limit '%s': give a whole number from 1 to 1000000000", arg);
            return -1;
        }
        o->limit = (int)v;
        return 1;
    }
    case 'f':
        if (strcmp(arg, "table") == 0)
            o->fmt = PH_FMT_TABLE;
        else if (strcmp(arg, "json") == 0)
            o->fmt = PH_FMT_JSON;
        else if (strcmp(arg, "csv") == 0)
            o->fmt = PH_FMT_CSV;
        else {
            ph_err("bad --format '%s': use table, json or csv", arg);
            return -1;
        }
        return 1;
    default:
        return 0;
    }
}

int ph_qtime(const char *opt, const char *arg, int64_t now_ns, int utc, int64_t *out_ns)
{
    int rc = ph_time_parse_tz(arg, now_ns, utc ? PH_TZ_UTC : PH_TZ_LOCAL, out_ns);
    if (rc == 0)
        return 0;
    ph_err("bad %s '%s': %s", opt, arg, ph_time_strerror(rc));
    return PH_EXIT_USAGE;
}

int ph_qopts_finish(ph_qopts *o)
{
    int64_t now = ph_now_wall_ns();
    if (o->window_conflict && o->window_given) {
        ph_err("%s", o->window_conflict);
        return PH_EXIT_USAGE;
    }
    if (ph_qtime("--since", o->since, now, o->utc, &o->since_ns) ||
        ph_qtime("--until", o->until, now, o->utc, &o->until_ns))
        return PH_EXIT_USAGE;
    if (o->until_ns <= o->since_ns) {
        ph_err("--until (%s) is not after --since (%s)", o->until, o->since);
        return PH_EXIT_USAGE;
    }
    int prc = ph_db_path(o->db, 0, o->path, sizeof o->path);
    if (prc < 0)
        return prc == -2 ? PH_EXIT_USAGE : PH_EXIT_FAIL;
    return 0;
}

int ph_qopen(const ph_qopts *o, ph_store **s)
{
    char err[512];
    if (ph_store_open(o->path, PH_STORE_READ, s, err, sizeof err) < 0) {
        ph_err("%s", err);
        return PH_EXIT_FAIL;
    }
    return 0;
}

int ph_qno_data(ph_qopts *o, int64_t since, int64_t until)
{
    char a[40], b[40];
    ph_time_display(since, o->utc, a, sizeof a);
    ph_time_display(until, o->utc, b, sizeof b);
    snprintf(o->note, sizeof o->note, "no samples between %s and %s in %s (is the recorder running?)", a, b,
             o->path);
    ph_err("%s", o->note);
    return PH_EXIT_EMPTY;
}

int ph_qname_missed(ph_qopts *o, size_t n)
{
    if (!o->name || n > 0)
        return 0;
    char shown[96];
    snprintf(shown, sizeof shown, "%s", o->name); /* ph_err escapes it; JSON's note is made UTF-8 */
    snprintf(o->note, sizeof o->note, "no %s in this window matches --name '%s' (as a name or as a glob)",
             o->by == PH_BY_PROCESS ? "process or app" : ph_by_names[o->by], shown);
    ph_err("%s", o->note);
    return 1;
}

void ph_qjson_common(const ph_qopts *o, cJSON *root)
{
    if (o->name_match)
        cJSON_AddStringToObject(root, "name_match", o->name_match);
    if (o->note[0]) { /* it may quote the --db path: any bytes, JSON wants UTF-8 */
        char note[sizeof o->note];
        memcpy(note, o->note, sizeof note);
        note[sizeof note - 1] = '\0';
        ph_utf8_sanitize(note);
        cJSON_AddStringToObject(root, "note", note);
    }
}

#define B(m) PH_BIT(PH_M_##m)
const ph_qmetric ph_qmetrics[] = {
    {"cpu", "cpu_s", "CPU", PH_UNIT_NS, 1e9, B(CPU_USER_NS) | B(CPU_SYSTEM_NS)},
    {"mem", "mem_peak_bytes", "MEM PEAK", PH_UNIT_BYTES, 1, 0},
    {"disk", "disk_bytes", "DISK", PH_UNIT_BYTES, 1, B(DISK_READ_BYTES) | B(DISK_WRITE_BYTES)},
    {"energy", "energy_j", "ENERGY", PH_UNIT_NJ, 1e9, B(ENERGY_NJ) | B(ENERGY_EST_NJ)},
    {"wakeups", "wakeups", "WAKEUPS", PH_UNIT_COUNT, 1, B(WAKEUPS)},
    {"instructions", "instructions", "INSTR", PH_UNIT_COUNT, 1, B(INSTRUCTIONS)},
    {"cycles", "cycles", "CYCLES", PH_UNIT_COUNT, 1, B(CYCLES)},
    {"ctxsw", "ctxsw", "CTXSW", PH_UNIT_COUNT, 1,
     B(CTXSW_TOTAL) | B(CTXSW_VOLUNTARY) | B(CTXSW_INVOLUNTARY)},
    {"faults", "faults", "FAULTS", PH_UNIT_COUNT, 1, B(FAULTS_TOTAL) | B(FAULTS_MINOR) | B(FAULTS_MAJOR)},
    {"syscalls", "syscalls", "SYSCALLS", PH_UNIT_COUNT, 1,
     B(SYSCALLS_MACH) | B(SYSCALLS_UNIX) | B(SYSCALLS_READ) | B(SYSCALLS_WRITE)},
    {"gpu", "gpu_s", "GPU", PH_UNIT_NS, 1e9, B(GPU_NS)},
};
#undef B
const size_t ph_nqmetrics = PH_ARRAY_LEN(ph_qmetrics);

const ph_qmetric *ph_qmetric_find(const char *name)
{
    for (size_t i = 0; i < ph_nqmetrics; i++)
        if (strcmp(ph_qmetrics[i].name, name) == 0)
            return &ph_qmetrics[i];
    return NULL;
}

ph_mask ph_qmetric_need(void)
{
    ph_mask m = PH_BIT(PH_M_CHILD_CPU_USER_NS) | PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS);
    for (size_t i = 0; i < ph_nqmetrics; i++)
        m |= ph_qmetrics[i].need;
    return m;
}

static int64_t sum_of(const ph_agg *a, ph_mask bits)
{
    int64_t v = 0;
    int any = 0;
    for (ph_mask h = bits & a->have; h; h &= h - 1) {
        v += *ph_agg_at(a, __builtin_ctzll(h));
        any = 1;
    }
    return any ? v : -1;
}

int64_t ph_qmetric_value(const ph_qmetric *m, const ph_agg *a, int children)
{
    if (strcmp(m->name, "mem") == 0)
        return a->mem_peak;
    if (strcmp(m->name, "energy") == 0) /* measured, else estimated */
        return sum_of(a, PH_BIT(PH_M_ENERGY_NJ)) >= 0 ? sum_of(a, PH_BIT(PH_M_ENERGY_NJ))
                                                      : sum_of(a, PH_BIT(PH_M_ENERGY_EST_NJ));
    if (strcmp(m->name, "cpu") == 0) {
        int64_t own = sum_of(a, m->need);
        int64_t kids = sum_of(a, PH_BIT(PH_M_CHILD_CPU_USER_NS) | PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS));
        return (children && kids > 0 && own >= 0) ? own + kids : own;
    }
    /* Platforms name the same thing differently: prefer the total. */
    if (strcmp(m->name, "ctxsw") == 0 && (a->have & PH_BIT(PH_M_CTXSW_TOTAL)))
        return *ph_agg_at(a, PH_M_CTXSW_TOTAL);
    if (strcmp(m->name, "ctxsw") == 0)
        return sum_of(a, PH_BIT(PH_M_CTXSW_VOLUNTARY) | PH_BIT(PH_M_CTXSW_INVOLUNTARY));
    if (strcmp(m->name, "faults") == 0 && (a->have & PH_BIT(PH_M_FAULTS_TOTAL)))
        return *ph_agg_at(a, PH_M_FAULTS_TOTAL);
    if (strcmp(m->name, "faults") == 0)
        return sum_of(a, PH_BIT(PH_M_FAULTS_MINOR) | PH_BIT(PH_M_FAULTS_MAJOR));
    return sum_of(a, m->need);
}

static int name_matches(const ph_qopts *o, int literal, const ph_agg *a)
{
    if (!o->name)
        return 1;
    if (literal)
        return strcmp(o->name, a->name) == 0 || strcmp(o->name, a->app) == 0;
    return fnmatch(o->name, a->name, 0) == 0 || fnmatch(o->name, a->app, 0) == 0;
}

/* Whether --name picks a process so named as a name, as a glob, or both
 * (ph_query_window_top's filter: which of the two applies is decided on
 * every process of the window, as ph_group does). */
static int name_may_match(const char *name, const char *app, void *kctx)
{
    const ph_qopts *o = kctx;
    ph_agg a = {.name = (char *)name, .app = (char *)app};
    return (name_matches(o, 1, &a) ? PH_KEEP_LITERAL : 0) | (name_matches(o, 0, &a) ? PH_KEEP_GLOB : 0);
}

void ph_qjson_key(const ph_qopts *o, cJSON *row, const ph_agg *a)
{
    if (PH_BY_IS_CGROUP(o->by))
        cJSON_AddStringToObject(row, ph_by_names[o->by], a->name);
    if (o->by == PH_BY_CONTAINER)
        cJSON_AddStringToObject(row, "container_id", a->app);
}

void ph_qcols_key(const ph_qopts *o, ph_col *key, ph_col *cid)
{
    key->key = PH_BY_IS_CGROUP(o->by) ? ph_by_names[o->by] : NULL;
    cid->key = o->by == PH_BY_CONTAINER ? "container_id" : NULL;
    key->head = cid->head = NULL; /* the table's name column says it */
}

void ph_qcells_key(const ph_qopts *o, ph_cell *key, ph_cell *cid, const ph_agg *a)
{
    if (PH_BY_IS_CGROUP(o->by))
        ph_cell_str(key, a->name);
    if (o->by == PH_BY_CONTAINER)
        ph_cell_str(cid, a->app);
}

cJSON *ph_qjson_root(const ph_qopts *o)
{
    char t[48];
    if (o->fmt != PH_FMT_JSON)
        return NULL;
    cJSON *root = cJSON_CreateObject();
    ph_time_iso_utc(o->since_ns, t, sizeof t);
    cJSON_AddStringToObject(root, "since", t);
    ph_time_iso_utc(o->until_ns, t, sizeof t);
    cJSON_AddStringToObject(root, "until", t);
    return root;
}

int ph_qwrite(const ph_qopts *o, cJSON *root, ph_grid *g, int empty, const char *head)
{
    int rc = 0;
    if (o->fmt == PH_FMT_JSON) {
        if (!root)
            root = cJSON_CreateObject();
        ph_qjson_common(o, root);
        ph_grid_json(g, cJSON_AddArrayToObject(root, "rows"));
        rc = ph_json_print(root);
    } else if (o->fmt == PH_FMT_CSV) {
        ph_grid_csv(g, stdout);
    } else if (!empty) {
        ph_table tb;
        ph_grid_table(g, &tb, o->utc, NULL);
        if (head)
            printf("%s\n", head);
        ph_table_print(&tb, stdout, ph_use_colour(stdout));
        ph_table_free(&tb);
    }
    ph_grid_free(g);
    return rc < 0 || ferror(stdout) ? -1 : 0;
}

int ph_qflags(const ph_qopts *o, int flags)
{
    switch (o->by) {
    case PH_BY_UNIT: return flags | PH_Q_BY_UNIT;
    case PH_BY_SLICE: return flags | PH_Q_BY_SLICE;
    case PH_BY_CONTAINER: return flags | PH_Q_BY_CONTAINER;
    case PH_BY_CGROUP: return flags | PH_Q_BY_CGROUP;
    default: return flags;
    }
}

int ph_qwindow(const ph_qopts *o, ph_store *s, int64_t since, int64_t until, ph_mask want, int flags,
               ph_result *r)
{
    char err[512] = "";
    if (ph_query_window_metrics(s, since, until, want, ph_qflags(o, flags), r, err, sizeof err) < 0) {
        ph_err("%s", err);
        return -1;
    }
    ph_qname_groups(o, r);
    return 0;
}

int ph_qwindow_top(const ph_qopts *o, ph_store *s, int64_t since, int64_t until, ph_mask want, int flags,
                   ph_mask rank_need, ph_mask rest_need, ph_rank_fn rank, void *ctx, size_t limit, int explain,
                   ph_result *r)
{
    char err[512] = "";
    /* --name picks among every process of the window (literal or glob,
     * decided on all their names): each process it may pick is read, and
     * those of the window's edges; ph_group decides among them. */
    if (o->by == PH_BY_PROCESS && limit > 0) {
        int rc = ph_query_window_top(s, since, until, want, ph_qflags(o, flags), rank_need, rest_need, rank, ctx,
                                     limit, o->name ? name_may_match : NULL, (void *)o, r, err, sizeof err);
        if (rc < 0) {
            ph_err("%s", err);
            return -1;
        }
        if (rc == 1) {
            if (explain)
                fprintf(stderr,
                        "plan: %s with proc_total: the hour rows of %zu processes read, %lld left out"
                        " (none of them can %s)\n",
                        o->name ? "picked" : "ranked", r->nprocs, (long long)(r->rest ? r->rest->nprocs : 0),
                        o->name ? "match --name and rank" : "rank");
            return 0;
        }
    }
    if (explain && o->by == PH_BY_PROCESS)
        fprintf(stderr, "plan: every process of the window read\n");
    return ph_qwindow(o, s, since, until, want, flags, r);
}

void ph_qname_groups(const ph_qopts *o, ph_result *r)
{
    if (o->by != PH_BY_CONTAINER)
        return;
    /* The engine keyed containers by their full id: tables show the short. */
    for (size_t i = 0; i < r->napps; i++) {
        ph_agg *g = &r->apps[i];
        if (strcmp(g->app, "-") == 0)
            continue;
        char short_id[PH_CGROUP_ID_MAX];
        ph_container_short_of(g->app, short_id, sizeof short_id);
        free(g->name);
        g->name = ph_xstrdup(short_id);
    }
}

size_t ph_group(ph_qopts *o, ph_result *r, int (*cmp)(const void *, const void *), ph_agg **rows)
{
    ph_agg *src = o->by == PH_BY_PROCESS ? r->procs : r->apps;
    size_t ns = o->by == PH_BY_PROCESS ? r->nprocs : r->napps;
    if (o->by == PH_BY_USER) {
        /* The engine grouped by uid (apps[].app holds it): name the users. */
        for (size_t i = 0; i < ns; i++) {
            char *endp;
            long uid = strtol(src[i].app, &endp, 10);
            struct passwd *pw = (*endp == '\0' && uid >= 0) ? getpwuid((uid_t)uid) : NULL;
            char label[96];
            if (pw)
                snprintf(label, sizeof label, "%s", pw->pw_name);
            else if (uid >= 0)
                snprintf(label, sizeof label, "uid %ld", uid);
            else
                snprintf(label, sizeof label, "unknown");
            free(src[i].name);
            src[i].name = ph_xstrdup(label);
            src[i].uid = uid;
        }
    }
    /* A name is first taken as it is written: '[kernel]' read as a glob
     * class would match nothing, silently. */
    int literal = 0;
    for (size_t i = 0; o->name && i < ns && !literal; i++)
        literal = strcmp(o->name, src[i].name) == 0 || strcmp(o->name, src[i].app) == 0;
    o->name_match = !o->name ? NULL : literal ? "literal" : "glob";
    size_t k = 0;
    for (size_t i = 0; i < ns; i++) {
        if (name_matches(o, literal, &src[i])) {
            ph_agg tmp = src[k];
            src[k++] = src[i];
            src[i] = tmp;
        }
    }
    for (size_t i = 0; i < k; i++) { /* output is UTF-8, whatever the kernel said */
        ph_utf8_sanitize(src[i].name);
        ph_utf8_sanitize(src[i].app);
    }
    if (cmp && k > 1)
        qsort(src, k, sizeof *src, cmp);
    if (cmp && k > (size_t)o->limit)
        k = (size_t)o->limit;
    *rows = src;
    return k;
}

void ph_fmt_unit(enum ph_unit u, int64_t v, char *buf, size_t len)
{
    switch (u) {
    case PH_UNIT_NS: ph_fmt_duration(v, buf, len); break;
    case PH_UNIT_BYTES: ph_fmt_bytes(v, buf, len); break;
    case PH_UNIT_NJ: ph_fmt_energy(v, buf, len); break;
    case PH_UNIT_COUNT: ph_fmt_count(v, buf, len); break;
    }
}

/* RFC 4180 quoting, after control characters (ESC, CR, LF, C1 such as
 * U+009B, ...) are replaced by '?': CSV lands on terminals too. A text cell
 * (never a number: only text comes here) starting with = + - or @ gets a
 * leading ': a spreadsheet would run it as a formula (OWASP, "CSV
 * Injection"); anyone can name a process "=HYPERLINK(...)". */
void ph_csv_field(FILE *f, const char *s)
{
    char *v = ph_xstrdup(s);
    ph_ctrl_sanitize(v);
    const char *lead = v[0] && strchr("=+-@", v[0]) ? "'" : "";
    if (!strpbrk(v, ",\"")) {
        fputs(lead, f);
        fputs(v, f);
        free(v);
        return;
    }
    fputc('"', f);
    fputs(lead, f);
    for (const char *p = v; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
    free(v);
}

const ph_opt ph_qopts_all[] = {
    PH_QO_SINCE(NULL), PH_QO_UNTIL, PH_QO_BY, PH_QO_NAME, PH_QO_CHILDREN(""), PH_QO_SORT(""),
    PH_QO_LIMIT(NULL), PH_QO_FORMAT, PH_QO_UTC, PH_QO_DB, PH_OPT_END,
};

typedef struct qparse {
    ph_qopts *o;
    int (*on_opt)(void *ctx, int c, const char *arg);
    void *ctx;
    int user; /* past the declared defaults: argv's options */
} qparse;

static int qparse_opt(void *ctx, int c, const char *arg)
{
    qparse *q = ctx;
    int rc = ph_qopts_handle(q->o, c, arg);
    if (rc < 0)
        return PH_EXIT_USAGE;
    if (rc > 0) {
        if (q->user && (c == PH_QOPT_SINCE || c == PH_QOPT_UNTIL))
            q->o->window_given = 1;
        if (q->user && c == PH_QOPT_BY)
            q->o->by_given = 1;
        return 0;
    }
    return q->on_opt ? q->on_opt(q->ctx, c, arg) : 0;
}

int ph_qopts_parse(ph_qopts *o, const ph_cmd *cmd, int argc, char **argv,
                   int (*on_opt)(void *ctx, int c, const char *arg), void *ctx)
{
    qparse q = {o, on_opt, ctx, 0};
    int rc = ph_cmd_defaults(cmd, qparse_opt, &q);
    if (rc != 0)
        return rc;
    q.user = 1;
    if ((rc = ph_cmd_parse(cmd, argc, argv, ph_qopts_all, qparse_opt, &q)) >= 0)
        return rc;
    rc = ph_qopts_finish(o);
    return rc ? rc : -1;
}

int ph_parse_resolution(const char *arg, int64_t *res)
{
    if (strcmp(arg, "auto") == 0) {
        *res = 0;
        return 0;
    }
    if (ph_duration_parse(arg, res) < 0 || *res < 60 * PH_NS_PER_SEC || *res % (60 * PH_NS_PER_SEC)) {
        ph_err("bad --resolution '%s': use auto or whole minutes, e.g. 1m, 15m, 1h, 1d", arg);
        return -1;
    }
    return 0;
}

double ph_gpu_pct(int64_t g, int64_t all, double busy, int64_t covered)
{
    if (g < 0)
        return -1;
    if (busy >= 0 && all > 0)
        return (double)g / (double)all * busy;
    if (covered <= 0)
        return -1;
    return (double)g * 100.0 / (double)covered;
}

int64_t ph_auto_resolution(int64_t span)
{
    static const int64_t steps[] = {60, 300, 900, 3600, 6 * 3600, 86400, 7 * 86400};
    for (size_t i = 0; i < PH_ARRAY_LEN(steps); i++)
        if (span / (steps[i] * PH_NS_PER_SEC) <= 60)
            return steps[i] * PH_NS_PER_SEC;
    /* Longer than 60 weeks ("--since 1970-01-01"): whole weeks, still about
     * 60 points, never the "too fine" refusal meant for a given one. */
    int64_t week = 7 * 86400 * PH_NS_PER_SEC, weeks = span / 60 / week + 1;
    return weeks * week;
}
