/*
 * The prochist database.
 *
 * FORMAT. An SQLite 3 file with PRAGMA application_id = 0x50484953 ("PHIS")
 * and PRAGMA user_version = the number of migrations applied. Migrations are
 * schema/NNN_*.sql, compiled into the binary (build/schema_sql.c) and applied
 * in order, each in its own transaction together with its user_version bump,
 * so a crash leaves the file at a whole version. A file is refused, untouched,
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
 * WRITES. One transaction per sample: the sample row, its proc_sample rows,
 * process rows (new, renamed, gone), and the tracker state (table resume:
 * cumulative values of every process whose counters moved, removed when it
 * goes), so the state on disk always matches the last committed sample and
 * a recorder restarted after a crash continues the same deltas. All
 * statements are prepared once and all values are bound parameters.
 */
#include "db_private.h"
#include "ph_cgroup.h"
#include "ph_coalition.h"
#include "ph_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * The counters app_total sums (schema/005_app_totals.sql, 012), in the
 * order of put_total's parameters ?3.. . The first four are NOT NULL (0
 * when the sample had none); the others stay NULL until measured.
 * Summed in C as the rows go by: one INSERT ... SELECT ... GROUP BY app
 * per sample over proc_sample gives the same rows but cost 5-8% more CPU
 * per stored sample (gen-history, 3 h of history, 5 runs each).
 */
static const enum ph_metric app_sum[] = {PH_M_CPU_USER_NS,      PH_M_CPU_SYSTEM_NS, PH_M_DISK_READ_BYTES,
                                         PH_M_DISK_WRITE_BYTES, PH_M_ENERGY_NJ,     PH_M_WAKEUPS,
                                         PH_M_ENERGY_EST_NJ,    PH_M_GPU_NS};
#define APP_SUM_NOT_NULL 4

/* Per-app sums of the current sample, flushed into app_total with it. */
typedef struct app_acc {
    char *app;
    ph_values sum; /* the app_sum metrics of this sample's rows */
} app_acc;

struct ph_store {
    sqlite3 *db;
    enum ph_store_mode mode;
    int version;          /* user_version as opened (after migrations) */
    ph_imap proc_app;     /* proc id -> index in apps */
    /* Processes gone in this sample, and those gone in stored samples whose
     * proc_app entries are still there (forget_gone drops them). */
    int64_t *gone, *dead;
    size_t ngone, capgone, ndead, capdead;
    app_acc *apps;
    size_t napps, capapps;
    ph_imap app_index;    /* hash of app name -> index in apps */
    sqlite3_stmt *app_of, *put_total, *bump_samples;
    sqlite3_stmt *ins_proc, *add_proc, *upd_proc, *upd_gone, *ins_row, *ins_sample, *put_state, *del_state;
    /* Which process rows can have a resume row (see sink_proc_gone): every
     * proc id up to before_tick existed before this sample began; of the
     * ones above it, those in new_state got one in this sample. */
    int64_t max_proc, before_tick;
    ph_imap new_state;
    sqlite3_stmt *power_head, *power_zone, *power_trim; /* ph_store_put_power */
    int had_coalitions;   /* coalition_state may hold rows to replace */
    struct ph_cgstore *cg; /* src/db/cgroup.c's statements */
    char path[PH_PATH_MAX];
    char first_err[512];  /* the first failure since ph_store_err_clear, as it was */
};

const char *const ph_sys_col[PH_SYS_N] = {
    "energy_package_nj", "energy_core_nj", "energy_uncore_nj", "energy_dram_nj", "energy_psys_nj",
    "energy_gpu_nj",     "energy_ane_nj",   "cpu_capacity_ns", "gpu_busy_ns",    "gpu_mcycles",
    "gpu_covered_ns",
};

void ph_sys_unknown(ph_sys *s)
{
    for (int i = 0; i < PH_SYS_N; i++)
        s->v[i] = -1;
}

void ph_sys_add(ph_sys *to, const ph_sys *from)
{
    for (int i = 0; i < PH_SYS_N; i++)
        if (from->v[i] >= 0)
            to->v[i] = (to->v[i] < 0 ? 0 : to->v[i]) + from->v[i];
}

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

