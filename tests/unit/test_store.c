/* The database: creation, migrations, refusals, schema contract, resume. */
#include "test.h"

#include "ph_recorder.h"
#include "ph_store.h"

#include "../../src/db/db_private.h" /* the file under test, and its sqlite3 handle */
#include <stdlib.h>
#include <sys/stat.h>

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -12345;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return v;
    if (sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static const char *q_text(sqlite3 *db, const char *sql)
{
    static char buf[256];
    sqlite3_stmt *st;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return buf;
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return buf;
}

static void make_db(const char *path, const char *sql)
{
    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
        t_fail(__FILE__, __LINE__, "cannot build %s: %s", path, sqlite3_errmsg(db));
    sqlite3_close(db);
}

TEST(create_migrates_from_empty)
{
    char path[600], err[512];
    ph_store *s;
    snprintf(path, sizeof path, "%s/new.db", t_tmpdir());
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    if (!s)
        return;
    sqlite3 *db = ph_store_db(s);
    CHECK_I(q_int(db, "PRAGMA user_version"), ph_store_schema_version());
    CHECK_I(q_int(db, "PRAGMA application_id"), PH_APPLICATION_ID);
    CHECK_S(q_text(db, "PRAGMA journal_mode"), "wal");
    CHECK_I(q_int(db, "PRAGMA auto_vacuum"), 2); /* incremental */
    CHECK_I(q_int(db, "PRAGMA synchronous"), 1);  /* normal */
    ph_store_close(s);
    struct stat st;
    CHECK_I(stat(path, &st), 0);
    CHECK_I(st.st_mode & 0777, 0600);
    /* Opening again is a no-op migration. */
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    ph_store_close(s);
    CHECK_I(ph_store_open(path, PH_STORE_READ, &s, err, sizeof err), 0);
    ph_store_close(s);
}

TEST(proc_sample_columns_follow_the_metric_registry)
{
    char path[600], err[512];
    ph_store *s;
    snprintf(path, sizeof path, "%s/cols.db", t_tmpdir());
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    if (!s)
        return;
    const char *tables[] = {"proc_sample", "resume", "proc_minute", "proc_hour"};
    const int first[] = {3, 5, 6, 6};
    for (int t = 0; t < 4; t++) {
        char sql[128];
        sqlite3_stmt *st;
        /* table_xinfo: every column, the virtual ones of a narrow tier too
         * (table_info lists only the stored ones) */
        snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_xinfo('%s') ORDER BY cid", tables[t]);
        CHECK_I(sqlite3_prepare_v2(ph_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
        int i = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            int m = i - first[t];
            if (m >= 0 && m < PH_METRIC_COUNT)
                CHECK_S((const char *)sqlite3_column_text(st, 0), ph_metric_column((enum ph_metric)m));
            i++;
        }
        sqlite3_finalize(st);
        CHECK_I(i, first[t] + PH_METRIC_COUNT);
    }
    ph_store_close(s);
}

/* A refused file must come back byte for byte. */
static void expect_refused(const char *path, enum ph_store_mode mode, const char *words)
{
    size_t n0, n1;
    char *before = t_read_file(path, &n0);
    char err[512];
    ph_store *s = NULL;
    if (ph_store_open(path, mode, &s, err, sizeof err) == 0) {
        t_fail(__FILE__, __LINE__, "%s was accepted", path);
        ph_store_close(s);
    } else if (!strstr(err, words)) {
        t_fail(__FILE__, __LINE__, "message \"%s\" lacks \"%s\"", err, words);
    }
    if (strchr(err, '\n'))
        t_fail(__FILE__, __LINE__, "message is not one line: %s", err);
    char *after = t_read_file(path, &n1);
    if (!before || !after || n0 != n1 || memcmp(before, after, n0) != 0)
        t_fail(__FILE__, __LINE__, "%s was modified", path);
    free(before);
    free(after);
}

TEST(foreign_newer_and_corrupt_files_are_refused_untouched)
{
    const char *dir = t_tmpdir();
    char path[600];

    snprintf(path, sizeof path, "%s/foreign.db", dir);
    make_db(path, "CREATE TABLE t(x); INSERT INTO t VALUES (1);");
    expect_refused(path, PH_STORE_WRITE, "not a prochist database");
    expect_refused(path, PH_STORE_READ, "not a prochist database");

    snprintf(path, sizeof path, "%s/otherapp.db", dir);
    make_db(path, "PRAGMA application_id=1234; CREATE TABLE t(x);");
    expect_refused(path, PH_STORE_WRITE, "not a prochist database");

    snprintf(path, sizeof path, "%s/newer.db", dir);
    char sql[128];
    snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=%d; CREATE TABLE t(x);",
             PH_APPLICATION_ID, ph_store_schema_version() + 1);
    make_db(path, sql);
    expect_refused(path, PH_STORE_WRITE, "newer prochist");
    expect_refused(path, PH_STORE_READ, "newer prochist");

    snprintf(path, sizeof path, "%s/text.db", dir);
    FILE *f = fopen(path, "w");
    fputs("hello, I am a text file\n", f);
    fclose(f);
    expect_refused(path, PH_STORE_WRITE, "not an SQLite file");

    /* A valid header followed by garbage pages. */
    snprintf(path, sizeof path, "%s/corrupt.db", dir);
    f = fopen(path, "w");
    fwrite("SQLite format 3", 1, 16, f);
    for (int i = 0; i < 8192; i++)
        fputc((i * 7919) & 0xff, f);
    fclose(f);
    expect_refused(path, PH_STORE_WRITE, "corrupt");
    expect_refused(path, PH_STORE_READ, "corrupt");

    char err[512];
    ph_store *s;
    snprintf(path, sizeof path, "%s/missing.db", dir);
    CHECK(ph_store_open(path, PH_STORE_READ, &s, err, sizeof err) < 0);
    CHECK(strstr(err, "no database") != NULL);
}

TEST(tracker_state_is_kept_with_the_rows)
{
    char path[600], err[512];
    ph_store *s;
    snprintf(path, sizeof path, "%s/state.db", t_tmpdir());
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    if (!s)
        return;
    int64_t boot_a, boot_b;
    CHECK_I(ph_store_boot(s, "boot-a", 0, &boot_a), 0);
    CHECK_I(ph_store_boot(s, "boot-b", 0, &boot_b), 0);
    ph_store_tick ta = {s, 1, 1000, boot_a, 0, 0}, tb = {s, 1, 1000, boot_b, 0, 0};
    ph_sink ka = ph_store_sink(&ta), kb = ph_store_sink(&tb);
    ph_proc_info info = {7, 1, 0, 99, 0, "seven", "", "seven", "", -1, -1, 0};
    ph_entry e[2];
    memset(e, 0, sizeof e);
    CHECK_I(ka.proc_new(ka.ctx, &info, &e[0].proc), 0);
    e[0].pid = 7; e[0].start_key = 99; e[0].sig = 0xFEDCBA9876543210ULL; e[0].ppid = 1;
    snprintf(e[0].name, sizeof e[0].name, "seven");
    ph_values_set(&e[0].last, PH_M_CPU_USER_NS, 123456789012345LL);
    CHECK_I(ka.state(ka.ctx, &e[0]), 0);
    info.pid = 8;
    info.start_key = 100;
    CHECK_I(kb.proc_new(kb.ctx, &info, &e[1].proc), 0);
    e[1].pid = 8; e[1].start_key = 100;
    CHECK_I(kb.state(kb.ctx, &e[1]), 0);

    ph_entry *got;
    size_t n;
    CHECK_I(ph_store_load_state(s, boot_a, &got, &n), 0);
    CHECK_I(n, 1); /* boot-b's process cannot be running in boot-a */
    if (n == 1) {
        CHECK_I(got[0].pid, 7);
        CHECK_I(got[0].start_key, 99);
        CHECK(got[0].sig == 0xFEDCBA9876543210ULL);
        CHECK_I(got[0].last.v[PH_M_CPU_USER_NS], 123456789012345LL);
        CHECK(got[0].last.have == PH_BIT(PH_M_CPU_USER_NS));
        CHECK_S(got[0].name, "seven");
    }
    free(got);
    CHECK_I(q_int(ph_store_db(s), "SELECT count(*) FROM resume"), 1);
    /* A process that goes takes its state with it. */
    CHECK_I(ka.proc_gone(ka.ctx, e[0].proc), 0);
    CHECK_I(ph_store_load_state(s, boot_a, &got, &n), 0);
    CHECK_I(n, 0);
    free(got);
    ph_store_close(s);
}

TEST(a_schema_1_database_upgrades_and_keeps_its_rows)
{
    char path[600], err[512];
    ph_store *s;
    sqlite3 *db;
    snprintf(path, sizeof path, "%s/v1.db", t_tmpdir());
    /* Exactly what a schema-1 prochist wrote. */
    CHECK_I(sqlite3_open(path, &db), SQLITE_OK);
    char pragmas[128];
    snprintf(pragmas, sizeof pragmas, "PRAGMA journal_mode=WAL; PRAGMA application_id=%d; PRAGMA user_version=1;",
             PH_APPLICATION_ID);
    CHECK_I(sqlite3_exec(db, ph_schema_sql[0], NULL, NULL, NULL), SQLITE_OK);
    CHECK_I(sqlite3_exec(db, pragmas, NULL, NULL, NULL), SQLITE_OK);
    CHECK_I(sqlite3_exec(db,
                         "INSERT INTO boot VALUES (1, 'b', NULL);"
                         "INSERT INTO sample VALUES (1, 5000000000, 1, 5, NULL, 1, 1, 0, 1, NULL);"
                         "INSERT INTO process (proc, boot, pid, start_key, name, app, first_ns)"
                         " VALUES (1, 1, 42, 7, 'old', 'old', 5000000000);"
                         "INSERT INTO proc_sample (sample, proc, kind, cpu_user_ns, resident_bytes)"
                         " VALUES (1, 1, 0, 123, 4096);",
                         NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);

    CHECK_I(ph_store_open(path, PH_STORE_READ, &s, err, sizeof err), -1);
    CHECK(strstr(err, "run 'prochist record' once") != NULL);
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    if (!s)
        return;
    db = ph_store_db(s);
    CHECK_I(q_int(db, "PRAGMA user_version"), ph_store_schema_version());
    CHECK_I(q_int(db, "SELECT cpu_user_ns FROM proc_sample WHERE proc = 1"), 123);
    CHECK_I(q_int(db, "SELECT count(*) FROM proc_sample WHERE instructions IS NULL"), 1);
    CHECK_I(q_int(db, "SELECT count(*) FROM v_proc_sample WHERE pid = 42"), 1);
    CHECK_I(q_int(db, "SELECT count(*) FROM process WHERE bundle IS NULL"), 1);
    ph_store_close(s);
}

/* A one-process source for the write-path checks below. */
static int one_list(void *ctx, ph_pidlist *out)
{
    (void)ctx;
    out->n = 0;
    ph_pidlist_push(out, 4242);
    return 0;
}

static enum ph_read_result one_read(void *ctx, int32_t pid, const ph_hint *hint, ph_proc_sample *s)
{
    int64_t *cpu = ctx;
    (void)hint;
    memset(s, 0, sizeof *s);
    s->pid = pid;
    s->ppid = 1;
    s->start_key = 77;
    s->start_boot_ns = 77;
    s->quick_sig = (uint64_t)*cpu;
    snprintf(s->name, sizeof s->name, "worker");
    ph_values_set(&s->vals, PH_M_CPU_USER_NS, *cpu);
    return PH_READ_FULL;
}

static void one_ident(void *ctx, int32_t pid, const ph_proc_sample *s, ph_proc_ident *out)
{
    (void)ctx;
    (void)pid;
    (void)s;
    snprintf(out->app, sizeof out->app, "worker");
}

/*
 * Two writers on one file (what a lost lock let happen): the second one's
 * sample number collides. Its error says so (not the ROLLBACK's "not an
 * error"), and it re-reads the last sample number and writes again at the
 * next tick instead of failing for ever.
 */
TEST(failed_write_keeps_its_cause_and_rereads_the_sample_number)
{
    char path[600], err[512];
    ph_store *a = NULL, *b = NULL;
    int64_t cpu = 1000;
    ph_tick_stats ts;
    snprintf(path, sizeof path, "%s/collide.db", t_tmpdir());
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &a, err, sizeof err), 0);
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &b, err, sizeof err), 0);
    if (!a || !b)
        return;
    ph_source src = {&cpu, one_list, one_read, one_ident, NULL, NULL, 0, 0, NULL, NULL, NULL};
    ph_sampler sa, sb;
    CHECK_I(ph_sampler_init(&sa, a, src, "boot-x", 0, err, sizeof err), 0);
    CHECK_I(ph_sampler_init(&sb, b, src, "boot-x", 0, err, sizeof err), 0);
    CHECK_I(ph_sampler_tick(&sa, 1700000000000000000LL, 1000000000000LL, -1, &ts), 0);
    cpu = 2000;
    CHECK_I(ph_sampler_tick(&sb, 1700000005000000000LL, 1005000000000LL, -1, &ts), -1);
    CHECK(strstr(ph_store_errmsg(b), "UNIQUE constraint failed: proc_sample.sample") != NULL);
    CHECK(strstr(ph_store_errmsg(b), "SQLITE_CONSTRAINT") != NULL);
    CHECK(strstr(ph_store_errmsg(b), "not an error") == NULL);
    cpu = 3000;
    CHECK_I(ph_sampler_tick(&sb, 1700000010000000000LL, 1010000000000LL, -1, &ts), 0);
    CHECK_I(q_int(ph_store_db(b), "SELECT max(sample) FROM sample"), 2);
    ph_sampler_free(&sa);
    ph_sampler_free(&sb);
    ph_store_close(a);
    ph_store_close(b);
}

