/*
 * The prochist database: opening it. This file owns the file itself: its
 * path and side files, opening and refusing, migrating, the connection's
 * settings, errors, closing. What a sample writes is in store_sample.c
 * (rows, process identities, resume state), store_apps.c (app totals),
 * store_power.c (the last power reading) and store_coalitions.c (macOS
 * coalitions); struct ph_store is in db_private.h. The contract is
 * include/ph_store.h.
 *
 * FORMAT. An SQLite 3 file with PRAGMA application_id = 0x50484953 ("PHIS")
 * and PRAGMA user_version = the number of migrations applied. Migrations are
 * schema/NNN_*.sql, compiled into the binary (build/schema_sql.c) and applied
 * in order, each in its own transaction together with its user_version bump,
 * so a crash leaves the file at a whole version; a new file is created in
 * one transaction (every migration, then its narrow tiers: see NARROW TIERS). A file is refused, untouched,
 * when it is not SQLite, carries another application_id, has tables but no
 * application_id, or has a user_version newer than this binary knows.
 *
 * JOURNAL. WAL mode, synchronous=NORMAL: a commit is durable against process
 * crashes; an OS crash may lose the last commits but never corrupts the file.
 * auto_vacuum=INCREMENTAL is set before the first table exists (it cannot be
 * switched on later without a full VACUUM) so pruning can give space back.
 * Readers open read-only and never block the single writer; the recorder
 * holds an flock on "<db>.lock" so a second recorder is refused.
 *
 * WRITES. One transaction per sample (store_sample.c): the sample row, its
 * proc_sample rows, process rows (new, renamed, gone), and the tracker state
 * (table resume: cumulative values of every process whose counters moved,
 * removed when it goes), so the state on disk always matches the last
 * committed sample and a recorder restarted after a crash continues the same
 * deltas. All statements are prepared once and all values are bound
 * parameters.
 */
#include "db_private.h"
#include "ph_platform.h"
#include "ph_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int ph_store_schema_version(void) { return ph_schema_count; }
int ph_store_version(ph_store *s) { return s->version; }
sqlite3 *ph_store_db(ph_store *s) { return s->db; }
const char *ph_store_path(ph_store *s) { return s->path; }

static const char *code_name(int code)
{
    switch (code & 0xff) {
    case SQLITE_ERROR: return "SQLITE_ERROR";
    case SQLITE_PERM: return "SQLITE_PERM";
    case SQLITE_BUSY: return "SQLITE_BUSY";
    case SQLITE_LOCKED: return "SQLITE_LOCKED";
    case SQLITE_NOMEM: return "SQLITE_NOMEM";
    case SQLITE_READONLY: return "SQLITE_READONLY";
    case SQLITE_IOERR: return "SQLITE_IOERR";
    case SQLITE_CORRUPT: return "SQLITE_CORRUPT";
    case SQLITE_FULL: return "SQLITE_FULL";
    case SQLITE_CANTOPEN: return "SQLITE_CANTOPEN";
    case SQLITE_CONSTRAINT: return "SQLITE_CONSTRAINT";
    case SQLITE_NOTADB: return "SQLITE_NOTADB";
    default: return "SQLite error";
    }
}

void ph_store_describe_error(sqlite3 *db, char *buf, size_t len)
{
    int ext = sqlite3_extended_errcode(db), code = ext & 0xff, sys = sqlite3_system_errno(db);
    /* The OS error is only meaningful for errors that came from a system call. */
    int os = sys != 0 && (code == SQLITE_IOERR || code == SQLITE_FULL || code == SQLITE_CANTOPEN ||
                          code == SQLITE_READONLY || code == SQLITE_PERM);
    if (os)
        ph_fmt(buf, len, "%s (%s, extended code %d; errno %d: %s)", sqlite3_errmsg(db), code_name(ext), ext, sys,
               strerror(sys));
    else if (code == SQLITE_FULL) /* SQLite keeps no errno for it: ENOSPC, or a short write */
        ph_fmt(buf, len, "%s (%s, extended code %d: no space left on the file system)", sqlite3_errmsg(db),
               code_name(ext), ext);
    else
        ph_fmt(buf, len, "%s (%s, extended code %d)", sqlite3_errmsg(db), code_name(ext), ext);
}

void ph_store_err_clear(ph_store *s) { s->first_err[0] = '\0'; }

/* Keep the first failure: a later ROLLBACK would report "not an error" or
 * "no transaction is active" instead of the cause. */
static void note_err(ph_store *s)
{
    if (!s->first_err[0] && sqlite3_errcode(s->db) != SQLITE_OK)
        ph_store_describe_error(s->db, s->first_err, sizeof s->first_err);
}

const char *ph_store_errmsg(ph_store *s)
{
    note_err(s);
    return s->first_err[0] ? s->first_err : sqlite3_errmsg(s->db);
}

