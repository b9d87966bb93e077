/* prochist power: the system's power over time (package, core, uncore,
 * DRAM, platform, GPU), GPU busy % and clock, from what the recorder read. */
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


static const char *const domain_key[PH_PWR_DOMAINS] = {"package_w", "core_w", "uncore_w", "dram_w", "psys_w",
                                                        "gpu_w",     "ane_w"};
/* energy_j's keys: the domains, as export's domain label names them */
static const char *const domain_name[PH_PWR_DOMAINS] = {"package", "core", "uncore", "dram", "psys", "gpu", "ane"};
static const char *const domain_head[PH_PWR_DOMAINS] = {"PACKAGE", "CORE", "UNCORE", "DRAM", "PSYS", "GPU", "ANE"};

/* GPU busy % and average MHz of a window; < 0 when no gauge was read */
static double gpu_busy_pct(const ph_window *w)
{
    if (w->gpu_busy_ns < 0 || w->gpu_covered_ns <= 0)
        return -1;
    return 100.0 * (double)w->gpu_busy_ns / (double)w->gpu_covered_ns;
}

static double gpu_mhz(const ph_window *w)
{
    if (w->gpu_mcycles < 0 || w->gpu_covered_ns <= 0)
        return -1;
    return (double)w->gpu_mcycles * 1e9 / (double)w->gpu_covered_ns;
}

static int take_resolution(void *ctx, int c, const char *arg)
{
    if (c == 2000 && ph_parse_resolution(arg, ctx) < 0)
        return PH_EXIT_USAGE;
    return 0;
}

