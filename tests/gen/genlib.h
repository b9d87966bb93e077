/*
 * genlib: a synthetic machine for tests and benchmarks. A fake ph_source
 * (processes with names, pids drawn from a small range so they are reused,
 * CPU, disk and memory that move when they run) is sampled by the real
 * sampler into the real store, with the real rollups and retention, on a
 * simulated clock. So generated history has the shape, size and invariants
 * of a recorded one.
 */
#ifndef PH_GENLIB_H
#define PH_GENLIB_H

#include <stdint.h>

#include "ph_recorder.h"
#include "ph_rollup.h"
#include "ph_store.h"

typedef struct ph_gen_opts {
    int64_t start_ns;     /* wall clock of the first sample */
    int64_t duration_ns;
    int64_t interval_ns;  /* between samples (default 5 s) */
    int alive;            /* processes alive at any time */
    int busy;             /* of which usually running */
    int apps;             /* distinct program names */
    double churn;         /* short-lived processes started per sample */
    int pid_span;         /* pids come from [300, 300 + pid_span): small spans force reuse */
    int64_t gap_every_ns; /* a sleep gap this often (0: none) */
    int64_t gap_ns;       /* its length */
    uint64_t seed;
    int maintain;         /* run rollups and retention after each sample */
    int power;            /* a RAPL-like package/core/dram and a GPU that follow the load */
    ph_retention retain;
} ph_gen_opts;

typedef struct ph_gen_stats {
    int64_t samples, rows, procs_started;
    double sample_cpu_s, maint_cpu_s; /* CPU spent storing samples / in maintenance */
} ph_gen_stats;

void ph_gen_defaults(ph_gen_opts *o);
int ph_gen_history(ph_store *s, const ph_gen_opts *o, ph_gen_stats *st, char *err, size_t errlen);

#endif