int ph_store_exec(ph_store *s, const char *sql)
{
    if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) == SQLITE_OK)
        return 0;
    note_err(s);
    return -1;
}

int ph_store_begin(ph_store *s)
{
    return ph_store_exec(s, "BEGIN IMMEDIATE");
}

void ph_store_read_begin(ph_store *s)
{
    /* Deferred: the snapshot is taken at the first read. */
    if (sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "BEGIN", NULL, NULL, NULL);
}

void ph_store_read_end(ph_store *s)
{
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
}

int ph_store_commit(ph_store *s)
{
    int rc = ph_store_exec(s, "COMMIT");
    if (rc < 0)
        s->last_ts = 0; /* a rewind of the rollup marks may be undone with it: check again */
    return rc;
}

#define BUSY_MS 5000 /* how long a statement waits for the other side's lock */

void ph_store_checkpoint(ph_store *s)
{
    /* Without a busy wait: a reader in the way makes it a passive
     * checkpoint (all it can, without blocking the recorder's cadence). */
    sqlite3_busy_timeout(s->db, 0);
    sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
    sqlite3_busy_timeout(s->db, BUSY_MS);
}

void ph_store_rollback(ph_store *s)
{
    note_err(s); /* the statement that failed is still the connection's last error */
    s->last_ts = 0; /* a rewind of the rollup marks is undone with it: check again */
    if (!sqlite3_get_autocommit(s->db))
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

void ph_store_read_error(ph_store *s, char *err, size_t errlen)
{
    int code = sqlite3_errcode(s->db);
    if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
        ph_fmt(err, errlen, "%s is corrupt (%s): recover what it holds with 'sqlite3 %s .recover'", s->path,
               sqlite3_errmsg(s->db), s->path);
    else
        ph_fmt(err, errlen, "reading %s failed: %s", s->path, sqlite3_errmsg(s->db));
}

void ph_db_no_process_row(sqlite3 *db, int64_t proc, char *err, size_t errlen)
{
    const char *f = sqlite3_db_filename(db, "main");
    if (!f || !f[0])
        f = "the database";
    ph_fmt(err, errlen, "%s is inconsistent: process %lld has samples but no process row; recover what it holds"
           " with 'sqlite3 %s .recover'", f, (long long)proc, f);
}

int ph_sql_int(sqlite3 *db, const char *sql, int64_t arg, int64_t *out)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    if (sqlite3_bind_parameter_count(st) > 0)
        sqlite3_bind_int64(st, 1, arg);
    int rc = sqlite3_step(st), found = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
    if (found)
        *out = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? found : -1;
}

int64_t ph_sql_int_or(sqlite3 *db, const char *sql, int64_t arg, int64_t dflt)
{
    int64_t v = dflt;
    return ph_sql_int(db, sql, arg, &v) == 1 ? v : dflt;
}

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) ? "a character device"
         : S_ISBLK(m) ? "a block device" : S_ISSOCK(m) ? "a socket" : S_ISLNK(m) ? "a symbolic link"
         : "not a regular file";
}

/* lstat, never open: opening a FIFO blocks until a writer comes. For
 * writing a file there must be ours: in a sticky directory
 * like /tmp another user can plant PATH-wal (SQLite would replay its pages
 * into the database), PATH-journal (rolled back into it) or PATH.lock. */
static int check_one(const char *path, const char *suffix, int must_exist, int writing, char *err, size_t errlen)
{
    char p[PH_PATH_MAX + 16];
    struct stat st;
    if (ph_fmt(p, sizeof p, "%s%s", path, suffix) < 0) {
        ph_fmt(err, errlen, "database path too long (%zu bytes)", strlen(path));
        return -1;
    }
    if (lstat(p, &st) != 0) {
        if (errno == ENOENT && !must_exist)
            return 0;
        if (errno == ENOENT)
            ph_fmt(err, errlen, "no database at %s (start the recorder with 'prochist record', or pass --db)", p);
        else
            ph_fmt(err, errlen, "cannot use %s: %s", p, strerror(errno));
        return -1;
    }
    if (S_ISREG(st.st_mode) && writing && st.st_uid != geteuid()) {
        ph_fmt(err, errlen, "%s belongs to uid %ld, not to this user (uid %ld); refusing to record into it",
               p, (long)st.st_uid, (long)geteuid());
        return -1;
    }
    if (S_ISREG(st.st_mode))
        return 0;
    if (S_ISLNK(st.st_mode) && !suffix[0])
        ph_fmt(err, errlen, "%s is a symbolic link; give the real path with --db", p);
    else
        ph_fmt(err, errlen, "%s is %s, not a regular file; refusing to use it", p, kind_of(st.st_mode));
    return -1;
}

/*
 * SQLite's own limit on a database path: the unix VFS's mxPathname (512,
 * SQLITE_MAX_PATHNAME) for the absolute path, less 8 bytes the pager keeps
 * for the "-journal" it may add (sqlite3PagerOpen: nPathname+8 >
 * mxPathname is SQLITE_CANTOPEN). A relative path counts the working
 * directory too. Symbolic links SQLite resolves may make it longer still.
 */