/* ---- the last power reading (schema 14) ------------------------------- */

static int power_same(const ph_power *a, const ph_power *b)
{
    if (a->n != b->n || a->cpu_total_ns != b->cpu_total_ns)
        return 0;
    for (int z = 0; z < a->n; z++)
        if (a->zone[z].domain != b->zone[z].domain || a->zone[z].energy_uj != b->zone[z].energy_uj ||
            a->zone[z].max_uj != b->zone[z].max_uj)
            return 0;
    return 1;
}

TEST(power_reading_round_trips_typed)
{
    char path[600], err[512];
    ph_store *s;
    snprintf(path, sizeof path, "%s/power.db", t_tmpdir());
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    if (!s)
        return;
    ph_power none, p, got;
    CHECK_I(ph_store_get_power(s, &none), 0); /* nothing kept yet */
    memset(&p, 0, sizeof p);
    p.cpu_total_ns = 987654321012345LL;
    p.n = 3;
    p.zone[0].domain = PH_PWR_PACKAGE;
    p.zone[0].energy_uj = 262143328849ULL;
    p.zone[0].max_uj = 262143328850ULL;
    p.zone[1].domain = PH_PWR_DRAM;
    p.zone[1].energy_uj = 0;
    p.zone[1].max_uj = 65532610987ULL;
    p.zone[2].domain = PH_PWR_ANE;           /* the last domain there is */
    p.zone[2].energy_uj = 0xFFFFFFFFFFFFFFF0ULL; /* above INT64_MAX: its 64 bits kept */
    p.zone[2].max_uj = UINT64_MAX;
    CHECK_I(ph_store_put_power(s, &p), 0);
    CHECK_I(ph_store_get_power(s, &got), 1);
    CHECK(power_same(&p, &got));
    CHECK(got.zone[2].energy_uj == 0xFFFFFFFFFFFFFFF0ULL);
    CHECK(got.zone[2].max_uj == UINT64_MAX);
    CHECK_I(got.zone[1].domain, PH_PWR_DRAM);
    sqlite3 *db = ph_store_db(s);
    CHECK_I(q_int(db, "SELECT count(*) FROM power_prev_zone"), 3);
    CHECK_I(q_int(db, "SELECT typeof(energy_uj) = 'integer' FROM power_prev_zone WHERE zone = 0"), 1);

    /* A zone gone since: the next reading has fewer, and the rest go. */
    p.n = 1;
    p.cpu_total_ns = 5;
    p.zone[0].energy_uj = 17;
    CHECK_I(ph_store_put_power(s, &p), 0);
    CHECK_I(ph_store_get_power(s, &got), 1);
    CHECK(power_same(&p, &got));
    CHECK_I(q_int(db, "SELECT count(*) FROM power_prev_zone"), 1);
    p.n = 0; /* a reading with no zones still keeps its CPU time */
    CHECK_I(ph_store_put_power(s, &p), 0);
    CHECK_I(ph_store_get_power(s, &got), 1);
    CHECK(power_same(&p, &got));
    p.n = PH_POWER_ZONES + 1;
    CHECK_I(ph_store_put_power(s, &p), -1);

    /* A reading that is not whole reads as none. */
    p.n = 2;
    p.zone[1].domain = PH_PWR_CORE;
    CHECK_I(ph_store_put_power(s, &p), 0);
    CHECK_I(sqlite3_exec(db, "DELETE FROM power_prev_zone WHERE zone = 1", NULL, NULL, NULL), SQLITE_OK);
    CHECK_I(ph_store_get_power(s, &got), 0);
    CHECK_I(got.n, 0);
    CHECK_I(ph_store_put_power(s, &p), 0);
    CHECK_I(sqlite3_exec(db, "UPDATE power_prev_zone SET domain = 99 WHERE zone = 1", NULL, NULL, NULL), SQLITE_OK);
    CHECK_I(ph_store_get_power(s, &got), 0);
    ph_store_close(s);
}

