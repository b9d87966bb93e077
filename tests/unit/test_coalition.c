/* The coalition ledger, through the real sampler and store: an app whose
 * helpers come and go between samples keeps complete totals. */
#include "test.h"

#include "ph_coalition.h"
#include "ph_recorder.h"
#include "ph_store.h"

#include "../../src/db/db_private.h" /* the file under test, and its sqlite3 handle */
#include <stdlib.h>

#define SEC 1000000000LL

/* Coalitions are macOS's: the store of a recorder that stores every metric
 * (wakeups among them), as on macOS, whatever platform runs the test. */
#define open_store(path, s, err) \
    ph_store_open_as(path, PH_STORE_WRITE, ~(ph_mask)0 >> (64 - PH_METRIC_COUNT), s, err, sizeof err)

typedef struct cproc {
    int32_t pid;
    int64_t start, cpu;
    int alive;
    int64_t co; /* its coalition; 0: 77 */
    int denied; /* its own usage is refused (another user's process) */
} cproc;

typedef struct cfake {
    cproc p[8];
    int n;
    int64_t co_cpu; /* coalition 77's cumulative CPU */
    int co_alive;
    int64_t co2_cpu; /* coalition 78's */
    int co2_alive;
    int64_t co_wk_int, co_wk_idle; /* coalition 77's wakeups; -1 unknown (the default) */
} cfake;

static int c_list(void *ctx, ph_pidlist *out)
{
    cfake *f = ctx;
    out->n = 0;
    for (int i = 0; i < f->n; i++)
        if (f->p[i].alive)
            ph_pidlist_push(out, f->p[i].pid);
    return 0;
}

static enum ph_read_result c_read(void *ctx, int32_t pid, const ph_hint *hint, ph_proc_sample *s)
{
    cfake *f = ctx;
    (void)hint;
    memset(s, 0, sizeof *s);
    for (int i = 0; i < f->n; i++) {
        cproc *p = &f->p[i];
        if (!p->alive || p->pid != pid)
            continue;
        s->pid = pid;
        s->ppid = 1;
        s->start_key = (uint64_t)p->start;
        s->start_boot_ns = p->start;
        s->quick_sig = (uint64_t)p->cpu;
        snprintf(s->name, sizeof s->name, pid == 100 ? "Safari" : "helper");
        if (p->denied) { /* like macOS: rusage EPERM, identity still readable */
            s->denied = 1;
            s->quick_sig = 0;
            return PH_READ_FULL;
        }
        ph_values_set(&s->vals, PH_M_CPU_USER_NS, p->cpu);
        ph_values_set(&s->vals, PH_M_CPU_SYSTEM_NS, 0);
        return PH_READ_FULL;
    }
    return PH_READ_GONE;
}

static void c_ident(void *ctx, int32_t pid, const ph_proc_sample *s, ph_proc_ident *out)
{
    cfake *f = ctx;
    (void)s;
    out->coalition = 77;
    for (int i = 0; i < f->n; i++)
        if (f->p[i].pid == pid && f->p[i].co)
            out->coalition = f->p[i].co;
    snprintf(out->app, sizeof out->app, out->coalition == 77 ? "Safari" : "Mail");
}

static int c_coalition(void *ctx, int64_t id, ph_coalition_usage *out)
{
    cfake *f = ctx;
    if (!(id == 77 && f->co_alive) && !(id == 78 && f->co2_alive))
        return -1;
    for (int k = 0; k < PH_CO_FIELDS; k++)
        out->v[k] = -1;
    out->v[PH_CO_CPU_NS] = id == 77 ? f->co_cpu : f->co2_cpu;
    if (id == 77 && f->co_wk_int > 0) {
        out->v[PH_CO_WAKEUPS_INTERRUPT] = f->co_wk_int;
        out->v[PH_CO_WAKEUPS_PKG_IDLE] = f->co_wk_idle;
    }
    /* what the darwin platform reports: a member's rusage was refused */
    out->unreadable_members = 0;
    for (int i = 0; i < f->n; i++)
        if (f->p[i].alive && f->p[i].denied && (f->p[i].co ? f->p[i].co : 77) == id)
            out->unreadable_members = 1;
    return 0;
}

