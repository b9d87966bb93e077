/*
 * The last power reading: tables power_prev and power_prev_zone
 * (schema/014_power_prev.sql), written with every sample that read power so
 * that a restarted recorder continues the energy deltas, and read back at
 * start. Contract: include/ph_store.h.
 */
#include "db_private.h"

#include <string.h>

int ph_store_prepare_power(ph_store *s)
{
    if (sqlite3_prepare_v3(s->db, "INSERT OR REPLACE INTO power_prev (one, cpu_total_ns, zones) VALUES (1, ?1, ?2)",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->power_head, NULL) ||
        sqlite3_prepare_v3(s->db,
                           "INSERT OR REPLACE INTO power_prev_zone (zone, domain, energy_uj, max_uj)"
                           " VALUES (?1, ?2, ?3, ?4)",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->power_zone, NULL) ||
        sqlite3_prepare_v3(s->db, "DELETE FROM power_prev_zone WHERE zone >= ?1", -1, SQLITE_PREPARE_PERSISTENT,
                           &s->power_trim, NULL))
        return -1;
    return 0;
}

/*
 * The last power reading (schema/014_power_prev.sql): one power_prev row
 * and a power_prev_zone row per zone, written with every sample that read
 * power. Zones past the reading's count (a zone gone since) are deleted.
 * A counter is unsigned: its 64 bits are kept as SQLite's signed integer
 * and read back as they were.
 */
int ph_store_put_power(ph_store *s, const ph_power *p)
{
    if (p->n < 0 || p->n > PH_POWER_ZONES)
        return -1;
    sqlite3_stmt *st = s->power_head;
    sqlite3_bind_int64(st, 1, p->cpu_total_ns);
    sqlite3_bind_int(st, 2, p->n);
    if (ph_step_done(st) < 0)
        return -1;
    for (int z = 0; z < p->n; z++) {
        st = s->power_zone;
        sqlite3_bind_int(st, 1, z);
        sqlite3_bind_int(st, 2, (int)p->zone[z].domain);
        sqlite3_bind_int64(st, 3, (int64_t)p->zone[z].energy_uj);
        sqlite3_bind_int64(st, 4, (int64_t)p->zone[z].max_uj);
        if (ph_step_done(st) < 0)
            return -1;
    }
    st = s->power_trim;
    sqlite3_bind_int(st, 1, p->n);
    return ph_step_done(st);
}

/* 1 with the reading in *p, 0 when there is none or it is not whole (zones
 * missing, a domain this binary does not know), -1 on an error. */
int ph_store_get_power(ph_store *s, ph_power *p)
{
    sqlite3_stmt *st;
    memset(p, 0, sizeof *p);
    if (sqlite3_prepare_v2(s->db, "SELECT cpu_total_ns, zones FROM power_prev", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st), n = 0;
    if (rc == SQLITE_ROW) {
        p->cpu_total_ns = sqlite3_column_int64(st, 0);
        n = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return rc == SQLITE_DONE ? 0 : -1;
    if (n < 0 || n > PH_POWER_ZONES) {
        memset(p, 0, sizeof *p);
        return 0;
    }
    if (sqlite3_prepare_v2(s->db, "SELECT zone, domain, energy_uj, max_uj FROM power_prev_zone ORDER BY zone", -1,
                           &st, NULL) != SQLITE_OK)
        return -1;
    int z = 0, whole = 1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW && whole) {
        int d = sqlite3_column_int(st, 1);
        whole = z < n && sqlite3_column_int64(st, 0) == z && d >= 0 && d < PH_PWR_DOMAINS;
        if (whole) {
            p->zone[z].domain = (enum ph_power_domain)d;
            p->zone[z].energy_uj = (uint64_t)sqlite3_column_int64(st, 2);
            p->zone[z].max_uj = (uint64_t)sqlite3_column_int64(st, 3);
            z++;
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return -1;
    if (!whole || z != n) {
        memset(p, 0, sizeof *p);
        return 0;
    }
    p->n = n;
    return 1;
}