int ph_store_check_name(const char *path, char *err, size_t errlen)
{
    size_t n = strlen(path), full = n;
    if (n && path[n - 1] == '/') {
        ph_fmt(err, errlen, "database path %s ends in '/': give the path of a file", path);
        return -1;
    }
    sqlite3_vfs *vfs = sqlite3_vfs_find(NULL);
    size_t max = (size_t)(vfs ? vfs->mxPathname : 512) - 8;
    if (path[0] != '/') {
        char cwd[PH_PATH_MAX];
        full += getcwd(cwd, sizeof cwd) ? strlen(cwd) + 1 : sizeof cwd;
    }
    if (full > max) {
        ph_fmt(err, errlen, "database path too long for SQLite (%zu bytes as an absolute path, at most %zu)", full,
               max);
        return -1;
    }
    return 0;
}

int ph_store_check_path(const char *path, int must_exist, char *err, size_t errlen)
{
    static const char *const side[] = {"-wal", "-shm", "-journal", ".lock"};
    if (!path[0]) {
        ph_fmt(err, errlen, "empty database path");
        return -1;
    }
    if (strlen(path) >= PH_PATH_MAX - 16) {
        ph_fmt(err, errlen, "database path too long (%zu bytes, at most %d)", strlen(path), PH_PATH_MAX - 17);
        return -1;
    }
    /* Only the recorder calls this without must_exist. */
    int writing = !must_exist;
    if (ph_store_check_name(path, err, errlen) < 0 || check_one(path, "", must_exist, writing, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < sizeof side / sizeof *side; i++)
        if (check_one(path, side[i], 0, writing, err, errlen) < 0)
            return -1;
    return 0;
}

int ph_store_recorder_running(const char *db, long *pid)
{
    char path[PH_PATH_MAX + 8], buf[32];
    struct stat st;
    *pid = 0;
    if (ph_fmt(path, sizeof path, "%s.lock", db) < 0)
        return 0;
    /* O_NONBLOCK: a FIFO planted there must not hang a query. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0)
        return 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return 0;
    }
    int running = flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    if (running) {
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        buf[n > 0 ? n : 0] = '\0';
        *pid = atol(buf);
    }
    close(fd);
    return running;
}

/*
 * A file the recorder writes every user's process names into must be ours
 * and closed to others: a planted 0666 file, or one left group-writable, is
 * made 0600 (said once); a file of another user is refused. The same for
 * the -wal and -shm files SQLite keeps beside it.
 *
 * By path (lstat, then chmod), never by opening: SQLite has these files
 * open by now, and closing any descriptor of a file drops every POSIX lock
 * this process holds on it (SQLite's included), after which a reader would
 * think itself alone and reset the -shm under the recorder.
 */
static int secure_file(const char *path, const char *suffix, char *err, size_t errlen)
{
    char p[PH_PATH_MAX + 16];
    struct stat st;
    if (ph_fmt(p, sizeof p, "%s%s", path, suffix) < 0)
        return -1;
    if (lstat(p, &st) != 0) {
        if (errno == ENOENT && suffix[0])
            return 0;
        ph_fmt(err, errlen, "cannot use %s: %s", p, strerror(errno));
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        ph_fmt(err, errlen, "%s is not a regular file; refusing to use it", p);
        return -1;
    }
    if (st.st_uid != geteuid()) {
        ph_fmt(err, errlen, "%s belongs to uid %ld, not to this user (uid %ld); refusing to record into it",
               p, (long)st.st_uid, (long)geteuid());
        return -1;
    }
    if (st.st_mode & 077) {
        if (chmod(p, 0600) != 0) {
            ph_fmt(err, errlen, "%s is open to other users (mode %04o) and cannot be made 0600: %s", p,
                   (unsigned)(st.st_mode & 07777), strerror(errno));
            return -1;
        }
        ph_log("%s was open to other users (mode %04o); made it 0600", p, (unsigned)(st.st_mode & 07777));
    }
    return 0;
}

/* Check the first bytes: "" (new), SQLite, or something else. For writing,
 * the file must have one name: SQLite keys its -wal, -shm and our lock on
 * the path, so through a hard link a second recorder would take a lock of
 * its own and write the same file through a second WAL (corrupting it). */
static int check_header(const char *path, int writing, int *is_empty, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ELOOP)
            ph_fmt(err, errlen, "%s is a symbolic link; give the real path with --db", path);
        else
            ph_fmt(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat stt;
    if (fstat(fd, &stt) != 0 || !S_ISREG(stt.st_mode)) {
        close(fd);
        ph_fmt(err, errlen, "%s is not a regular file; refusing to use it", path);
        return -1;
    }
    if (writing && stt.st_nlink > 1) {
        close(fd);
        ph_fmt(err, errlen, "%s has %ld names (hard links); refusing to record into it: a second name would let a"
               " second recorder write it (remove the other names, or copy the file)", path, (long)stt.st_nlink);
        return -1;
    }
    char hdr[16];
    ssize_t n = read(fd, hdr, sizeof hdr);
    close(fd);
    *is_empty = (n == 0);
    if (n == 0)
        return 0;
    if (n != (ssize_t)sizeof hdr || memcmp(hdr, "SQLite format 3", 16) != 0) {
        ph_fmt(err, errlen, "%s is not a prochist database (not an SQLite file); refusing to touch it", path);
        return -1;
    }
    return 0;
}

/*
 * A reader in a directory it cannot write, with no recorder and no WAL to
 * read: SQLite would need to create the -shm file ("attempt to write a
 * readonly database"). Nothing can change the file then, so it is opened
 * immutable (no -shm, no locks). With a recorder running, or a WAL left
 * by a crash, the normal read-only open reads the WAL as it must.
 */
static int want_immutable(const char *path)
{
    char dir[PH_PATH_MAX], wal[PH_PATH_MAX + 8];
    struct stat st;
    long pid;
    if (ph_dir_of(path, dir, sizeof dir) < 0 || ph_fmt(wal, sizeof wal, "%s-wal", path) < 0)
        return 0;
    if (access(dir, W_OK) == 0)
        return 0;
    if (lstat(wal, &st) == 0 && st.st_size > 0)
        return 0;
    return !ph_store_recorder_running(path, &pid);
}

static int open_uri(const char *path, int immutable, sqlite3 **db, int flags)
{
    if (!immutable)
        return sqlite3_open_v2(path, db, flags, NULL);
    ph_buf b = {0};
    ph_buf_printf(&b, "file:");
    for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            strchr("/-_.~", *c))
            ph_buf_printf(&b, "%c", *c);
        else
            ph_buf_printf(&b, "%%%02X", *c);
    }
    ph_buf_printf(&b, "?immutable=1");
    int rc = sqlite3_open_v2(b.data, db, flags | SQLITE_OPEN_URI, NULL);
    ph_buf_free(&b);
    return rc;
}

