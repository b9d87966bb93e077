/*
 * gen-history: build a realistic history database fast, through the real
 * sampler, store, rollups and retention (a test and benchmark tool).
 * Usage: gen-history DB [--days D] [--hours H] [--alive N] [--busy N]
 *        [--churn X] [--interval S] [--retain SPEC] [--no-maintain] [--seed N] [--pids N] [--power]
 * --power: system power (package, core, dram) and a GPU, as if RAPL and a
 * DRM card were readable.
 * Prints one "key value" line per figure.
 */
#include "genlib.h"

#include "ph_store.h"
#include "../../src/db/db_private.h" /* ph_store_exec: the checkpoint that truncates the WAL */
#include "ph_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
    ph_gen_opts o;
    ph_gen_stats st;
    ph_store *s;
    char err[512];
    ph_gen_defaults(&o);
    if (argc < 2 || argv[1][0] == '-') { /* "--help" is not a database to write */
        fprintf(stderr, "usage: gen-history DB [--days D] [--hours H] [--alive N] [--busy N] [--churn X]"
                        " [--interval S] [--retain SPEC] [--no-maintain] [--seed N] [--pids N] [--power]\n");
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--no-maintain") == 0) {
            o.maintain = 0;
            continue;
        }
        if (strcmp(a, "--power") == 0) {
            o.power = 1;
            continue;
        }
        if (!v) {
            fprintf(stderr, "gen-history: %s needs a value\n", a);
            return 2;
        }
        i++;
        if (strcmp(a, "--days") == 0)
            o.duration_ns = (int64_t)(atof(v) * 86400e9);
        else if (strcmp(a, "--hours") == 0)
            o.duration_ns = (int64_t)(atof(v) * 3600e9);
        else if (strcmp(a, "--alive") == 0)
            o.alive = atoi(v);
        else if (strcmp(a, "--busy") == 0)
            o.busy = atoi(v);
        else if (strcmp(a, "--churn") == 0)
            o.churn = atof(v);
        else if (strcmp(a, "--interval") == 0)
            o.interval_ns = (int64_t)(atof(v) * 1e9);
        else if (strcmp(a, "--seed") == 0)
            o.seed = (uint64_t)atoll(v);
        else if (strcmp(a, "--pids") == 0) /* how many pids there are: few reuse them */
            o.pid_span = atoi(v);
        else if (strcmp(a, "--start") == 0)
            o.start_ns = atoll(v) * 1000000000LL;
        else if (strcmp(a, "--retain") == 0) {
            if (ph_retention_parse(v, &o.retain, err, sizeof err) < 0) {
                fprintf(stderr, "gen-history: %s\n", err);
                return 2;
            }
        } else {
            fprintf(stderr, "gen-history: unknown option %s\n", a);
            return 2;
        }
    }
    if (ph_store_open(argv[1], PH_STORE_WRITE, &s, err, sizeof err) < 0) {
        fprintf(stderr, "gen-history: %s\n", err);
        return 1;
    }
    if (ph_gen_history(s, &o, &st, err, sizeof err) < 0) {
        fprintf(stderr, "gen-history: %s\n", err);
        ph_store_close(s);
        return 1;
    }
    ph_store_exec(s, "PRAGMA wal_checkpoint(TRUNCATE)");
    ph_store_close(s);
    struct stat sb;
    printf("samples %lld\nrows %lld\nprocesses %lld\nsample_cpu_s %.3f\nmaint_cpu_s %.3f\nend_ns %lld\nbytes %lld\n",
           (long long)st.samples, (long long)st.rows, (long long)st.procs_started, st.sample_cpu_s,
           st.maint_cpu_s, (long long)(o.start_ns + o.duration_ns),
           stat(argv[1], &sb) == 0 ? (long long)sb.st_size : -1LL);
    return 0;
}