/* lstat, never open: opening a FIFO blocks until a writer comes. */
static int check_one(const char *path, const char *suffix, int must_exist, char *err, size_t errlen)
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
    if (S_ISREG(st.st_mode))
        return 0;
    if (S_ISLNK(st.st_mode) && !suffix[0])
        ph_fmt(err, errlen, "%s is a symbolic link; give the real path with --db", p);
    else
        ph_fmt(err, errlen, "%s is %s, not a regular file; refusing to use it", p, kind_of(st.st_mode));
    return -1;
}

int ph_store_check_path(const char *path, int must_exist, char *err, size_t errlen)
{
    static const char *const side[] = {"-wal", "-shm", ".lock"};
    if (!path[0]) {
        ph_fmt(err, errlen, "empty database path");
        return -1;
    }
    if (strlen(path) >= PH_PATH_MAX - 16) {
        ph_fmt(err, errlen, "database path too long (%zu bytes, at most %d)", strlen(path), PH_PATH_MAX - 17);
        return -1;
    }
    if (check_one(path, "", must_exist, err, errlen) < 0)
        return -1;
    for (size_t i = 0; i < sizeof side / sizeof *side; i++)
        if (check_one(path, side[i], 0, err, errlen) < 0)
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

/* Check the first bytes: "" (new), SQLite, or something else. */
static int check_header(const char *path, int *is_empty, char *err, size_t errlen)
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
    if (ph_fmt(dir, sizeof dir, "%s", path) < 0 || ph_fmt(wal, sizeof wal, "%s-wal", path) < 0)
        return 0;
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
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

static int migrate(sqlite3 *db, int64_t from, char *err, size_t errlen)
{
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

static void bind_values(sqlite3_stmt *st, int first, const ph_values *v)
{
    for (int m = 0; m < PH_METRIC_COUNT; m++) {
        if (v->have & PH_BIT(m))
            sqlite3_bind_int64(st, first + m, v->v[m]);
        else
            sqlite3_bind_null(st, first + m);
    }
}

static int step_done(sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int prepare_writes(ph_store *s)
{
    /* An identity already in the table (see sink_proc_new). */
    if (sqlite3_prepare_v3(s->db,
                           "INSERT INTO process (boot, pid, start_key, start_ns, ppid, uid, name, exe, app,"
                           " first_ns, bundle, coalition, responsible_pid)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                           " ON CONFLICT (boot, pid, start_key) DO UPDATE SET gone_ns = NULL"
                           " RETURNING proc",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->ins_proc, NULL))
        return -1;
    /* A new identity (nearly always): a plain INSERT, no statement journal
     * (an upsert needs one) and no RETURNING (a temporary table). */
    if (sqlite3_prepare_v3(s->db,
                           "INSERT INTO process (boot, pid, start_key, start_ns, ppid, uid, name, exe, app,"
                           " first_ns, bundle, coalition, responsible_pid)"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->add_proc, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db,
                           "UPDATE process SET name = ?2, exe = ?3, app = ?4, ppid = ?5, uid = ?6,"
                           " bundle = ?7, coalition = ?8, responsible_pid = ?9 WHERE proc = ?1",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->upd_proc, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db,
                           "UPDATE process SET gone_ns = ?2 WHERE proc = ?1 AND gone_ns IS NULL",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->upd_gone, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db,
                           "INSERT INTO proc_sample (sample, proc, kind" PH_METRIC_COLS ") VALUES (?1, ?2, ?3"
                           PH_METRIC_PARAMS ")",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->ins_row, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db,
                           "INSERT INTO sample (sample, ts_ns, boot, boot_ns, interval_ns, keyframe,"
                           " procs, procs_denied, rows_written, recorder_cpu_ns, " PH_SYS_COLS ")"
                           " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
                           " ?17, ?18, ?19, ?20, ?21)",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->ins_sample, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db,
                           "INSERT OR REPLACE INTO resume (proc, pid, start_key, quick_sig, name" PH_METRIC_COLS ")"
                           " VALUES (?1, ?2, ?3, ?4, ?5" PH_METRIC_PARAMS ")",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->put_state, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db, "DELETE FROM resume WHERE proc = ?1", -1, SQLITE_PREPARE_PERSISTENT,
                           &s->del_state, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db, "SELECT app FROM process WHERE proc = ?1", -1, SQLITE_PREPARE_PERSISTENT,
                           &s->app_of, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db,
                           "INSERT INTO app_total (app, cpu_user_ns, cpu_system_ns, disk_read_bytes,"
                           " disk_write_bytes, energy_nj, wakeups, energy_est_nj, gpu_ns, first_ns, last_ns)"
                           " VALUES (?1, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?2, ?2)"
                           " ON CONFLICT (app) DO UPDATE SET"
                           " cpu_user_ns = cpu_user_ns + excluded.cpu_user_ns,"
                           " cpu_system_ns = cpu_system_ns + excluded.cpu_system_ns,"
                           " disk_read_bytes = disk_read_bytes + excluded.disk_read_bytes,"
                           " disk_write_bytes = disk_write_bytes + excluded.disk_write_bytes,"
                           " energy_nj = CASE WHEN excluded.energy_nj IS NULL THEN energy_nj"
                           "   ELSE coalesce(energy_nj, 0) + excluded.energy_nj END,"
                           " wakeups = CASE WHEN excluded.wakeups IS NULL THEN wakeups"
                           "   ELSE coalesce(wakeups, 0) + excluded.wakeups END,"
                           " energy_est_nj = CASE WHEN excluded.energy_est_nj IS NULL THEN energy_est_nj"
                           "   ELSE coalesce(energy_est_nj, 0) + excluded.energy_est_nj END,"
                           " gpu_ns = CASE WHEN excluded.gpu_ns IS NULL THEN gpu_ns"
                           "   ELSE coalesce(gpu_ns, 0) + excluded.gpu_ns END,"
                           " last_ns = excluded.last_ns",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->put_total, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db, "INSERT OR REPLACE INTO power_prev (one, cpu_total_ns, zones) VALUES (1, ?1, ?2)",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->power_head, NULL) ||
        sqlite3_prepare_v3(s->db,
                           "INSERT OR REPLACE INTO power_prev_zone (zone, domain, energy_uj, max_uj)"
                           " VALUES (?1, ?2, ?3, ?4)",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->power_zone, NULL) ||
        sqlite3_prepare_v3(s->db, "DELETE FROM power_prev_zone WHERE zone >= ?1", -1, SQLITE_PREPARE_PERSISTENT,
                           &s->power_trim, NULL))
        return -1;
    if (sqlite3_prepare_v3(s->db,
                           "INSERT INTO meta (key, value) VALUES ('samples_total', 1)"
                           " ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
                           -1, SQLITE_PREPARE_PERSISTENT, &s->bump_samples, NULL))
        return -1;
    return 0;
}

static const char *acc_name(const void *ctx, int idx)
{
    return ((const app_acc *)ctx)[idx].app;
}

static int app_slot(ph_store *s, const char *app)
{
    int64_t key;
    int found = ph_smap_find(&s->app_index, app, acc_name, s->apps, &key);
    if (found >= 0)
        return found;
    if (s->napps == s->capapps) {
        s->capapps = s->capapps ? s->capapps * 2 : 64;
        s->apps = ph_xrealloc(s->apps, s->capapps * sizeof *s->apps);
    }
    app_acc *a = &s->apps[s->napps];
    memset(a, 0, sizeof *a);
    a->app = ph_xstrdup(app);
    ph_imap_put(&s->app_index, key, (int)s->napps);
    return (int)s->napps++;
}

static void remember_app(ph_store *s, int64_t proc, const char *app)
{
    ph_imap_put(&s->proc_app, proc, app_slot(s, app));
}

/* The accumulator of a process's app (looked up once per process). */
static app_acc *acc_of(ph_store *s, int64_t proc)
{
    int *idx = ph_imap_get(&s->proc_app, proc);
    if (!idx) {
        const char *app = "?";
        sqlite3_bind_int64(s->app_of, 1, proc);
        if (sqlite3_step(s->app_of) == SQLITE_ROW && sqlite3_column_text(s->app_of, 0))
            app = (const char *)sqlite3_column_text(s->app_of, 0);
        remember_app(s, proc, app);
        sqlite3_reset(s->app_of);
        idx = ph_imap_get(&s->proc_app, proc);
    }
    return &s->apps[*idx];
}

static void push_id(int64_t **v, size_t *n, size_t *cap, int64_t id)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 256;
        *v = ph_xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = id;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/*
 * proc_app had an entry for every process ever written and never lost one:
 * under churn it grew by one a process (over 100 exits a second, about
 * 200 MB a day). The entries of processes gone in stored samples are
 * dropped once they are half the map (and a few thousand), by building it
 * again without them: amortized, a constant per process. A row that comes
 * later for one of them (an exit record heard late) finds its app with
 * app_of, as any process the map does not hold.
 */
static void forget_gone(ph_store *s)
{
    for (size_t i = 0; i < s->ngone; i++)
        push_id(&s->dead, &s->ndead, &s->capdead, s->gone[i]);
    s->ngone = 0;
    if (s->ndead < 4096 || s->ndead * 2 < s->proc_app.n)
        return;
    qsort(s->dead, s->ndead, sizeof *s->dead, cmp_id);
    ph_imap kept;
    ph_imap_init(&kept);
    for (size_t i = 0; i < s->proc_app.cap; i++)
        if (s->proc_app.used[i] &&
            !bsearch(&s->proc_app.keys[i], s->dead, s->ndead, sizeof *s->dead, cmp_id))
            ph_imap_put(&kept, s->proc_app.keys[i], s->proc_app.vals[i]);
    ph_imap_free(&s->proc_app);
    s->proc_app = kept;
    s->ndead = 0;
}

size_t ph_store_procs_cached(const ph_store *s) { return s->proc_app.n; }

void ph_store_tick_begin(ph_store *s)
{
    s->ngone = 0;
    for (size_t i = 0; i < s->napps; i++)
        s->apps[i].sum.have = 0;
    s->before_tick = s->max_proc;
    if (s->new_state.n) {
        ph_imap_free(&s->new_state);
        ph_imap_init(&s->new_state);
    }
}

static int flush_totals(ph_store *s, int64_t ts)
{
    for (size_t i = 0; i < s->napps; i++) {
        app_acc *a = &s->apps[i];
        if (!a->sum.have)
            continue;
        sqlite3_stmt *st = s->put_total;
        sqlite3_bind_text(st, 1, a->app, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, ts);
        for (int k = 0; k < (int)PH_ARRAY_LEN(app_sum); k++) {
            int have = (a->sum.have & PH_BIT(app_sum[k])) != 0;
            if (have || k < APP_SUM_NOT_NULL)
                sqlite3_bind_int64(st, 3 + k, have ? a->sum.v[app_sum[k]] : 0);
        }
        if (step_done(st) < 0)
            return -1;
    }
    forget_gone(s);
    ph_store_tick_begin(s);
    return step_done(s->bump_samples);
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
        if (code == SQLITE_CORRUPT || code == SQLITE_NOTADB)
            ph_fmt(err, errlen, "%s is corrupt (%s: %s); refusing to use it: recover what it holds with"
                   " 'sqlite3 %s .recover'", path, what, sqlite3_errmsg(s->db), path);
        else
            ph_fmt(err, errlen, "cannot %s %s: %s", what, path,
                   s->db ? sqlite3_errmsg(s->db) : "out of memory");
    }
    ph_store_close(s);
    return -1;
}

int ph_store_open(const char *path, enum ph_store_mode mode, ph_store **out,
                  char *err, size_t errlen)
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
    if (check_header(path, &is_empty, err, errlen) < 0) {
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

    /* A damaged file is refused before anything is written into it. */
    if (!fresh && quick_check(s, err, errlen) < 0)
        return open_fail(s, err, errlen, path, "check");
    /* Ours and closed to others before anything is written (a refused file
     * above is left exactly as it was, mode included). */
    if (secure_file(path, "", err, errlen) < 0 || secure_file(path, "-wal", err, errlen) < 0 ||
        secure_file(path, "-shm", err, errlen) < 0)
        return open_fail(s, err, errlen, path, "");
    if (fresh && sqlite3_exec(s->db, "PRAGMA auto_vacuum=INCREMENTAL", NULL, NULL, NULL))
        return open_fail(s, err, errlen, path, "initialise");
    int64_t dummy;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &st, NULL) != SQLITE_OK)
        return open_fail(s, err, errlen, path, "set WAL mode on");
    int rc = sqlite3_step(st);
    const unsigned char *jm = rc == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    int wal = jm && strcmp((const char *)jm, "wal") == 0;
    sqlite3_finalize(st);
    if (!wal)
        return open_fail(s, err, errlen, path, "set WAL mode on");
    /* Bound the WAL file: it is truncated to this after checkpoints. */
    if (sqlite3_exec(s->db, "PRAGMA synchronous=NORMAL; PRAGMA journal_size_limit=8388608", NULL, NULL, NULL) ||
        ph_sql_int(s->db, "PRAGMA user_version", 0, &dummy) < 0)
        return open_fail(s, err, errlen, path, "configure");
    if (migrate(s->db, ver, err, errlen) < 0)
        return open_fail(s, err, errlen, path, "migrate");
    s->version = ph_schema_count;
    if (prepare_writes(s) < 0)
        return open_fail(s, err, errlen, path, "prepare statements for");
    /* Every process row there is may have a resume row. */
    if (ph_sql_int(s->db, "SELECT max(proc) FROM process", 0, &s->max_proc) < 0)
        return open_fail(s, err, errlen, path, "read");
    s->before_tick = s->max_proc;
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
    for (size_t i = 0; i < s->napps; i++)
        free(s->apps[i].app);
    free(s->apps);
    ph_imap_free(&s->proc_app);
    ph_imap_free(&s->app_index);
    ph_imap_free(&s->new_state);
    free(s->gone);
    free(s->dead);
    sqlite3_close(s->db);
    free(s);
}


