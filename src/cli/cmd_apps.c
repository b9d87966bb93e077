/* prochist apps: the apps (or processes) seen in a window, first and last
 * seen, with their totals. */
#include "ph_cmd.h"
#include "ph_format.h"
#include "ph_qcmd.h"
#include "ph_query.h"
#include "ph_time.h"
#include "ph_util.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_seen(const void *x, const void *y)
{
    const ph_agg *a = x, *b = y;
    if (a->last_ns != b->last_ns)
        return a->last_ns < b->last_ns ? 1 : -1;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    if (a->pid != b->pid)
        return (a->pid > b->pid) - (a->pid < b->pid);
    /* A pid reused under the same name: the older process first, so the
     * order never depends on the order the engine listed them in. */
    return (a->proc > b->proc) - (a->proc < b->proc);
}

/* The sort value (ph_query_window_top's rank): last seen, then cmp_seen. */
static int64_t seen_rank(const ph_agg *a, void *ctx)
{
    (void)ctx;
    return a->last_ns;
}

static int take_opt(void *ctx, int c, const char *arg)
{
    (void)arg;
    if (c == 2100) /* --explain */
        *(int *)ctx = 1;
    return 0;
}

static int apps_exec(int argc, char **argv)
{
    int explain = 0;
    ph_qopts o;
    int rc;
    const ph_qmetric *cpu = ph_qmetric_find("cpu");
    ph_qopts_init(&o, NULL);
    if ((rc = ph_qopts_parse(&o, &ph_cmd_apps, argc, argv, take_opt, &explain)) >= 0)
        return rc;
    ph_store *store;
    if ((rc = ph_qopen(&o, &store)) != 0)
        return rc;
    ph_result r;
    /* Distinct processes and first/last seen are the processes' rows'. */
    int flags = ph_qflags(&o, o.by == PH_BY_USER ? PH_Q_BY_USER : 0);
    /* What the columns read: CPU (with children's) and disk. */
    ph_mask need = cpu->need | ph_qmetric_find("disk")->need | PH_BIT(PH_M_CHILD_CPU_USER_NS) |
                   PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS);
    /* By app, user or cgroup key: the app (group) rows' totals, as top's,
     * and who was seen from proc_total and the window's edges (a month's
     * every process otherwise). */
    int answered = 0;
    int64_t nread = 0;
    if (o.by != PH_BY_PROCESS) {
        char err[512] = "";
        answered = ph_query_window_apps(store, o.since_ns, o.until_ns, need, ph_qflags(&o, flags), &r, &nread, err,
                                        sizeof err);
        if (answered < 0) {
            ph_err("%s", err);
            ph_store_close(store);
            return PH_EXIT_FAIL;
        }
        if (answered)
            ph_qname_groups(&o, &r);
    }
    if (explain)
        ph_query_explain(store, o.since_ns, o.until_ns, need, answered > 0 ? flags | PH_Q_APPS_ONLY : flags, stderr);
    if (answered > 0 && explain)
        fprintf(stderr,
                "plan: %s' totals from their rows; processes seen counted with proc_total, the rows of %lld"
                " at the window's edges read\n",
                o.by == PH_BY_APP ? "apps" : "groups", (long long)nread);
    if (!answered && ph_qwindow_top(&o, store, o.since_ns, o.until_ns, need, flags, 0, 0, seen_rank, NULL,
                                    (size_t)o.limit, explain, &r) < 0) {
        ph_store_close(store);
        return PH_EXIT_FAIL;
    }
    ph_store_close(store);
    /* An empty answer: a whole JSON/CSV document, exit 1 (include/ph_qcmd.h). */
    int empty = r.win.samples == 0 ? ph_qno_data(&o, o.since_ns, o.until_ns) != 0 : 0;
    ph_agg *all, *rows;
    size_t n = ph_group(&o, &r, NULL, &all);
    if (empty)
        n = 0; /* memory carried in from before the window is not a sighting in it */
    n = ph_agg_top(all, n, (size_t)o.limit, cmp_seen, &rows);
    if (!empty)
        empty = ph_qname_missed(&o, n);
    /* The columns, once, for the table, the JSON rows and the CSV. */
    enum { C_NAME, C_PID, C_APP, C_KEY, C_CID, C_PROCS, C_FIRST, C_LAST, C_CPU, C_MEM, C_DISK, NC };
    ph_col cols[NC] = {
        [C_NAME] = {"name", ph_by_heads[o.by], PH_K_STR, 0},
        [C_PID] = {"pid", "PID", PH_K_INT, 0},
        [C_APP] = {"app", NULL, PH_K_STR, 0},
        [C_KEY] = {NULL, NULL, PH_K_STR, 0},
        [C_CID] = {NULL, NULL, PH_K_STR, 0},
        [C_PROCS] = {"distinct_processes", "PROCS SEEN", PH_K_INT, 0},
        [C_FIRST] = {"first_seen", "FIRST SEEN", PH_K_TIME, 0},
        [C_LAST] = {"last_seen", "LAST SEEN", PH_K_TIME, 0},
        [C_CPU] = {"cpu_s", "CPU", PH_K_NS, 0},
        [C_MEM] = {"mem_peak_bytes", "MEM PEAK", PH_K_BYTES, 0},
        [C_DISK] = {"disk_bytes", "DISK", PH_K_BYTES, 0},
    };
    int byp = o.by == PH_BY_PROCESS;
    if (byp)
        cols[C_PROCS].key = cols[C_PROCS].head = NULL;
    else
        cols[C_PID].key = cols[C_PID].head = cols[C_APP].key = NULL;
    ph_qcols_key(&o, &cols[C_KEY], &cols[C_CID]);
    ph_grid g;
    ph_grid_init(&g, cols, NC);
    for (size_t i = 0; i < n; i++) {
        const ph_agg *a = &rows[i];
        ph_cell *c = ph_grid_row(&g);
        ph_cell_str(&c[C_NAME], a->name);
        ph_cell_int(&c[C_PID], a->pid);
        ph_cell_str(&c[C_APP], a->app);
        ph_qcells_key(&o, &c[C_KEY], &c[C_CID], a);
        ph_cell_int(&c[C_PROCS], a->nprocs);
        ph_cell_int(&c[C_FIRST], a->first_ns);
        ph_cell_int(&c[C_LAST], a->last_ns);
        ph_cell_val(&c[C_CPU], ph_qmetric_value(cpu, a, o.children));
        ph_cell_val(&c[C_MEM], a->mem_peak);
        ph_cell_val(&c[C_DISK], ph_qmetric_value(ph_qmetric_find("disk"), a, 0));
    }
    int out_err = ph_qwrite(&o, ph_qjson_root(&o), &g, empty, NULL) < 0;
    free(rows);
    ph_result_free(&r);
    if (fflush(stdout) != 0 || out_err)
        return PH_EXIT_FAIL;
    return empty ? PH_EXIT_EMPTY : PH_EXIT_OK;
}

/* No --sort: the order is most recently seen. */
static const ph_opt apps_opts[] = {
    PH_QO_SINCE("1d"), PH_QO_UNTIL, PH_QO_BY, PH_QO_NAME,
    PH_QO_CHILDREN("CPU includes reaped children (counted once)"), PH_QO_LIMIT("50"), PH_QO_FORMAT, PH_QO_UTC,
    PH_QO_DB,
    {"explain", 0, 2100, NULL, "print the query plan to stderr (tiers, tables, rows read)", NULL, NULL},
    PH_OPT_END,
};

const ph_cmd ph_cmd_apps = {
    "apps",
    "",
    0,
    "List the apps (or processes) seen in a window, first and last seen, with totals.",
    apps_opts,
    "  Most recently seen first.\n"
    "  PROCS SEEN (JSON distinct_processes): how many processes of the group the window saw\n"
    "  (a process that changed user or cgroup is seen in its last; over days CPU, MEM PEAK\n"
    "  and DISK of a user or cgroup key are top --by's: each hour under the key it had then)\n",
    apps_exec,
};
