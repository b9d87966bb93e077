/* prochist record: sample every process into the database until stopped. */
#include "ph_cmd.h"
#include "ph_platform.h"
#include "ph_recorder.h"
#include "ph_util.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Seconds as plain decimals: strtod alone would take " 5", "0x10", "1e1". */
static int parse_interval(const char *s, int64_t *ns)
{
    double sec;
    const char *end;
    if (ph_parse_decimal(s, &sec, &end) < 0 || *end != '\0' || !(sec >= 0.01) || sec > 86400.0)
        return -1;
    *ns = (int64_t)(sec * 1e9 + 0.5);
    return 0;
}

/* Up to a billion samples (32 years at 1 s): a larger count is a typo. */
static int parse_count(const char *s, int64_t *n)
{
    int64_t v;
    if (ph_parse_uint(s, 1000000000LL, &v) < 0 || v < 1)
        return -1;
    *n = v;
    return 0;
}

static int record_exec(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"interval", required_argument, NULL, 'i'},
        {"count", required_argument, NULL, 'c'},
        {"proc-root", required_argument, NULL, 'p'},
        {"sys-root", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"retain", required_argument, NULL, 'r'},
        {"max-db-size", required_argument, NULL, 'm'},
        {"textfile-dir", required_argument, NULL, 'T'},
        {"textfile-every", required_argument, NULL, 'E'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ph_record_opts o;
    const char *db = NULL;
    char path[PH_PATH_MAX];
    int c;
    memset(&o, 0, sizeof o);
    o.interval_ns = 5000000000LL;
    ph_retention_default(&o.retain);
    o.textfile_every_ns = 60 * 1000000000LL;
    char err[256];
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":d:i:c:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': db = optarg; break;
        case 'i':
            if (parse_interval(optarg, &o.interval_ns) < 0) {
                ph_err("bad --interval '%s': give seconds from 0.01 to 86400, e.g. 5 or 0.2", optarg);
                return PH_EXIT_USAGE;
            }
            break;
        case 'c':
            if (parse_count(optarg, &o.count) < 0) {
                ph_err("bad --count '%s': give a whole number of samples from 1 to 1000000000", optarg);
                return PH_EXIT_USAGE;
            }
            break;
        case 'p': o.proc_root = optarg; break;
        case 's': o.sys_root = optarg; break;
        case 'q': o.quiet = 1; break;
        case 'T': o.textfile_dir = optarg; break;
        case 'E':
            if (parse_interval(optarg, &o.textfile_every_ns) < 0) {
                ph_err("bad --textfile-every '%s': give seconds from 0.01 to 86400, e.g. 60", optarg);
                return PH_EXIT_USAGE;
            }
            break;
        case 'r':
            if (ph_retention_parse(optarg, &o.retain, err, sizeof err) < 0) {
                ph_err("%s", err);
                return PH_EXIT_USAGE;
            }
            break;
        case 'm':
            if (ph_size_parse(optarg, &o.retain.max_bytes) < 0 || o.retain.max_bytes < 1048576) {
                ph_err("bad --max-db-size '%s': give a size of 1M or more, e.g. 500M or 2G", optarg);
                return PH_EXIT_USAGE;
            }
            break;
        case 'h': ph_cmd_print_help(&ph_cmd_record, 0); return PH_EXIT_OK;
        case ':':
            ph_err("option '%s' needs a value", argv[optind - 1]);
            return PH_EXIT_USAGE;
        default:
            ph_err("unknown option '%s' for record; see 'prochist record --help'", argv[optind - 1]);
            return PH_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        ph_err("unexpected argument '%s' for record", argv[optind]);
        return PH_EXIT_USAGE;
    }
    int prc = ph_db_path(db, 1, path, sizeof path);
    if (prc < 0)
        return prc == -2 ? PH_EXIT_USAGE : PH_EXIT_FAIL;
    o.db_path = path;
    return ph_record(&o);
}

const ph_cmd ph_cmd_record = {
    "record",
    "[--db PATH] [--interval SECONDS] [--count N] [--retain SPEC] [--max-db-size SIZE]",
    "Sample every visible process into the database until interrupted.",
    "  --db PATH          database (default $PROCHIST_DB, else the per-user state directory)\n"
    "  --interval SECONDS time between samples, fractions allowed (default 5)\n"
    "  --count N          take N samples, then exit\n"
    "  --proc-root DIR    read processes from DIR instead of /proc (fixture trees)\n"
    "  --sys-root DIR     read devices from DIR instead of /sys\n"
    "  --retain SPEC      how long each tier is kept (default raw=2d,minute=30d,hour=400d)\n"
    "  --max-db-size SIZE remove the oldest data when the file grows past SIZE (e.g. 500M)\n"
    "  --textfile-dir DIR rewrite DIR/prochist.prom (node_exporter's textfile collector)\n"
    "  --textfile-every S how often, in seconds (default 60)\n"
    "  -q, --quiet        no start/stop log lines\n"
    "\nSIGINT or SIGTERM finish the current sample and exit 0. Command lines and\n"
    "environments are never recorded.\n",
    record_exec,
};