int ph_store_boot(ph_store *s, const char *uuid, int64_t boot_wall_ns, int64_t *boot)
{
    sqlite3_stmt *st;
    int rc = -1;
    if (sqlite3_prepare_v2(s->db,
                           "INSERT INTO boot (boot_uuid, boot_wall_ns) VALUES (?1, ?2)"
                           " ON CONFLICT (boot_uuid) DO UPDATE SET boot_uuid = excluded.boot_uuid"
                           " RETURNING boot",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_text(st, 1, uuid, -1, SQLITE_TRANSIENT);
    if (boot_wall_ns)
        sqlite3_bind_int64(st, 2, boot_wall_ns);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *boot = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st) == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(st);
    return rc;
}

int ph_store_last_sample(ph_store *s, ph_last_sample *out)
{
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(s->db,
                           "SELECT sample, ts_ns, boot, boot_ns FROM sample ORDER BY sample DESC LIMIT 1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        out->sample = sqlite3_column_int64(st, 0);
        out->ts_ns = sqlite3_column_int64(st, 1);
        out->boot = sqlite3_column_int64(st, 2);
        out->boot_ns = sqlite3_column_int64(st, 3);
    }
    sqlite3_finalize(st);
    return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : -1;
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s && *s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* bundle, coalition, responsible pid at parameters first.. first+2 */
static void bind_mac_ident(sqlite3_stmt *st, int first, const ph_proc_info *info)
{
    bind_text_or_null(st, first, info->bundle);
    if (info->coalition >= 0)
        sqlite3_bind_int64(st, first + 1, info->coalition);
    if (info->responsible_pid >= 0)
        sqlite3_bind_int(st, first + 2, info->responsible_pid);
}

static void bind_proc(sqlite3_stmt *st, const ph_store_tick *t, const ph_proc_info *info)
{
    sqlite3_bind_int64(st, 1, t->boot);
    sqlite3_bind_int(st, 2, info->pid);
    sqlite3_bind_int64(st, 3, (int64_t)info->start_key);
    if (info->start_ns)
        sqlite3_bind_int64(st, 4, info->start_ns);
    sqlite3_bind_int(st, 5, info->ppid);
    if (info->uid >= 0)
        sqlite3_bind_int64(st, 6, info->uid);
    sqlite3_bind_text(st, 7, info->name, -1, SQLITE_STATIC);
    bind_text_or_null(st, 8, info->exe);
    sqlite3_bind_text(st, 9, info->app, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, t->ts_ns);
    bind_mac_ident(st, 11, info);
}

/*
 * A new identity is one plain INSERT. One already in the table (seen by an
 * earlier run of the recorder, or a row marked gone that is listed again)
 * fails its UNIQUE constraint before anything is written, and takes the
 * upsert, which clears gone_ns and returns the existing id.
 */
static int sink_proc_new(void *ctx, const ph_proc_info *info, int64_t *proc_id)
{
    ph_store_tick *t = ctx;
    ph_store *s = t->store;
    sqlite3_stmt *st = s->add_proc;
    bind_proc(st, t, info);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc == SQLITE_DONE) {
        *proc_id = sqlite3_last_insert_rowid(s->db);
        if (*proc_id > s->max_proc)
            s->max_proc = *proc_id;
        remember_app(s, *proc_id, info->app);
        return 0;
    }
    if (rc != SQLITE_CONSTRAINT)
        return -1;
    st = s->ins_proc;
    bind_proc(st, t, info);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *proc_id = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st);
        remember_app(s, *proc_id, info->app);
    }
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int sink_proc_renamed(void *ctx, int64_t proc_id, const ph_proc_info *info)
{
    ph_store_tick *t = ctx;
    sqlite3_stmt *st = t->store->upd_proc;
    sqlite3_bind_int64(st, 1, proc_id);
    sqlite3_bind_text(st, 2, info->name, -1, SQLITE_STATIC);
    bind_text_or_null(st, 3, info->exe);
    sqlite3_bind_text(st, 4, info->app, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 5, info->ppid);
    if (info->uid >= 0)
        sqlite3_bind_int64(st, 6, info->uid);
    bind_mac_ident(st, 7, info);
    remember_app(t->store, proc_id, info->app);
    return step_done(st);
}

