/*
 * The meta table, read and written by key.
 *
 * FORMAT. schema/001_init.sql: meta (key TEXT PRIMARY KEY, value), one row
 * a key; the keys and what they hold are listed once, in PH_META_KEYS
 * (include/ph_db.h), and documented in docs/schema.md. Integers are stored
 * as integers and read with CAST, so a value written as text by an older
 * recorder reads the same. A write replaces the row (INSERT OR REPLACE),
 * inside whatever transaction the caller has open.
 */
#include "db_private.h"

#include <stdio.h>

static const char *const names[PH_META_COUNT] = {
#define PH_META_NAME(id, key) key,
    PH_META_KEYS(PH_META_NAME)
#undef PH_META_NAME
};

const char *ph_meta_name(enum ph_meta_key k) { return names[k]; }

/* The value's statement, stepped once: 1 row, 0 none, -1 error. */
static int get(ph_store *s, enum ph_meta_key k, const char *sql, sqlite3_stmt **st)
{
    if (sqlite3_prepare_v2(ph_store_db(s), sql, -1, st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(*st, 1, names[k], -1, SQLITE_STATIC);
    int rc = sqlite3_step(*st);
    return rc == SQLITE_ROW && sqlite3_column_type(*st, 0) != SQLITE_NULL ? 1 : rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

int ph_meta_get_int(ph_store *s, enum ph_meta_key k, int64_t *v)
{
    sqlite3_stmt *st = NULL;
    int rc = get(s, k, "SELECT CAST(value AS INTEGER) FROM meta WHERE key = ?1", &st);
    if (rc == 1)
        *v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc;
}

int ph_meta_get_text(ph_store *s, enum ph_meta_key k, char *buf, size_t len)
{
    sqlite3_stmt *st = NULL;
    int rc = get(s, k, "SELECT value FROM meta WHERE key = ?1", &st);
    buf[0] = '\0';
    if (rc == 1)
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return rc;
}

static int set(ph_store *s, enum ph_meta_key k, const char *text, int64_t v)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(ph_store_db(s), "INSERT OR REPLACE INTO meta (key, value) VALUES (?1, ?2)", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, names[k], -1, SQLITE_STATIC);
    if (text)
        sqlite3_bind_text(st, 2, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 2, v);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int ph_meta_set_int(ph_store *s, enum ph_meta_key k, int64_t v) { return set(s, k, NULL, v); }
int ph_meta_set_text(ph_store *s, enum ph_meta_key k, const char *v) { return set(s, k, v, 0); }
