/* prochist status: the database, its tiers, and whether a recorder is writing. */
#include "ph_cmd.h"
#include "ph_format.h"
#include "ph_platform.h"
#include "ph_db.h"
#include "ph_time.h"
#include "ph_util.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static int64_t file_size(const char *path, const char *suffix)
{
    char p[PH_PATH_MAX + 8];
    struct stat st;
    if (ph_fmt(p, sizeof p, "%s%s", path, suffix) < 0 || stat(p, &st) != 0)
        return 0;
    return (int64_t)st.st_size;
}

static void dur(int64_t ns, char *buf, size_t len)
{
    if (ns <= 0)
        snprintf(buf, len, "none");
    else if (ns % (86400LL * PH_NS_PER_SEC) == 0)
        snprintf(buf, len, "%lldd", (long long)(ns / (86400LL * PH_NS_PER_SEC)));
    else if (ns % (3600LL * PH_NS_PER_SEC) == 0)
        snprintf(buf, len, "%lldh", (long long)(ns / (3600LL * PH_NS_PER_SEC)));
    else
        snprintf(buf, len, "%llds", (long long)(ns / PH_NS_PER_SEC));
}

typedef struct status_args {
    const char *db;
    int json, utc;
} status_args;

/* A running recorder whose newest sample is older than three of its gaps
 * and 2 s more has stopped writing (disk full, stopped, stuck): its lock
 * alone says nothing of that. The gap is the shortest of the newest
 * samples' (a stall lengthens one), else the default 5 s. */
static int64_t stalled_for(int64_t last_ts, int64_t cadence_ns, int64_t now)
{
    int64_t gap = cadence_ns > 0 ? cadence_ns : 5 * PH_NS_PER_SEC;
    int64_t age = now - last_ts;
    return last_ts > 0 && age > 3 * gap + 2 * PH_NS_PER_SEC ? age : 0;
}

static int take_opt(void *ctx, int c, const char *arg)
{
    status_args *a = ctx;
    switch (c) {
    case 'd': a->db = arg; break;
    case 'U': a->utc = 1; break;
    case 'f':
        if (strcmp(arg, "json") != 0 && strcmp(arg, "table") != 0) {
            ph_err("bad --format '%s': use table or json", arg);
            return PH_EXIT_USAGE;
        }
        a->json = strcmp(arg, "json") == 0;
        break;
    }
    return 0;
}

