/* prochist apps: the apps (or processes) seen in a window, first and last
 * seen, with their totals. */
#include "ph_cmd.h"
#include "ph_format.h"
#include "ph_qcmd.h"
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
    /* Process rows: distinct processes and first/last seen need them. */
    int flags = ph_qflags(&o, o.by == PH_BY_USER ? PH_Q_BY_USER : 0);
    if (explain)
        ph_query_explain(store, o.since_ns, o.until_ns, flags, stderr);
    if (ph_qwindow(&o, store, o.since_ns, o.until_ns, ph_qmetric_need(), flags, &r) < 0) {
        ph_store_close(store);
        return PH_EXIT_FAIL;
    }
    ph_store_close(store);
    /* An empty answer: a whole JSON/CSV document, exit 1 (include/ph_qcmd.h). */
    int empty = r.win.samples == 0 ? ph_qno_data(&o, o.since_ns, o.until_ns) != 0 : 0;
    ph_agg *all, *rows;
    size_t n = ph_group(&o, &r, NULL, &all);
    n = ph_agg_top(all, n, (size_t)o.limit, cmp_seen, &rows);
    if (!empty)
        empty = ph_qname_missed(&o, n);
    int byp = o.by == PH_BY_PROCESS;
    char t1[48], t2[48];
    int out_err = 0;
    if (o.fmt == PH_FMT_JSON) {
        cJSON *root = cJSON_CreateObject();
        ph_time_iso_utc(o.since_ns, t1, sizeof t1);
        cJSON_AddStringToObject(root, "since", t1);
        ph_time_iso_utc(o.until_ns, t1, sizeof t1);
        cJSON_AddStringToObject(root, "until", t1);
        ph_qjson_common(&o, root);
        cJSON *arr = cJSON_AddArrayToObject(root, "rows");
        for (size_t i = 0; i < n; i++) {
            const ph_agg *a = &rows[i];
            cJSON *row = cJSON_CreateObject();
            cJSON_AddStringToObject(row, "name", a->name);
            if (byp) {
                cJSON_AddNumberToObject(row, "pid", a->pid);
                cJSON_AddStringToObject(row, "app", a->app);
            } else {
                ph_qjson_key(&o, row, a);
                cJSON_AddNumberToObject(row, "distinct_processes", a->nprocs);
            }
            ph_time_iso_utc(a->first_ns, t1, sizeof t1);
            ph_time_iso_utc(a->last_ns, t2, sizeof t2);
            cJSON_AddStringToObject(row, "first_seen", t1);
            cJSON_AddStringToObject(row, "last_seen", t2);
            ph_json_num(row, "cpu_s", ph_qmetric_value(cpu, a, o.children), 1e9);
            ph_json_num(row, "mem_peak_bytes", a->mem_peak, 1);
            ph_json_num(row, "disk_bytes", ph_qmetric_value(ph_qmetric_find("disk"), a, 0), 1);
            cJSON_AddItemToArray(arr, row);
        }
        out_err = ph_json_print(root) < 0;
    } else if (o.fmt == PH_FMT_CSV) {
        printf("name,%s,first_seen,last_seen,cpu_s,mem_peak_bytes,disk_bytes\n", byp ? "pid,app" : "distinct_processes");
        for (size_t i = 0; i < n; i++) {
            const ph_agg *a = &rows[i];
            ph_csv_field(stdout, a->name);
            ph_time_iso_utc(a->first_ns, t1, sizeof t1);
            ph_time_iso_utc(a->last_ns, t2, sizeof t2);
            int64_t v = ph_qmetric_value(cpu, a, o.children);
            printf(",%d", byp ? a->pid : a->nprocs);
            if (byp) {
                putchar(',');
                ph_csv_field(stdout, a->app);
            }
            printf(",%s,%s,", t1, t2);
            if (v >= 0)
                printf("%.9g", (double)v / 1e9);
            putchar(',');
            if (a->mem_peak >= 0)
                printf("%lld", (long long)a->mem_peak);
            putchar(',');
            v = ph_qmetric_value(ph_qmetric_find("disk"), a, 0);
            if (v >= 0)
                printf("%lld", (long long)v);
            putchar('\n');
        }
    } else if (!empty) { /* empty: the note said it */
        const char *heads[] = {ph_by_heads[o.by], byp ? "PID" : "PROCS SEEN", "FIRST SEEN", "LAST SEEN", "CPU",
                               "MEM PEAK", "DISK"};
        const int right[] = {0, 1, 0, 0, 1, 1, 1};
        ph_table tb;
        ph_table_init(&tb, 7, heads, right);
        for (size_t i = 0; i < n; i++) {
            const ph_agg *a = &rows[i];
            char k[16], cpu_s[24], mem[24], disk[24];
            const char *cells[7];
            snprintf(k, sizeof k, "%d", byp ? a->pid : a->nprocs);
            ph_time_display(a->first_ns, o.utc, t1, sizeof t1);
            ph_time_display(a->last_ns, o.utc, t2, sizeof t2);
            ph_fmt_duration(ph_qmetric_value(cpu, a, o.children), cpu_s, sizeof cpu_s);
            ph_fmt_bytes(a->mem_peak, mem, sizeof mem);
            ph_fmt_bytes(ph_qmetric_value(ph_qmetric_find("disk"), a, 0), disk, sizeof disk);
            cells[0] = a->name;
            cells[1] = k;
            cells[2] = t1;
            cells[3] = t2;
            cells[4] = cpu_s;
            cells[5] = mem;
            cells[6] = disk;
            ph_table_add(&tb, cells);
        }
        ph_table_print(&tb, stdout, ph_use_colour(stdout));
        ph_table_free(&tb);
    }
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
    "  PROCS SEEN (JSON distinct_processes): how many processes of the group the window saw\n",
    apps_exec,
};
