/*
 * ph_at.h: "what was it at TIME": the one recorded interval that holds a
 * moment, at the finest tier that still has it (raw samples are kept 2
 * days, minute buckets 30, hour buckets 400 by default), for top --at and
 * anything else that asks about a moment. The interval is then queried as
 * an ordinary window (ph_query_window_metrics), so its figures are the
 * same as a --since/--until of those bounds. Also the recorded span, for
 * commands that pick their window from what is there (show).
 */
#ifndef PH_AT_H
#define PH_AT_H

#include <stddef.h>
#include <stdint.h>

#include "ph_query.h"
#include "ph_store.h"

typedef struct ph_at {
    enum ph_tier tier;    /* the finest tier holding the moment */
    int64_t since, until; /* the interval (since, until] holding it */
} ph_at;

/* 0 with *out set; 1 when no tier holds t (never recorded, or pruned);
 * -1 on a database error (message in err). Raw: the sample interval
 * (previous sample, first sample at or after t]; minute and hour: the
 * bucket (b, b + width] holding t, when it holds samples. */
int ph_query_at(ph_store *s, int64_t t, ph_at *out, char *err, size_t errlen);

/* The recorded span: the first and last moments any tier holds data for
 * (raw sample times; a rollup bucket counts from its start to its end).
 * 0 with *first < *last; 1 when the database holds nothing; -1 on error. */
int ph_query_span(ph_store *s, int64_t *first, int64_t *last, char *err, size_t errlen);

#endif