/*
 * Marked gone, and its resume row deleted. A process first written in this
 * sample (its id is above every id of before it: ids are given upwards) has
 * a resume row only if this sample wrote one: one known only by its exit
 * record never has, and costs no DELETE.
 */
static int sink_proc_gone(void *ctx, int64_t proc_id)
{
    ph_store_tick *t = ctx;
    ph_store *s = t->store;
    sqlite3_stmt *st = s->upd_gone;
    sqlite3_bind_int64(st, 1, proc_id);
    sqlite3_bind_int64(st, 2, t->ts_ns);
    if (step_done(st) < 0)
        return -1;
    push_id(&s->gone, &s->ngone, &s->capgone, proc_id);
    if (proc_id > s->before_tick && !ph_imap_get(&s->new_state, proc_id))
        return 0;
    st = s->del_state;
    sqlite3_bind_int64(st, 1, proc_id);
    return step_done(st);
}

static int sink_state(void *ctx, const ph_entry *e)
{
    ph_store_tick *t = ctx;
    sqlite3_stmt *st = t->store->put_state;
    if (e->proc > t->store->before_tick)
        ph_imap_put(&t->store->new_state, e->proc, 1);
    sqlite3_bind_int64(st, 1, e->proc);
    sqlite3_bind_int(st, 2, e->pid);
    sqlite3_bind_int64(st, 3, (int64_t)e->start_key);
    sqlite3_bind_int64(st, 4, (int64_t)e->sig);
    sqlite3_bind_text(st, 5, e->name, -1, SQLITE_STATIC);
    bind_values(st, 6, &e->last);
    return step_done(st);
}