/*
 * NARROW TIERS (new databases only). The per-process tables proc_sample,
 * proc_minute and proc_hour declare a column for every metric of every
 * platform; SQLite spends a byte of record header on each column of each
 * row, NULL or not. A new database stores only the metric columns of the
 * platform that creates it: the others are rebuilt as `<name> <type>
 * GENERATED ALWAYS AS (NULL) VIRTUAL`, which keeps every table, column name,
 * column order, view and answer, and costs nothing on disk (docs/schema.md).
 * The table is rebuilt, still empty, inside the creation transaction: its
 * DDL made from pragma table_xinfo (types, NOT NULL, DEFAULT, the primary
 * key, WITHOUT ROWID), its triggers and indexes kept. legacy_alter_table:
 * the RENAME must not re-check the views that name the table (dropped a
 * moment before). Existing files keep their layout: the writers read which
 * columns are stored when they open (read_stored), so one binary writes
 * both layouts. Generated columns need SQLite 3.31.0 (2020-01-22); an
 * older library keeps the wide layout.
 */
#define GENERATED_MIN_VERSION 3031000

static const char *const narrow_tables[] = {"proc_sample", "proc_minute", "proc_hour"};

static int plain_name(const char *s)
{
    if (!s || !*s)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
            return 0;
    return 1;
}

static int metric_of_column(const char *name)
{
    for (int m = 0; m < PH_METRIC_COUNT; m++)
        if (strcmp(name, ph_metric_column((enum ph_metric)m)) == 0)
            return m;
    return -1;
}

