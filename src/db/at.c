/* The interval holding a moment, at the finest tier that has it
 * (include/ph_at.h). Reads sample, sample_minute and sample_hour by their
 * primary key or index (sample_ts): one row each. */
#include "ph_at.h"
#include "db_private.h"

#include <sqlite3.h>
#include <stdio.h>

/* Runs sql with ?1 = a; 1 with the first row's two columns, 0 without a
 * row, -1 on error. */
static int one_row(sqlite3 *db, const char *sql, int64_t a, int64_t *c0, int64_t *c1, int *c1_null, char *err,
                   size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        snprintf(err, errlen, "cannot read the database: %s", sqlite3_errmsg(db));
        return -1;
    }
    sqlite3_bind_int64(st, 1, a);
    int rc = sqlite3_step(st);
    int found = 0;
    if (rc == SQLITE_ROW) {
        *c0 = sqlite3_column_int64(st, 0);
        *c1_null = sqlite3_column_type(st, 1) == SQLITE_NULL;
        *c1 = sqlite3_column_int64(st, 1);
        found = 1;
    } else if (rc != SQLITE_DONE) {
        snprintf(err, errlen, "cannot read the database: %s", sqlite3_errmsg(db));
        found = -1;
    }
    sqlite3_finalize(st);
    return found;
}

int ph_query_at(ph_store *s, int64_t t, ph_at *out, char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    int64_t ts, iv;
    int iv_null, rc;
    /* Raw: the first sample at or after t covers (ts - interval, ts]; the
     * first sample of a boot has no interval and covers nothing. */
    rc = one_row(db, "SELECT ts_ns, interval_ns FROM sample WHERE ts_ns >= ?1 ORDER BY ts_ns LIMIT 1", t, &ts, &iv,
                 &iv_null, err, errlen);
    if (rc < 0)
        return -1;
    if (rc == 1 && !iv_null && iv > 0 && ts - iv < t) {
        out->tier = PH_TIER_RAW;
        out->since = ts - iv;
        out->until = ts;
        return 0;
    }
    /* The first sample after t is a recording's first (a baseline): t lies
     * before that recording began, and no tier holds it. A bucket holding
     * that sample would answer with what came after t. Only where raw rows
     * are whole: at or before raw_pruned_to the pruned samples may have
     * covered t, and the buckets are all that is left of them. */
    if (rc == 1 && (iv_null || iv <= 0)) {
        int64_t pruned = 0;
        if (ph_meta_get_int(s, PH_META_RAW_PRUNED_TO, &pruned) < 0) {
            snprintf(err, errlen, "cannot read the database: %s", sqlite3_errmsg(db));
            return -1;
        }
        if (t > pruned)
            return 1;
    }
    static const char *const sql[] = {
        "SELECT samples, covered_ns FROM sample_minute WHERE bucket_ns = ?1",
        "SELECT samples, covered_ns FROM sample_hour WHERE bucket_ns = ?1",
    };
    static const enum ph_tier tiers[] = {PH_TIER_MINUTE, PH_TIER_HOUR};
    for (int i = 0; i < 2; i++) {
        int64_t w = ph_tier_width_ns(tiers[i]);
        /* (b, b + w] holds t: b is the multiple of w just below t. */
        int64_t b = t > 0 ? (t - 1) / w * w : -((-t) / w + 1) * w;
        int64_t n, cov;
        int cov_null;
        rc = one_row(db, sql[i], b, &n, &cov, &cov_null, err, errlen);
        if (rc < 0)
            return -1;
        if (rc == 1 && n > 0) {
            out->tier = tiers[i];
            out->since = b;
            out->until = b + w;
            return 0;
        }
    }
    return 1;
}

int ph_query_span(ph_store *s, int64_t *first, int64_t *last, char *err, size_t errlen)
{
    /* min() and max() of an indexed or primary key column: two seeks each. */
    static const struct { const char *sql; int64_t width; } q[] = {
        {"SELECT min(ts_ns), max(ts_ns) FROM sample", 0},
        {"SELECT min(bucket_ns), max(bucket_ns) FROM sample_minute", 60 * 1000000000LL},
        {"SELECT min(bucket_ns), max(bucket_ns) FROM sample_hour", 3600 * 1000000000LL},
    };
    sqlite3 *db = ph_store_db(s);
    int any = 0;
    for (size_t i = 0; i < sizeof q / sizeof q[0]; i++) {
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(db, q[i].sql, -1, &st, NULL) != SQLITE_OK) {
            snprintf(err, errlen, "cannot read the database: %s", sqlite3_errmsg(db));
            return -1;
        }
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            /* A bucket (b, b + w] holds samples somewhere inside: a finer
             * tier's times win unless the coarser one reaches past them by
             * a whole bucket (the finer data was pruned there). */
            int64_t a = sqlite3_column_int64(st, 0), b = sqlite3_column_int64(st, 1);
            if (!any || a + q[i].width < *first)
                *first = a;
            if (!any || b > *last)
                *last = b + q[i].width;
            any = 1;
        } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            snprintf(err, errlen, "cannot read the database: %s", sqlite3_errmsg(db));
            sqlite3_finalize(st);
            return -1;
        }
        sqlite3_finalize(st);
    }
    if (!any || *first >= *last)
        return 1;
    return 0;
}