/* The migration to schema 14 turns the old text (meta.power_prev) into the
 * typed rows: a whole text gives the same reading, a broken one none. */
TEST(power_text_of_schema_14_migrates_to_rows)
{
    static const struct {
        const char *text;
        int found, n;
        int64_t cpu;
        uint64_t e1;
    } cases[] = {
        {"2 123456789 0:1000:262143328850 3:55:65532610987", 1, 2, 123456789, 55},
        {"0 -1", 1, 0, -1, 0},
        {"2 5 0:1:2", 0, 0, 0, 0},          /* fewer zones than it says */
        {"1 5 9:1:2", 0, 0, 0, 0},          /* a domain that does not exist */
        {"1 5 0:x:2", 0, 0, 0, 0},
        {"garbage", 0, 0, 0, 0},
    };
    const char *mig = NULL;
    for (int v = 0; v < ph_store_schema_version(); v++)
        if (strstr(ph_schema_sql[v], "CREATE TABLE power_prev_zone"))
            mig = ph_schema_sql[v];
    CHECK(mig != NULL);
    if (!mig)
        return;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char path[600], err[512], sql[512];
        ph_store *s;
        ph_power got;
        snprintf(path, sizeof path, "%s/powermig%zu.db", t_tmpdir(), i);
        CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
        if (!s)
            return;
        sqlite3 *db = ph_store_db(s);
        /* Back to what schema 13 had, then the migration again. */
        snprintf(sql, sizeof sql,
                 "DROP TABLE power_prev; DROP TABLE power_prev_zone;"
                 " INSERT INTO meta (key, value) VALUES ('power_prev', '%s')", cases[i].text);
        CHECK_I(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
        CHECK_I(sqlite3_exec(db, mig, NULL, NULL, NULL), SQLITE_OK);
        CHECK_I(q_int(db, "SELECT count(*) FROM meta WHERE key = 'power_prev'"), 0);
        CHECK_I(ph_store_get_power(s, &got), cases[i].found);
        CHECK_I(got.n, cases[i].n);
        CHECK_I(got.cpu_total_ns, cases[i].cpu);
        if (cases[i].n == 2) {
            CHECK_I(got.zone[0].domain, PH_PWR_PACKAGE);
            CHECK(got.zone[0].energy_uj == 1000 && got.zone[0].max_uj == 262143328850ULL);
            CHECK_I(got.zone[1].domain, PH_PWR_DRAM);
            CHECK(got.zone[1].energy_uj == cases[i].e1 && got.zone[1].max_uj == 65532610987ULL);
        }
        ph_store_close(s);
    }
}

