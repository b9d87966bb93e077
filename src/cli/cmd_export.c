/* prochist export: app-level (or unit, slice, container) metrics for
 * Prometheus and friends. */
#include "ph_cmd.h"
#include "ph_export.h"
#include "ph_platform.h"
#include "ph_qcmd.h"
#include "ph_time.h"
#include "ph_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct export_args {
    ph_export_opts *o;
    const char *db, *since, *by;
    int utc;
} export_args;

static int take_opt(void *ctx, int c, const char *arg)
{
    export_args *a = ctx;
    int64_t top;
    switch (c) {
    case 'd': a->db = arg; break;
    case 'f':
        if (strcmp(arg, "openmetrics") == 0)
            a->o->openmetrics = 1;
        else if (strcmp(arg, "prometheus") == 0)
            a->o->openmetrics = 0;
        else {
            ph_err("bad --format '%s': use prometheus (text 0.0.4) or openmetrics", arg);
            return PH_EXIT_USAGE;
        }
        break;
    case 't':
        if (ph_parse_uint(arg, 10000, &top) < 0 || top < 1) {
            ph_err("bad --top '%s': give a number from 1 to 10000", arg);
            return PH_EXIT_USAGE;
        }
        a->o->top = (int)top;
        break;
    case 'b':
        if (strcmp(arg, "app") != 0 && strcmp(arg, "unit") != 0 && strcmp(arg, "slice") != 0 &&
            strcmp(arg, "container") != 0) {
            ph_err("bad --by '%s': use app, unit, slice or container", arg);
            return PH_EXIT_USAGE;
        }
        if (strcmp(arg, "app") != 0 && !ph_platform_has_cgroups()) {
            ph_err("--by %s is Linux-only: this platform has no cgroups (use app)", arg);
            return PH_EXIT_USAGE;
        }
        a->by = arg;
        break;
    case 's': a->since = arg; break;
    case 'u': a->utc = 1; break;
    }
    return 0;
}

static int export_exec(int argc, char **argv)
{
    ph_export_opts o = {0, 0, 0, 0, NULL};
    export_args args = {&o, NULL, NULL, NULL, 0};
    char path[PH_PATH_MAX], err[512] = "";
    int rc;
    if ((rc = ph_cmd_defaults(&ph_cmd_export, take_opt, &args)) != 0 ||
        (rc = ph_cmd_parse(&ph_cmd_export, argc, argv, NULL, take_opt, &args)) >= 0)
        return rc;
    const char *dbopt = args.db, *since = args.since;
    int utc = args.utc;
    o.now_ns = ph_now_wall_ns();
    { /* the memory peak's window: from that time to now */
        int64_t t;
        if (ph_qtime("--since", since, o.now_ns, utc, &t))
            return PH_EXIT_USAGE;
        if (t >= o.now_ns) {
            ph_err("bad --since '%s': it is not before now", since);
            return PH_EXIT_USAGE;
        }
        o.mem_window_ns = o.now_ns - t;
    }
    int prc = ph_db_path(dbopt, 0, path, sizeof path);
    if (prc < 0)
        return prc == -2 ? PH_EXIT_USAGE : PH_EXIT_FAIL;
    ph_store *s;
    if (ph_store_open(path, PH_STORE_READ, &s, err, sizeof err) < 0) {
        ph_err("%s", err);
        return PH_EXIT_FAIL;
    }
    ph_buf b = {0};
    o.db_path = path;
    rc = ph_export_by(s, &o, args.by, &b, err, sizeof err);
    ph_store_close(s);
    if (rc < 0) {
        ph_err("%s", err);
        ph_buf_free(&b);
        return PH_EXIT_FAIL;
    }
    int werr = b.len && fwrite(b.data, 1, b.len, stdout) != b.len;
    ph_buf_free(&b);
    werr |= fflush(stdout) != 0 || ferror(stdout);
    return werr ? PH_EXIT_FAIL : PH_EXIT_OK; /* main says why */
}

static const ph_opt export_opts[] = {
    {"format", 0, 'f', "F", "prometheus (text 0.0.4) or openmetrics", "prometheus", NULL},
    {"top", 0, 't', "N", "one series per app for the top N of each metric, the rest\nsummed into app=\"other\"", "50",
     NULL},
    {"by", 0, 'b', "KEY",
     "app, or on Linux unit, slice or container: their CPU and\nstorage counters (counted as each minute is rolled up),\nthe top N as for apps, the rest summed into \"other\"",
     "app", NULL},
    {"since", 0, 's', "WHEN",
     "start of the memory peak gauge's window, to now: any time of\n'prochist top --help' (10m, '1h ago', 14:00, "
     "today, ...)", "1m", NULL},
    {"utc", 0, 'u', NULL, "read times without a zone as UTC", NULL, NULL},
    {"db", 0, 'd', "PATH", "database (default $PROCHIST_DB, else the per-user state\ndirectory)", NULL, NULL},
    PH_OPT_END,
};

const ph_cmd ph_cmd_export = {
    "export",
    "",
    0,
    "Print per-app (or unit, slice, container) counters since recording began, for Prometheus.",
    export_opts,
    "  For node_exporter, let the recorder write the file: prochist record --textfile-dir DIR\n",
    export_exec,
};