/* Every row's SQL text of `sql` (one text column, ?1 = table) appended to list. */
static int collect_sql(sqlite3 *db, const char *sql, const char *table, char ***list, size_t *n)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        *list = ph_xrealloc(*list, (*n + 1) * sizeof **list);
        (*list)[(*n)++] = ph_xstrdup((const char *)sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Rebuild the empty table with its metric columns outside `stored` virtual. */
static int narrow_table(sqlite3 *db, const char *table, ph_mask stored, char *err, size_t errlen)
{
    ph_buf ddl = {0}, sql = {0};
    char *pk[8] = {0}; /* the primary key's columns, in key order */
    char **extra = NULL; /* its triggers' and indexes' SQL */
    size_t nextra = 0;
    int npk = 0, nvirtual = 0, rc = -1, rowid;
    sqlite3_stmt *st = NULL;

    ph_buf_printf(&sql, "SELECT rowid FROM %s", table); /* fails on a WITHOUT ROWID table */
    rowid = sqlite3_prepare_v2(db, sql.data, -1, &st, NULL) == SQLITE_OK;
    sqlite3_finalize(st);
    st = NULL;
    int64_t any = 0;
    sql.len = 0;
    ph_buf_printf(&sql, "SELECT 1 FROM %s LIMIT 1", table);
    if (ph_sql_int(db, sql.data, 0, &any) != 0) {
        ph_fmt(err, errlen, "narrowing %s: %s", table, any ? "the table is not empty" : sqlite3_errmsg(db));
        goto out;
    }
    if (sqlite3_prepare_v2(db, "SELECT name, type, \"notnull\", dflt_value, pk, hidden"
                               " FROM pragma_table_xinfo(?1) ORDER BY cid", -1, &st, NULL) != SQLITE_OK)
        goto sqlerr;
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    ph_buf_printf(&ddl, "CREATE TABLE %s__narrow (", table);
    int ncol = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        const char *type = (const char *)sqlite3_column_text(st, 1);
        const char *dflt = (const char *)sqlite3_column_text(st, 3);
        int notnull = sqlite3_column_int(st, 2), inpk = sqlite3_column_int(st, 4);
        if (!plain_name(name) || sqlite3_column_int(st, 5) != 0 || inpk > 8) {
            ph_fmt(err, errlen, "narrowing %s: column %s is not a plain stored column", table, name ? name : "?");
            goto out;
        }
        int m = metric_of_column(name);
        ph_buf_printf(&ddl, "%s\n    %-28s %s", ncol++ ? "," : "", name, type ? type : "");
        if (m >= 0 && !(stored & PH_BIT(m)) && !notnull && !inpk && !dflt) {
            ph_buf_printf(&ddl, " GENERATED ALWAYS AS (NULL) VIRTUAL");
            nvirtual++;
            continue;
        }
        if (notnull)
            ph_buf_printf(&ddl, " NOT NULL");
        if (dflt)
            ph_buf_printf(&ddl, " DEFAULT %s", dflt);
        if (inpk > 0) {
            pk[inpk - 1] = ph_xstrdup(name);
            npk = inpk > npk ? inpk : npk;
        }
    }
    if (step != SQLITE_DONE)
        goto sqlerr;
    sqlite3_finalize(st);
    st = NULL;
    if (nvirtual == 0) { /* nothing to narrow */
        rc = 0;
        goto out;
    }
    for (int i = 0; i < npk; i++) {
        if (!pk[i]) {
            ph_fmt(err, errlen, "narrowing %s: its primary key has a gap", table);
            goto out;
        }
    }
    if (npk > 0) {
        ph_buf_printf(&ddl, ",\n    PRIMARY KEY (");
        for (int i = 0; i < npk; i++)
            ph_buf_printf(&ddl, "%s%s", i ? ", " : "", pk[i]);
        ph_buf_printf(&ddl, ")");
    }
    ph_buf_printf(&ddl, "\n)%s", rowid ? "" : " WITHOUT ROWID");
    if (collect_sql(db, "SELECT sql FROM sqlite_master WHERE tbl_name = ?1 AND type IN ('trigger', 'index')"
                        " AND sql IS NOT NULL ORDER BY type DESC, rowid", table, &extra, &nextra) < 0)
        goto sqlerr;
    sql.len = 0;
    ph_buf_printf(&sql, "PRAGMA legacy_alter_table=ON; %s; DROP TABLE %s; ALTER TABLE %s__narrow RENAME TO %s;",
                  ddl.data, table, table, table);
    for (size_t i = 0; i < nextra; i++)
        ph_buf_printf(&sql, " %s;", extra[i]);
    char *msg = NULL;
    int ok = sqlite3_exec(db, sql.data, NULL, NULL, &msg) == SQLITE_OK;
    sqlite3_exec(db, "PRAGMA legacy_alter_table=OFF", NULL, NULL, NULL);
    if (!ok) {
        ph_fmt(err, errlen, "narrowing %s: %s", table, msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        goto out;
    }
    rc = 0;
    goto out;
sqlerr:
    ph_fmt(err, errlen, "narrowing %s: %s", table, sqlite3_errmsg(db));
out:
    sqlite3_finalize(st);
    for (int i = 0; i < 8; i++)
        free(pk[i]);
    for (size_t i = 0; i < nextra; i++)
        free(extra[i]);
    free(extra);
    ph_buf_free(&ddl);
    ph_buf_free(&sql);
    return rc;
}

/* A new database is created in one transaction: every migration, then the
 * narrow tiers; an existing one takes each missing migration in its own. */
static int migrate(sqlite3 *db, int64_t from, ph_mask metrics, char *err, size_t errlen)
{
    if (from == 0) {
        char *msg = NULL;
        char bump[96];
        snprintf(bump, sizeof bump, "PRAGMA application_id=%d; PRAGMA user_version=%d;", PH_APPLICATION_ID,
                 ph_schema_count);
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK)
            goto fail0;
        for (int v = 0; v < ph_schema_count; v++)
            if (sqlite3_exec(db, ph_schema_sql[v], NULL, NULL, &msg) != SQLITE_OK) {
                ph_fmt(err, errlen, "creating the database (schema %d) failed: %s", v + 1,
                       msg ? msg : sqlite3_errmsg(db));
                goto fail;
            }
        if ((metrics & PH_ALL_METRICS) != PH_ALL_METRICS && sqlite3_libversion_number() >= GENERATED_MIN_VERSION)
            for (size_t i = 0; i < PH_ARRAY_LEN(narrow_tables); i++)
                if (narrow_table(db, narrow_tables[i], metrics, err, errlen) < 0)
                    goto fail;
        if (sqlite3_exec(db, bump, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK)
            goto fail0;
        return 0;
    fail0:
        ph_fmt(err, errlen, "creating the database failed: %s", msg ? msg : sqlite3_errmsg(db));
    fail:
        sqlite3_free(msg);
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        return -1;
    }
    for (int64_t v = from; v < ph_schema_count; v++) {
        char bump[96];
        char *msg = NULL;
        snprintf(bump, sizeof bump, "PRAGMA application_id=%d; PRAGMA user_version=%lld;",
                 PH_APPLICATION_ID, (long long)(v + 1));
        if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, ph_schema_sql[v], NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, bump, NULL, NULL, &msg) != SQLITE_OK ||
            sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
            ph_fmt(err, errlen, "migrating the database to schema %lld failed: %s",
                   (long long)(v + 1), msg ? msg : sqlite3_errmsg(db));
            sqlite3_free(msg);
            sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return -1;
        }
    }
    return 0;
}