/* ---- exit records: a process no sample saw ---------------------------- */

TEST(exited_unseen_process_is_one_insert_and_keeps_no_state)
{
    char path[600], err[512];
    ph_store *s;
    snprintf(path, sizeof path, "%s/exits.db", t_tmpdir());
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    if (!s)
        return;
    sqlite3 *db = ph_store_db(s);
    int64_t boot;
    CHECK_I(ph_store_boot(s, "boot-x", 0, &boot), 0);
    ph_store_tick t = {s, 1, 1000, boot, 0, 0};
    ph_sink k = ph_store_sink(&t);
    ph_proc_info info = {10, 1, 0, 500, 0, "lived", "", "lived", "", -1, -1, 0};
    ph_entry e;
    memset(&e, 0, sizeof e);

    /* Sample 1: a process seen, with state. */
    ph_store_tick_begin(s);
    CHECK_I(k.proc_new(k.ctx, &info, &e.proc), 0);
    e.pid = 10;
    e.start_key = 500;
    ph_values_set(&e.last, PH_M_CPU_USER_NS, 5);
    CHECK_I(k.state(k.ctx, &e), 0);
    /* Sample 2: it goes (its state with it); one no sample saw comes and
     * goes; one born and gone in this sample keeps no state either. */
    t.ts_ns = 2000;
    ph_store_tick_begin(s);
    CHECK_I(k.proc_gone(k.ctx, e.proc), 0);
    CHECK_I(q_int(db, "SELECT count(*) FROM resume"), 0);
    ph_proc_info unseen = {11, 10, 0, 600, 0, "brief", "", "brief", "", -1, -1, 0};
    int64_t u = 0, w = 0;
    CHECK_I(k.proc_new(k.ctx, &unseen, &u), 0);
    CHECK(u > e.proc);
    CHECK_I(k.proc_gone(k.ctx, u), 0);
    /* one new in this sample that got state here, then gone: its state goes */
    ph_proc_info born = {12, 10, 0, 700, 0, "born", "", "born", "", -1, -1, 0};
    ph_entry eb;
    memset(&eb, 0, sizeof eb);
    CHECK_I(k.proc_new(k.ctx, &born, &eb.proc), 0);
    eb.pid = 12;
    eb.start_key = 700;
    CHECK_I(k.state(k.ctx, &eb), 0);
    CHECK_I(q_int(db, "SELECT count(*) FROM resume"), 1);
    CHECK_I(k.proc_gone(k.ctx, eb.proc), 0);
    CHECK_I(q_int(db, "SELECT count(*) FROM resume"), 0);
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT gone_ns FROM process WHERE proc = %lld", (long long)u);
    CHECK_I(q_int(db, sql), 2000);
    snprintf(sql, sizeof sql, "SELECT gone_ns FROM process WHERE proc = %lld", (long long)e.proc);
    CHECK_I(q_int(db, sql), 2000);

    /* The same identity again (a recorder restarted, or listed again): the
     * same id, no longer gone, and no second row. */
    ph_store_tick_begin(s);
    CHECK_I(k.proc_new(k.ctx, &unseen, &w), 0);
    CHECK_I(w, u);
    CHECK_I(q_int(db, "SELECT count(*) FROM process WHERE pid = 11"), 1);
    snprintf(sql, sizeof sql, "SELECT gone_ns IS NULL FROM process WHERE proc = %lld", (long long)u);
    CHECK_I(q_int(db, sql), 1);
    /* ... and one of an earlier run with state, gone after a reopen. */
    ph_entry er;
    memset(&er, 0, sizeof er);
    er.proc = w;
    er.pid = 11;
    er.start_key = 600;
    CHECK_I(k.state(k.ctx, &er), 0);
    ph_store_close(s);
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    if (!s)
        return;
    db = ph_store_db(s);
    t.store = s;
    k = ph_store_sink(&t);
    ph_store_tick_begin(s);
    CHECK_I(q_int(db, "SELECT count(*) FROM resume"), 1);
    CHECK_I(k.proc_gone(k.ctx, w), 0);
    CHECK_I(q_int(db, "SELECT count(*) FROM resume"), 0);
    ph_store_close(s);
}

