/* prochist export: app-level metrics for Prometheus and friends. */
#include "ph_cmd.h"
#include "ph_export.h"
#include "ph_platform.h"
#include "ph_qcmd.h"
#include "ph_time.h"
#include "ph_util.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int export_exec(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"top", required_argument, NULL, 't'},
        {"since", required_argument, NULL, 's'},
        {"utc", no_argument, NULL, 'u'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ph_export_opts o = {0, 50, 60 * PH_NS_PER_SEC, 0, NULL};
    const char *dbopt = NULL;
    char path[PH_PATH_MAX], err[512] = "";
    int64_t top;
    const char *since = NULL;
    int utc = 0;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': dbopt = optarg; break;
        case 'f':
            if (strcmp(optarg, "openmetrics") == 0)
                o.openmetrics = 1;
            else if (strcmp(optarg, "prometheus") == 0)
                o.openmetrics = 0;
            else {
                ph_err("bad --format '%s': use prometheus (text 0.0.4) or openmetrics", optarg);
                return PH_EXIT_USAGE;
            }
            break;
        case 't':
            if (ph_parse_uint(optarg, 10000, &top) < 0 || top < 1) {
                ph_err("bad --top '%s': give a number from 1 to 10000", optarg);
                return PH_EXIT_USAGE;
            }
            o.top = (int)top;
            break;
        case 's': since = optarg; break;
        case 'u': utc = 1; break;
        case 'h': ph_cmd_print_help(&ph_cmd_export, 0); return PH_EXIT_OK;
        case ':': ph_err("option '%s' needs a value", argv[optind - 1]); return PH_EXIT_USAGE;
        default:
            ph_err("unknown option '%s' for export; see 'prochist export --help'", argv[optind - 1]);
            return PH_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        ph_err("unexpected argument '%s' for export", argv[optind]);
        return PH_EXIT_USAGE;
    }
    o.now_ns = ph_now_wall_ns();
    if (since) { /* the memory peak's window: from that time to now */
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
    int rc = ph_export(s, &o, &b, err, sizeof err);
    ph_store_close(s);
    if (rc < 0) {
        ph_err("%s", err);
        ph_buf_free(&b);
        return PH_EXIT_FAIL;
    }
    if (b.len)
        fwrite(b.data, 1, b.len, stdout);
    ph_buf_free(&b);
    return fflush(stdout) == 0 ? PH_EXIT_OK : PH_EXIT_FAIL;
}

const ph_cmd ph_cmd_export = {
    "export",
    "[--format prometheus|openmetrics] [--top N] [--since WHEN] [--utc] [--db PATH]",
    "Print app-level metrics for Prometheus (counters since recording began).",
    "  --format F         prometheus (text 0.0.4, default) or openmetrics\n"
    "  --top N            one series per app for the top N of each metric (default 50),\n"
    "                     the rest summed into app=\"other\"\n"
    "  --since WHEN       start of the memory peak gauge's window, to now (default 1m):\n"
    "                     any time of 'prochist top --help' (10m, '1h ago', 14:00, today, ...)\n"
    "  --utc              read times without a zone as UTC\n"
    "  --db PATH          database (default $PROCHIST_DB, else the per-user state directory)\n"
    "  For node_exporter, let the recorder write the file: prochist record --textfile-dir DIR\n",
    export_exec,
};