/*
 * PRAGMA quick_check: the b-tree structure and page accounting, without the
 * index cross-checks of integrity_check (docs/performance.md: its cost).
 */
static int quick_check(ph_store *s, char *err, size_t errlen)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    const char *res = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
    if (rc == SQLITE_ROW && res && strcmp(res, "ok") == 0) {
        sqlite3_finalize(st);
        return 0;
    }
    if (rc == SQLITE_ROW || sqlite3_errcode(s->db) == SQLITE_CORRUPT || sqlite3_errcode(s->db) == SQLITE_NOTADB) {
        char what[200];
        const char *r = res ? res : sqlite3_errmsg(s->db);
        if (strncmp(r, "*** in database main ***\n", 25) == 0)
            r += 25; /* a heading, then the first problem */
        ph_fmt(what, sizeof what, "%s", r);
        what[strcspn(what, "\n")] = '\0';
        ph_fmt(err, errlen, "%s is corrupt (quick_check: %s); refusing to use it: recover what it holds with"
               " 'sqlite3 %s .recover', or move it away to start afresh", s->path, what, s->path);
    }
    sqlite3_finalize(st);
    return -1;
}

static int open_fail(ph_store *s, char *err, size_t errlen, const char *path, const char *what)
{
    if (err[0] == '\0') {
        int code = s->db ? sqlite3_errcode(s->db) : SQLITE_ERROR;
        int ext = s->db ? sqlite3_extended_errcode(s->db) : SQLITE_ERROR;
        if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
            ph_fmt(err, errlen, "%s is corrupt (%s: %s); refusing to use it: recover what it holds with"
                   " 'sqlite3 %s .recover'", path, what, sqlite3_errmsg(s->db), path);
        else if (ext == SQLITE_READONLY_ROLLBACK || ext == SQLITE_READONLY_RECOVERY)
            /* A hot journal (or a WAL to recover) that a read-only open may
             * not replay: a writer was killed in mid-write. */
            ph_fmt(err, errlen, "%s has an unfinished write (its recorder was killed while writing); start the"
                   " recorder on it again (prochist record --db %s) to finish the repair, then query it",
                   path, path);
        else
            ph_fmt(err, errlen, "cannot %s %s: %s", what, path,
                   s->db ? sqlite3_errmsg(s->db) : "out of memory");
    }
    ph_store_close(s);
    return -1;
}

/* Which metric columns each tier's per-process table stores: hidden = 0 in
 * pragma table_xinfo (2: virtual generated). An SQLite without generated
 * columns could not have parsed a schema with any: all stored. */
static int read_stored(ph_store *s)
{
    for (int t = 0; t < PH_TIER_COUNT; t++) {
        s->stored[t] = 0;
        if (sqlite3_libversion_number() < GENERATED_MIN_VERSION) {
            s->stored[t] = PH_ALL_METRICS;
            continue;
        }
        sqlite3_stmt *st;
        if (sqlite3_prepare_v2(s->db, "SELECT name FROM pragma_table_xinfo(?1) WHERE hidden = 0", -1, &st,
                               NULL) != SQLITE_OK)
            return -1;
        sqlite3_bind_text(st, 1, ph_tiers[t].procs, -1, SQLITE_STATIC);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            int m = metric_of_column((const char *)sqlite3_column_text(st, 0));
            if (m >= 0)
                s->stored[t] |= PH_BIT(m);
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE)
            return -1;
    }
    return 0;
}