/* Counts the statements that mark a process gone (sqlite3_trace_v2). */
static int count_gone_updates(unsigned type, void *ctx, void *p, void *x)
{
    (void)type;
    (void)x;
    const char *sql = sqlite3_sql((sqlite3_stmt *)p);
    if (sql && strncmp(sql, "UPDATE process SET gone_ns", 26) == 0)
        (*(int *)ctx)++;
    return 0;
}

/* A process known only by its exit record (info.gone) is written gone by
 * its INSERT: its proc_gone runs no UPDATE, and its row is what the INSERT
 * and the UPDATE wrote before. The same identity listed again later clears
 * gone_ns (the upsert), and its next proc_gone marks it gone again. */
TEST(exit_only_process_is_written_gone_by_its_insert)
{
    char path[600], err[512];
    ph_store *s;
    snprintf(path, sizeof path, "%s/borngone.db", t_tmpdir());
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    if (!s)
        return;
    sqlite3 *db = ph_store_db(s);
    int updates = 0;
    sqlite3_trace_v2(db, SQLITE_TRACE_STMT, count_gone_updates, &updates);
    int64_t boot, u = 0, v = 0, w = 0;
    CHECK_I(ph_store_boot(s, "boot-g", 0, &boot), 0);
    ph_store_tick t = {s, 1, 3000, boot, 0, 0};
    ph_sink k = ph_store_sink(&t);
    ph_store_tick_begin(s);
    ph_proc_info brief = {21, 1, 0, 800, 0, "brief", "", "brief", "", -1, -1, 1};
    CHECK_I(k.proc_new(k.ctx, &brief, &u), 0);
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT gone_ns FROM process WHERE proc = %lld", (long long)u);
    CHECK_I(q_int(db, sql), 3000);
    CHECK_I(k.proc_gone(k.ctx, u), 0);
    CHECK_I(updates, 0);
    CHECK_I(q_int(db, sql), 3000);
    snprintf(sql, sizeof sql, "SELECT first_ns = 3000 AND exe IS NULL FROM process WHERE proc = %lld",
             (long long)u);
    CHECK_I(q_int(db, sql), 1);
    /* a live process in the same sample: no gone_ns, and its proc_gone updates */
    ph_proc_info live = {22, 1, 0, 900, 0, "live", "", "live", "", -1, -1, 0};
    CHECK_I(k.proc_new(k.ctx, &live, &v), 0);
    snprintf(sql, sizeof sql, "SELECT gone_ns IS NULL FROM process WHERE proc = %lld", (long long)v);
    CHECK_I(q_int(db, sql), 1);
    CHECK_I(k.proc_gone(k.ctx, v), 0);
    CHECK_I(updates, 1);
    snprintf(sql, sizeof sql, "SELECT gone_ns FROM process WHERE proc = %lld", (long long)v);
    CHECK_I(q_int(db, sql), 3000);
    /* the first identity listed again (the upsert clears gone_ns), then gone:
     * its proc_gone updates it, though its row was once written gone */
    t.ts_ns = 4000;
    ph_store_tick_begin(s);
    brief.gone = 0;
    CHECK_I(k.proc_new(k.ctx, &brief, &w), 0);
    CHECK_I(w, u);
    snprintf(sql, sizeof sql, "SELECT gone_ns IS NULL FROM process WHERE proc = %lld", (long long)u);
    CHECK_I(q_int(db, sql), 1);
    CHECK_I(k.proc_gone(k.ctx, w), 0);
    CHECK_I(updates, 2);
    snprintf(sql, sizeof sql, "SELECT gone_ns FROM process WHERE proc = %lld", (long long)u);
    CHECK_I(q_int(db, sql), 4000);
    /* listed again while gone in this very sample (an exit record for an
     * identity already stored): the upsert, then the UPDATE, as before */
    t.ts_ns = 5000;
    ph_store_tick_begin(s);
    brief.gone = 1;
    CHECK_I(k.proc_new(k.ctx, &brief, &w), 0);
    CHECK_I(w, u);
    CHECK_I(k.proc_gone(k.ctx, w), 0);
    CHECK_I(updates, 3);
    CHECK_I(q_int(db, sql), 5000);
    sqlite3_trace_v2(db, 0, NULL, NULL);
    ph_store_close(s);
}

