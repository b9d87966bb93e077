/*
 * ph_rollup.h: retention tiers (format in schema/003_rollups.sql, algorithm
 * in src/db/rollup.c). The recorder calls ph_maintain after each sample; every
 * step is a small transaction, so a crash at any point leaves each bucket
 * either wholly rolled up or not at all, and the next run continues.
 */
#ifndef PH_ROLLUP_H
#define PH_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include "ph_store.h"

typedef struct ph_retention {
    int64_t raw_ns, minute_ns, hour_ns; /* how long each tier is kept */
    int64_t max_bytes;                  /* size cap; 0: none */
} ph_retention;

void ph_retention_default(ph_retention *r);
/* "raw=2d,minute=30d,hour=400d" (any subset); 0 or -1 with a message. */
int ph_retention_parse(const char *spec, ph_retention *r, char *err, size_t errlen);
/* "500M", "2G", "1.5GiB", "100000" (bytes); 0 or -1. */
int ph_size_parse(const char *s, int64_t *bytes);

/* Under a size cap the WAL is given an eighth of it (16 to 1000 pages): the
 * recorder checkpoints at that size (wal_autocheckpoint, and
 * journal_size_limit truncates the file back to it), and the data is kept
 * to the cap minus that allowance. */
int64_t ph_cap_wal_pages(int64_t max_bytes, int64_t page_size);

typedef struct ph_maint_stats {
    int minute_buckets, hour_buckets; /* rolled up by this call */
    int64_t rows_pruned;
    int64_t pages_vacuumed;
    int capped;                       /* the size cap removed old data */
    int pending;                      /* work left for later calls */
} ph_maint_stats;

/* Roll up closed buckets (at most `budget` per tier) and apply retention
 * (at most `row_budget` rows deleted), then give free pages back. `now_ns`
 * is the wall clock retention counts back from. */
int ph_maintain(ph_store *s, const ph_retention *r, int64_t now_ns, int budget,
                int64_t row_budget, ph_maint_stats *st, char *err, size_t errlen);

/* The size cap alone, cheap when under it (a few pragmas and a stat): the
 * recorder calls it after every sample, so the file never outgrows the cap
 * by more than a sample and one checkpoint's WAL between maintenance runs.
 * Removes the oldest data of any tier first, measuring as it goes, never
 * the newest minute of raw samples; moves no mark past the newest data. */
int ph_enforce_cap(ph_store *s, const ph_retention *r, ph_maint_stats *st, char *err, size_t errlen);

#endif
