/*
 * The cgroup table (format: schema/013_cgroups.sql, docs/schema.md): one row
 * per distinct pair of paths (v2, name=systemd), with the grouping keys of
 * include/ph_cgroup.h computed once, when the pair is first seen; a process
 * row references its row. Written in the sample's transaction by the store
 * sink (src/db/store_sample.c), on a process's first sight and on keyframes; the
 * reference is only rewritten when it changes. All values are bound. A row
 * no process references any more (retention pruned its processes, or they
 * moved) is deleted by schema/015_cgroup_prune_totals.sql's triggers, in the
 * statement that removed the last reference.
 * Read back (ph_db_cgroup_keys, include/ph_db.h) by the query commands'
 * `--by unit|slice|container|cgroup`, in one pass over a range of process ids.
 */
#include "db_private.h"
#include "ph_util.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The read side, for `--by unit|slice|container|cgroup` (src/cli/qcmd.c). */
typedef struct pos {
    int64_t proc;
    size_t i;
} pos;

static int cmp_pos(const void *x, const void *y)
{
    const pos *a = x, *b = y;
    return (a->proc > b->proc) - (a->proc < b->proc);
}

static char *dup_col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? ph_xstrdup((const char *)t) : NULL;
}

/* Every cgroup row's keys, read once (a host has hundreds, a month's
 * processes hundreds of thousands): *keys[idx], idx from *index by id. */
static int read_cgroups(sqlite3 *db, ph_db_cgkeys **keys, size_t *n, ph_imap *index)
{
    sqlite3_stmt *st;
    size_t cap = 0;
    *keys = NULL;
    *n = 0;
    if (sqlite3_prepare_v2(db, "SELECT cgroup, unit, slice, container, container_id, path FROM cgroup", -1, &st,
                           NULL) != SQLITE_OK)
        return -1;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *keys = ph_xrealloc(*keys, cap * sizeof **keys);
        }
        ph_db_cgkeys *k = &(*keys)[*n];
        k->unit = dup_col(st, 1);
        k->slice = dup_col(st, 2);
        k->container = dup_col(st, 3);
        k->container_id = dup_col(st, 4);
        k->path = dup_col(st, 5);
        ph_imap_put(index, sqlite3_column_int64(st, 0), (int)*n);
        (*n)++;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

