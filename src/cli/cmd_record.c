/* prochist record: sample every process into the database until stopped. */
#include "ph_cmd.h"
#include "ph_platform.h"
#include "ph_recorder.h"
#include "ph_util.h"

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

typedef struct record_args {
    ph_record_opts *o;
    const char *db;
} record_args;

static int take_opt(void *ctx, int c, const char *arg)
{
    record_args *a = ctx;
    ph_record_opts *o = a->o;
    char err[256];
    switch (c) {
    case 'd': a->db = arg; break;
    case 'i':
        if (parse_interval(arg, &o->interval_ns) < 0) {
            ph_err("bad --interval '%s': give seconds from 0.01 to 86400, e.g. 5 or 0.2", arg);
            return PH_EXIT_USAGE;
        }
        break;
    case 'c':
        if (parse_count(arg, &o->count) < 0) {
            ph_err("bad --count '%s': give a whole number of samples from 1 to 1000000000", arg);
            return PH_EXIT_USAGE;
        }
        break;
    case 'p':
    case 's':
    case 'T':
        if (!arg[0]) { /* "" would read or write the working directory's names */
            ph_err("empty --%s: give a directory", c == 'p' ? "proc-root" : c == 's' ? "sys-root" : "textfile-dir");
            return PH_EXIT_USAGE;
        }
        *(c == 'p' ? &o->proc_root : c == 's' ? &o->sys_root : &o->textfile_dir) = arg;
        break;
    case 'q': o->quiet = 1; break;
    case 'E':
        if (parse_interval(arg, &o->textfile_every_ns) < 0) {
            ph_err("bad --textfile-every '%s': give seconds from 0.01 to 86400, e.g. 60", arg);
            return PH_EXIT_USAGE;
        }
        break;
    case 'r':
        if (ph_retention_parse(arg, &o->retain, err, sizeof err) < 0) {
            ph_err("%s", err);
            return PH_EXIT_USAGE;
        }
        break;
    case 'm':
        if (ph_size_parse(arg, &o->retain.max_bytes) < 0 || o->retain.max_bytes < 1048576) {
            ph_err("bad --max-db-size '%s': give a size of 1M or more, e.g. 500M or 2G", arg);
            return PH_EXIT_USAGE;
        }
        break;
    }
    return 0;
}

static int record_exec(int argc, char **argv)
{
    ph_record_opts o;
    char path[PH_PATH_MAX];
    int rc;
    memset(&o, 0, sizeof o);
    ph_retention_default(&o.retain);
    record_args args = {&o, NULL};
    if ((rc = ph_cmd_defaults(&ph_cmd_record, take_opt, &args)) != 0 ||
        (rc = ph_cmd_parse(&ph_cmd_record, argc, argv, NULL, take_opt, &args)) >= 0)
        return rc;
    const char *db = args.db;
    /* A path SQLite cannot open is refused before its directories (and
     * the file, and its lock) are created. */
    char err[512];
    int prc = ph_db_path(db, 0, path, sizeof path);
    if (prc < 0)
        return prc == -2 ? PH_EXIT_USAGE : PH_EXIT_FAIL;
    if (ph_store_check_name(path, err, sizeof err) < 0) {
        ph_err("%s", err);
        return PH_EXIT_USAGE;
    }
    prc = ph_db_path(db, 1, path, sizeof path);
    if (prc < 0)
        return prc == -2 ? PH_EXIT_USAGE : PH_EXIT_FAIL;
    o.db_path = path;
    return ph_record(&o);
}

static const ph_opt record_opts[] = {
    {"db", 'd', 'd', "PATH", "database (default $PROCHIST_DB, else the per-user state\ndirectory)", NULL, NULL},
    {"interval", 'i', 'i', "SECONDS", "time between samples, fractions allowed", "5", NULL},
    {"count", 'c', 'c', "N", "take N samples, then exit", NULL, NULL},
    {"retain", 0, 'r', "SPEC", "how long each tier is kept", "raw=2d,minute=30d,hour=400d", NULL},
    {"max-db-size", 0, 'm', "SIZE", "remove the oldest data when the file grows past SIZE (e.g.\n500M)", NULL, NULL},
    {"proc-root", 0, 'p', "DIR", "read processes from DIR instead of /proc (fixture trees)", NULL, NULL},
    {"sys-root", 0, 's', "DIR", "read devices from DIR instead of /sys", NULL, NULL},
    {"textfile-dir", 0, 'T', "DIR", "rewrite DIR/prochist.prom (node_exporter's textfile collector)", NULL, NULL},
    {"textfile-every", 0, 'E', "S", "how often, in seconds", "60", NULL},
    {"quiet", 'q', 'q', NULL, "no start/stop log lines", NULL, NULL},
    PH_OPT_END,
};

const ph_cmd ph_cmd_record = {
    "record",
    "",
    0,
    "Sample every visible process into the database until interrupted.",
    record_opts,
    "SIGINT, SIGTERM or SIGHUP (a closed terminal) finish the current sample and\n"
    "exit 0. Command lines and environments are never recorded.\n",
    record_exec,
};