static int sink_row(void *ctx, const ph_row *in)
{
    ph_store_tick *t = ctx;
    ph_row est = *in;
    const ph_row *row = in;
    /* Where energy is not measured per process, its share of the package. */
    if (t->est_capacity_ns > 0 && !(in->vals.have & PH_BIT(PH_M_ENERGY_NJ)) &&
        (in->vals.have & (PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS)))) {
        long double cpu = 0;
        if (in->vals.have & PH_BIT(PH_M_CPU_USER_NS))
            cpu += in->vals.v[PH_M_CPU_USER_NS];
        if (in->vals.have & PH_BIT(PH_M_CPU_SYSTEM_NS))
            cpu += in->vals.v[PH_M_CPU_SYSTEM_NS];
        long double share = cpu / (long double)t->est_capacity_ns;
        if (share > 1)
            share = 1;
        ph_values_set(&est.vals, PH_M_ENERGY_EST_NJ, (int64_t)(share * (long double)t->est_energy_nj));
        row = &est;
    }
    if (row->vals.have & ph_metric_counters()) {
        app_acc *a = acc_of(t->store, row->proc);
        for (size_t k = 0; k < PH_ARRAY_LEN(app_sum); k++) {
            enum ph_metric m = app_sum[k];
            if (row->vals.have & PH_BIT(m))
                ph_values_set(&a->sum, m, ((a->sum.have & PH_BIT(m)) ? a->sum.v[m] : 0) + row->vals.v[m]);
        }
    }
    sqlite3_stmt *st = t->store->ins_row;
    sqlite3_bind_int64(st, 1, t->sample);
    sqlite3_bind_int64(st, 2, row->proc);
    sqlite3_bind_int(st, 3, (int)row->kind);
    bind_values(st, 4, &row->vals);
    return step_done(st);
}