/* The store keeps each process's app in memory for the per-app sums; the
 * processes gone must leave it, or it grows with every process ever
 * written. A row that comes for one of them later still counts for its
 * app. */
TEST(gone_processes_leave_the_app_cache)
{
    char path[600], err[512];
    ph_store *s;
    snprintf(path, sizeof path, "%s/cache.db", t_tmpdir());
    CHECK_I(ph_store_open(path, PH_STORE_WRITE, &s, err, sizeof err), 0);
    if (!s)
        return;
    sqlite3 *db = ph_store_db(s);
    int64_t boot, first = 0;
    CHECK_I(ph_store_boot(s, "boot-c", 0, &boot), 0);
    size_t most = 0;
    for (int k = 1; k <= 20; k++) {
        ph_store_tick t = {s, k, (int64_t)k * 1000000000, boot, 0, 0};
        ph_sink sink = ph_store_sink(&t);
        ph_store_tick_begin(s);
        CHECK_I(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
        for (int i = 0; i < 1000; i++) {
            char name[32];
            snprintf(name, sizeof name, "short%d", i % 7);
            ph_proc_info info = {1000 + i, 1, 0, (uint64_t)(k * 1000 + i), 0, name, "", name, "", -1, -1, 0};
            int64_t proc;
            CHECK_I(sink.proc_new(sink.ctx, &info, &proc), 0);
            if (!first)
                first = proc;
            CHECK_I(sink.proc_gone(sink.ctx, proc), 0);
        }
        ph_sample_row row;
        memset(&row, 0, sizeof row);
        row.sample = k;
        row.ts_ns = t.ts_ns;
        row.boot = boot;
        row.interval_ns = -1;
        row.recorder_cpu_ns = -1;
        ph_sys_unknown(&row.sys);
        CHECK_I(ph_store_add_sample(s, &row), 0);
        CHECK_I(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
        if (ph_store_procs_cached(s) > most)
            most = ph_store_procs_cached(s);
    }
    CHECK_I(q_int(db, "SELECT count(*) FROM process"), 20000);
    CHECK(most < 10000); /* bounded by the forgetting, not by the 20,000 written */
    /* An exit row heard late for the first process (long forgotten). */
    ph_store_tick t = {s, 21, 21000000000LL, boot, 0, 0};
    ph_sink sink = ph_store_sink(&t);
    ph_store_tick_begin(s);
    CHECK_I(sqlite3_exec(db, "BEGIN", NULL, NULL, NULL), SQLITE_OK);
    ph_row r;
    memset(&r, 0, sizeof r);
    r.proc = first;
    r.kind = PH_ROW_EXIT;
    ph_values_set(&r.vals, PH_M_CPU_USER_NS, 777);
    CHECK_I(sink.row(sink.ctx, &r), 0);
    ph_sample_row row;
    memset(&row, 0, sizeof row);
    row.sample = 21;
    row.ts_ns = t.ts_ns;
    row.boot = boot;
    row.interval_ns = -1;
    row.recorder_cpu_ns = -1;
    ph_sys_unknown(&row.sys);
    CHECK_I(ph_store_add_sample(s, &row), 0);
    CHECK_I(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
    CHECK_I(q_int(db, "SELECT cpu_user_ns FROM app_total WHERE app = 'short0'"), 777);
    ph_store_close(s);
}

TEST(paths_sqlite_cannot_open_are_refused_by_name)
{
    char path[700], err[512];
    /* SQLite's default limit: 512 for the absolute path, less 8 for "-journal". */
    memset(path, 'a', sizeof path);
    path[0] = '/';
    path[504] = '\0';
    CHECK(ph_store_check_name(path, err, sizeof err) == 0);
    path[504] = 'a';
    path[505] = '\0';
    CHECK(ph_store_check_name(path, err, sizeof err) < 0);
    CHECK(strstr(err, "too long for SQLite (505 bytes") != NULL);
    CHECK(ph_store_check_name("/var/lib/prochist/", err, sizeof err) < 0);
    CHECK(strstr(err, "ends in '/'") != NULL);
    CHECK(ph_store_check_name("/var/lib/prochist/p.db", err, sizeof err) == 0);
}