ph_mask ph_store_stored(const ph_store *s, enum ph_tier t) { return s->stored[t]; }

int ph_store_check_storable(const ph_store *s, enum ph_tier t, ph_mask have, char *err, size_t errlen)
{
    ph_mask lost = have & ~s->stored[t];
    if (!lost)
        return 0;
    int m = __builtin_ctzll(lost);
    ph_fmt(err, errlen, "%s cannot store %s%s: the column is virtual in %s (the file was created for a"
           " recorder without that metric); record into a new database file", s->path,
           ph_metric_column((enum ph_metric)m), __builtin_popcountll(lost) > 1 ? " and other metrics" : "",
           ph_tiers[t].procs);
    return -1;
}

/*
 * The writer's part of opening, after the checks of every mode: a damaged
 * file is refused, the file made ours, WAL set, the schema migrated and the
 * writes prepared. NULL, or what could not be done (for open_fail; "" when
 * err says it already).
 */
static const char *open_writer(ph_store *s, const char *path, int fresh, int64_t ver, ph_mask metrics, char *err,
                               size_t errlen)
{
    /* A damaged file is refused before anything is written into it. */
    if (!fresh && quick_check(s, err, errlen) < 0)
        return "check";
    /* Ours and closed to others before anything is written (a refused file
     * above is left exactly as it was, mode included). */
    if (secure_file(path, "", err, errlen) < 0 || secure_file(path, "-wal", err, errlen) < 0 ||
        secure_file(path, "-shm", err, errlen) < 0)
        return "";
    if (fresh && sqlite3_exec(s->db, "PRAGMA auto_vacuum=INCREMENTAL", NULL, NULL, NULL))
        return "initialise";
    int64_t dummy;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
        return "set WAL mode on";
    int rc = sqlite3_step(st);
    const unsigned char *jm = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    int wal = jm && strcmp((const char *)jm, "wal") == 0;
    sqlite3_finalize(st);
    if (!wal)
        return "set WAL mode on";
    /* Bound the WAL file: it is truncated to this after checkpoints. */
    if (sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=8388608", NULL, NULL, NULL) ||
        ph_sql_int(s->db, "PRAGMA user_version", 0, &dummy) < 0)
        return "configure";
    if (migrate(s->db, ver, metrics, err, errlen) < 0)
        return "migrate";
    s->version = ph_schema_count;
    if (read_stored(s) < 0)
        return "read";
    /* Every metric this recorder fills must have a stored column. */
    for (int t = 0; t < PH_TIER_COUNT; t++)
        if (ph_store_check_storable(s, (enum ph_tier)t, metrics, err, errlen) < 0)
            return "";
    if (ph_store_prepare_sample(s) < 0 || ph_store_prepare_apps(s) < 0 || ph_store_prepare_power(s) < 0)
        return "prepare statements for";
    /* Every process row there is may have a resume row. */
    if (ph_sql_int(s->db, "SELECT max(proc) FROM process", 0, &s->max_proc) < 0)
        return "read";
    s->before_tick = s->max_proc;
    return NULL;
}

int ph_store_open(const char *path, enum ph_store_mode mode, ph_store **out,
                  char *err, size_t errlen)
{
    return ph_store_open_as(path, mode, ph_platform_stored_metrics(), out, err, errlen);
}

