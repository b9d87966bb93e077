/* prochist peak: the largest memory footprint per app or process, when it
 * happened, and which process reached it. */
#include "ph_cmd.h"
#include "ph_db.h"
#include "ph_format.h"
#include "ph_qcmd.h"
#include "ph_time.h"
#include "ph_util.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct who {
    int32_t pid;
    char name[PH_NAME_MAX];
} who;

static int cmp_peak(const void *x, const void *y)
{
    const ph_agg *a = x, *b = y;
    if (a->mem_peak != b->mem_peak)
        return a->mem_peak < b->mem_peak ? 1 : -1;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    if (a->pid != b->pid) /* groups have pid -1: their names differ */
        return (a->pid > b->pid) - (a->pid < b->pid);
    return (a->proc > b->proc) - (a->proc < b->proc);
}

/* The sort value (ph_query_window_top's rank): the peak, then cmp_peak. */
static int64_t peak_rank(const ph_agg *a, void *ctx)
{
    (void)ctx;
    return a->mem_peak;
}

/* The process behind a peak: for a process row, itself. */
static void lookup(ph_store *store, const ph_agg *a, int by_process, who *w)
{
    w->pid = -1;
    w->name[0] = '\0';
    if (by_process) {
        w->pid = a->pid;
        snprintf(w->name, sizeof w->name, "%s", a->name);
        return;
    }
    if (a->mem_peak_proc <= 0)
        return;
    ph_db_process_who(store, a->mem_peak_proc, &w->pid, w->name, sizeof w->name);
}

static int peak_exec(int argc, char **argv)
{
    ph_qopts o;
    int rc;
    ph_qopts_init(&o, NULL);
    /* --mem (2000) is the only peak so far: nothing to do with it. */
    if ((rc = ph_qopts_parse(&o, &ph_cmd_peak, argc, argv, NULL, NULL)) >= 0)
        return rc;
    ph_store *store;
    if ((rc = ph_qopen(&o, &store)) != 0)
        return rc;
    ph_result r;
    int flags = ph_qflags(&o, o.by == PH_BY_APP || PH_BY_IS_CGROUP(o.by) ? PH_Q_APPS_ONLY
                              : o.by == PH_BY_USER                      ? PH_Q_APPS_ONLY | PH_Q_BY_USER
                                                                        : 0);
    if (ph_qwindow_top(&o, store, o.since_ns, o.until_ns, 0, flags, 0, 0, peak_rank, NULL, (size_t)o.limit, 0, &r) < 0) {
        ph_store_close(store);
        return PH_EXIT_FAIL;
    }
    /* An empty answer: a whole JSON/CSV document, exit 1 (include/ph_qcmd.h). */
    int empty = r.win.samples == 0 ? ph_qno_data(&o, o.since_ns, o.until_ns) != 0 : 0;
    ph_agg *all, *rows;
    size_t n = ph_group(&o, &r, NULL, &all);
    if (empty)
        n = 0; /* memory carried in from before the window is not a peak in it */
    n = ph_agg_top(all, n, (size_t)o.limit, cmp_peak, &rows);
    if (!empty)
        empty = ph_qname_missed(&o, n);
    who *w = ph_xcalloc(n + 1, sizeof *w);
    for (size_t i = 0; i < n; i++)
        lookup(store, &rows[i], o.by == PH_BY_PROCESS, &w[i]);
    ph_store_close(store);

    /* The columns, once, for the table, the JSON rows and the CSV. */
    enum { C_NAME, C_PID, C_KEY, C_CID, C_PEAK, C_WHEN, C_PPID, C_PNAME, C_BY, NC };
    ph_col cols[NC] = {
        [C_NAME] = {"name", ph_by_heads[o.by], PH_K_STR, 0},
        [C_PID] = {"pid", NULL, PH_K_INT, 0},
        [C_KEY] = {NULL, NULL, PH_K_STR, 0},
        [C_CID] = {NULL, NULL, PH_K_STR, 0},
        [C_PEAK] = {"mem_peak_bytes", "PEAK", PH_K_BYTES, 0},
        [C_WHEN] = {"peak_time", "WHEN", PH_K_TIME, 0},
        [C_PPID] = {"peak_pid", NULL, PH_K_INT, 0},
        [C_PNAME] = {"peak_process", NULL, PH_K_STR, 0},
        [C_BY] = {NULL, "REACHED BY", PH_K_STR, 0}, /* the table's view of the two above */
    };
    if (o.by != PH_BY_PROCESS)
        cols[C_PID].key = NULL;
    ph_qcols_key(&o, &cols[C_KEY], &cols[C_CID]);
    ph_grid g;
    ph_grid_init(&g, cols, NC);
    for (size_t i = 0; i < n; i++) {
        ph_cell *c = ph_grid_row(&g);
        char by[PH_NAME_MAX + 32];
        ph_cell_str(&c[C_NAME], rows[i].name);
        ph_cell_int(&c[C_PID], rows[i].pid);
        ph_qcells_key(&o, &c[C_KEY], &c[C_CID], &rows[i]);
        ph_cell_val(&c[C_PEAK], rows[i].mem_peak);
        if (rows[i].mem_peak >= 0)
            ph_cell_int(&c[C_WHEN], rows[i].mem_peak_ns);
        if (w[i].pid >= 0) {
            ph_cell_int(&c[C_PPID], w[i].pid);
            ph_cell_str(&c[C_PNAME], w[i].name);
            snprintf(by, sizeof by, "%s (pid %d)", w[i].name, w[i].pid);
            ph_cell_str(&c[C_BY], by);
        }
    }
    cJSON *root = ph_qjson_root(&o);
    if (root) {
        cJSON_AddStringToObject(root, "metric", "mem");
    }
    char a[40], b[40], head[160];
    ph_time_display(o.since_ns, o.utc, a, sizeof a);
    ph_time_display(o.until_ns, o.utc, b, sizeof b);
    snprintf(head, sizeof head, "peak memory (footprint, else resident), %s to %s", a, b);
    int out_err = ph_qwrite(&o, root, &g, empty, head) < 0;
    free(w);
    free(rows);
    ph_result_free(&r);
    if (fflush(stdout) != 0 || out_err)
        return PH_EXIT_FAIL;
    return empty ? PH_EXIT_EMPTY : PH_EXIT_OK;
}

/* No --sort: the order is the peak. */
static const ph_opt peak_opts[] = {
    {"mem", 0, 2000, NULL, "peak memory (the default and, so far, only peak)", NULL, NULL},
    PH_QO_SINCE("1d"), PH_QO_UNTIL, PH_QO_BY, PH_QO_NAME,
    PH_QO_LIMIT("10"), PH_QO_FORMAT, PH_QO_UTC, PH_QO_DB,
    PH_OPT_END,
};

const ph_cmd ph_cmd_peak = {
    "peak",
    "",
    0,
    "Show the peak memory of each app or process in a window, when, and who reached it.",
    peak_opts,
    "  An app's peak is the largest sum of its processes' memory at one moment;\n"
    "  'reached by' is the process whose growth made it.\n",
    peak_exec,
};
