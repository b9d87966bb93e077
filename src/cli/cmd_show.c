/* prochist show: one app's, process's or (--by) group's timeline over a
 * window. */
#include "ph_at.h"
#include "ph_cmd.h"
#include "ph_format.h"
#include "ph_qcmd.h"
#include "ph_time.h"
#include "ph_util.h"

#include <cJSON.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_POINTS 1000

typedef struct point {
    int64_t t;        /* bucket start */
    int found;
    int64_t cpu, mem, rd, wr, covered;
} point;

static int all_digits(const char *s)
{
    if (!*s)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

/* A group of --by unit|slice|container|cgroup named by target: its key
 * (name; a container's short id), or a container's full id (app). */
static int group_matches(const ph_qopts *o, const ph_agg *a, const char *target)
{
    if (strcmp(a->name, target) == 0)
        return 1;
    return o->by == PH_BY_CONTAINER && strcmp(a->app, target) == 0;
}

static int take_resolution(void *ctx, int c, const char *arg)
{
    if (c == 2000 && ph_parse_resolution(arg, ctx) < 0)
        return PH_EXIT_USAGE;
    return 0;
}

static void spark(const point *p, size_t n, int64_t max, char *out, size_t len)
{
    static const char *const bars[] = {" ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
                                       "\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"};
    size_t off = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && off + 4 < len; i++) {
        int64_t v = p[i].cpu;
        int k = (v <= 0 || max <= 0) ? 0 : 1 + (int)((double)v * 7.999 / (double)max);
        if (k > 8)
            k = 8;
        off += (size_t)snprintf(out + off, len - off, "%s", bars[k]);
    }
}

/* One process a pid named in the window: a pid is reused, so `show PID`
 * may cover several (the database's process ids tell them apart). */
typedef struct show_proc {
    int64_t proc;
    char *name;
    int64_t first_ns, last_ns; /* first and last time seen in the window */
} show_proc;

/* What show is about: a pid, an app or a group (a cgroup key). */
typedef struct show_what {
    const char *target;
    int32_t pid;
    int by_pid, by_cg;
    const char *group_id, *group_name; /* a group's full key and its name, once found */
    const show_proc *procs;            /* a pid: the processes it named, in order of first sight */
    size_t nprocs;
} show_what;

/* Note process a (pid's) as seen in this point: a new one or a later
 * sighting of one already listed. */
static void procs_note(show_proc **list, size_t *n, const ph_agg *a)
{
    for (size_t i = 0; i < *n; i++) {
        show_proc *p = &(*list)[i];
        if (p->proc != a->proc)
            continue;
        if (a->first_ns < p->first_ns)
            p->first_ns = a->first_ns;
        if (a->last_ns > p->last_ns)
            p->last_ns = a->last_ns;
        return;
    }
    *list = ph_xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[*n] = (show_proc){a->proc, ph_xstrdup(a->name ? a->name : "?"), a->first_ns, a->last_ns};
    (*n)++;
}

static void procs_free(show_proc *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i].name);
    free(list);
}

/* Processes in order of first sight (the points are read in time order,
 * but one point may hold two of them). */
static int proc_cmp(const void *x, const void *y)
{
    const show_proc *a = x, *b = y;
    return a->first_ns < b->first_ns ? -1 : a->first_ns > b->first_ns ? 1 : (a->proc > b->proc) - (a->proc < b->proc);
}

/* A name in JSON: valid UTF-8 whatever was recorded or typed (a cgroup path
 * is any bytes its creator chose), as top's rows are (ph_group). */
static void json_text(cJSON *o, const char *key, const char *s)
{
    char *v = ph_xstrdup(s);
    ph_utf8_sanitize(v);
    cJSON_AddStringToObject(o, key, v);
    free(v);
}

