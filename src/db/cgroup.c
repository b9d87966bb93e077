/*
 * The cgroup table (format: schema/013_cgroups.sql, docs/schema.md): one row
 * per distinct pair of paths (v2, name=systemd), with the grouping keys of
 * include/ph_cgroup.h computed once, when the pair is first seen; a process
 * row references its row. Written in the sample's transaction by the store
 * sink (src/db/store.c), on a process's first sight and on keyframes; the
 * reference is only rewritten when it changes. All values are bound.
 */
#include "db_private.h"

#include <sqlite3.h>
#include <stdlib.h>

struct ph_cgstore {
    sqlite3_stmt *find, *ins, *set;
};

void ph_cgstore_free(struct ph_cgstore *cs)
{
    if (!cs)
        return;
    sqlite3_finalize(cs->find);
    sqlite3_finalize(cs->ins);
    sqlite3_finalize(cs->set);
    free(cs);
}

static struct ph_cgstore *prepare(sqlite3 *db)
{
    struct ph_cgstore *cs = calloc(1, sizeof *cs);
    if (!cs)
        return NULL;
    unsigned f = SQLITE_PREPARE_PERSISTENT;
    if (sqlite3_prepare_v3(db,
                           "SELECT cgroup FROM cgroup WHERE ifnull(path_v2, '') = ?1 AND ifnull(path_v1, '') = ?2",
                           -1, f, &cs->find, NULL) ||
        sqlite3_prepare_v3(db,
                           "INSERT INTO cgroup (path, path_v2, path_v1, unit, slice, container, container_id,"
                           " runtime, pod) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                           -1, f, &cs->ins, NULL) ||
        sqlite3_prepare_v3(db, "UPDATE process SET cgroup = ?2 WHERE proc = ?1 AND cgroup IS NOT ?2", -1, f,
                           &cs->set, NULL)) {
        ph_cgstore_free(cs);
        return NULL;
    }
    return cs;
}

static int done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void bind_or_null(sqlite3_stmt *st, int i, int have, const char *v)
{
    if (have && v[0])
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* The row of this pair of paths, inserted with its keys when new. */
static int cgroup_id(struct ph_cgstore *cs, sqlite3 *db, const ph_cgroup *cg, sqlite3_int64 *id)
{
    sqlite3_stmt *st = cs->find;
    sqlite3_bind_text(st, 1, cg->have_v2 ? cg->v2 : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cg->have_v1 ? cg->v1 : "", -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE)
        return -1;

    ph_cgroup_keys k;
    if (ph_cgroup_keys_of(cg, &k) < 0)
        return 1; /* no path at all: nothing to reference */
    st = cs->ins;
    sqlite3_bind_text(st, 1, k.path, -1, SQLITE_STATIC);
    bind_or_null(st, 2, cg->have_v2, cg->v2);
    bind_or_null(st, 3, cg->have_v1, cg->v1);
    sqlite3_bind_text(st, 4, k.unit, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, k.slice, -1, SQLITE_STATIC);
    bind_or_null(st, 6, 1, k.container_short);
    bind_or_null(st, 7, 1, k.container);
    const char *rt = ph_container_runtime_name(k.runtime);
    bind_or_null(st, 8, rt != NULL, rt ? rt : "");
    bind_or_null(st, 9, 1, k.pod);
    if (done(st) < 0)
        return -1;
    *id = sqlite3_last_insert_rowid(db);
    return 0;
}

int ph_cgstore_put(struct ph_cgstore **cs, sqlite3 *db, long long proc, const ph_cgroup *cg)
{
    if (!*cs && !(*cs = prepare(db)))
        return -1;
    sqlite3_int64 id = 0;
    int r = cgroup_id(*cs, db, cg, &id);
    if (r != 0)
        return r < 0 ? -1 : 0;
    sqlite3_stmt *st = (*cs)->set;
    sqlite3_bind_int64(st, 1, proc);
    sqlite3_bind_int64(st, 2, id);
    return done(st);
}
