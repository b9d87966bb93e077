/*
 * ph_export.h: app-level metrics in the Prometheus text exposition format
 * (0.0.4, what node_exporter's textfile collector reads) or OpenMetrics.
 * Counters are monotonic totals since recording began (table app_total);
 * cardinality is bounded: one series per app for the top N apps of each
 * family, the rest summed into app="other". The same per systemd unit,
 * slice or container (Linux: include/ph_cgroup.h), label unit=, slice=,
 * container= (the short id), "-" for none and "other" for the rest.
 */
#ifndef PH_EXPORT_H
#define PH_EXPORT_H

#include <stdint.h>

#include "ph_store.h"
#include "ph_util.h"

typedef struct ph_export_opts {
    int openmetrics;      /* OpenMetrics (with # EOF) instead of 0.0.4 text */
    int top;              /* series per family, plus "other" */
    int64_t mem_window_ns; /* the memory peak gauge covers this much time back */
    int64_t now_ns;
    const char *db_path;  /* for the size gauge */
} ph_export_opts;

int ph_export(ph_store *s, const ph_export_opts *o, ph_buf *out, char *err, size_t errlen);
/* The same with `by` NULL or "app" (per app), or "unit", "slice",
 * "container": per cgroup key, CPU and storage (table cgroup_total). */
int ph_export_by(ph_store *s, const ph_export_opts *o, const char *by, ph_buf *out, char *err, size_t errlen);
/* A label value escaped for the exposition formats (\\, \", \n), as UTF-8;
 * other control characters (C0, DEL, C1) become '?'. */
void ph_export_label(ph_buf *b, const char *value);

#endif