static int64_t q64(ph_store *s, const char *sql)
{
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(ph_store_db(s), sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static int tick(ph_sampler *sm, int k)
{
    ph_tick_stats st;
    return ph_sampler_tick(sm, 1700000000 * SEC + k * 5 * SEC, 1000 * SEC + k * 5 * SEC, -1, &st);
}

#define APP_CPU "SELECT coalesce(sum(cpu_user_ns + coalesce(cpu_system_ns, 0)), 0) FROM proc_sample JOIN process USING (proc) WHERE app = 'Safari'"
#define EXTRA_CPU "SELECT coalesce(sum(cpu_user_ns), 0) FROM proc_sample JOIN process USING (proc) WHERE pid = -1"

TEST(coalition_keeps_app_totals_whole)
{
    char path[600], err[512];
    ph_store *s = NULL;
    snprintf(path, sizeof path, "%s/co.db", t_tmpdir());
    CHECK_I(open_store(path, &s, err), 0);
    if (!s)
        return;
    cfake f;
    memset(&f, 0, sizeof f);
    f.p[f.n++] = (cproc){100, 900 * SEC, 1000, 1, 0, 0};
    f.co_cpu = 1000;
    f.co_alive = 1;
    ph_source src = {&f, c_list, c_read, c_ident, NULL, NULL, 0, 0, c_coalition, NULL, NULL};
    ph_sampler sm;
    CHECK_I(ph_sampler_init(&sm, s, src, "boot-co", 0, err, sizeof err), 0);
    CHECK_I(tick(&sm, 0), 0); /* baselines */

    /* the app ran 300; a helper lived 500 between samples, unseen */
    f.p[0].cpu = 1300;
    f.co_cpu += 300 + 500;
    CHECK_I(tick(&sm, 1), 0);
    CHECK_I(q64(s, EXTRA_CPU), 500);
    CHECK_I(q64(s, "SELECT count(*) FROM process WHERE pid = -1 AND name = '" PH_CO_PROC_NAME "'"), 1);

    /* a helper seen from birth: nothing extra */
    f.p[f.n++] = (cproc){101, 1000 * SEC + 6 * SEC, 50, 1, 0, 0};
    f.p[0].cpu = 1400;
    f.co_cpu += 100 + 50;
    CHECK_I(tick(&sm, 2), 0);
    CHECK_I(q64(s, EXTRA_CPU), 500);

    /* it exits after 70 more that no sample saw */
    f.p[1].alive = 0;
    f.co_cpu += 70;
    CHECK_I(tick(&sm, 3), 0);
    CHECK_I(q64(s, EXTRA_CPU), 570);

    /* the app's row runs ahead of the coalition read (200 vs 150): carried,
     * then paid back by the next sample's growth, never doubled */
    f.p[0].cpu = 1600;
    f.co_cpu += 150;
    CHECK_I(tick(&sm, 4), 0);
    f.co_cpu += 50;
    CHECK_I(tick(&sm, 5), 0);
    CHECK_I(q64(s, EXTRA_CPU), 570);
    CHECK_I(q64(s, APP_CPU), f.co_cpu - 1000);

    /* a restart continues from the saved state and the same extra process */
    ph_sampler_free(&sm);
    CHECK_I(ph_sampler_init(&sm, s, src, "boot-co", 0, err, sizeof err), 0);
    f.co_cpu += 30;
    CHECK_I(tick(&sm, 6), 0);
    CHECK_I(q64(s, EXTRA_CPU), 600);
    CHECK_I(q64(s, "SELECT count(*) FROM process WHERE pid = -1"), 1);
    CHECK_I(q64(s, APP_CPU), f.co_cpu - 1000);

    /* the app quits: the coalition's last growth is kept, then it is dropped */
    f.p[0].alive = 0;
    f.co_cpu += 40;
    CHECK_I(tick(&sm, 7), 0);
    CHECK_I(q64(s, EXTRA_CPU), 640);
    CHECK_I(q64(s, APP_CPU), f.co_cpu - 1000);
    CHECK_I(q64(s, "SELECT count(*) FROM coalition_state"), 0);
    CHECK_I(q64(s, "SELECT count(*) FROM process WHERE pid = -1 AND gone_ns IS NOT NULL"), 1);
    CHECK_I((int64_t)sm.ledger.nco, 0);
    ph_sampler_free(&sm);
    ph_store_close(s);
}

/* The database says what the ledger says, coalition by coalition. */
static int saved_matches(ph_store *s, const ph_ledger *l)
{
    if (q64(s, "SELECT count(*) FROM coalition_state") != (int64_t)l->nco)
        return 0;
    for (size_t i = 0; i < l->nco; i++) {
        char sql[200];
        snprintf(sql, sizeof sql,
                 "SELECT coalesce(last_cpu_ns, -1) * 1000 + carry_cpu_ns FROM coalition_state WHERE coalition = %lld",
                 (long long)l->co[i].id);
        if (q64(s, sql) != l->co[i].last.v[PH_CO_CPU_NS] * 1000 + l->co[i].carry[PH_CO_CPU_NS])
            return 0;
    }
    return 1;
}

TEST(coalition_state_saves_only_what_changed)
{
    char path[600], err[512];
    ph_store *s = NULL;
    snprintf(path, sizeof path, "%s/co2.db", t_tmpdir());
    CHECK_I(open_store(path, &s, err), 0);
    if (!s)
        return;
    /* count the rows written, by coalition */
    CHECK_I(ph_store_exec(s, "CREATE TABLE co_writes (coalition INTEGER);"
                             "CREATE TRIGGER co_w AFTER INSERT ON coalition_state"
                             " BEGIN INSERT INTO co_writes VALUES (new.coalition); END"), 0);
    cfake f;
    memset(&f, 0, sizeof f);
    f.p[f.n++] = (cproc){100, 900 * SEC, 1000, 1, 77, 0};
    f.p[f.n++] = (cproc){200, 900 * SEC, 400, 1, 78, 0};
    f.co_cpu = 1000;
    f.co2_cpu = 400;
    f.co_alive = f.co2_alive = 1;
    ph_source src = {&f, c_list, c_read, c_ident, NULL, NULL, 0, 0, c_coalition, NULL, NULL};
    ph_sampler sm;
    CHECK_I(ph_sampler_init(&sm, s, src, "boot-co2", 0, err, sizeof err), 0);
    CHECK_I(tick(&sm, 0), 0);
    CHECK_I(q64(s, "SELECT count(*) FROM co_writes"), 2); /* the first tick writes all */
    CHECK(saved_matches(s, &sm.ledger));

    /* Safari runs, Mail stands still: one row */
    f.p[0].cpu += 300;
    f.co_cpu += 300;
    CHECK_I(tick(&sm, 1), 0);
    CHECK_I(q64(s, "SELECT count(*) FROM co_writes"), 3);
    CHECK_I(q64(s, "SELECT count(*) FROM co_writes WHERE coalition = 78"), 1);
    CHECK(saved_matches(s, &sm.ledger));

    /* nothing moves: nothing written */
    CHECK_I(tick(&sm, 2), 0);
    CHECK_I(q64(s, "SELECT count(*) FROM co_writes"), 3);
    CHECK(saved_matches(s, &sm.ledger));

    /* Mail's helper lived unseen: its coalition's row changes, Safari's not */
    f.co2_cpu += 50;
    CHECK_I(tick(&sm, 3), 0);
    CHECK_I(q64(s, "SELECT count(*) FROM co_writes WHERE coalition = 78"), 2);
    CHECK_I(q64(s, "SELECT count(*) FROM co_writes WHERE coalition = 77"), 2);
    CHECK(saved_matches(s, &sm.ledger));

    /* Mail quits: its row goes, Safari's stays */
    f.p[1].alive = 0;
    f.co2_alive = 0;
    CHECK_I(tick(&sm, 4), 0);
    CHECK_I(tick(&sm, 5), 0);
    CHECK_I((int64_t)sm.ledger.nco, 1);
    CHECK(saved_matches(s, &sm.ledger));
    CHECK_I(q64(s, "SELECT count(*) FROM coalition_state WHERE coalition = 77"), 1);

    /* a restart continues from what was saved */
    ph_sampler_free(&sm);
    CHECK_I(ph_sampler_init(&sm, s, src, "boot-co2", 0, err, sizeof err), 0);
    f.co_cpu += 20;
    CHECK_I(tick(&sm, 6), 0);
    CHECK(saved_matches(s, &sm.ledger));
    CHECK_I(q64(s, EXTRA_CPU), 70); /* 50 for Mail, 20 for Safari: each once */
    ph_sampler_free(&sm);
    ph_store_close(s);
}

/* Every package-idle wakeup is also an interrupt wakeup (xnu
 * osfmk/kern/sched_prim.c credits both ledgers): the "[exited members]"
 * row's total wakeups are the interrupt ones, not the sum. */
TEST(coalition_wakeups_are_not_counted_twice)
{
    char path[600], err[512];
    ph_store *s = NULL;
    snprintf(path, sizeof path, "%s/co3.db", t_tmpdir());
    CHECK_I(open_store(path, &s, err), 0);
    if (!s)
        return;
    cfake f;
    memset(&f, 0, sizeof f);
    f.p[f.n++] = (cproc){100, 900 * SEC, 1000, 1, 0, 0};
    f.co_cpu = 1000;
    f.co_alive = 1;
    f.co_wk_int = 100;
    f.co_wk_idle = 40;
    ph_source src = {&f, c_list, c_read, c_ident, NULL, NULL, 0, 0, c_coalition, NULL, NULL};
    ph_sampler sm;
    CHECK_I(ph_sampler_init(&sm, s, src, "boot-co3", 0, err, sizeof err), 0);
    CHECK_I(tick(&sm, 0), 0);
    f.co_cpu += 10;
    f.co_wk_int += 30; /* of which 20 woke the package from idle */
    f.co_wk_idle += 20;
    CHECK_I(tick(&sm, 1), 0);
    CHECK_I(q64(s, "SELECT sum(wakeups) FROM proc_sample JOIN process USING (proc) WHERE pid = -1"), 30);
    CHECK_I(q64(s, "SELECT sum(wakeups_pkg_idle) FROM proc_sample JOIN process USING (proc) WHERE pid = -1"), 20);
    ph_sampler_free(&sm);
    ph_store_close(s);
}

/* A coalition with a member whose own usage is refused (a root daemon read
 * by a user's recorder): the kernel counts that member in the coalition's
 * totals, so its growth minus the rows is not what exited members spent.
 * No row may claim it; once the member is readable again (gone), the
 * residue is exact again from a fresh baseline. */
TEST(coalition_with_unreadable_member_claims_nothing)
{
    char path[600], err[512];
    ph_store *s = NULL;
    snprintf(path, sizeof path, "%s/co4.db", t_tmpdir());
    CHECK_I(open_store(path, &s, err), 0);
    if (!s)
        return;
    cfake f;
    memset(&f, 0, sizeof f);
    f.p[f.n++] = (cproc){100, 900 * SEC, 1000, 1, 0, 0};
    f.p[f.n++] = (cproc){300, 900 * SEC, 0, 1, 0, 1}; /* another user's helper */
    f.co_cpu = 5000;
    f.co_alive = 1;
    ph_source src = {&f, c_list, c_read, c_ident, NULL, NULL, 0, 0, c_coalition, NULL, NULL};
    ph_sampler sm;
    CHECK_I(ph_sampler_init(&sm, s, src, "boot-co4", 0, err, sizeof err), 0);
    CHECK_I(tick(&sm, 0), 0);
    /* the readable app ran 100, the unreadable helper 900 */
    f.p[0].cpu += 100;
    f.co_cpu += 100 + 900;
    CHECK_I(tick(&sm, 1), 0);
    CHECK_I(q64(s, EXTRA_CPU), 0);
    CHECK_I(q64(s, "SELECT count(*) FROM process WHERE pid = -1"), 0);
    /* the helper quits; then a readable helper lives 60 between samples */
    f.p[1].alive = 0;
    f.co_cpu += 500; /* the helper's last interval: still unknowable, taken as the baseline */
    CHECK_I(tick(&sm, 2), 0);
    CHECK_I(q64(s, EXTRA_CPU), 0);
    f.co_cpu += 60;
    CHECK_I(tick(&sm, 3), 0);
    CHECK_I(q64(s, EXTRA_CPU), 60);
    ph_sampler_free(&sm);
    ph_store_close(s);
}
