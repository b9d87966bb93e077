/*
 * ph_recorder.h: the sampling loop behind 'prochist record', and the
 * sampler it is built on (also used by the history generator of the tests
 * and benchmarks, so generated data goes through the real store code).
 */
#ifndef PH_RECORDER_H
#define PH_RECORDER_H

#include <stddef.h>
#include <stdint.h>

#include "ph_rollup.h"
#include "ph_store.h"
#include "ph_coalition.h"
#include "ph_tracker.h"

typedef struct ph_record_opts {
    const char *db_path;
    const char *proc_root;
    const char *sys_root;
    int64_t interval_ns;
    int64_t count;   /* 0: until stopped */
    int quiet;
    ph_retention retain;
    const char *textfile_dir;  /* write DIR/prochist.prom for node_exporter */
    int64_t textfile_every_ns;
} ph_record_opts;

/* Returns a process exit status. */
int ph_record(const ph_record_opts *o);

/*
 * The cadence. Sample k is due at start + k * interval (monotonic clock), a
 * fixed grid, so lateness never accumulates. After sample number `done`
 * (0-based) ends at `now`, the next tick is returned: the following grid
 * point, or, when that is already past (the sample overran, or the machine
 * slept), the first grid point after now: missed ticks are skipped, never
 * bunched, so no two samples are closer than the sample's own duration and
 * none comes before its grid point. Pure (tested in test_recorder.c).
 */
int64_t ph_next_tick(int64_t start, int64_t interval, int64_t done, int64_t now, int64_t *k_out);

typedef struct ph_sampler {
    ph_store *store;
    ph_tracker *tracker;
    ph_source src;
    int64_t boot, boot_wall_ns;
    int64_t next_sample;  /* id of the next sample to store */
    int64_t prev_boot_ns; /* boot clock of the last stored sample of this boot; -1 none */
    int64_t prev_wall_ns;
    int first;            /* no sample stored by this sampler yet */
    int profile;          /* account CPU to collection and storage */
    ph_power power;       /* the last stored sample's power reading */
    int have_power;
    int64_t collect_ns, store_ns; /* thread CPU, when profiling */
    ph_ledger ledger, undo; /* coalitions (macOS), and a copy to undo a failed sample */
} ph_sampler;

/* Attach to a store: boot row, last sample, resume state (consumed). */
int ph_sampler_init(ph_sampler *s, ph_store *store, ph_source src, const char *boot_uuid,
                    int64_t boot_wall_ns, char *err, size_t errlen);
/* One sample, in one transaction. Returns 0 when stored; -1 when it could not
 * be (rolled back, tracker state kept: the next sample covers both). */
int ph_sampler_tick(ph_sampler *s, int64_t wall_ns, int64_t boot_ns, int64_t recorder_cpu_ns,
                    ph_tick_stats *stats);
void ph_sampler_free(ph_sampler *s);

/* A sample's system sums from two power readings (prev may be NULL: a first
 * reading; cur NULL: none): energy per domain (wrap-aware), CPU capacity,
 * and the GPU gauges over the interval (interval_ns < 0: unknown). */
void ph_power_sums(const ph_power *prev, const ph_power *cur, int64_t interval_ns, ph_sys *out);

#endif
