/*
 * The coalition ledger of macOS: table coalition_state, saved with each
 * sample that has coalitions (only what changed) and loaded at start with
 * the live members of this boot. Linux has none: nothing is written.
 * Contract: include/ph_store.h; the ledger is include/ph_coalition.h.
 */
#include "db_private.h"
#include "ph_coalition.h"

#include <string.h>

/* Does the saved row of a coalition still say the same? (seen and members
 * are one sample's scratch, never saved.) */
static int co_same(const ph_co *a, const ph_co *b)
{
    return a->id == b->id && a->proc == b->proc && a->have_last == b->have_last &&
           strcmp(a->app, b->app) == 0 && memcmp(a->last.v, b->last.v, sizeof a->last.v) == 0 &&
           memcmp(a->carry, b->carry, sizeof a->carry) == 0;
}

static int co_delete(ph_store *s, int64_t boot, const ph_co *c)
{
    sqlite3_stmt *st;
    const char *sql = c ? "DELETE FROM coalition_state WHERE boot = ?1 AND coalition = ?2"
                        : "DELETE FROM coalition_state WHERE boot = ?1";
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, boot);
    if (c)
        sqlite3_bind_int64(st, 2, c->id);
    int rc = ph_step_done(st);
    sqlite3_finalize(st);
    return rc;
}

/*
 * A Mac has a few hundred coalitions and few of them change in a sample
 * (an idle app's totals stand still): with the ledger the database holds,
 * both sorted by id, only the coalitions that changed are written and only
 * the ones gone are deleted.
 */
int ph_store_put_coalitions(ph_store *s, int64_t boot, const ph_ledger *saved, const ph_ledger *l)
{
    sqlite3_stmt *st = NULL;
    if (l->nco == 0 && (saved ? saved->nco == 0 : !s->had_coalitions))
        return 0; /* nothing to keep (Linux: always) */
    s->had_coalitions = l->nco > 0;
    if (!saved && co_delete(s, boot, NULL) < 0)
        return -1;
    int rc = 0;
    size_t j = 0;
    for (size_t i = 0; i < l->nco && rc == 0; i++) {
        const ph_co *c = &l->co[i];
        if (saved) {
            for (; j < saved->nco && saved->co[j].id < c->id && rc == 0; j++)
                rc = co_delete(s, boot, &saved->co[j]);
            if (rc == 0 && j < saved->nco && saved->co[j].id == c->id && co_same(&saved->co[j++], c))
                continue;
        }
        if (rc < 0)
            break;
        if (!st && sqlite3_prepare_v2(s->db,
                                      "INSERT OR REPLACE INTO coalition_state VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
                                      " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
                                      -1, &st, NULL) != SQLITE_OK) {
            rc = -1;
            break;
        }
        sqlite3_bind_int64(st, 1, boot);
        sqlite3_bind_int64(st, 2, c->id);
        sqlite3_bind_text(st, 3, c->app, -1, SQLITE_STATIC);
        if (c->proc)
            sqlite3_bind_int64(st, 4, c->proc);
        else
            sqlite3_bind_null(st, 4);
        sqlite3_bind_int(st, 5, c->have_last);
        for (int f = 0; f < PH_CO_FIELDS; f++) {
            if (c->last.v[f] >= 0)
                sqlite3_bind_int64(st, 6 + f, c->last.v[f]);
            else
                sqlite3_bind_null(st, 6 + f);
            sqlite3_bind_int64(st, 6 + PH_CO_FIELDS + f, c->carry[f]);
        }
        rc = ph_step_done(st);
    }
    for (; saved && rc == 0 && j < saved->nco; j++)
        rc = co_delete(s, boot, &saved->co[j]);
    if (st)
        sqlite3_finalize(st);
    return rc;
}

int ph_store_load_coalitions(ph_store *s, int64_t boot, ph_ledger *l)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT * FROM coalition_state WHERE boot = ?1", -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, boot);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *app = (const char *)sqlite3_column_text(st, 2);
        ph_co *c = ph_ledger_add_coalition(l, sqlite3_column_int64(st, 1), app ? app : "?");
        c->proc = sqlite3_column_type(st, 3) == SQLITE_NULL ? 0 : sqlite3_column_int64(st, 3);
        c->have_last = sqlite3_column_int(st, 4);
        for (int f = 0; f < PH_CO_FIELDS; f++) {
            c->last.v[f] = sqlite3_column_type(st, 5 + f) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 5 + f);
            c->carry[f] = sqlite3_column_int64(st, 5 + PH_CO_FIELDS + f);
        }
        s->had_coalitions = 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return -1;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT proc, coalition, app FROM process WHERE boot = ?1 AND gone_ns IS NULL"
                           " AND coalition > 0 AND pid >= 0",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, boot);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        /* a coalition not saved yet (a crash) is followed from a baseline */
        ph_ledger_add_coalition(l, sqlite3_column_int64(st, 1), (const char *)sqlite3_column_text(st, 2));
        ph_ledger_add_member(l, sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}