/* The timeline written as the table, JSON or CSV; -1 when writing failed. */
static int show_write(ph_qopts *o, const point *pts, size_t npts, const show_what *w, int64_t res, int recorded,
                      int empty)
{
    /* The columns, once, for the table, the JSON rows and the CSV; on a
     * terminal the table adds a bar per row. */
    enum { C_TIME, C_CPU, C_PCT, C_MEM, C_RD, C_WR, C_BAR, NC };
    int tty = isatty(STDOUT_FILENO);
    ph_col cols[NC] = {
        [C_TIME] = {"time", "TIME", PH_K_TIME, 0},
        [C_CPU] = {"cpu_s", "CPU", PH_K_NS, 0},
        [C_PCT] = {"cpu_pct", "CPU%", PH_K_PCT, 0},
        [C_MEM] = {"mem_peak_bytes", "MEM PEAK", PH_K_BYTES, 0},
        [C_RD] = {"disk_read_bytes", "DISK READ", PH_K_BYTES, 0},
        [C_WR] = {"disk_write_bytes", "DISK WRITE", PH_K_BYTES, 0},
        [C_BAR] = {NULL, tty ? "CPU BAR" : NULL, PH_K_STR, 0},
    };
    int64_t max = 0;
    for (size_t i = 0; i < npts; i++)
        if (pts[i].cpu > max)
            max = pts[i].cpu;
    ph_grid g;
    ph_grid_init(&g, cols, NC);
    for (size_t i = 0; i < npts; i++) {
        ph_cell *c = ph_grid_row(&g);
        char bar[64];
        ph_cell_int(&c[C_TIME], pts[i].t);
        ph_cell_val(&c[C_CPU], pts[i].cpu);
        if (pts[i].cpu >= 0 && pts[i].covered > 0)
            ph_cell_dbl(&c[C_PCT], (double)pts[i].cpu * 100.0 / (double)pts[i].covered);
        ph_cell_val(&c[C_MEM], pts[i].mem);
        ph_cell_val(&c[C_RD], pts[i].rd);
        ph_cell_val(&c[C_WR], pts[i].wr);
        int width = (pts[i].cpu <= 0 || max <= 0) ? 0 : (int)(1 + (double)pts[i].cpu * 19.0 / (double)max);
        size_t off = 0;
        bar[0] = '\0';
        for (int k = 0; k < width && off + 4 < sizeof bar; k++)
            off += (size_t)snprintf(bar + off, sizeof bar - off, "\xe2\x96\x88");
        ph_cell_str(&c[C_BAR], bar);
    }
    cJSON *root = NULL;
    if (o->fmt == PH_FMT_JSON) {
        char t[48];
        root = cJSON_CreateObject();
        if (w->by_pid) {
            cJSON_AddNumberToObject(root, "pid", w->pid);
            /* A pid is reused: which processes it named here; with more
             * than one the rows are their sums (memory: the larger peak). */
            cJSON *ps = cJSON_AddArrayToObject(root, "processes");
            for (size_t i = 0; i < w->nprocs; i++) {
                cJSON *p = cJSON_CreateObject();
                json_text(p, "name", w->procs[i].name);
                ph_time_iso_utc(w->procs[i].first_ns, t, sizeof t);
                cJSON_AddStringToObject(p, "first", t);
                ph_time_iso_utc(w->procs[i].last_ns, t, sizeof t);
                cJSON_AddStringToObject(p, "last", t);
                cJSON_AddItemToArray(ps, p);
            }
        } else if (w->by_cg) {
            /* As top's rows carry it: the key under its own name, and a
             * container's full id beside its short one. */
            cJSON_AddStringToObject(root, "by", ph_by_names[o->by]);
            json_text(root, ph_by_names[o->by], w->group_name ? w->group_name : w->target);
            if (o->by == PH_BY_CONTAINER)
                json_text(root, "container_id", w->group_id ? w->group_id : w->target);
        } else {
            json_text(root, "app", w->target);
        }
        ph_time_iso_utc(o->since_ns, t, sizeof t);
        cJSON_AddStringToObject(root, "since", t);
        ph_time_iso_utc(o->until_ns, t, sizeof t);
        cJSON_AddStringToObject(root, "until", t);
        cJSON_AddNumberToObject(root, "resolution_s", (double)(res / PH_NS_PER_SEC));
        /* "recorded": no window was given; this is what the database holds */
        cJSON_AddStringToObject(root, "window", recorded ? "recorded" : "given");
    }
    char line[4 * MAX_POINTS + 8], shown[96], named[128] = "", head[4 * MAX_POINTS + 512];
    spark(pts, npts, max, line, sizeof line);
    snprintf(shown, sizeof shown, "%s", w->group_name ? w->group_name : w->target);
    ph_ctrl_sanitize(shown);
    /* A pid: the process it named, or how many it named (listed below). */
    if (w->by_pid && w->nprocs == 1) {
        char nm[96];
        snprintf(nm, sizeof nm, "%s", w->procs[0].name);
        ph_ctrl_sanitize(nm);
        snprintf(named, sizeof named, " (%s)", nm);
    } else if (w->by_pid && w->nprocs > 1) {
        snprintf(named, sizeof named, " (%zu processes, summed)", w->nprocs);
    }
    snprintf(head, sizeof head, "%s %s%s, every %llds%s%s%s", w->by_pid ? "pid" : w->by_cg ? ph_by_names[o->by] : "app",
             shown, named, (long long)(res / PH_NS_PER_SEC),
             recorded ? " (no window given: what is recorded, up to a day)" : "", tty ? "  CPU " : "",
             tty ? line : "");
    /* The pid was reused in the window: each process it named, so that
     * their sum is not taken for one process's. */
    char *full = NULL;
    if (w->by_pid && w->nprocs > 1 && o->fmt == PH_FMT_TABLE) {
        size_t len = strlen(head) + 160 + w->nprocs * 200, off;
        full = ph_xmalloc(len);
        off = (size_t)snprintf(full, len,
                               "%s\npid %s named %zu processes in this window; CPU and disk are their sums,"
                               " memory the larger peak:",
                               head, shown, w->nprocs);
        for (size_t i = 0; i < w->nprocs && off < len; i++) {
            char nm[96], a[48], b[48];
            snprintf(nm, sizeof nm, "%s", w->procs[i].name);
            ph_ctrl_sanitize(nm);
            ph_time_display(w->procs[i].first_ns, o->utc, a, sizeof a);
            ph_time_display(w->procs[i].last_ns, o->utc, b, sizeof b);
            off += (size_t)snprintf(full + off, len - off, "\n  %-16s seen %s to %s", nm, a, b);
        }
    }
    int rc = ph_qwrite(o, root, &g, empty, full ? full : head) < 0;
    free(full);
    return rc;
}