static int power_exec(int argc, char **argv)
{
    ph_qopts o;
    int rc;
    int64_t res = 0;
    char err[512] = "", why[256];
    ph_qopts_init(&o, NULL);
    if ((rc = ph_qopts_parse(&o, &ph_cmd_power, argc, argv, take_resolution, &res)) >= 0)
        return rc;
    if (!res)
        res = ph_auto_resolution(o.until_ns - o.since_ns);
    int64_t from = o.since_ns - o.since_ns % res;
    size_t n = (size_t)((o.until_ns - from + res - 1) / res);
    if (n > 1000) {
        ph_err("--resolution too fine for this window (%zu points, at most 1000)", n);
        return PH_EXIT_USAGE;
    }
    ph_store *st;
    if ((rc = ph_qopen(&o, &st)) != 0)
        return rc;
    ph_meta_get_text(st, PH_META_POWER_NOTE, why, sizeof why);
    ph_window *w = ph_xcalloc(n + 1, sizeof *w);
    int64_t samples = 0, total[PH_PWR_DOMAINS], covered = 0;
    int any = 0;
    for (int d = 0; d < PH_PWR_DOMAINS; d++)
        total[d] = -1;
    for (size_t i = 0; i < n; i++) {
        ph_result r;
        int64_t b = from + (int64_t)i * res, e = b + res < o.until_ns ? b + res : o.until_ns;
        if (ph_query_window_metrics(st, b, e, 0, PH_Q_APPS_ONLY, &r, err, sizeof err) < 0) {
            ph_err("%s", err);
            free(w);
            ph_store_close(st);
            return PH_EXIT_FAIL;
        }
        w[i] = r.win;
        w[i].since = b;
        ph_result_free(&r);
        samples += w[i].samples;
        for (int d = 0; d < PH_PWR_DOMAINS; d++)
            if (w[i].energy_nj[d] >= 0) {
                total[d] = (total[d] < 0 ? 0 : total[d]) + w[i].energy_nj[d];
                any = 1;
            }
        if (w[i].energy_nj[PH_PWR_PACKAGE] >= 0 || w[i].energy_nj[PH_PWR_PSYS] >= 0)
            covered += w[i].covered_ns;
    }
    ph_store_close(st);
    /* An empty answer: a whole JSON/CSV document, exit 1 (include/ph_qcmd.h). */
    int empty = samples == 0 ? ph_qno_data(&o, o.since_ns, o.until_ns) != 0 : 0;
    if (empty)
        n = 0;
    else if (!any)
        ph_err("note: no power was measured in this window: %s", why[0] ? why : "no power source recorded");
    /* The columns, once, for the table, the JSON rows and the CSV: TIME,
     * a column per power domain, GPU busy and MHz (in a table, the GPU
     * ones only when some row has them: most machines have none). */
    enum { C_TIME, C_COVERED, C_DOMAIN, C_BUSY = C_DOMAIN + PH_PWR_DOMAINS, C_MHZ, NC };
    ph_col cols[NC] = {
        [C_TIME] = {"time", "TIME", PH_K_TIME, 0},
        [C_COVERED] = {"covered_s", NULL, PH_K_NS, 0},
        [C_BUSY] = {"gpu_busy_pct", "GPU BUSY", PH_K_PCT, PH_COL_SPARSE},
        [C_MHZ] = {"gpu_mhz", "GPU MHZ", PH_K_NUM, PH_COL_SPARSE},
    };
    for (int d = 0; d < PH_PWR_DOMAINS; d++)
        cols[C_DOMAIN + d] = (ph_col){domain_key[d], domain_head[d], PH_K_W,
                                      d == PH_PWR_GPU || d == PH_PWR_ANE ? PH_COL_SPARSE : 0};
    ph_grid g;
    ph_grid_init(&g, cols, NC);
    for (size_t i = 0; i < n; i++) {
        ph_cell *c = ph_grid_row(&g);
        ph_cell_int(&c[C_TIME], w[i].since);
        ph_cell_val(&c[C_COVERED], w[i].covered_ns);
        for (int d = 0; d < PH_PWR_DOMAINS; d++)
            if (w[i].energy_nj[d] >= 0 && w[i].covered_ns > 0)
                ph_cell_dbl(&c[C_DOMAIN + d], (double)w[i].energy_nj[d] / (double)w[i].covered_ns);
        ph_cell_dbl(&c[C_BUSY], gpu_busy_pct(&w[i]));
        ph_cell_dbl(&c[C_MHZ], gpu_mhz(&w[i]));
    }
    cJSON *root = ph_qjson_root(&o);
    if (root) {
        cJSON_AddStringToObject(root, "source", why);
        cJSON_AddStringToObject(root, "measured", "system energy from the platform's counters (RAPL on Linux; "
                                                  "GPU: the driver's energy counter or its power reading); "
                                                  "GPU busy and MHz: the driver's gauges at each sample");
        cJSON_AddNumberToObject(root, "resolution_s", (double)(res / PH_NS_PER_SEC));
        cJSON *tot = cJSON_AddObjectToObject(root, "energy_j");
        for (int d = 0; d < PH_PWR_DOMAINS; d++)
            if (total[d] >= 0)
                cJSON_AddNumberToObject(tot, domain_name[d], (double)total[d] / 1e9);
    }
    /* With nothing measured, the note above has said why already. */
    char head[400];
    snprintf(head, sizeof head, "system power (measured), every %llds%s%s", (long long)(res / PH_NS_PER_SEC),
             any && why[0] ? "; " : "", any ? why : "");
    int out_err = ph_qwrite(&o, root, &g, empty, head) < 0;
    (void)covered;
    free(w);
    if (fflush(stdout) != 0 || out_err)
        return PH_EXIT_FAIL;
    return empty ? PH_EXIT_EMPTY : PH_EXIT_OK;
}

/* The system's figures: no rows to pick, group or sort (no --by, --name,
 * --children, --limit, --sort). */
static const ph_opt power_opts[] = {
    PH_QO_SINCE("2h"), PH_QO_UNTIL,
    {"resolution", 0, 2000, "R", "interval of each row: auto (about 60 rows) or whole\nminutes (1m, 15m, 1h, ...)",
     "auto", NULL},
    PH_QO_FORMAT, PH_QO_UTC, PH_QO_DB,
    PH_OPT_END,
};

const ph_cmd ph_cmd_power = {
    "power",
    "",
    0,
    "Show the system's power over time: package, core, uncore, DRAM, platform, GPU watts, GPU busy.",
    power_opts,
    "  Measured from the platform's energy counters (Linux RAPL, root only since 5.10; the GPU's\n"
    "  hwmon energy or power of a DRM card); GPU busy % (amdgpu) and MHz are the driver's gauges.\n"
    "  Per-process energy: prochist top --energy (estimated from package energy by CPU share\n"
    "  where the platform measures none; the rest is shown as unattributed).\n",
    power_exec,
};
