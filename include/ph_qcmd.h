/*
 * ph_qcmd.h: what the query commands (top, peak, apps, show, diff) share:
 * their common options, the window they select, the metric catalogue users
 * pick from, grouping by app/process/user, and value formatting.
 */
#ifndef PH_QCMD_H
#define PH_QCMD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ph_cmd.h"
#include "ph_platform.h"
#include "ph_query.h"
#include "ph_store.h"

enum ph_fmt { PH_FMT_TABLE, PH_FMT_JSON, PH_FMT_CSV };
/* The cgroup keys (PH_BY_UNIT on) group processes by what the cgroup table
 * says of them (include/ph_cgroup.h); Linux only (ph_platform_has_cgroups). */
enum ph_by { PH_BY_APP, PH_BY_PROCESS, PH_BY_USER, PH_BY_UNIT, PH_BY_SLICE, PH_BY_CONTAINER, PH_BY_CGROUP };
#define PH_BY_IS_CGROUP(b) ((b) >= PH_BY_UNIT)
/* "app", "process", "user", "unit", "slice", "container", "cgroup": the
 * --by values, and the JSON key of the group's name. */
extern const char *const ph_by_names[];
/* Table column of the group's name: "APP", "PROCESS", "USER", "UNIT", ... */
extern const char *const ph_by_heads[];
enum ph_unit { PH_UNIT_NS, PH_UNIT_BYTES, PH_UNIT_NJ, PH_UNIT_COUNT };

typedef struct ph_qopts {
    const char *db, *since, *until, *name, *sort;
    enum ph_fmt fmt;
    enum ph_by by;
    int by_given; /* --by was given, not its declared default (show: --by app names an app, digits or not) */
    int utc, children;
    long limit;
    /* --since or --until was given (not their declared defaults) */
    int window_given;
    /* set by an option that names the window itself (top's --at): with
     * --since or --until given, ph_qopts_finish says this, before it
     * checks them (whose defaults then make no sense to complain about) */
    const char *window_conflict;
    /* resolved by ph_qopts_finish */
    int64_t since_ns, until_ns;
    char path[PH_PATH_MAX];
    /* set by ph_group: how --name matched ("literal" or "glob"), NULL
     * without --name */
    const char *name_match;
    /* set when the answer is empty (ph_qno_data, ph_qname_missed): why */
    char note[PH_PATH_MAX + 160];
} ph_qopts;

/* Long options every query command accepts; short ones: -f FMT, -n N, -h. */
#define PH_QOPT_DB 1000
#define PH_QOPT_SINCE 1001
#define PH_QOPT_UNTIL 1002
#define PH_QOPT_UTC 1003
#define PH_QOPT_BY 1004
#define PH_QOPT_NAME 1005
#define PH_QOPT_CHILDREN 1006
#define PH_QOPT_SORT 1007
/* The time grammar in one help paragraph (include/ph_time.h). */
#define PH_QOPTS_TIME_HELP                                                                 \
    "  --since WHEN       window start: a duration back from now (90s, 30min, 1h30m,\n"     \
    "                     '1h 30m', 2d, 1w, '1h ago', -1h), a time of day (14:00: the\n"    \
    "                     last one), today, yesterday, 'yesterday 14:00', 'mon 09:00',\n"  \
    "                     @1700000000, 2026-11-26, '2026-11-26 14:00',\n"                  \
    "                     2026-11-26T14:00+02:00; local time (UTC with --utc)\n"           \
    "  --until WHEN       window end (default now), same forms\n"

/* The query options, for each command's option list (include/ph_cmd.h):
 * a command declares those it uses, and only those parse or show in its
 * help. The help text of --since is the time grammar. */
#define PH_QHELP_SINCE                                                                      \
    "window start: a duration back from now (90s, 30min, 1h30m,\n'1h 30m', 2d, 1w, "         \
    "'1h ago', -1h), a time of day (14:00: the\nlast one), today, yesterday, 'yesterday "    \
    "14:00', 'mon 09:00',\n@1700000000, 2026-11-26, '2026-11-26 14:00',\n"                  \
    "2026-11-26T14:00+02:00; local time (UTC with --utc)"
#define PH_QO_SINCE(dflt) {"since", 0, PH_QOPT_SINCE, "WHEN", PH_QHELP_SINCE, dflt, NULL}
#define PH_QO_UNTIL {"until", 0, PH_QOPT_UNTIL, "WHEN", "window end, same forms", "now", "end"}
#define PH_QO_BY                                                                            \
    {"by", 0, PH_QOPT_BY, "KEY",                                                            \
     "app, process (each one), user, or (Linux) the systemd unit,\nslice, container or "     \
     "cgroup path (no cgroup recorded: '-')", "app", NULL}
