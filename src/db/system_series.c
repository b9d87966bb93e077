/* The system's series over a window, stitched from the tiers
 * (include/ph_system_series.h). A rollup row of width w at bucket_ns b
 * covers (b, b + w], as in the query engine; so a segment (lo, hi] of a
 * rollup tier takes the buckets with lo - w < b <= hi - w. */
#include "ph_system_series.h"
#include "db_private.h"
#include "ph_query.h"
#include "ph_util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static int segment(sqlite3 *db, const ph_segment *g, ph_sys_totals *t, char *err, size_t errlen)
{
    char sql[1024];
    size_t off;
    int64_t w = ph_tier_width_ns(g->tier);
    off = (size_t)snprintf(sql, sizeof sql, "SELECT %s, %s, coalesce(sum(recorder_cpu_ns), 0)",
                           g->tier == PH_TIER_RAW ? "count(*)" : "coalesce(sum(samples), 0)",
                           g->tier == PH_TIER_RAW ? "coalesce(sum(interval_ns), 0)" : "coalesce(sum(covered_ns), 0)");
    for (int i = 0; i < PH_SYS_N && off < sizeof sql; i++)
        off += (size_t)snprintf(sql + off, sizeof sql - off, ", sum(%s)", ph_sys_col[i]);
    if (off < sizeof sql)
        off += (size_t)snprintf(sql + off, sizeof sql - off, " FROM %s WHERE %s > ?1 AND %s <= ?2",
                                g->tier == PH_TIER_RAW      ? "sample"
                                : g->tier == PH_TIER_MINUTE ? "sample_minute"
                                                            : "sample_hour",
                                g->tier == PH_TIER_RAW ? "ts_ns" : "bucket_ns", g->tier == PH_TIER_RAW ? "ts_ns" : "bucket_ns");
    if (off >= sizeof sql) {
        ph_fmt(err, errlen, "reading the system series: statement too long");
        return -1;
    }
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        ph_fmt(err, errlen, "reading the system series failed: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, g->since - w);
    sqlite3_bind_int64(st, 2, g->until - w);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        t->samples += sqlite3_column_int64(st, 0);
        t->covered_ns += sqlite3_column_int64(st, 1);
        t->recorder_cpu_ns += sqlite3_column_int64(st, 2);
        ph_sys part;
        for (int i = 0; i < PH_SYS_N; i++)
            part.v[i] = sqlite3_column_type(st, 3 + i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 3 + i);
        ph_sys_add(&t->sys, &part);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW) {
        ph_fmt(err, errlen, "reading the system series failed: %s", sqlite3_errmsg(db));
        return -1;
    }
    return 0;
}

int ph_sys_totals_window(ph_store *s, int64_t since, int64_t until, ph_sys_totals *out, char *err, size_t errlen)
{
    ph_segment seg[16];
    memset(out, 0, sizeof *out);
    ph_sys_unknown(&out->sys);
    size_t n = ph_query_plan(s, since, until, seg, PH_ARRAY_LEN(seg));
    for (size_t i = 0; i < n; i++)
        if (segment(ph_store_db(s), &seg[i], out, err, errlen) < 0)
            return -1;
    return 0;
}
