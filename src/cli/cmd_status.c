/* prochist status: the database, its tiers, and whether a recorder is writing. */
#include "ph_cmd.h"
#include "ph_format.h"
#include "ph_platform.h"
#include "ph_store.h"
#include "ph_time.h"
#include "ph_util.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sqlite3.h>
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

static int64_t q_int(sqlite3 *db, const char *sql, int64_t dflt)
{
    sqlite3_stmt *st;
    int64_t v = dflt;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return dflt;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

/* A text value of the meta table, or "" */
static void q_text(sqlite3 *db, const char *key, char *buf, size_t len)
{
    sqlite3_stmt *st;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key = ?1", -1, &st, NULL) != SQLITE_OK)
        return;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

static const struct {
    const char *name, *rows, *from, *to;
} tiers[] = {
    {"raw", "SELECT count(*) FROM proc_sample", "SELECT min(ts_ns) FROM sample", "SELECT max(ts_ns) FROM sample"},
    {"minute", "SELECT count(*) FROM proc_minute", "SELECT min(bucket_ns) FROM sample_minute",
     "SELECT max(bucket_ns) + 60000000000 FROM sample_minute"},
    {"hour", "SELECT count(*) FROM proc_hour", "SELECT min(bucket_ns) FROM sample_hour",
     "SELECT max(bucket_ns) + 3600000000000 FROM sample_hour"},
};

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

static int status_exec(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"db", required_argument, NULL, 'd'},
        {"format", required_argument, NULL, 'f'},
        {"utc", no_argument, NULL, 'U'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *dbopt = NULL;
    int json = 0, utc = 0, c;
    char path[PH_PATH_MAX], err[512];
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': dbopt = optarg; break;
        case 'U': utc = 1; break;
        case 'f':
            if (strcmp(optarg, "json") == 0)
                json = 1;
            else if (strcmp(optarg, "table") != 0) {
                ph_err("bad --format '%s': use table or json", optarg);
                return PH_EXIT_USAGE;
            }
            break;
        case 'h': ph_cmd_print_help(&ph_cmd_status, 0); return PH_EXIT_OK;
        case ':': ph_err("option '%s' needs a value", argv[optind - 1]); return PH_EXIT_USAGE;
        default:
            ph_err("unknown option '%s' for status; see 'prochist status --help'", argv[optind - 1]);
            return PH_EXIT_USAGE;
        }
    }
    if (optind < argc) {
        ph_err("unexpected argument '%s' for status", argv[optind]);
        return PH_EXIT_USAGE;
    }
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
    sqlite3 *db = ph_store_db(store);
    int64_t size = file_size(path, ""), wal = file_size(path, "-wal");
    int64_t last_ts = q_int(db, "SELECT max(ts_ns) FROM sample", 0);
    int64_t last_procs = q_int(db, "SELECT procs FROM sample ORDER BY sample DESC LIMIT 1", -1);
    int64_t last_denied = q_int(db, "SELECT procs_denied FROM sample ORDER BY sample DESC LIMIT 1", -1);
    int64_t keep[4] = {
        q_int(db, "SELECT value FROM meta WHERE key = 'retain_raw_ns'", 0),
        q_int(db, "SELECT value FROM meta WHERE key = 'retain_minute_ns'", 0),
        q_int(db, "SELECT value FROM meta WHERE key = 'retain_hour_ns'", 0),
        q_int(db, "SELECT value FROM meta WHERE key = 'max_db_bytes'", 0),
    };
    int64_t rows[3], from[3], to[3];
    for (int i = 0; i < 3; i++) {
        rows[i] = q_int(db, tiers[i].rows, 0);
        from[i] = q_int(db, tiers[i].from, 0);
        to[i] = q_int(db, tiers[i].to, 0);
    }
    int64_t version = q_int(db, "PRAGMA user_version", 0);
    int64_t exit_rows = q_int(db, "SELECT count(*) FROM proc_sample WHERE kind = 4", 0);
    char exit_mode[256];
    q_text(db, "exit_mode", exit_mode, sizeof exit_mode);
    ph_store_close(store);

    char t1[40], t2[40], a[32], b[32];
    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "database", path);
        cJSON_AddNumberToObject(root, "schema", (double)version);
        cJSON_AddNumberToObject(root, "file_bytes", (double)size);
        cJSON_AddNumberToObject(root, "wal_bytes", (double)wal);
        cJSON_AddBoolToObject(root, "recording", running);
        if (exit_mode[0])
            cJSON_AddStringToObject(root, "exit_mode", exit_mode);
        else
            cJSON_AddNullToObject(root, "exit_mode");
        cJSON_AddNumberToObject(root, "exit_rows", (double)exit_rows);
        if (running && pid > 0)
            cJSON_AddNumberToObject(root, "recorder_pid", (double)pid);
        if (last_ts) {
            ph_time_iso_utc(last_ts, t1, sizeof t1);
            cJSON_AddStringToObject(root, "last_sample", t1);
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
        for (int i = 0; i < 3; i++) {
            cJSON *t = cJSON_CreateObject();
            cJSON_AddStringToObject(t, "tier", tiers[i].name);
            cJSON_AddNumberToObject(t, "rows", (double)rows[i]);
            if (rows[i] && from[i]) {
                ph_time_iso_utc(from[i], t1, sizeof t1);
                ph_time_iso_utc(to[i], t2, sizeof t2);
                cJSON_AddStringToObject(t, "since", t1); /* as every command names a span */
                cJSON_AddStringToObject(t, "until", t2);
            }
            cJSON_AddItemToArray(arr, t);
        }
        return ph_json_print(root) == 0 && fflush(stdout) == 0 ? PH_EXIT_OK : PH_EXIT_FAIL;
    }
    ph_fmt_bytes(size, a, sizeof a);
    ph_fmt_bytes(wal, b, sizeof b);
    printf("database     %s (%s, WAL %s, schema %lld%s)\n", path, a, b, (long long)version,
           version < ph_store_schema_version() ? "; the recorder's next start upgrades it" : "");
    if (running)
        printf("recorder     running (pid %ld)\n", pid);
    else
        printf("recorder     not running\n");
    if (last_ts) {
        ph_time_display(last_ts, utc, t1, sizeof t1);
        printf("last sample  %s: %lld processes, %lld partly unreadable\n", t1, (long long)last_procs,
               (long long)last_denied);
    }
    if (exit_mode[0])
        printf("exits        %s; %lld exit rows in raw samples\n", exit_mode, (long long)exit_rows);
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
    for (int i = 0; i < 3; i++) {
        char n[32];
        const char *cells[4];
        snprintf(n, sizeof n, "%lld", (long long)rows[i]);
        if (rows[i] && from[i]) {
            ph_time_display(from[i], utc, t1, sizeof t1);
            ph_time_display(to[i], utc, t2, sizeof t2);
        } else {
            snprintf(t1, sizeof t1, "-");
            snprintf(t2, sizeof t2, "-");
        }
        cells[0] = tiers[i].name;
        cells[1] = n;
        cells[2] = t1;
        cells[3] = t2;
        ph_table_add(&t, cells);
    }
    ph_table_print(&t, stdout, ph_use_colour(stdout));
    ph_table_free(&t);
    return fflush(stdout) == 0 ? PH_EXIT_OK : PH_EXIT_FAIL;
}

const ph_cmd ph_cmd_status = {
    "status",
    "[--db PATH] [--format table|json] [--utc]",
    "Show the database: size, tiers and their time ranges, retention, recorder.",
    "  --db PATH          database (default $PROCHIST_DB, else the per-user state directory)\n"
    "  -f, --format FMT   table (default) or json\n"
    "  --utc              show times in UTC\n",
    status_exec,
};