#define PH_QO_NAME                                                                          \
    {"name", 0, PH_QOPT_NAME, "NAME",                                                       \
     "only the app or process named NAME; when none is, those\nmatching NAME as a glob "     \
     "(e.g. 'chrom*'); JSON name_match says\nwhich", NULL, NULL}
#define PH_QO_CHILDREN(help) {"children", 0, PH_QOPT_CHILDREN, NULL, help, NULL, NULL}
#define PH_QO_SORT(help) {"sort", 0, PH_QOPT_SORT, "METRIC", help, NULL, NULL}
#define PH_QO_LIMIT(dflt) {"limit", 'n', 'n', "N", "rows to show", dflt, NULL}
#define PH_QO_FORMAT                                                                        \
    {"format", 'f', 'f', "FMT", "table, json or csv; json and csv carry base units\n"        \
     "(docs/json.md)", "table", NULL}
#define PH_QO_UTC                                                                           \
    {"utc", 0, PH_QOPT_UTC, NULL, "show times in UTC, and read times without a zone as UTC", NULL, NULL}
#define PH_QO_DB                                                                            \
    {"db", 0, PH_QOPT_DB, "PATH", "database (default $PROCHIST_DB, else the per-user state\ndirectory)", \
     NULL, NULL}
/* Every query option: one given to a command that does not declare it is
 * refused as "--by does nothing for power", not as unknown. */
extern const ph_opt ph_qopts_all[];

void ph_qopts_init(ph_qopts *o, const char *default_since);
/* Handle an option getopt returned: 1 handled, 0 not a shared one,
 * -1 bad value (message printed: exit PH_EXIT_USAGE). */
int ph_qopts_handle(ph_qopts *o, int c, const char *arg);
struct ph_cmd;
/* Parse a query command's arguments by its declared options (cmd->opts):
 * their defaults, then argv; the query options fill o, on_opt (may be NULL)
 * gets the command's own and returns 0 or an exit status; cmd->nargs
 * positional arguments are left at argv[optind]; then the window is
 * resolved (ph_qopts_finish). Returns -1 to go on, else an exit status (0
 * after --help). */
int ph_qopts_parse(ph_qopts *o, const struct ph_cmd *cmd, int argc, char **argv,
                   int (*on_opt)(void *ctx, int c, const char *arg), void *ctx);
/* --resolution: auto (0) or whole minutes; -1 with a message when bad. */
int ph_parse_resolution(const char *arg, int64_t *res);
/* About 60 points over a span: 1m, 5m, 15m, 1h, 6h, 1d, 1w or whole weeks. */
int64_t ph_auto_resolution(int64_t span);
/* A time option's value in the grammar of ph_time.h, local or (with
 * --utc) UTC: 0, or PH_EXIT_USAGE after a one-line error naming opt. */
int ph_qtime(const char *opt, const char *arg, int64_t now_ns, int utc, int64_t *out_ns);
/* Resolve times and the database path: 0, or an exit status. */
int ph_qopts_finish(ph_qopts *o);
/* Open the database read-only: 0, or PH_EXIT_FAIL with a message. */
int ph_qopen(const ph_qopts *o, ph_store **s);
/*
 * The empty answer, the same for every query command (docs/json.md): a
 * window without samples, or a --name that matches nothing, exits
 * PH_EXIT_EMPTY (1) with one line on stderr saying why; on stdout, JSON is
 * still a whole document with "rows": [] and that line as "note", CSV is
 * its header line alone, a table prints nothing.
 */
#define PH_EXIT_EMPTY 1
/* "no samples between A and B in PATH": said, kept in o->note;
 * returns PH_EXIT_EMPTY. */
int ph_qno_data(ph_qopts *o, int64_t since, int64_t until);
/* After ph_group gave n rows: 1 when --name was given and matched nothing
 * (said, kept in o->note), else 0. */
int ph_qname_missed(ph_qopts *o, size_t n);
struct cJSON;
/* The fields every query command's JSON carries when they apply: "note"
 * (an empty answer) and "name_match" (with --name). */
void ph_qjson_common(const ph_qopts *o, struct cJSON *root);

/* The metric catalogue: what --sort and the --METRIC flags name. */
typedef struct ph_qmetric {
    const char *name;  /* cpu, mem, disk, energy, wakeups, instructions, ... */
    const char *json;  /* key in JSON/CSV, unit in the name */
    const char *head;  /* table column */
    enum ph_unit unit;
    double scale;      /* base value / scale = JSON value (ns -> s, nJ -> J) */
    ph_mask need;      /* metrics it reads */
} ph_qmetric;

