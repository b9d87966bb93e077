/*
 * ph_query.h: what happened in a time window, per process and per app.
 *
 * Counters are summed over rows whose sample lies in (since, until]. Memory
 * is a gauge that holds between rows: a process idle through the window
 * keeps the value of its last row before `since`, so its memory counts even
 * without a row inside. An app's memory peak is the largest sum, at any one
 * sample, of its live processes' values, not a sum of peaks taken at
 * different times.
 */
#ifndef PH_QUERY_H
#define PH_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include "ph_metrics.h"
#include "ph_store.h"

typedef struct ph_agg {
    int64_t proc;      /* process id in the database; 0 for an app */
    int32_t pid;       /* -1 for an app */
    int64_t uid;       /* -1 when unknown */
    char *name;
    char *app;
    int nprocs;        /* processes in the group (1 for a process) */
    int64_t sum[PH_METRIC_COUNT]; /* counters summed; valid where `have` */
    ph_mask have;
    int64_t mem_peak;  /* bytes; < 0 when no memory value */
    int64_t mem_peak_ns;
    int64_t first_ns, last_ns; /* first and last time seen in the window */
} ph_agg;

typedef struct ph_window {
    int64_t since, until;  /* as asked, ns */
    int64_t samples;       /* samples in the window */
    int64_t covered_ns;    /* sum of their intervals */
    int64_t first_ns, last_ns;
    int64_t procs_denied;  /* largest per-sample count of partly unreadable processes */
} ph_window;

typedef struct ph_result {
    ph_window win;
    ph_agg *procs; size_t nprocs;
    ph_agg *apps;  size_t napps;
} ph_result;

int ph_query_window(ph_store *s, int64_t since, int64_t until, ph_result *out,
                    char *err, size_t errlen);
void ph_result_free(ph_result *r);

/* Memory value of a row: footprint when the platform has it, else resident. */
int64_t ph_mem_of(const ph_values *v);

#endif