static int status_exec(int argc, char **argv)
{
    status_args args = {NULL, 0, 0};
    char path[PH_PATH_MAX], err[512];
    int rc;
    if ((rc = ph_cmd_defaults(&ph_cmd_status, take_opt, &args)) != 0 ||
        (rc = ph_cmd_parse(&ph_cmd_status, argc, argv, NULL, take_opt, &args)) >= 0)
        return rc;
    const char *dbopt = args.db;
    int json = args.json, utc = args.utc;
    int prc = ph_db_path(dbopt, 0, path, sizeof path);
    if (prc < 0)
        return prc == -2 ? PH_EXIT_USAGE : PH_EXIT_FAIL;
    long pid;
    int running = ph_store_recorder_running(path, &pid);
    ph_store *store;
    if (ph_store_open(path, PH_STORE_READ, &store, err, sizeof err) < 0) {
        ph_err("%s", err);
        return PH_EXIT_FAIL;
    }
    int64_t size = file_size(path, ""), wal = file_size(path, "-wal");
    ph_db_status ds;
    ph_db_status_read(store, &ds);
    int64_t last_ts = ds.last_ts, last_procs = ds.last_procs, last_denied = ds.last_denied;
    int64_t keep[4] = {ds.retain_ns[PH_TIER_RAW], ds.retain_ns[PH_TIER_MINUTE], ds.retain_ns[PH_TIER_HOUR],
                       ds.max_db_bytes};
    int64_t version = ds.version, exit_rows = ds.exit_rows;
    const char *exit_mode = ds.exit_mode;
    int64_t now = ph_now_wall_ns();
    int64_t stalled = running ? stalled_for(last_ts, ds.cadence_ns, now) : 0;
    ph_store_close(store);

    char t1[40], t2[40], a[32], b[32];
    if (json) {
        cJSON *root = cJSON_CreateObject();
        /* JSON strings are UTF-8: a byte that is not becomes '?' (the path
         * a user typed, or a value another program wrote into meta) */
        char jpath[sizeof path], jmode[sizeof ds.exit_mode];
        snprintf(jpath, sizeof jpath, "%s", path);
        snprintf(jmode, sizeof jmode, "%s", exit_mode);
        ph_utf8_sanitize(jpath);
        ph_utf8_sanitize(jmode);
        cJSON_AddStringToObject(root, "database", jpath);
        cJSON_AddNumberToObject(root, "schema", (double)version);
        cJSON_AddNumberToObject(root, "file_bytes", (double)size);
        cJSON_AddNumberToObject(root, "wal_bytes", (double)wal);
        cJSON_AddBoolToObject(root, "recording", running);
        if (exit_mode[0])
            cJSON_AddStringToObject(root, "exit_mode", jmode);
        else
            cJSON_AddNullToObject(root, "exit_mode");
        cJSON_AddNumberToObject(root, "exit_rows", (double)exit_rows);
        if (running && pid > 0)
            cJSON_AddNumberToObject(root, "recorder_pid", (double)pid);
        /* true: running, but no sample for several of its intervals */
        cJSON_AddBoolToObject(root, "stalled", stalled > 0);
        if (last_ts) {
            ph_time_iso_utc(last_ts, t1, sizeof t1);
            cJSON_AddStringToObject(root, "last_sample", t1);
            cJSON_AddNumberToObject(root, "last_sample_age_s", (double)(now - last_ts) / 1e9);
            cJSON_AddNumberToObject(root, "last_sample_procs", (double)last_procs);
            cJSON_AddNumberToObject(root, "last_sample_procs_denied", (double)last_denied);
        } else {
            cJSON_AddNullToObject(root, "last_sample");
        }
        cJSON *ret = cJSON_AddObjectToObject(root, "retention_s");
        cJSON_AddNumberToObject(ret, "raw", (double)keep[0] / 1e9);
        cJSON_AddNumberToObject(ret, "minute", (double)keep[1] / 1e9);
        cJSON_AddNumberToObject(ret, "hour", (double)keep[2] / 1e9);
        cJSON_AddNumberToObject(root, "max_db_bytes", (double)keep[3]);
        cJSON *arr = cJSON_AddArrayToObject(root, "tiers");
        for (int i = 0; i < PH_TIER_COUNT; i++) {
            cJSON *t = cJSON_CreateObject();
            cJSON_AddStringToObject(t, "tier", ph_tier_name((enum ph_tier)i));
            cJSON_AddNumberToObject(t, "rows", (double)ds.tier[i].rows);
            if (ds.tier[i].rows && ds.tier[i].from_ns) {
                ph_time_iso_utc(ds.tier[i].from_ns, t1, sizeof t1);
                ph_time_iso_utc(ds.tier[i].to_ns, t2, sizeof t2);
                cJSON_AddStringToObject(t, "since", t1); /* as every command names a span */
                cJSON_AddStringToObject(t, "until", t2);
            }
            cJSON_AddItemToArray(arr, t);
        }
        return ph_json_print(root) == 0 && fflush(stdout) == 0 ? PH_EXIT_OK : PH_EXIT_FAIL;
    }
    /* The path and what the database says are shown as table cells are:
     * what a terminal would act on (ESC, a newline, RLO) becomes '?'. */
    char shown_path[PH_PATH_MAX], shown_mode[sizeof ds.exit_mode];
    snprintf(shown_path, sizeof shown_path, "%s", path);
    snprintf(shown_mode, sizeof shown_mode, "%s", exit_mode);
    ph_ctrl_sanitize(shown_path);
    ph_ctrl_sanitize(shown_mode);
    ph_fmt_bytes(size, a, sizeof a);
    ph_fmt_bytes(wal, b, sizeof b);
    printf("database     %s (%s, WAL %s, schema %lld%s)\n", shown_path, a, b, (long long)version,
           version < ph_store_schema_version() ? "; the recorder's next start upgrades it" : "");
    if (running && stalled) {
        char since[40];
        ph_time_display(last_ts, utc, since, sizeof since);
        printf("recorder     running (pid %ld) but not writing: no sample since %s (%.0f s; it samples every "
               "%.3g s); see its log\n",
               pid, since, (double)stalled / 1e9, (double)(ds.cadence_ns > 0 ? ds.cadence_ns : 5 * PH_NS_PER_SEC) / 1e9);
    } else if (running)
        printf("recorder     running (pid %ld)\n", pid);
    else
        printf("recorder     not running\n");
    if (last_ts) {
        ph_time_display(last_ts, utc, t1, sizeof t1);
        printf("last sample  %s: %lld processes, %lld partly unreadable\n", t1, (long long)last_procs,
               (long long)last_denied);
    }
    if (exit_mode[0])
        printf("exits        %s; %lld exit rows in raw samples\n", shown_mode, (long long)exit_rows);
    char r0[16], r1[16], r2[16];
    dur(keep[0], r0, sizeof r0);
    dur(keep[1], r1, sizeof r1);
    dur(keep[2], r2, sizeof r2);
    ph_fmt_bytes(keep[3] ? keep[3] : -1, a, sizeof a);
    printf("retention    raw %s, minute %s, hour %s; size cap %s\n\n", r0, r1, r2, keep[3] ? a : "none");
    const char *heads[] = {"TIER", "ROWS", "FROM", "TO"};
    const int right[] = {0, 1, 0, 0};
    ph_table t;
    ph_table_init(&t, 4, heads, right);
    for (int i = 0; i < PH_TIER_COUNT; i++) {
        char n[32];
        const char *cells[4];
        snprintf(n, sizeof n, "%lld", (long long)ds.tier[i].rows);
        if (ds.tier[i].rows && ds.tier[i].from_ns) {
            ph_time_display(ds.tier[i].from_ns, utc, t1, sizeof t1);
            ph_time_display(ds.tier[i].to_ns, utc, t2, sizeof t2);
        } else {
            snprintf(t1, sizeof t1, "-");
            snprintf(t2, sizeof t2, "-");
        }
        cells[0] = ph_tier_name((enum ph_tier)i);
        cells[1] = n;
        cells[2] = t1;
        cells[3] = t2;
        ph_table_add(&t, cells);
    }
    ph_table_print(&t, stdout, ph_use_colour(stdout));
    ph_table_free(&t);
    return fflush(stdout) == 0 ? PH_EXIT_OK : PH_EXIT_FAIL;
}

static const ph_opt status_opts[] = {
    {"format", 'f', 'f', "FMT", "table or json", "table", NULL},
    {"utc", 0, 'U', NULL, "show times in UTC", NULL, NULL},
    {"db", 0, 'd', "PATH", "database (default $PROCHIST_DB, else the per-user state\ndirectory)", NULL, NULL},
    PH_OPT_END,
};

const ph_cmd ph_cmd_status = {
    "status",
    "",
    0,
    "Show the database: size, tiers and their time ranges, retention, recorder.",
    status_opts,
    NULL,
    status_exec,
};