static int sink_proc_cgroup(void *ctx, int64_t proc_id, const ph_cgroup *cg)
{
    ph_store_tick *t = ctx;
    return ph_cgstore_put(&t->store->cg, t->store->db, proc_id, cg);
}

ph_sink ph_store_sink(ph_store_tick *t)
{
    ph_sink s = {t, sink_proc_new, sink_proc_renamed, sink_proc_gone, sink_row, sink_state, sink_proc_cgroup};
    return s;
}

int ph_store_add_sample(ph_store *s, const ph_sample_row *r)
{
    sqlite3_stmt *st = s->ins_sample;
    sqlite3_bind_int64(st, 1, r->sample);
    sqlite3_bind_int64(st, 2, r->ts_ns);
    sqlite3_bind_int64(st, 3, r->boot);
    sqlite3_bind_int64(st, 4, r->boot_ns);
    if (r->interval_ns >= 0)
        sqlite3_bind_int64(st, 5, r->interval_ns);
    sqlite3_bind_int(st, 6, r->keyframe);
    sqlite3_bind_int(st, 7, r->procs);
    sqlite3_bind_int(st, 8, r->procs_denied);
    sqlite3_bind_int(st, 9, r->rows);
    if (r->recorder_cpu_ns >= 0)
        sqlite3_bind_int64(st, 10, r->recorder_cpu_ns);
    for (int i = 0; i < PH_SYS_N; i++)
        if (r->sys.v[i] >= 0)
            sqlite3_bind_int64(st, 11 + i, r->sys.v[i]);
    if (step_done(st) < 0)
        return -1;
    return flush_totals(s, r->ts_ns);
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

int ph_store_load_state(ph_store *s, int64_t boot, ph_entry **out, size_t *n)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    *out = NULL;
    *n = 0;
    /* Processes of another boot cannot be running any more. */
    if (sqlite3_prepare_v2(s->db,
                           "DELETE FROM resume WHERE proc IN (SELECT r.proc FROM resume r"
                           " JOIN process p USING (proc) WHERE p.boot <> ?1)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, boot);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE)
        return -1;
    if (sqlite3_prepare_v2(s->db,
                           "SELECT r.proc, r.pid, r.start_key, r.quick_sig, r.name, p.ppid" PH_RESUME_COLS
                           " FROM resume r JOIN process p USING (proc) WHERE p.boot = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    sqlite3_bind_int64(st, 1, boot);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            *out = ph_xrealloc(*out, cap * sizeof **out);
        }
        ph_entry *e = &(*out)[(*n)++];
        memset(e, 0, sizeof *e);
        e->proc = sqlite3_column_int64(st, 0);
        e->pid = sqlite3_column_int(st, 1);
        e->start_key = (uint64_t)sqlite3_column_int64(st, 2);
        e->sig = (uint64_t)sqlite3_column_int64(st, 3);
        const unsigned char *nm = sqlite3_column_text(st, 4);
        snprintf(e->name, sizeof e->name, "%s", nm ? (const char *)nm : "");
        e->ppid = sqlite3_column_int(st, 5);
        for (int m = 0; m < PH_METRIC_COUNT; m++)
            if (sqlite3_column_type(st, 6 + m) != SQLITE_NULL)
                ph_values_set(&e->last, (enum ph_metric)m, sqlite3_column_int64(st, 6 + m));
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : -1;
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
    if (step_done(st) < 0)
        return -1;
    for (int z = 0; z < p->n; z++) {
        st = s->power_zone;
        sqlite3_bind_int(st, 1, z);
        sqlite3_bind_int(st, 2, (int)p->zone[z].domain);
        sqlite3_bind_int64(st, 3, (int64_t)p->zone[z].energy_uj);
        sqlite3_bind_int64(st, 4, (int64_t)p->zone[z].max_uj);
        if (step_done(st) < 0)
            return -1;
    }
    st = s->power_trim;
    sqlite3_bind_int(st, 1, p->n);
    return step_done(st);
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
    int rc = step_done(st);
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
        rc = step_done(st);
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