int ph_db_cgroup_keys(ph_store *s, const int64_t *procs, size_t n, ph_db_cgkeys *out, char *err,
                      size_t errlen)
{
    memset(out, 0, n * sizeof *out);
    if (n == 0)
        return 0;
    sqlite3 *db = ph_store_db(s);
    int64_t have = 0;
    /* A database older than schema 13: no process has a cgroup. */
    if (ph_sql_int(db, "SELECT count(*) FROM pragma_table_info('process') WHERE name = 'cgroup'", 0, &have) < 0) {
        ph_store_read_error(s, err, errlen);
        return -1;
    }
    if (have == 0)
        return 0;
    ph_db_cgkeys *cg = NULL;
    size_t ncg = 0;
    ph_imap cgix;
    ph_imap_init(&cgix);
    if (read_cgroups(db, &cg, &ncg, &cgix) < 0) {
        ph_store_read_error(s, err, errlen);
        ph_db_cgkeys_free(cg, ncg);
        free(cg);
        ph_imap_free(&cgix);
        return -1;
    }
    pos *ix = ph_xcalloc(n, sizeof *ix);
    for (size_t i = 0; i < n; i++)
        ix[i] = (pos){procs[i], i};
    qsort(ix, n, sizeof *ix, cmp_pos);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db,
                           "SELECT proc, cgroup FROM process"
                           " WHERE proc BETWEEN ?1 AND ?2 AND cgroup IS NOT NULL ORDER BY proc",
                           -1, &st, NULL) != SQLITE_OK) {
        ph_store_read_error(s, err, errlen);
        free(ix);
        ph_db_cgkeys_free(cg, ncg);
        free(cg);
        ph_imap_free(&cgix);
        return -1;
    }
    sqlite3_bind_int64(st, 1, ix[0].proc);
    sqlite3_bind_int64(st, 2, ix[n - 1].proc);
    /* Each process gets its cgroup's strings, one copy per cgroup that
     * some process asked for (ph_db_cgkeys_free frees each once). */
    unsigned char *used = ph_xcalloc(ncg + 1, 1);
    size_t j = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t proc = sqlite3_column_int64(st, 0);
        while (j < n && ix[j].proc < proc)
            j++;
        if (j >= n || ix[j].proc != proc)
            continue;
        int *c = ph_imap_get(&cgix, sqlite3_column_int64(st, 1));
        if (!c) /* no such cgroup row: no keys, as the join gave */
            continue;
        used[*c] = 1;
        /* the same proc may be asked for more than once */
        for (size_t k = j; k < n && ix[k].proc == proc; k++)
            out[ix[k].i] = cg[*c];
    }
    free(ix);
    for (size_t i = 0; i < ncg; i++) /* the cgroups nobody asked for */
        if (!used[i])
            ph_db_cgkeys_free(&cg[i], 1);
    free(used);
    free(cg);
    ph_imap_free(&cgix);
    if (rc != SQLITE_DONE) {
        ph_store_read_error(s, err, errlen);
        sqlite3_finalize(st);
        ph_db_cgkeys_free(out, n);
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

void ph_db_cgkeys_free(ph_db_cgkeys *k, size_t n)
{
    /* Entries of one cgroup share its strings: each set is freed once,
     * known by its path (never NULL where the entry has keys). */
    ph_imap done;
    ph_imap_init(&done);
    for (size_t i = 0; k && i < n; i++) {
        if (k[i].path) {
            int64_t key = (int64_t)(intptr_t)k[i].path;
            if (ph_imap_get(&done, key)) {
                memset(&k[i], 0, sizeof k[i]);
                continue;
            }
            ph_imap_put(&done, key, 1);
        }
        free(k[i].unit);
        free(k[i].slice);
        free(k[i].container);
        free(k[i].container_id);
        free(k[i].path);
        memset(&k[i], 0, sizeof k[i]);
    }
    ph_imap_free(&done);
}

int ph_db_cgroup_totals(ph_store *s, const char *dim, ph_cgroup_total **out, size_t *n, char *err, size_t errlen)
{
    sqlite3 *db = ph_store_db(s);
    sqlite3_stmt *st;
    size_t cap = 0;
    int64_t have = 0;
    *out = NULL;
    *n = 0;
    if (ph_sql_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'cgroup_total'", 0,
                   &have) < 0) {
        ph_store_read_error(s, err, errlen);
        return -1;
    }
    if (have == 0) /* older than schema 15: nothing counted yet */
        return 0;
    if (sqlite3_prepare_v2(db,
                           "SELECT key, label, cpu_user_ns + cpu_system_ns, disk_read_bytes, disk_write_bytes"
                           " FROM cgroup_total WHERE dim = ?1",
                           -1, &st, NULL) != SQLITE_OK) {
        ph_store_read_error(s, err, errlen);
        return -1;
    }
    sqlite3_bind_text(st, 1, dim, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *out = ph_xrealloc(*out, cap * sizeof **out);
        }
        ph_cgroup_total *t = &(*out)[(*n)++];
        t->key = dup_col(st, 0);
        t->label = dup_col(st, 1);
        if (!t->key)
            t->key = ph_xstrdup("-");
        if (!t->label)
            t->label = ph_xstrdup(t->key);
        t->cpu_ns = sqlite3_column_int64(st, 2);
        t->disk_read_bytes = sqlite3_column_int64(st, 3);
        t->disk_write_bytes = sqlite3_column_int64(st, 4);
    }
    if (rc != SQLITE_DONE) {
        ph_store_read_error(s, err, errlen);
        sqlite3_finalize(st);
        ph_db_cgroup_totals_free(*out, *n);
        *out = NULL;
        *n = 0;
        return -1;
    }
    sqlite3_finalize(st);
    return 0;
}

void ph_db_cgroup_totals_free(ph_cgroup_total *t, size_t n)
{
    for (size_t i = 0; t && i < n; i++) {
        free(t[i].key);
        free(t[i].label);
    }
    free(t);
}
