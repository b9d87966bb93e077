/*
 * ph_system_series.h: the system's own series over a window, for exporters
 * (src/cli/export.c): the sums of the `sample` table's system columns (energy
 * per power domain, GPU busy/clock/covered time) and of the recorder's own
 * CPU, read from whichever tiers answer the window (ph_query_plan: hour and
 * minute rollups in its interior, raw samples at its edges), so a window of
 * a year costs a few thousand rows. Read-only; every value bound.
 */
#ifndef PH_SYSTEM_SERIES_H
#define PH_SYSTEM_SERIES_H

#include <stddef.h>
#include <stdint.h>

#include "ph_store.h"

typedef struct ph_sys_totals {
    int64_t samples;         /* samples in the window */
    int64_t covered_ns;      /* sum of their intervals */
    int64_t recorder_cpu_ns; /* the recorder's own CPU; 0 when none was measured */
    ph_sys sys;              /* system sums; < 0: not measured in the window */
} ph_sys_totals;

/* Sums over (since, until]: 0, or -1 with err. */
int ph_sys_totals_window(ph_store *s, int64_t since, int64_t until, ph_sys_totals *out, char *err,
                         size_t errlen);

#endif