extern const ph_qmetric ph_qmetrics[];
extern const size_t ph_nqmetrics;
const ph_qmetric *ph_qmetric_find(const char *name);
/* A group's value of a metric in base units; < 0 when not measured. */
int64_t ph_qmetric_value(const ph_qmetric *m, const ph_agg *a, int children);
/* The mask of metrics to read for a list of catalogue metrics. */
ph_mask ph_qmetric_need(void);

/* Rows for o->by (apps, processes or users), borrowed from r, filtered by
 * --name: its exact text when some name or app equals it ('[kernel]',
 * 'a*b' as named), else as a glob; o->name_match says which. When cmp is
 * given, sorted by it and cut to o->limit. Returns how many rows *rows
 * holds. */
size_t ph_group(ph_qopts *o, ph_result *r, int (*cmp)(const void *, const void *), ph_agg **rows);

/* Before ph_group: r's groups of a cgroup key (o->by), which the query
 * engine made (ph_qflags gave it the key: r->apps[].app is the unit, the
 * slice, the path or a container's full id), named as tables show them:
 * a container by its short id. No-op for other keys. */
void ph_qname_groups(const ph_qopts *o, ph_result *r);
/* What every grouping command reads: the window's rows (ph_query_window_metrics),
 * then grouped by a cgroup key when o->by is one (ph_qname_groups). 0, or
 * -1 with the error printed (one line) and nothing left to free in r. */
int ph_qwindow(const ph_qopts *o, ph_store *s, int64_t since, int64_t until, ph_mask want, int flags,
               ph_result *r);
/* The same for a command that shows the first `limit` processes by rank
 * (include/ph_query.h, ph_query_window_top): with --by process and no
 * --name, over a month it reads only the processes that can rank
 * (r->procs holds them, r->rest the others' counters of rest_need
 * summed); otherwise,
 * or when that does not apply, ph_qwindow. explain: say which to stderr. */
int ph_qwindow_top(const ph_qopts *o, ph_store *s, int64_t since, int64_t until, ph_mask want, int flags,
                   ph_mask rank_need, ph_mask rest_need, ph_rank_fn rank, void *ctx, size_t limit, int explain,
                   ph_result *r);
/* A group row's key in JSON for a cgroup key: "unit": "nginx.service",
 * ..., and for containers also "container_id" (the full id). */
void ph_qjson_key(const ph_qopts *o, struct cJSON *row, const ph_agg *a);
struct ph_col;
struct ph_cell;
/* The same for a grid (include/ph_format.h): a command's columns `key`
 * (no head) and `cid` get the key's name and "container_id", or neither
 * (key and head NULL: not shown) for the other --by values; their cells
 * a group's key value and container id. */
void ph_qcols_key(const ph_qopts *o, struct ph_col *key, struct ph_col *cid);
void ph_qcells_key(const ph_qopts *o, struct ph_cell *key, struct ph_cell *cid, const ph_agg *a);
struct ph_grid;
/* A JSON answer's document, begun with "since" and "until" (UTC) of o's
 * window; or NULL when o->fmt is not JSON. */
struct cJSON *ph_qjson_root(const ph_qopts *o);
/* Write a query command's answer from its grid: JSON (root, or NULL for a
 * new one, gets ph_qjson_common's fields and "rows", and is printed and
 * freed), CSV, or, unless the answer is empty (its note said it), the
 * table after the line `head` (may be NULL). Frees g. 0, or -1 when
 * writing failed. */
int ph_qwrite(const ph_qopts *o, struct cJSON *root, struct ph_grid *g, int empty, const char *head);
/* The query flags for o->by beside the command's own: a cgroup key's
 * PH_Q_BY_UNIT ... (include/ph_query.h), so the engine groups by it. */
int ph_qflags(const ph_qopts *o, int flags);

/* A CSV field, control characters replaced by '?', quoted when it holds a
 * comma or quote. */
void ph_csv_field(FILE *f, const char *s);

/* Human form of a value in base units ("-" when v < 0). */
void ph_fmt_unit(enum ph_unit u, int64_t v, char *buf, size_t len);

/* A process's GPU %: its share of all processes' GPU time times the
 * system's busy % (the seed's formula) when the system's busy % is known;
 * else its GPU time over the wall time of the window (engine time, which can
 * exceed 100 with several engines). -1 when unknown. */
double ph_gpu_pct(int64_t proc_gpu_ns, int64_t all_gpu_ns, double system_busy_pct, int64_t covered_ns);

#endif