int ph_store_open_as(const char *path, enum ph_store_mode mode, ph_mask metrics, ph_store **out, char *err,
                     size_t errlen)
{
    ph_store *s = ph_xcalloc(1, sizeof *s);
    int is_empty = 0;
    s->mode = mode;
    err[0] = '\0';
    *out = NULL;

    /* Nothing is created or opened before the path and its side files are
     * known to be regular files (or absent). */
    if (ph_store_check_path(path, mode == PH_STORE_READ, err, errlen) < 0) {
        free(s);
        return -1;
    }
    snprintf(s->path, sizeof s->path, "%s", path);
    if (mode == PH_STORE_WRITE) {
        /* Create the file ourselves so it is 0600 whatever the umask;
         * SQLite gives the -wal and -shm files the same mode. */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd >= 0) {
            fchmod(fd, 0600);
            close(fd);
        } else if (errno != EEXIST) {
            ph_fmt(err, errlen, "cannot create %s: %s", path, strerror(errno));
            free(s);
            return -1;
        }
    }
    if (check_header(path, mode == PH_STORE_WRITE, &is_empty, err, errlen) < 0) {
        free(s);
        return -1;
    }
    if (mode == PH_STORE_READ && is_empty) {
        ph_fmt(err, errlen, "%s is empty: the recorder has not written to it yet", path);
        free(s);
        return -1;
    }

    /* NOMUTEX: the program has one thread, and a connection never leaves
     * the store that opened it. In the default serialized mode every
     * sqlite3_column_* call takes and releases the connection's mutex: a
     * long window reads millions of columns (perf: ~10% of a query's CPU). */
    int flags = (mode == PH_STORE_WRITE ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_NOMUTEX;
    int immutable = mode == PH_STORE_READ && want_immutable(path);
    if (open_uri(path, immutable, &s->db, flags | SQLITE_OPEN_NOFOLLOW) != SQLITE_OK)
        return open_fail(s, err, errlen, path, "open");
    sqlite3_extended_result_codes(s->db, 0);
    sqlite3_busy_timeout(s->db, BUSY_MS);

    int64_t app = 0, ver = 0, ntables = 0;
    if (ph_sql_int(s->db, "PRAGMA application_id", 0, &app) < 0 ||
        ph_sql_int(s->db, "PRAGMA user_version", 0, &ver) < 0 ||
        ph_sql_int(s->db, "SELECT count(*) FROM sqlite_master", 0, &ntables) < 0)
        return open_fail(s, err, errlen, path, "read");
    /* No migration makes a negative version: the header is damaged, or
     * another program wrote it (migrate would index ph_schema_sql[ver]). */
    if (ver < 0) {
        ph_fmt(err, errlen, "%s is damaged or not a prochist database (user_version %lld); refusing to touch it",
               path, (long long)ver);
        return open_fail(s, err, errlen, path, "");
    }
    int fresh = (app == 0 && ver == 0 && ntables == 0);
    if (!fresh && app != PH_APPLICATION_ID) {
        ph_fmt(err, errlen, "%s is not a prochist database (application_id %lld); refusing to touch it",
               path, (long long)app);
        return open_fail(s, err, errlen, path, "");
    }
    if (ver > ph_schema_count) {
        ph_fmt(err, errlen, "%s was written by a newer prochist (schema %lld, this one knows %d); upgrade prochist",
               path, (long long)ver, ph_schema_count);
        return open_fail(s, err, errlen, path, "");
    }

    if (mode == PH_STORE_READ) {
        if (fresh) {
            ph_fmt(err, errlen, "%s has no prochist data yet", path);
            return open_fail(s, err, errlen, path, "");
        }
        if (ver < PH_SCHEMA_READ_MIN) {
            ph_fmt(err, errlen, "%s uses schema %lld; run 'prochist record' once to upgrade it to %d",
                   path, (long long)ver, ph_schema_count);
            return open_fail(s, err, errlen, path, "");
        }
        s->version = (int)ver;
        *out = s;
        return 0;
    }

    const char *failed = open_writer(s, path, fresh, ver, metrics, err, errlen);
    if (failed)
        return open_fail(s, err, errlen, path, failed);
    *out = s;
    return 0;
}

void ph_store_close(ph_store *s)
{
    if (!s)
        return;
    ph_cgstore_free(s->cg);
    sqlite3_finalize(s->ins_proc);
    sqlite3_finalize(s->add_proc);
    sqlite3_finalize(s->upd_proc);
    sqlite3_finalize(s->upd_gone);
    sqlite3_finalize(s->ins_row);
    sqlite3_finalize(s->ins_sample);
    sqlite3_finalize(s->put_state);
    sqlite3_finalize(s->del_state);
    sqlite3_finalize(s->app_of);
    sqlite3_finalize(s->put_total);
    sqlite3_finalize(s->bump_samples);
    sqlite3_finalize(s->power_head);
    sqlite3_finalize(s->power_zone);
    sqlite3_finalize(s->power_trim);
    ph_store_free_apps(s);
    ph_imap_free(&s->new_state);
    sqlite3_close(s->db);
    free(s);
}

int ph_store_set_retention(ph_store *s, const ph_retention *r)
{
    int rc = ph_meta_set_int(s, PH_META_RETAIN_RAW_NS, r->raw_ns) < 0 ||
                     ph_meta_set_int(s, PH_META_RETAIN_MINUTE_NS, r->minute_ns) < 0 ||
                     ph_meta_set_int(s, PH_META_RETAIN_HOUR_NS, r->hour_ns) < 0 ||
                     ph_meta_set_int(s, PH_META_MAX_DB_BYTES, r->max_bytes) < 0
                 ? -1
                 : 0;
    if (rc == 0 && r->max_bytes > 0) {
        /* Under a size cap the WAL counts: it gets an eighth of the cap
         * (ph_cap_wal_pages), checkpointed and truncated back at that. */
        int64_t page = ph_sql_int_or(s->db, "PRAGMA page_size", 0, 4096);
        int64_t pages = ph_cap_wal_pages(r->max_bytes, page);
        char sql[128];
        snprintf(sql, sizeof sql, "PRAGMA wal_autocheckpoint=%lld; PRAGMA journal_size_limit=%lld",
                 (long long)pages, (long long)(pages * page));
        if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
            rc = -1;
    }
    return rc;
}
