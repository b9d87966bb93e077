/*
 * ph_report.h: the data of `prochist report` (src/cli/cmd_report.c computes it
 * with the query engine) and the HTML page writer (src/cli/report_html.c).
 *
 * The window is cut into points: buckets of one width chosen from the
 * window (about 200-400 of them), aligned to multiples of the width, the
 * first and last clipped to the window. Each point is answered by
 * ph_query_window_metrics on its own (since, until], so every number is the
 * engine's. A point without samples is a gap; nothing is interpolated.
 */
#ifndef PH_REPORT_H
#define PH_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ph_platform.h"
#include "ph_query.h"

/* The charts, in page order. Values are kept in base units per point: CPU
 * ns, memory bytes (the app's peak in the point), bytes read/written, nJ. */
enum ph_rep_chart { PH_REP_CPU, PH_REP_MEM, PH_REP_READ, PH_REP_WRITE, PH_REP_ENERGY, PH_REP_NCHART };

#define PH_REP_BANDS 7   /* apps with a band of their own in a chart; the rest is "other" */
#define PH_REP_HOVER 6   /* processes listed for a moment */
#define PH_REP_ROWS 10   /* rows of the tables */
#define PH_REP_NAME (4 * PH_NAME_MAX + 16) /* a cleaned name: escapes make it longer */

typedef struct ph_rep_proc {
    char name[PH_REP_NAME];
    int32_t pid;       /* -1: an app (the point was answered from app rows) */
    int64_t cpu_ns;    /* -1: not measured */
    int64_t mem;       /* peak bytes in the point; -1 unknown */
} ph_rep_proc;

typedef struct ph_rep_point {
    int64_t t0, t1;    /* (t0, t1] */
    int64_t samples, covered_ns;
    ph_rep_proc top[PH_REP_HOVER];
    int ntop;
} ph_rep_point;

typedef struct ph_rep_app {
    char name[PH_REP_NAME];
    int procs;
    int64_t total[PH_REP_NCHART]; /* the whole window, as `top` gives it; -1: not measured */
    int64_t prev[PH_REP_NCHART];  /* the previous window of the same length; -1: absent */
    int64_t mem_peak_ns;
    int32_t peak_pid;             /* -1 unknown */
    char peak_name[PH_REP_NAME];
    int64_t *series;              /* npts * PH_REP_NCHART; -1: nothing in that point */
    int colour;                   /* index in the palette; -1: drawn in "other" */
} ph_rep_app;

typedef struct ph_report {
    char host[256], os[256];
    int64_t since, until, width, generated;
    int utc;
    /* What a row ("app") is: NULL for apps, else report --by's key, "unit",
     * "slice", "container" or "cgroup" (apps[].name: the group's key, a
     * container's short id; memory: its processes' peaks added). */
    const char *key;
    ph_window win;               /* the whole window */
    ph_segment seg[16];
    size_t nseg;
    ph_rep_point *pts;
    size_t npts;
    ph_rep_app *apps;            /* sorted by CPU, descending */
    size_t napps;
    int64_t *total;              /* npts * PH_REP_NCHART: every app; -1: gap or not measured */
    int has[PH_REP_NCHART];      /* the chart has data */
    int band[PH_REP_NCHART][PH_REP_BANDS]; /* app indexes of the bands, -1 past the end */
    int have_prev;
    int64_t prev_samples;
    int procs_per_point;         /* hover lists are processes (1) or apps (0) */
    /* System lines (not stacked): each point's system sums as the engine
     * gives them for the point (ph_window.sys: energy per power domain,
     * GPU busy/clock/covered), one per point; -1: not measured. */
    ph_sys *sys;
    int has_domain[PH_PWR_DOMAINS]; /* the domain has energy in some point */
    int has_gpu_busy;            /* some point has GPU busy time */
} ph_report;

/* Write the page: 0, or -1 when the stream failed. */
int ph_report_write_html(FILE *f, const ph_report *r);

/* A process name made safe to show: valid UTF-8 (bad bytes become U+FFFD),
 * controls as U+FFFD, bidirectional controls (U+202A-202E, U+2066-2069,
 * U+200E/200F, U+061C) shown as the text "[U+202E]" so they cannot reorder
 * what surrounds them. Still needs HTML or JSON escaping on output. */
void ph_report_clean_name(const char *in, char *out, size_t len);

#endif