static int show_exec(int argc, char **argv)
{
    ph_qopts o;
    int rc;
    int64_t res = 0;
    char err[512] = "";
    /* No window given: a day back from now, unless what is recorded says
     * otherwise (below). */
    ph_qopts_init(&o, "1d");
    if ((rc = ph_qopts_parse(&o, &ph_cmd_show, argc, argv, take_resolution, &res)) >= 0)
        return rc;
    const char *target = argv[optind];
    if (o.by == PH_BY_USER) {
        ph_err("show takes --by app, process, unit, slice, container or cgroup, not user"
               " ('prochist top --by user' lists the users)");
        return PH_EXIT_USAGE;
    }
    int by_cg = PH_BY_IS_CGROUP(o.by);
    /* Without --by, all digits is a pid; an explicit --by app names an app
     * whatever its name (an app called 31337 can be shown). */
    int by_pid = o.by == PH_BY_PROCESS || (o.by == PH_BY_APP && !o.by_given && all_digits(target));
    if (o.by == PH_BY_PROCESS && !all_digits(target)) {
        char shown[96]; /* ph_err escapes controls as \xHH, \uHHHH */
        snprintf(shown, sizeof shown, "%s", target);
        ph_err("show --by process takes a PID, not '%s'", shown);
        return PH_EXIT_USAGE;
    }
    int32_t pid = -1;
    if (by_pid) {
        errno = 0;
        long long v = strtoll(target, NULL, 10);
        if (errno || v < 0 || v > INT32_MAX) {
            char shown[96];
            snprintf(shown, sizeof shown, "%s", target);
            ph_err("'%s' is not a process id (0 to %d)", shown, INT32_MAX);
            return PH_EXIT_USAGE;
        }
        pid = (int32_t)v;
    }
    ph_store *store;
    if ((rc = ph_qopen(&o, &store)) != 0)
        return rc;
    /* No window given: what is recorded, up to a day back from its last
     * moment, so that ten minutes of recording are ten one-minute rows, not
     * 24 hours of which 23 are empty. */
    int recorded = 0;
    if (!o.window_given) {
        int64_t first, last;
        int src = ph_query_span(store, &first, &last, err, sizeof err);
        if (src < 0) {
            ph_err("%s", err);
            ph_store_close(store);
            return PH_EXIT_FAIL;
        }
        if (src == 0) {
            if (last < o.until_ns)
                o.until_ns = last;
            o.since_ns = first > o.until_ns - 86400 * PH_NS_PER_SEC ? first : o.until_ns - 86400 * PH_NS_PER_SEC;
            if (o.until_ns - o.since_ns < 60 * PH_NS_PER_SEC)
                o.since_ns = o.until_ns - 60 * PH_NS_PER_SEC;
            recorded = 1;
        }
    }
    if (!res)
        res = ph_auto_resolution(o.until_ns - o.since_ns);
    int64_t from = o.since_ns - o.since_ns % res, to = o.until_ns;
    size_t npts = (size_t)((to - from + res - 1) / res);
    if (npts > MAX_POINTS) {
        ph_err("--resolution too fine for this window (%zu points, at most %d): choose a larger one", npts,
               MAX_POINTS);
        ph_store_close(store);
        return PH_EXIT_USAGE;
    }
    point *pts = ph_xcalloc(npts + 1, sizeof *pts);
    int found = 0;
    int64_t samples = 0;
    /* What a point shows: CPU (with children's), memory, disk. */
    ph_mask need = ph_qmetric_find("cpu")->need | ph_qmetric_find("disk")->need |
                   PH_BIT(PH_M_CHILD_CPU_USER_NS) | PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS);
    /* A group (--by unit, ...): its full key, for the JSON (a container's
     * full id when the short one was given). */
    char *group_id = NULL, *group_name = NULL;
    show_proc *procs = NULL; /* a pid: the processes it named */
    size_t nprocs = 0;
    for (size_t i = 0; i < npts; i++) {
        ph_result r;
        int64_t b = from + (int64_t)i * res, e = b + res < to ? b + res : to;
        if (b < o.since_ns)
            b = o.since_ns; /* the first interval starts where the window does, as top's */
        pts[i].t = b;
        pts[i].cpu = pts[i].mem = pts[i].rd = pts[i].wr = -1;
        int flags = ph_qflags(&o, by_pid ? 0 : PH_Q_APPS_ONLY);
        /* ph_qwindow: for a cgroup key, the bucket's processes summed by
         * that key into r.apps, as `top --by KEY` sums the window's. */
        /* A pid: only its processes' rows are read (a month of points
         * would otherwise replay every process of each). */
        char qerr[512] = "";
        int qrc = by_pid ? ph_query_window_pid(store, b, e, need, flags, pid, &r, qerr, sizeof qerr)
                         : ph_qwindow(&o, store, b, e, need, flags, &r);
        if (qrc < 0 && qerr[0])
            ph_err("%s", qerr);
        if (qrc < 0) {
            free(pts);
            free(group_id);
            free(group_name);
            procs_free(procs, nprocs);
            ph_store_close(store);
            return PH_EXIT_FAIL;
        }
        samples += r.win.samples;
        pts[i].covered = r.win.covered_ns;
        ph_agg *list = by_pid ? r.procs : r.apps;
        size_t n = by_pid ? r.nprocs : r.napps;
        /* No sample in this point (a gap, or after the recorder stopped):
         * nothing was measured, memory included. The engine carries a
         * process's memory across a window it has no row in; here that
         * would invent a value for a time nobody looked. */
        if (r.win.samples == 0)
            n = 0;
        for (size_t k = 0; k < n; k++) {
            const ph_agg *a = &list[k];
            if (by_pid ? a->pid != pid
                : by_cg ? !group_matches(&o, a, target)
                        : strcmp(a->app, target) != 0)
                continue;
            if (by_cg && !group_id) {
                group_id = ph_xstrdup(a->app);
                group_name = ph_xstrdup(a->name);
            } else if (by_cg && strcmp(group_id, a->app) != 0) {
                /* A short id two containers share (anyone may name a
                 * cgroup docker-<id>.scope): never their sum under one name. */
                char shown[96], one[80], two[80];
                snprintf(shown, sizeof shown, "%s", target);
                snprintf(one, sizeof one, "%s", group_id);
                snprintf(two, sizeof two, "%s", a->app);
                ph_err("%s '%s' names more than one (%s, %s): give the full id", ph_by_names[o.by], shown, one,
                       two);
                ph_result_free(&r);
                free(pts);
                free(group_id);
                free(group_name);
                ph_store_close(store);
                return PH_EXIT_USAGE;
            }
            /* A pid may name several processes over time: add them up,
             * and list each (show_write) so the sum is not taken for one. */
            if (by_pid)
                procs_note(&procs, &nprocs, a);
            int64_t cpu = ph_qmetric_value(ph_qmetric_find("cpu"), a, o.children);
            if (cpu >= 0)
                pts[i].cpu = (pts[i].cpu < 0 ? 0 : pts[i].cpu) + cpu;
            if (a->mem_peak > pts[i].mem)
                pts[i].mem = a->mem_peak;
            if (a->have & PH_BIT(PH_M_DISK_READ_BYTES))
                pts[i].rd = (pts[i].rd < 0 ? 0 : pts[i].rd) + *ph_agg_at(a, PH_M_DISK_READ_BYTES);
            if (a->have & PH_BIT(PH_M_DISK_WRITE_BYTES))
                pts[i].wr = (pts[i].wr < 0 ? 0 : pts[i].wr) + *ph_agg_at(a, PH_M_DISK_WRITE_BYTES);
            pts[i].found = 1;
            found = 1;
        }
        ph_result_free(&r);
    }
    ph_store_close(store);
    /* An empty answer: a whole JSON/CSV document, exit 1 (include/ph_qcmd.h). */
    int empty = 0;
    if (samples == 0) {
        empty = ph_qno_data(&o, o.since_ns, o.until_ns) != 0;
    } else if (!found) {
        char shown[96];
        snprintf(shown, sizeof shown, "%s", target); /* ph_err escapes it; JSON's note is made UTF-8 */
        if (by_cg)
            snprintf(o.note, sizeof o.note, "no %s '%s' in this window; 'prochist top --by %s' lists what was seen",
                     ph_by_names[o.by], shown, ph_by_names[o.by]);
        else if (by_pid && !o.by_given) /* all digits: an app may have that name */
            snprintf(o.note, sizeof o.note,
                     "no process with pid '%s' in this window ('--by app' for an app of that name);"
                     " 'prochist apps' lists what was seen", shown);
        else
            snprintf(o.note, sizeof o.note, "no %s '%s' in this window; 'prochist apps' lists what was seen",
                     by_pid ? "process with pid" : "app", shown);
        ph_err("%s", o.note);
        empty = 1;
    }
    if (empty)
        npts = 0;

    if (nprocs > 1)
        qsort(procs, nprocs, sizeof *procs, proc_cmp);
    show_what what = {target, pid, by_pid, by_cg, group_id, group_name, procs, empty ? 0 : nprocs};
    int out_err = show_write(&o, pts, npts, &what, res, recorded, empty);
    procs_free(procs, nprocs);
    free(pts);
    free(group_id);
    free(group_name);
    if (fflush(stdout) != 0 || out_err)
        return PH_EXIT_FAIL;
    return empty ? PH_EXIT_EMPTY : PH_EXIT_OK;
}

/* One app, pid or group: nothing to pick by name, cut or sort (no --name,
 * --limit, --sort); --by says what the target names. --since has no
 * declared default: without a window, show picks one from what is
 * recorded. */
static const ph_opt show_opts[] = {
    PH_QO_SINCE(NULL), PH_QO_UNTIL,
    {"by", 0, PH_QOPT_BY, "KEY",
     "what the target names: app (without --by, all digits is a\nPID), process (a PID), or (Linux) a "
     "systemd unit, slice,\ncontainer (short or full id) or cgroup path", "app", NULL},
    {"resolution", 0, 2000, "R",
     "interval of the timeline: auto (about 60 points) or whole\nminutes (1m, 15m, 1h, ...)", "auto", NULL},
    PH_QO_CHILDREN("CPU includes reaped children (a PID's; apps count their own)"),
    PH_QO_FORMAT, PH_QO_UTC, PH_QO_DB,
    PH_OPT_END,
};

const ph_cmd ph_cmd_show = {
    "show",
    "APP|PID|GROUP",
    1,
    "Show one app's, process's or group's timeline: CPU, memory peak and disk per interval.",
    show_opts,
    "  Without --since/--until: what is recorded, up to the day before its last sample\n"
    "  (JSON window: \"recorded\"); with neither recorded, the last day.\n"
    "  On a terminal, a bar per row and a sparkline show the CPU trend.\n"
    "  With --by unit|slice|container|cgroup: the group's processes summed per\n"
    "  interval (memory: the sum of their peaks), as 'top --by KEY' sums them over\n"
    "  the window; e.g. 'prochist show --by unit nginx.service'.\n"
    "  A PID: which processes had it in the window (JSON \"processes\": name, first,\n"
    "  last); a pid is reused, and when several had it their CPU and disk are\n"
    "  summed (memory: the larger peak), each listed above the table.\n",
    show_exec,
};
