/* Identity and delta logic of the tracker, against a fake source and sink. */
#include "test.h"

#include "ph_tracker.h"

#include <stdlib.h>

#define MAXP 16

typedef struct fproc {
    int32_t pid;
    uint64_t start_key;
    int64_t start_boot_ns, start_res_ns;
    const char *name;
    int64_t cpu, io, rss, ccpu, cflt; /* cflt: child minor faults (read when the fake has_cflt) */
    int64_t csys; /* child system CPU (read when the fake has_csys; ccpu is then the user part) */
    int64_t sys;  /* own system CPU (read when the fake has_sys; cpu is then the user part) */
    int64_t flt;  /* own minor faults (read when the fake has_flt) */
    int32_t ppid;
    int64_t uid;
    int alive, vanish_on_read;
    int vanish_after_read; /* this read sees it, the next ones do not (gone in between) */
    int zombie; /* reads say state Z and a thread count (threads: 1 unless set) */
    int threads;
} fproc;

typedef struct fake {
    fproc p[MAXP];
    int n;
    int full_reads, idle_reads;
    int has_cflt; /* reads give child minor faults, as Linux's do */
    int has_csys; /* reads give child system CPU apart from user, as Linux's do */
    int has_sys;  /* reads give own system CPU apart from user, as Linux's do */
    int has_flt;  /* reads give own minor faults, as Linux's do */
    int bare_idle; /* an idle read gives no values (Linux: schedstat said it did not run) */
    ph_exit exits[8]; /* handed over at the next step */
    int nexits;
} fake;

static int f_exits(void *ctx, ph_exitlist *out)
{
    fake *f = ctx;
    for (int i = 0; i < f->nexits; i++)
        *ph_exitlist_push(out) = f->exits[i];
    f->nexits = 0;
    return 0;
}

/* An exit record: final own CPU and read bytes. */
static void heard_exit(fake *f, int32_t pid, int32_t ppid, int64_t start, int64_t cpu, int64_t io, int whole)
{
    ph_exit *x = &f->exits[f->nexits++];
    memset(x, 0, sizeof *x);
    x->pid = pid;
    x->ppid = ppid;
    x->uid = 1000;
    x->start_boot_ns = start;
    x->start_key = (uint64_t)start;
    /* these tests' keys and births are in different units: any process
     * started no later than the record may be its own (tests of pid reuse
     * set a real slack) */
    x->start_key_slack = (uint64_t)start;
    x->whole = whole;
    snprintf(x->name, sizeof x->name, "short");
    ph_values_set(&x->vals, PH_M_CPU_USER_NS, cpu);
    if (whole)
        ph_values_set(&x->vals, PH_M_DISK_READ_BYTES, io);
}

static int f_list(void *ctx, ph_pidlist *out)
{
    fake *f = ctx;
    out->n = 0;
    for (int i = 0; i < f->n; i++)
        if (f->p[i].alive)
            ph_pidlist_push(out, f->p[i].pid);
    return 0;
}

static enum ph_read_result f_read(void *ctx, int32_t pid, const ph_hint *hint, ph_proc_sample *s)
{
    fake *f = ctx;
    memset(s, 0, sizeof *s);
    for (int i = 0; i < f->n; i++) {
        fproc *p = &f->p[i];
        if (!p->alive || p->pid != pid)
            continue;
        if (p->vanish_on_read)
            return PH_READ_GONE;
        if (p->vanish_after_read) {
            p->vanish_after_read = 0;
            p->vanish_on_read = 1;
        }
        s->pid = pid;
        s->start_key = p->start_key;
        s->start_boot_ns = p->start_boot_ns;
        s->start_res_ns = p->start_res_ns;
        s->quick_sig = (uint64_t)(p->cpu * 1000003 + p->ccpu + p->csys * 7 + p->sys * 13 + p->flt * 17);
        s->ppid = p->ppid;
        s->uid = p->uid;
        snprintf(s->name, sizeof s->name, "%s", p->name);
        ph_values_set(&s->vals, PH_M_CPU_USER_NS, p->cpu);
        ph_values_set(&s->vals, PH_M_CHILD_CPU_USER_NS, p->ccpu);
        if (f->has_cflt)
            ph_values_set(&s->vals, PH_M_CHILD_FAULTS_MINOR, p->cflt);
        if (f->has_csys)
            ph_values_set(&s->vals, PH_M_CHILD_CPU_SYSTEM_NS, p->csys);
        if (f->has_sys)
            ph_values_set(&s->vals, PH_M_CPU_SYSTEM_NS, p->sys);
        if (f->has_flt)
            ph_values_set(&s->vals, PH_M_FAULTS_MINOR, p->flt);
        if (p->zombie) {
            ph_values_set(&s->vals, PH_M_STATE, 'Z');
            ph_values_set(&s->vals, PH_M_THREADS, p->threads ? p->threads : 1);
        }
        ph_values_set(&s->vals, PH_M_RESIDENT_BYTES, p->rss);
        if (hint && hint->start_key == s->start_key && hint->quick_sig == s->quick_sig) {
            f->idle_reads++;
            if (f->bare_idle)
                memset(&s->vals, 0, sizeof s->vals);
            return PH_READ_IDLE;
        }
        f->full_reads++;
        ph_values_set(&s->vals, PH_M_DISK_READ_BYTES, p->io);
        ph_values_set(&s->vals, PH_M_PEAK_RESIDENT_BYTES, p->rss * 2);
        return PH_READ_FULL;
    }
    return PH_READ_GONE;
}

static void f_ident(void *ctx, int32_t pid, const ph_proc_sample *s, ph_proc_ident *out)
{
    (void)ctx;
    (void)pid;
    snprintf(out->exe, sizeof out->exe, "/bin/%s", s->name);
    snprintf(out->app, sizeof out->app, "%s", s->name);
}

typedef struct rec_sink {
    int64_t next_id;
    ph_row rows[64];
    int nrows;
    int64_t gone[64];
    int ngone;
    char names[64][PH_NAME_MAX];
    int nnew, nrenamed, fail_rows;
} rec_sink;

static int s_new(void *ctx, const ph_proc_info *info, int64_t *id)
{
    rec_sink *r = ctx;
    *id = ++r->next_id;
    snprintf(r->names[*id % 64], PH_NAME_MAX, "%s", info->app);
    r->nnew++;
    return 0;
}
static int s_renamed(void *ctx, int64_t id, const ph_proc_info *info)
{
    rec_sink *r = ctx;
    snprintf(r->names[id % 64], PH_NAME_MAX, "%s", info->app);
    r->nrenamed++;
    return 0;
}
static int s_gone(void *ctx, int64_t id)
{
    rec_sink *r = ctx;
    r->gone[r->ngone++] = id;
    return 0;
}
static int s_row(void *ctx, const ph_row *row)
{
    rec_sink *r = ctx;
    if (r->fail_rows)
        return -1;
    r->rows[r->nrows++] = *row;
    return 0;
}

static const ph_row *row_of(const rec_sink *r, int64_t proc)
{
    for (int i = 0; i < r->nrows; i++)
        if (r->rows[i].proc == proc)
            return &r->rows[i];
    return NULL;
}

typedef struct env {
    fake f;
    rec_sink r;
    ph_tracker *t;
    ph_source src;
    ph_sink sink;
    int64_t boot_ns, prev;
} env;

static void env_init(env *e)
{
    memset(e, 0, sizeof *e);
    e->t = ph_tracker_new();
    e->src = (ph_source){&e->f, f_list, f_read, f_ident, NULL, f_exits, 1, 0, NULL, NULL, NULL};
    e->sink = (ph_sink){&e->r, s_new, s_renamed, s_gone, s_row, NULL, NULL};
    e->boot_ns = 1000;
    e->prev = -1;
}

/* One step at boot time +dt; returns the step's rc. */
static int step(env *e, int64_t dt, int keyframe, ph_tick_stats *st)
{
    e->r.nrows = e->r.ngone = 0;
    e->boot_ns += dt;
    ph_tick tick = {e->boot_ns, e->prev, 0, keyframe};
    int rc = ph_tracker_step(e->t, &e->src, &e->sink, &tick, st);
    if (rc == 0) {
        ph_tracker_commit(e->t);
        e->prev = e->boot_ns;
    } else {
        ph_tracker_abort(e->t);
    }
    return rc;
}

static void add(env *e, int32_t pid, uint64_t key, int64_t born, const char *name, int64_t cpu)
{
    fproc *p = &e->f.p[e->f.n++];
    memset(p, 0, sizeof *p);
    p->pid = pid;
    p->start_key = key;
    p->start_boot_ns = born;
    p->name = name;
    p->cpu = cpu;
    p->rss = 4096;
    p->alive = 1;
    p->ppid = e->f.n > 1 ? e->f.p[0].pid : 1; /* the first process is everyone's parent */
}

TEST(first_sight_is_a_baseline_not_a_lifetime)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "old", 7000);
    CHECK_I(step(&e, 0, 1, &st), 0);
    CHECK_I(e.r.nrows, 1);
    CHECK_I(e.r.rows[0].kind, PH_ROW_BASELINE);
    CHECK(!(e.r.rows[0].vals.have & PH_BIT(PH_M_CPU_USER_NS)));
    CHECK(e.r.rows[0].vals.have & PH_BIT(PH_M_RESIDENT_BYTES));
    CHECK_I(st.baseline, 1);

    e.f.p[0].cpu = 7600;
    e.f.p[0].io = 300;
    CHECK_I(step(&e, 100, 0, &st), 0);
    const ph_row *r = row_of(&e.r, 1);
    CHECK(r != NULL);
    if (r) {
        CHECK_I(r->kind, PH_ROW_DELTA);
        CHECK_I(r->vals.v[PH_M_CPU_USER_NS], 600);
        /* the first sight read io too (0): all 300 bytes came since */
        CHECK_I(r->vals.v[PH_M_DISK_READ_BYTES], 300);
    }
    e.f.p[0].cpu = 7700;
    e.f.p[0].io = 350;
    CHECK_I(step(&e, 100, 0, &st), 0);
    r = row_of(&e.r, 1);
    CHECK(r && r->vals.v[PH_M_DISK_READ_BYTES] == 50);
    ph_tracker_free(e.t);
}

TEST(born_between_samples_is_charged_from_birth)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "old", 0);
    CHECK_I(step(&e, 0, 1, &st), 0); /* boot 1000 */
    add(&e, 11, 1050, 1050, "new", 300);
    e.f.p[1].io = 4096;
    CHECK_I(step(&e, 100, 0, &st), 0);
    const ph_row *r = row_of(&e.r, 2);
    CHECK(r != NULL);
    if (r) {
        CHECK_I(r->kind, PH_ROW_BORN);
        CHECK_I(r->vals.v[PH_M_CPU_USER_NS], 300);
        CHECK_I(r->vals.v[PH_M_DISK_READ_BYTES], 4096);
    }
    CHECK_I(st.born, 1);
    ph_tracker_free(e.t);
}

/* Linux start times are whole clock ticks, rounded down: a process whose
 * start tick holds the previous sample was not listed by it, so it was born
 * after it and all its counters are new (a baseline would lose them). */
TEST(start_in_the_previous_samples_tick_is_born)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "old", 0);
    CHECK_I(step(&e, 0, 1, &st), 0); /* boot 1000 */
    add(&e, 11, 100, 1000, "same-tick", 300); /* born 1000..1009 */
    e.f.p[1].start_res_ns = 10;
    add(&e, 12, 98, 980, "tick-before", 200); /* born 980..989: before the sample */
    e.f.p[2].start_res_ns = 10;
    CHECK_I(step(&e, 100, 0, &st), 0);
    const ph_row *r = row_of(&e.r, 2);
    CHECK(r && r->kind == PH_ROW_BORN && r->vals.v[PH_M_CPU_USER_NS] == 300);
    r = row_of(&e.r, 3);
    CHECK(r && r->kind == PH_ROW_BASELINE && !(r->vals.have & PH_BIT(PH_M_CPU_USER_NS)));
    CHECK_I(st.born, 1);
    CHECK_I(st.baseline, 1);
    ph_tracker_free(e.t);
}

TEST(pid_reuse_is_a_new_process)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "first", 100);
    CHECK_I(step(&e, 0, 1, &st), 0);
    /* Same pid, new start key, fewer CPU: must not yield a delta. */
    e.f.p[0].start_key = 1020;
    e.f.p[0].start_boot_ns = 1020;
    e.f.p[0].name = "second";
    e.f.p[0].cpu = 40;
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(e.r.ngone, 1);
    CHECK_I(e.r.gone[0], 1);
    CHECK_I(e.r.nrows, 1);
    CHECK_I(e.r.rows[0].proc, 2);
    CHECK_I(e.r.rows[0].kind, PH_ROW_BORN);
    CHECK_I(e.r.rows[0].vals.v[PH_M_CPU_USER_NS], 40);
    CHECK_S(e.r.names[2], "second");
    ph_tracker_free(e.t);
}

TEST(counter_going_backwards_is_a_new_baseline)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "p", 1000);
    CHECK_I(step(&e, 0, 1, &st), 0);
    e.f.p[0].cpu = 10; /* e.g. a saturated or reset counter */
    CHECK_I(step(&e, 100, 0, &st), 0);
    const ph_row *r = row_of(&e.r, 1);
    CHECK(r && !(r->vals.have & PH_BIT(PH_M_CPU_USER_NS)));
    e.f.p[0].cpu = 25;
    CHECK_I(step(&e, 100, 0, &st), 0);
    r = row_of(&e.r, 1);
    CHECK(r && r->vals.v[PH_M_CPU_USER_NS] == 15);
    ph_tracker_free(e.t);
}

TEST(idle_processes_cost_a_cheap_read_and_no_row)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "idle", 100);
    add(&e, 11, 6, 500, "busy", 100);
    CHECK_I(step(&e, 0, 1, &st), 0);
    e.f.full_reads = e.f.idle_reads = 0;
    e.f.p[1].cpu = 200;
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(e.f.idle_reads, 1);
    CHECK_I(e.f.full_reads, 1);
    CHECK_I(e.r.nrows, 1);
    CHECK_I(e.r.rows[0].proc, 2);
    CHECK_I(st.idle, 1);
    /* A keyframe writes the idle one too, gauges kept from its full read,
     * and zero deltas for the counters the cheap read saw. */
    e.f.p[0].rss = 8192;
    CHECK_I(step(&e, 100, 1, &st), 0);
    const ph_row *r = row_of(&e.r, 1);
    CHECK(r != NULL);
    if (r) {
        CHECK_I(r->kind, PH_ROW_KEYFRAME);
        CHECK_I(r->vals.v[PH_M_RESIDENT_BYTES], 8192);
        CHECK_I(r->vals.v[PH_M_PEAK_RESIDENT_BYTES], 8192);
        CHECK(r->vals.have & PH_BIT(PH_M_CPU_USER_NS));
        CHECK_I(r->vals.v[PH_M_CPU_USER_NS], 0);
        CHECK(!(r->vals.have & PH_BIT(PH_M_DISK_READ_BYTES)));
    }
    ph_tracker_free(e.t);
}

TEST(exit_and_vanishing_mid_scan)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "a", 1);
    add(&e, 11, 6, 500, "b", 1);
    add(&e, 12, 7, 500, "c", 1);
    CHECK_I(step(&e, 0, 1, &st), 0);
    e.f.p[0].alive = 0;          /* exited: not listed */
    e.f.p[1].vanish_on_read = 1; /* listed, gone by the time it is read */
    e.f.p[2].cpu = 5;
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(e.r.ngone, 2);
    CHECK_I(st.procs, 1);
    CHECK_I(ph_tracker_count(e.t), 1);
    CHECK_I(ph_tracker_entries(e.t)[0].pid, 12);
    ph_tracker_free(e.t);
}

TEST(failed_write_loses_no_usage)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "p", 100);
    CHECK_I(step(&e, 0, 1, &st), 0);
    e.f.p[0].cpu = 150;
    e.r.fail_rows = 1;
    CHECK(step(&e, 100, 0, &st) < 0);
    e.r.fail_rows = 0;
    e.f.p[0].cpu = 180;
    CHECK_I(step(&e, 100, 0, &st), 0);
    const ph_row *r = row_of(&e.r, 1);
    CHECK(r && r->vals.v[PH_M_CPU_USER_NS] == 80);
    ph_tracker_free(e.t);
}

TEST(exec_renames_the_same_identity)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "sh", 1);
    CHECK_I(step(&e, 0, 1, &st), 0);
    e.f.p[0].name = "cc1";
    e.f.p[0].cpu = 9;
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(e.r.nrenamed, 1);
    CHECK_I(e.r.nnew, 1);
    CHECK_S(e.r.names[1], "cc1");
    CHECK_I(e.r.rows[0].vals.v[PH_M_CPU_USER_NS], 8);
    ph_tracker_free(e.t);
}

TEST(resume_continues_deltas)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "p", 100);
    CHECK_I(step(&e, 0, 1, &st), 0);
    /* Save, restart with a new tracker seeded from the saved state. */
    ph_entry saved[4];
    size_t n = ph_tracker_count(e.t);
    memcpy(saved, ph_tracker_entries(e.t), n * sizeof *saved);
    ph_tracker_free(e.t);
    e.t = ph_tracker_new();
    ph_tracker_load(e.t, saved, n);
    e.f.p[0].cpu = 175;
    CHECK_I(step(&e, 5000, 1, &st), 0);
    CHECK_I(e.r.nrows, 1);
    CHECK_I(e.r.rows[0].kind, PH_ROW_DELTA);
    CHECK_I(e.r.rows[0].vals.v[PH_M_CPU_USER_NS], 75);
    CHECK_I(e.r.nnew, 1);
    ph_tracker_free(e.t);
}

TEST(reaped_children_are_credited_once)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "make", 100);
    add(&e, 20, 6, 600, "cc1", 300);
    CHECK_I(step(&e, 0, 1, &st), 0);
    /* The child is seen alive, then exits; the parent reaps it: the kernel
     * adds the child's whole total (350) to the parent's child time. */
    e.f.p[1].alive = 0;
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 350;
    CHECK_I(step(&e, 100, 0, &st), 0);
    const ph_row *r = row_of(&e.r, 1);
    CHECK(r != NULL);
    if (r) {
        /* 300 were seen while it lived: only the 50 after its last sample are new */
        CHECK_I(r->vals.v[PH_M_CHILD_CPU_USER_NS], 50);
        CHECK_I(r->vals.v[PH_M_CPU_USER_NS], 1);
    }
    /* A child nobody saw: all of it is new. */
    e.f.p[0].ccpu = 450;
    e.f.p[0].cpu = 102;
    CHECK_I(step(&e, 100, 0, &st), 0);
    r = row_of(&e.r, 1);
    CHECK(r && r->vals.v[PH_M_CHILD_CPU_USER_NS] == 100);
    ph_tracker_free(e.t);
}

TEST(unmatched_child_corrections_are_dropped)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "daemon", 100);
    add(&e, 20, 6, 600, "worker", 300);
    CHECK_I(step(&e, 0, 1, &st), 0);
    /* The child exits but the parent never waits (auto-reaped): its child
     * time does not move, and later unseen children must not be eaten. */
    e.f.p[1].alive = 0;
    e.f.p[0].cpu = 101;
    CHECK_I(step(&e, 100, 0, &st), 0);
    e.f.p[0].cpu = 102;
    e.f.p[0].ccpu = 80;
    CHECK_I(step(&e, 100, 0, &st), 0);
    const ph_row *r = row_of(&e.r, 1);
    CHECK(r && r->vals.v[PH_M_CHILD_CPU_USER_NS] == 80);
    ph_tracker_free(e.t);
}

static int64_t sum_rows(const rec_sink *r, int64_t proc, enum ph_metric m)
{
    int64_t v = 0;
    for (int i = 0; i < r->nrows; i++)
        if (r->rows[i].proc == proc && (r->rows[i].vals.have & PH_BIT(m)))
            v += r->rows[i].vals.v[m];
    return v;
}

/* A sampled process's exit record adds what it did after its last sample;
 * its parent's reap then adds nothing new. */
TEST(exit_record_adds_the_last_part_once)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "make", 100);
    add(&e, 20, 6, 600, "cc1", 300);
    CHECK_I(step(&e, 0, 1, &st), 0);
    e.f.p[1].alive = 0; /* exits with 380, reaped: the parent's child time grows by 380 */
    heard_exit(&e.f, 20, 10, 600, 380, 0, 1);
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 380;
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(sum_rows(&e.r, 2, PH_M_CPU_USER_NS), 80);
    const ph_row *r = row_of(&e.r, 2);
    CHECK(r && r->kind == PH_ROW_EXIT);
    CHECK_I(sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS), 0);
    CHECK_I(st.exits, 1);
    CHECK_I(e.r.ngone, 1);
    ph_tracker_free(e.t);
}

/* An exit row holds 0, not NULL, for a counter read at both ends that did
 * not move, as a delta row does: a sum of two columns over rows (user +
 * system CPU, in SQL) is NULL where one is. */
TEST(exit_row_says_zero_for_a_counter_that_did_not_move)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "make", 100);
    add(&e, 20, 6, 600, "cc1", 300);
    e.f.p[1].io = 70;
    CHECK_I(step(&e, 0, 1, &st), 0);
    e.f.p[1].alive = 0; /* its CPU moved, its reads did not */
    heard_exit(&e.f, 20, 10, 600, 380, 70, 1);
    e.f.p[0].ccpu = 380;
    CHECK_I(step(&e, 100, 0, &st), 0);
    const ph_row *r = row_of(&e.r, 2);
    CHECK(r && r->kind == PH_ROW_EXIT);
    CHECK_I(sum_rows(&e.r, 2, PH_M_CPU_USER_NS), 80);
    CHECK(r && (r->vals.have & PH_BIT(PH_M_DISK_READ_BYTES)) && r->vals.v[PH_M_DISK_READ_BYTES] == 0);
    ph_tracker_free(e.t);
}

/* The record splits its exact CPU total between user and system by its
 * own tick samples, the reads by theirs: an exit row takes the growth of
 * the total, and never leaves a column out (NULL) where the record's
 * system time is below the last read's. */
TEST(exit_row_takes_the_cpu_total_when_the_record_splits_it_differently)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.f.has_sys = 1;
    add(&e, 10, 5, 500, "make", 100);
    add(&e, 20, 6, 600, "burner", 300);
    e.f.p[1].sys = 100; /* last read: 300 user + 100 system */
    CHECK_I(step(&e, 0, 1, &st), 0);
    e.f.p[1].alive = 0; /* the record: 420 user + 90 system, 510 in all */
    heard_exit(&e.f, 20, 10, 600, 420, 0, 1);
    ph_values_set(&e.f.exits[e.f.nexits - 1].vals, PH_M_CPU_SYSTEM_NS, 90);
    e.f.p[0].ccpu = 510;
    CHECK_I(step(&e, 100, 0, &st), 0);
    const ph_row *r = row_of(&e.r, 2);
    CHECK(r && r->kind == PH_ROW_EXIT);
    CHECK(r && (r->vals.have & PH_BIT(PH_M_CPU_SYSTEM_NS)) && (r->vals.have & PH_BIT(PH_M_CPU_USER_NS)));
    /* the first step is the baseline (400): the exit row is the rest */
    CHECK_I(sum_rows(&e.r, 2, PH_M_CPU_USER_NS) + sum_rows(&e.r, 2, PH_M_CPU_SYSTEM_NS), 110);
    CHECK_I(r ? r->vals.v[PH_M_CPU_SYSTEM_NS] : -1, 0);
    /* the parent's reap is the child's total: nothing left in the parent */
    CHECK_I(sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS), 0);
    ph_tracker_free(e.t);
}

/* A process that lived between two samples gets its own identity and row;
 * one not whole (or older than the window) stays in its parent's child time. */
TEST(exit_between_samples_gets_its_own_row)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "sh", 100);
    CHECK_I(step(&e, 0, 1, &st), 0); /* boot 1000 */
    heard_exit(&e.f, 30, 10, 1040, 500, 4096, 1);
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 500;
    e.f.p[0].io = 4096; /* Linux: the reaped child's I/O lands in the parent's own */
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(e.r.nnew, 2);
    CHECK_S(e.r.names[2], "short");
    CHECK_I(sum_rows(&e.r, 2, PH_M_CPU_USER_NS), 500);
    CHECK_I(sum_rows(&e.r, 2, PH_M_DISK_READ_BYTES), 4096);
    CHECK_I(sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS), 0);
    CHECK_I(sum_rows(&e.r, 1, PH_M_DISK_READ_BYTES), 0);
    CHECK_I(e.r.ngone, 1); /* its identity is closed at once */

    /* not whole: no row, the parent keeps it */
    heard_exit(&e.f, 31, 10, 1140, 70, 0, 0);
    e.f.p[0].cpu = 102;
    e.f.p[0].ccpu = 570;
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(e.r.nnew, 2);
    CHECK_I(sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS), 70);
    /* born before the previous sample: not charged from birth */
    heard_exit(&e.f, 32, 10, 900, 60, 0, 1);
    e.f.p[0].cpu = 103;
    e.f.p[0].ccpu = 630;
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(e.r.nnew, 2);
    CHECK_I(sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS), 60);
    ph_tracker_free(e.t);
}

/* An exit heard while its pid is still listed (a zombie) waits until the
 * process is gone, and is not counted twice with the zombie's last read. */
TEST(exit_of_a_zombie_waits_until_it_is_reaped)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "sh", 100);
    add(&e, 20, 6, 600, "job", 300);
    CHECK_I(step(&e, 0, 1, &st), 0);
    heard_exit(&e.f, 20, 10, 600, 350, 0, 1);
    e.f.p[1].cpu = 340; /* the zombie still reads: 340 of its final 350 */
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(sum_rows(&e.r, 2, PH_M_CPU_USER_NS), 40);
    CHECK_I(st.exits, 0);
    e.f.p[1].alive = 0;
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 350;
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(sum_rows(&e.r, 2, PH_M_CPU_USER_NS), 10);
    CHECK_I(sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS), 0);
    ph_tracker_free(e.t);
}

/* A child gone before its parent's reap shows: the debt waits for it. */
TEST(child_debt_waits_for_the_reap)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "sh", 100);
    add(&e, 20, 6, 600, "dd", 300);
    e.f.p[1].io = 1000;
    CHECK_I(step(&e, 0, 1, &st), 0);
    e.f.p[1].alive = 0;
    e.f.p[0].cpu = 101; /* the parent ran, not yet reaped */
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS), 0);
    e.f.p[0].cpu = 102;
    e.f.p[0].ccpu = 320;
    e.f.p[0].io = 1000 + 50; /* the child's 1000 bytes arrive with the reap */
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS), 20);
    CHECK_I(sum_rows(&e.r, 1, PH_M_DISK_READ_BYTES), 50);
    ph_tracker_free(e.t);
}

/* A parent first seen this step (born after the previous sample) whose
 * children lived and were reaped before it was seen: its counters since
 * birth include them, and they have their own rows. */
TEST(born_parent_pays_for_children_with_their_own_rows)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 5, 1, 100, "init", 0);
    CHECK_I(step(&e, 0, 1, &st), 0); /* boot 1000 */
    add(&e, 40, 1050, 1050, "sh", 20);
    e.f.p[1].ccpu = 900;
    heard_exit(&e.f, 41, 40, 1060, 450, 0, 1);
    heard_exit(&e.f, 42, 40, 1070, 450, 0, 1);
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(st.exits, 2);
    /* every process is read before the exits are taken, but the records'
     * identities are made when what is gone is closed (phase 3), before the
     * live processes' rows (phase 4): the children are 2, 3, the shell 4 */
    const ph_row *r = row_of(&e.r, 4);
    CHECK(r && r->kind == PH_ROW_BORN);
    CHECK_I(sum_rows(&e.r, 4, PH_M_CHILD_CPU_USER_NS), 0);
    CHECK_I(sum_rows(&e.r, 4, PH_M_CPU_USER_NS), 20);
    CHECK_I(sum_rows(&e.r, 2, PH_M_CPU_USER_NS) + sum_rows(&e.r, 3, PH_M_CPU_USER_NS), 900);
    ph_tracker_free(e.t);
}

/* A child listed but gone by the time it is read (reaped meanwhile), its
 * pid above its parent's: the parent's read already shows the reap, and
 * must not count the child again in the same sample. */
TEST(child_gone_between_listing_and_read_is_not_doubled)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "sh", 100);
    add(&e, 20, 6, 600, "job", 300);
    CHECK_I(step(&e, 0, 1, &st), 0);
    e.f.p[1].vanish_on_read = 1;
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 350;
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS), 50);
    CHECK_I(e.r.ngone, 1);
    ph_tracker_free(e.t);
}

/* A pid reused while the exit record of its previous holder is pending: the
 * record is that process's life, neither kept waiting for the new holder
 * (and dropped) nor given to it. */
TEST(exit_of_a_reused_pid_is_not_kept_for_the_new_process)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "sh", 100);
    CHECK_I(step(&e, 0, 1, &st), 0);
    /* pid 50 lived unseen between the samples, then went to a new process */
    heard_exit(&e.f, 50, 10, 1010, 70, 0, 1);
    e.f.exits[e.f.nexits - 1].start_key_slack = 2;
    add(&e, 50, 1060, 1060, "new", 5);
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(st.exits, 1);
    CHECK_I(st.procs, 2);
    /* and a record whose process is the one listed (a zombie) still waits */
    heard_exit(&e.f, 50, 10, 1061, 9, 0, 1);
    e.f.exits[e.f.nexits - 1].start_key_slack = 2;
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(st.exits, 0);
    ph_tracker_free(e.t);
}

/* Issue 15.1: a wrapper that forks, waits and exits in the same interval as
 * its child: whichever of them has the lower pid, the shell's reap of the
 * wrapper (which carries the child) pays both debts. One and two levels. */
static void chain(int32_t w1, int32_t w2, int32_t leaf, int levels)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "sh", 100);
    /* the listing is in pid order: add the three in it */
    int32_t pids[3] = {w1, levels == 2 ? w2 : 0, leaf};
    for (int n = 0; n < 3; n++) {
        int32_t best = 0;
        for (int i = 0; i < 3; i++)
            if (pids[i] && (!best || pids[i] < best))
                best = pids[i];
        if (!best)
            break;
        for (int i = 0; i < 3; i++)
            if (pids[i] == best) {
                pids[i] = 0;
                add(&e, best, 6 + (uint64_t)i, 600, i == 2 ? "burn" : "wrap", i == 2 ? 300 : i == 0 ? 5 : 3);
                e.f.p[e.f.n - 1].ppid = i == 0 ? 10 : i == 1 ? w1 : levels == 2 ? w2 : w1;
            }
    }
    CHECK_I(step(&e, 0, 1, &st), 0);
    CHECK_I(step(&e, 100, 0, &st), 0); /* everyone sampled: debts are known */
    /* the leaf burns 50 more and exits; each wrapper reaps and exits; the
     * shell reaps the outer wrapper: 5 + (3) + 350 + 1 of the wrappers' last */
    for (int i = 1; i < e.f.n; i++)
        e.f.p[i].alive = 0;
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 5 + (levels == 2 ? 3 : 0) + 350 + 1;
    CHECK_I(step(&e, 100, 0, &st), 0);
    const ph_row *r = row_of(&e.r, 1);
    CHECK(r != NULL);
    if (r) /* only what no row credited: the leaf's last 50 and the wrapper's 1 */
        CHECK_I(r->vals.v[PH_M_CHILD_CPU_USER_NS], 51);
    ph_tracker_free(e.t);
}

TEST(wrapper_debts_follow_the_chain_in_any_pid_order)
{
    chain(20, 0, 30, 1); /* the wrapper's pid below the child's: the order that doubled */
    chain(30, 0, 20, 1);
    chain(20, 30, 40, 2);
    chain(40, 30, 20, 2);
    chain(20, 40, 30, 2);
}

/* Issue 15.3: the record leaves out the exit's teardown; the parent's reap
 * has it. It goes to the child's exit row, not the parent's child time. */
TEST(reap_remainder_goes_to_the_exit_rows)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "sh", 100);
    CHECK_I(step(&e, 0, 1, &st), 0);
    CHECK_I(step(&e, 100, 0, &st), 0);
    /* two children lived and were reaped between samples: records of 100
     * and 60, the kernel added 100 + 60 + 2 x 20 of teardown */
    heard_exit(&e.f, 31, 10, e.boot_ns + 10, 100, 0, 1);
    heard_exit(&e.f, 32, 10, e.boot_ns + 20, 60, 0, 1);
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 200;
    CHECK_I(step(&e, 100, 0, &st), 0);
    int64_t kids = 0;
    const ph_row *parent = NULL;
    for (int i = 0; i < e.r.nrows; i++) {
        if (e.r.rows[i].proc == 1)
            parent = &e.r.rows[i];
        else if (e.r.rows[i].kind == PH_ROW_EXIT)
            kids += e.r.rows[i].vals.v[PH_M_CPU_USER_NS] + e.r.rows[i].vals.v[PH_M_CPU_SYSTEM_NS];
    }
    CHECK_I(kids, 200);
    CHECK(parent != NULL);
    if (parent)
        CHECK_I(parent->vals.v[PH_M_CHILD_CPU_USER_NS], 0);
    ph_tracker_free(e.t);
}

/* Issue 15.5: a process sampled between fork and exec carries its parent's
 * name; its exit record has the new one, which wins. */
TEST(exit_record_names_a_process_sampled_before_its_exec)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "sh", 100);
    add(&e, 20, 6, 1000, "sh", 1);
    CHECK_I(step(&e, 0, 1, &st), 0);
    heard_exit(&e.f, 20, 10, 6, 40, 0, 1); /* named "short" */
    e.f.p[1].alive = 0;
    e.f.p[0].ccpu = 41;
    e.f.p[0].cpu = 101;
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(e.r.nrenamed, 1);
    CHECK_S(e.r.names[2], "short");
    ph_tracker_free(e.t);
}

/* Issue 15.6: setuid after start is passed on. */
TEST(uid_change_is_followed)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "daemon", 100);
    CHECK_I(step(&e, 0, 1, &st), 0);
    e.f.p[0].uid = 1000;
    e.f.p[0].cpu = 150;
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(e.r.nrenamed, 1);
    ph_tracker_free(e.t);
}

/* Issue 15.4: a zombie its parent reaps late keeps its record however many
 * samples that takes (it was dropped after 3). */
TEST(exit_of_a_long_zombie_waits_for_the_reap)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "storm", 100);
    add(&e, 20, 6, 600, "storm", 10);
    CHECK_I(step(&e, 0, 1, &st), 0);
    heard_exit(&e.f, 20, 10, 6, 25, 0, 1);
    for (int k = 0; k < 6; k++) /* a zombie for 6 samples */
        CHECK_I(step(&e, 100, 0, &st), 0);
    e.f.p[1].alive = 0;
    e.f.p[0].ccpu = 30;
    e.f.p[0].cpu = 101;
    CHECK_I(step(&e, 100, 0, &st), 0);
    const ph_row *x = row_of(&e.r, 2);
    CHECK(x != NULL && x->kind == PH_ROW_EXIT);
    if (x) /* its last 15, and the parent's 5 beyond the debt */
        CHECK_I(x->vals.v[PH_M_CPU_USER_NS] + x->vals.v[PH_M_CPU_SYSTEM_NS], 20);
    ph_tracker_free(e.t);
}

/* All CPU the rows of a step credit: own and child columns of every row. */
static int64_t credited(const rec_sink *r)
{
    int64_t v = 0;
    for (int i = 0; i < r->nrows; i++) {
        const ph_values *x = &r->rows[i].vals;
        for (int m = 0; m < PH_METRIC_COUNT; m++)
            if ((x->have & PH_BIT(m)) && (m == PH_M_CPU_USER_NS || m == PH_M_CPU_SYSTEM_NS ||
                                          m == PH_M_CHILD_CPU_USER_NS || m == PH_M_CHILD_CPU_SYSTEM_NS))
                v += x->v[m];
    }
    return v;
}

/* Issue 15 under load: a short child's record is heard in the step whose
 * read of its parent came just before the reap; the slack for the kernel's
 * rounding lets the parent's delta pay its debt a step early, and the excess
 * is carried to the parent's next growth. The parent then exits: what was
 * credited of its children is the kernel's child time it was last read with
 * PLUS that carry, or its own parent's reap gives the carried CPU again. */
TEST(carry_of_a_gone_parent_is_not_credited_twice)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    add(&e, 10, 5, 500, "sh", 100);  /* P */
    add(&e, 20, 6, 600, "loop", 50); /* L, P's child */
    CHECK_I(step(&e, 0, 1, &st), 0);
    CHECK_I(step(&e, 100, 0, &st), 0);
    int64_t total = 0;
    /* T1 lived and was reaped before L's read (record 100, +40 teardown);
     * T2 exited after L's read (record 50), its reap not in this delta */
    heard_exit(&e.f, 31, 20, e.boot_ns + 10, 100, 0, 1);
    heard_exit(&e.f, 32, 20, e.boot_ns + 20, 50, 0, 1);
    e.f.p[1].ccpu = 140;
    e.f.p[1].cpu = 51;
    CHECK_I(step(&e, 100, 0, &st), 0);
    total += credited(&e.r);
    /* L reaps T2 (50 + 40 of teardown), exits; P reaps L */
    e.f.p[1].alive = 0;
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 51 + 140 + 90;
    CHECK_I(step(&e, 100, 0, &st), 0);
    total += credited(&e.r);
    /* every CPU unit once: L's 1 + T1's 140 + T2's 90, P's own 1 */
    CHECK_I(total, 1 + 140 + 90 + 1);
    ph_tracker_free(e.t);
}

/* Issue 15.4 under load: a child's record is heard a step before its parent
 * (a fork storm's reaper) reaps it and exits; the grandparent's reap carries
 * the child's teardown, which is the child's: its share goes to the child's
 * row, not to the reaper's, although the child's debt is a step older. */
TEST(remainder_reaches_a_child_whose_debt_is_older_than_its_reaper)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    add(&e, 10, 5, 500, "sh", 100);   /* the test shell */
    add(&e, 20, 6, 600, "storm", 50); /* the reaper */
    CHECK_I(step(&e, 0, 1, &st), 0);
    CHECK_I(step(&e, 100, 0, &st), 0);
    heard_exit(&e.f, 31, 20, e.boot_ns + 10, 100, 0, 1); /* a zombie-to-be, unseen */
    e.f.p[1].cpu = 51;
    CHECK_I(step(&e, 100, 0, &st), 0); /* its row; its debt waits for the reap */
    int64_t kid = 0;
    for (int i = 0; i < e.r.nrows; i++)
        if (e.r.rows[i].proc == 3)
            kid += e.r.rows[i].vals.v[PH_M_CPU_USER_NS];
    CHECK_I(kid, 100);
    /* the reaper reaps it (100 + 40 teardown) and exits; the shell reaps it */
    e.f.p[1].alive = 0;
    heard_exit(&e.f, 20, 10, 6, 51, 0, 0);
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 51 + 140;
    CHECK_I(step(&e, 100, 0, &st), 0);
    kid = 0;
    for (int i = 0; i < e.r.nrows; i++)
        if (e.r.rows[i].proc == 3)
            kid += e.r.rows[i].vals.v[PH_M_CPU_USER_NS];
    /* an even split of the 40 between the reaper and its child */
    CHECK_I(kid, 20);
    ph_tracker_free(e.t);
}

/* Issue 14: under load a shell reaps several children in one interval. A
 * child reaped before the listing and one born after it (its record heard,
 * its reap still to come) are both owed at once; the parent's child time
 * grew by the first only, rounded to a tick (15 shows as 20), and the slack
 * of two ticks let the greedy match pay both: the second child's I/O was
 * taken from a delta that did not hold it and charged to the shell when its
 * reap came. The reaped child is paid first, the other waits for its reap. */
TEST(reaped_child_pays_before_one_reaped_after_the_read)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    add(&e, 10, 5, 500, "sh", 100);
    CHECK_I(step(&e, 0, 1, &st), 0); /* boot 1000 */
    heard_exit(&e.f, 30, 10, 1020, 15, 64, 1); /* reaped before the next listing */
    heard_exit(&e.f, 31, 10, 1105, 15, 64, 1); /* born after it (boot 1100), not reaped */
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 20; /* the first child's 15, in ticks */
    e.f.p[0].io = 64;   /* and its I/O */
    CHECK_I(step(&e, 100, 0, &st), 0);
    int64_t sh_io = sum_rows(&e.r, 1, PH_M_DISK_READ_BYTES);
    int64_t sh_child = sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    CHECK_I(st.exits, 2);
    e.f.p[0].cpu = 102;
    e.f.p[0].ccpu = 30; /* the second child's reap: 15 shows as 10 */
    e.f.p[0].io = 128;
    CHECK_I(step(&e, 100, 0, &st), 0);
    sh_io += sum_rows(&e.r, 1, PH_M_DISK_READ_BYTES);
    sh_child += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    CHECK_I(sh_io, 0); /* the shell read nothing itself */
    CHECK_I(sh_child, 0);
    ph_tracker_free(e.t);
}

/* Issue 14: a child born after the listing whose exit record came in the
 * same step is listed at the next as a zombie (its parent has not waited
 * yet). Its debt is not paid while it is listed, and the zombie is not a
 * new process charged its life a second time; the reap pays the debt. */
TEST(zombie_heard_before_it_was_listed_waits_and_is_not_born_again)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    add(&e, 10, 5, 500, "sh", 100);
    CHECK_I(step(&e, 0, 1, &st), 0); /* boot 1000 */
    heard_exit(&e.f, 31, 10, 1105, 15, 64, 1);
    e.f.p[0].cpu = 101;
    CHECK_I(step(&e, 100, 0, &st), 0); /* boot 1100: the record, no reap */
    int64_t sh_io = sum_rows(&e.r, 1, PH_M_DISK_READ_BYTES);
    int64_t sh_child = sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    int64_t child_cpu = sum_rows(&e.r, 2, PH_M_CPU_USER_NS);
    add(&e, 31, 1105, 1105, "short", 15); /* listed now: a zombie */
    e.f.p[1].io = 64;
    e.f.p[0].cpu = 102;
    CHECK_I(step(&e, 100, 0, &st), 0);
    CHECK_I(e.r.nnew, 2);
    sh_io += sum_rows(&e.r, 1, PH_M_DISK_READ_BYTES);
    sh_child += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    for (int64_t id = 2; id <= e.r.next_id; id++)
        child_cpu += sum_rows(&e.r, id, PH_M_CPU_USER_NS);
    e.f.p[1].alive = 0; /* reaped */
    e.f.p[0].cpu = 103;
    e.f.p[0].ccpu = 20;
    e.f.p[0].io = 64;
    CHECK_I(step(&e, 100, 0, &st), 0);
    sh_io += sum_rows(&e.r, 1, PH_M_DISK_READ_BYTES);
    sh_child += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    for (int64_t id = 2; id <= e.r.next_id; id++)
        child_cpu += sum_rows(&e.r, id, PH_M_CPU_USER_NS);
    CHECK_I(e.r.nnew, 2);
    CHECK_I(sh_io, 0);
    /* the child's 15 and what the reap showed beyond it (the tick's 5) */
    CHECK_I(child_cpu + sh_child, 20);
    CHECK_I(sh_child, 0);
    ph_tracker_free(e.t);
}

/* Issue 14 (the fork storm under load): a child born after the listing,
 * heard exiting, its parent not yet waiting. The parent's child CPU does
 * not grow, but the tick rounding's slack covered the child's 1: its debt
 * was paid from a delta without its reap, and the reap's growth 8 s later
 * stayed in the parent's child column, the child's remainder lost. Child
 * minor faults are exact: the reap shows there, or it did not happen. */
/* CPU of every process but the first (the parent), in this step's rows. */
static int64_t others_cpu(const env *e)
{
    int64_t n = 0;
    for (int64_t id = 2; id <= e->r.next_id; id++)
        n += sum_rows(&e->r, id, PH_M_CPU_USER_NS);
    return n;
}

TEST(child_of_a_storm_is_not_paid_before_its_reap_shows)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    e.f.has_cflt = 1;
    add(&e, 10, 5, 500, "forks", 100);
    CHECK_I(step(&e, 0, 1, &st), 0); /* boot 1000 */
    heard_exit(&e.f, 31, 10, 1105, 1, 0, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_FAULTS_MINOR, 40);
    e.f.p[0].cpu = 101;
    CHECK_I(step(&e, 100, 0, &st), 0); /* boot 1100: the record, no reap */
    int64_t child_cpu = 0, sh_child = sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    child_cpu += others_cpu(&e);
    add(&e, 31, 1105, 1105, "forks", 1); /* listed now: a zombie */
    e.f.p[0].cpu = 102;
    CHECK_I(step(&e, 100, 0, &st), 0);
    sh_child += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    child_cpu += others_cpu(&e);
    e.f.p[1].alive = 0; /* reaped: the kernel adds 10 (1 and its teardown, a tick) */
    e.f.p[0].cpu = 103;
    e.f.p[0].ccpu = 10;
    e.f.p[0].cflt = 41;
    CHECK_I(step(&e, 100, 0, &st), 0);
    sh_child += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    child_cpu += others_cpu(&e);
    CHECK_I(sh_child, 0);
    CHECK_I(child_cpu, 10); /* its record's 1 and the reap's remainder */
    ph_tracker_free(e.t);
}

/* A zombie listed (its record heard a step before), then reaped before its
 * parent was read: a child whose pid is lower than its parent's (the pid
 * space wrapped) is read first. Its reap is in the parent's delta, and the
 * exact child fault count shows it: it is paid there, not left in the
 * parent's child columns with its remainder lost. */
TEST(zombie_reaped_between_its_read_and_its_parents_is_paid_there)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    e.f.has_cflt = 1;
    add(&e, 40, 5, 500, "forks", 100);
    CHECK_I(step(&e, 0, 1, &st), 0); /* boot 1000 */
    heard_exit(&e.f, 31, 40, 1105, 1, 0, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_FAULTS_MINOR, 40);
    e.f.p[0].cpu = 101;
    CHECK_I(step(&e, 100, 0, &st), 0); /* boot 1100: the record, no reap */
    int64_t child_cpu = 0, parent_child = sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    child_cpu += others_cpu(&e);
    add(&e, 31, 1105, 1105, "forks", 1); /* listed now: a zombie, read before its parent */
    fproc tmp = e.f.p[0];
    e.f.p[0] = e.f.p[1];
    e.f.p[1] = tmp; /* the listing in pid order: 31, 40 */
    e.f.p[1].cpu = 102;
    e.f.p[1].ccpu = 10; /* and reaped before the parent's read: the kernel adds 10 */
    e.f.p[1].cflt = 41;
    CHECK_I(step(&e, 100, 0, &st), 0);
    parent_child += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    child_cpu += others_cpu(&e);
    e.f.p[0].alive = 0; /* no longer listed */
    e.f.p[1].cpu = 103;
    CHECK_I(step(&e, 100, 0, &st), 0);
    parent_child += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    child_cpu += others_cpu(&e);
    CHECK_I(parent_child, 0);
    CHECK_I(child_cpu, 10); /* its record's 1 and the reap's remainder */
    ph_tracker_free(e.t);
}

/* A tracked child that exits and is read as a zombie before its parent (a
 * lower pid), then reaped before the parent's read: the reap's growth is
 * its, in this step, not a remainder for the children paid beside it, and
 * nothing is left in the parent or counted twice when it leaves the
 * listing. A leader thread that left its other threads (a zombie with
 * threads) stays open. */
static void tally(const env *e, int64_t *child, int64_t *own, int *nnew)
{
    for (int i = 0; i < e->r.nrows; i++) {
        if (e->r.rows[i].vals.have & PH_BIT(PH_M_CHILD_CPU_USER_NS))
            *child += e->r.rows[i].vals.v[PH_M_CHILD_CPU_USER_NS];
        if (e->r.rows[i].vals.have & PH_BIT(PH_M_CPU_USER_NS))
            *own += e->r.rows[i].vals.v[PH_M_CPU_USER_NS];
    }
    *nnew = e->r.nnew;
}

TEST(tracked_zombie_reaped_between_its_read_and_its_parents_is_paid_there)
{
    env e;
    ph_tick_stats st;
    int64_t parent_child = 0, own = 0;
    int nnew = 0;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    e.f.has_cflt = 1;
    add(&e, 40, 5, 500, "forks", 100);
    add(&e, 31, 6, 600, "child", 300); /* its parent is 40 */
    add(&e, 35, 7, 700, "other", 200); /* a sibling that exits and is paid beside it */
    fproc tmp = e.f.p[0];
    e.f.p[0] = e.f.p[1];
    e.f.p[1] = e.f.p[2];
    e.f.p[2] = tmp; /* the listing in pid order: 31, 35, 40 */
    CHECK_I(step(&e, 0, 1, &st), 0); /* baselines */
    /* 31 exits (a zombie, still listed, read first); 35 exits and is reaped
     * before the listing; the parent reaps both before its read */
    e.f.p[0].cpu = 350;
    e.f.p[0].zombie = 1;
    heard_exit(&e.f, 31, 40, 600, 350, 0, 1);
    e.f.p[1].alive = 0;
    heard_exit(&e.f, 35, 40, 700, 220, 0, 1);
    e.f.p[2].cpu = 101;
    e.f.p[2].ccpu = 350 + 220 + 20; /* each exit's last part after its record: 10 */
    e.f.p[2].cflt = 2;
    CHECK_I(step(&e, 100, 0, &st), 0);
    tally(&e, &parent_child, &own, &nnew);
    e.f.p[0].alive = 0; /* no longer listed */
    e.f.p[2].cpu = 102;
    CHECK_I(step(&e, 100, 0, &st), 0);
    tally(&e, &parent_child, &own, &nnew);
    e.f.p[2].cpu = 103;
    CHECK_I(step(&e, 100, 0, &st), 0);
    tally(&e, &parent_child, &own, &nnew);
    CHECK_I(parent_child, 0);
    /* 31: 50 + 10, 35: 20 + 10, the parent: 3 */
    CHECK_I(own, 60 + 30 + 3);
    CHECK_I(e.r.nnew, 3); /* the zombie was not seen as a new process */
    ph_tracker_free(e.t);
}

/* A leader thread that left its other threads running reads as a zombie
 * with threads, and its record is heard: it stays open, its rows go on. */
TEST(zombie_leader_with_threads_stays_open)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.f.has_cflt = 1;
    add(&e, 40, 5, 500, "sh", 100);
    add(&e, 31, 6, 600, "app", 300);
    fproc tmp = e.f.p[0];
    e.f.p[0] = e.f.p[1];
    e.f.p[1] = tmp;
    CHECK_I(step(&e, 0, 1, &st), 0);
    e.f.p[0].zombie = 1;
    e.f.p[0].threads = 3;
    e.f.p[0].cpu = 400;
    heard_exit(&e.f, 31, 40, 600, 320, 0, 1); /* the leader's own record */
    CHECK_I(step(&e, 100, 0, &st), 0);
    int64_t rows = sum_rows(&e.r, 1, PH_M_CPU_USER_NS);
    int gone = e.r.ngone;
    e.f.p[0].cpu = 500;
    CHECK_I(step(&e, 100, 0, &st), 0);
    rows += sum_rows(&e.r, 1, PH_M_CPU_USER_NS);
    gone += e.r.ngone;
    CHECK_I(rows, 200);
    CHECK_I(gone, 0);
    ph_tracker_free(e.t);
}

/* The kernel splits a reaped child's CPU between its parent's user and
 * system child times by its tick samples; the exit record splits it by its
 * own. A record with more user time than the parent's user growth must not
 * leave the difference in the system column: the child's row holds it, and
 * the parent would be credited it again (200 x a 10 ms burner kept 0.1 s
 * of its children in the loop's child columns under load). */
TEST(child_cpu_split_differently_by_the_record_is_not_left_in_the_parent)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    e.f.has_csys = 1;
    add(&e, 10, 5, 500, "loop", 100);
    CHECK_I(step(&e, 0, 1, &st), 0);
    CHECK_I(step(&e, 100, 0, &st), 0);
    /* a child lived and was reaped between samples: its record says 55
     * user + 5 system; the parent's child times grew by 40 user + 10 system
     * (ticks, rounded down: within the slack of the record's 60) */
    heard_exit(&e.f, 31, 10, e.boot_ns + 10, 55, 0, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_CPU_SYSTEM_NS, 5);
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 40;
    e.f.p[0].csys = 10;
    CHECK_I(step(&e, 100, 0, &st), 0);
    const ph_row *parent = row_of(&e.r, 1);
    int64_t kid = 0;
    for (int i = 0; i < e.r.nrows; i++)
        if (e.r.rows[i].kind == PH_ROW_EXIT)
            kid += e.r.rows[i].vals.v[PH_M_CPU_USER_NS] + e.r.rows[i].vals.v[PH_M_CPU_SYSTEM_NS];
    CHECK_I(kid, 60);
    CHECK(parent != NULL);
    if (parent) {
        CHECK_I(parent->vals.v[PH_M_CHILD_CPU_USER_NS], 0);
        CHECK_I(parent->vals.v[PH_M_CHILD_CPU_SYSTEM_NS], 0);
    }
    /* and the other way round: more system time in the record than the
     * parent's system growth leaves nothing in the user column; the 10 the
     * first record took beyond the growth comes back out of this one */
    heard_exit(&e.f, 32, 10, e.boot_ns + 20, 10, 0, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_CPU_SYSTEM_NS, 40);
    e.f.p[0].cpu = 102;
    e.f.p[0].ccpu = 40 + 40;
    e.f.p[0].csys = 10 + 10;
    CHECK_I(step(&e, 100, 0, &st), 0);
    parent = row_of(&e.r, 1);
    CHECK(parent != NULL);
    if (parent) {
        CHECK_I(parent->vals.v[PH_M_CHILD_CPU_USER_NS], 0);
        CHECK_I(parent->vals.v[PH_M_CHILD_CPU_SYSTEM_NS], 0);
    }
    ph_tracker_free(e.t);
}

/* Issue 14 ("200 x 10 ms, with children, nothing counted twice" under
 * load): a wrapper's last read may hold the reap of a child whose debt it
 * did not pay: here a child read alive before it (a lower pid: the pid
 * space wrapped) that exited and was reaped before the wrapper's read (in
 * the loop, a child whose debt waited while a later one was paid from its
 * growth). The wrapper exits; the child's debt is folded into the
 * wrapper's, on top of the wrapper's child columns that hold it already,
 * and the shell's reap of the wrapper never covered that debt: it was
 * dropped, and the wrapper's whole subtree stayed in the shell's child
 * columns (2.2 s counted twice, for 50 faults too many). What the shell's
 * growth lacks is taken out of the folded child, and the rest is paid. */
TEST(wrapper_is_paid_when_its_last_read_held_a_child_folded_into_its_debt)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    e.f.has_cflt = 1;
    e.f.has_flt = 1;
    add(&e, 10, 5, 500, "sh", 100);  /* P: the shell */
    add(&e, 15, 7, 700, "spin", 40); /* C: the wrapper's child, a lower pid */
    add(&e, 20, 6, 600, "loop", 5);  /* S: the wrapper, P's child */
    e.f.p[1].ppid = 20;
    e.f.p[1].flt = 45;
    e.f.p[2].flt = 30;
    CHECK_I(step(&e, 0, 1, &st), 0);
    CHECK_I(step(&e, 100, 0, &st), 0);
    /* C is read (50 CPU, 50 faults), then exits and S reaps it before S's
     * read: S's child time shows C's 50 and 10 of teardown, its child
     * faults C's 52 */
    e.f.p[1].cpu = 50;
    e.f.p[1].flt = 50;
    e.f.p[2].cpu = 6;
    e.f.p[2].ccpu = 60;
    e.f.p[2].cflt = 52;
    CHECK_I(step(&e, 100, 0, &st), 0);
    /* C is gone (its record: 50, 52 faults); S exits, gone when read; P
     * reaps it: S's 7 and its child's 60, S's 30 faults and its child's 52 */
    heard_exit(&e.f, 15, 20, 7, 50, 0, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_FAULTS_MINOR, 52);
    e.f.p[1].alive = 0;
    e.f.p[2].vanish_on_read = 1;
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 67;
    e.f.p[0].cflt = 82;
    CHECK_I(step(&e, 100, 0, &st), 0);
    int64_t pcol = sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    e.f.p[2].alive = 0;
    for (int k = 0; k < 3; k++) { /* the debt, unpaid, waited and was dropped */
        e.f.p[0].cpu++;
        CHECK_I(step(&e, 100, 0, &st), 0);
        pcol += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    }
    /* only S's last 1, which no row holds: not its 60 of children again */
    CHECK_I(pcol, 1);
    ph_tracker_free(e.t);
}

/* Issue 14 (the fork storm under load): a zombie whose record was heard
 * is listed, then reaped after its parent's read and before its own (gone
 * when read). Its debt was placed as reaped before the listing and paid on
 * the CPU slack alone from a delta without its reap (17 of them at once);
 * the reap's growth a step later then had no debt to pay, and its faults
 * went to other children's debts. It waits for the faults of its reap. */
TEST(zombie_listed_but_gone_when_read_waits_for_its_reap)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    e.f.has_cflt = 1;
    add(&e, 10, 5, 500, "forks", 100);
    CHECK_I(step(&e, 0, 1, &st), 0); /* boot 1000 */
    heard_exit(&e.f, 31, 10, 1105, 1, 0, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_FAULTS_MINOR, 19);
    e.f.p[0].cpu = 101;
    CHECK_I(step(&e, 100, 0, &st), 0); /* boot 1100: the record, no reap */
    int64_t child_cpu = others_cpu(&e), pcol = sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    add(&e, 31, 1105, 1105, "forks", 1); /* listed now: a zombie */
    e.f.p[1].zombie = 1;
    e.f.p[0].cpu = 102;
    CHECK_I(step(&e, 100, 0, &st), 0);
    child_cpu += others_cpu(&e);
    pcol += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    e.f.p[1].vanish_on_read = 1; /* listed, reaped after its parent's read */
    e.f.p[0].cpu = 103;
    CHECK_I(step(&e, 100, 0, &st), 0);
    child_cpu += others_cpu(&e);
    pcol += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    e.f.p[1].alive = 0; /* the reap: 1 and its teardown, a tick */
    e.f.p[0].cpu = 104;
    e.f.p[0].ccpu = 10;
    e.f.p[0].cflt = 19;
    CHECK_I(step(&e, 100, 0, &st), 0);
    child_cpu += others_cpu(&e);
    pcol += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    CHECK_I(pcol, 0);
    CHECK_I(child_cpu, 10); /* its record's 1 and the reap's remainder */
    ph_tracker_free(e.t);
}

/* The other side of the test above: a wrapper and its child, both gone, but
 * their reap not in the shell's delta yet (gone when read, reaped after the
 * shell's read), while the delta holds another child's reap and some
 * growth no debt explains. The wrapper's own part fits in that: stripped
 * of its child, it would be paid from the wrong delta and its child's CPU
 * left in the shell's child columns when the reap came. A child is taken
 * out of a wrapper's debt only as far as the wrapper's last read held its
 * children: here it held none. */
TEST(wrapper_whose_reap_is_not_in_the_delta_is_not_paid_without_its_child)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    e.f.has_cflt = 1;
    e.f.has_flt = 1;
    add(&e, 10, 5, 500, "sh", 100);   /* P: the shell */
    add(&e, 20, 6, 600, "wrap", 5);   /* S: P's child, a wrapper */
    add(&e, 30, 7, 700, "other", 20); /* O: P's other child */
    add(&e, 40, 8, 800, "spin", 200); /* C: S's child */
    e.f.p[1].flt = 40;
    e.f.p[2].flt = 60;
    e.f.p[3].flt = 50;
    e.f.p[3].ppid = 20;
    CHECK_I(step(&e, 0, 1, &st), 0);
    CHECK_I(step(&e, 100, 0, &st), 0);
    /* O exits and P reaps it before the listing: 30 and 100 faults, 10 and
     * 40 beyond O's last read. C and S exit after P's read (gone when read) */
    e.f.p[2].alive = 0;
    e.f.p[1].vanish_on_read = 1;
    e.f.p[3].vanish_on_read = 1;
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 30;
    e.f.p[0].cflt = 100;
    CHECK_I(step(&e, 100, 0, &st), 0);
    int64_t pcol = sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    /* P reaps S, which reaped C: S's 6, C's 300; S's 40 faults, C's 55 */
    e.f.p[1].alive = 0;
    e.f.p[3].alive = 0;
    e.f.p[0].cpu = 102;
    e.f.p[0].ccpu = 30 + 306;
    e.f.p[0].cflt = 100 + 95;
    CHECK_I(step(&e, 100, 0, &st), 0);
    pcol += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    /* what no row holds: O's last 10, S's last 1, C's last 100 */
    CHECK_I(pcol, 111);
    ph_tracker_free(e.t);
}

/* Issue 14 (the fork storm +8% to +14.5% under load): a zombie first seen
 * as one (its record heard in that step) is read idle afterwards, and an
 * idle read holds no values on Linux (its run time did not move): it was
 * not known for a zombie read before its parent, so its reap between its
 * read and its parent's found no debt (the growth went to others as
 * remainder), and its debt a step later found no growth and was dropped.
 * The state last read holds for an idle read. */
TEST(zombie_read_idle_before_its_parent_is_paid_where_its_reap_shows)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    e.f.has_cflt = 1;
    e.f.bare_idle = 1;
    add(&e, 40, 5, 500, "forks", 100);
    CHECK_I(step(&e, 0, 1, &st), 0); /* boot 1000 */
    add(&e, 31, 1050, 1050, "forks", 1); /* born, ran 1, exited: a zombie */
    e.f.p[1].zombie = 1;
    e.f.p[1].ppid = 40;
    fproc tmp = e.f.p[0];
    e.f.p[0] = e.f.p[1];
    e.f.p[1] = tmp; /* the listing in pid order: 31 (the pid space wrapped), 40 */
    heard_exit(&e.f, 31, 40, 1050, 1, 0, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_FAULTS_MINOR, 19);
    e.f.p[1].cpu = 101;
    CHECK_I(step(&e, 100, 0, &st), 0); /* boot 1100: first sight, its record waits */
    int64_t child_cpu = sum_rows(&e.r, 2, PH_M_CPU_USER_NS);
    int64_t pcol = sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    /* read idle, then reaped before its parent's read: 1 and its teardown */
    e.f.p[1].cpu = 102;
    e.f.p[1].ccpu = 10;
    e.f.p[1].cflt = 19;
    CHECK_I(step(&e, 100, 0, &st), 0);
    child_cpu += sum_rows(&e.r, 2, PH_M_CPU_USER_NS);
    pcol += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    e.f.p[0].alive = 0;
    for (int k = 0; k < 3; k++) {
        e.f.p[1].cpu++;
        CHECK_I(step(&e, 100, 0, &st), 0);
        child_cpu += sum_rows(&e.r, 2, PH_M_CPU_USER_NS);
        pcol += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    }
    CHECK_I(pcol, 0);
    CHECK_I(child_cpu, 10); /* its record's 1 and the reap's remainder */
    CHECK_I(e.r.nnew, 2); /* the zombie was not seen as a new process */
    ph_tracker_free(e.t);
}

/* The same inside a chain: the shell reaps an outer wrapper that exited
 * with the wrapper it waited for (its last read held no child yet); the
 * child counted twice is in the inner wrapper's last read. What may be
 * taken out of the debt is bounded by the last read of the child's own
 * parent, not of the outer wrapper. */
TEST(wrapper_in_a_chain_is_paid_when_its_inner_wrapper_held_a_folded_child)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    e.f.has_cflt = 1;
    e.f.has_flt = 1;
    add(&e, 10, 5, 500, "sh", 100);  /* P: the shell */
    add(&e, 12, 8, 550, "outer", 3); /* O: P's child, the outer wrapper */
    add(&e, 15, 7, 700, "spin", 40); /* C: S's child, a lower pid */
    add(&e, 20, 6, 600, "loop", 5);  /* S: O's child, the inner wrapper */
    e.f.p[2].ppid = 20;
    e.f.p[3].ppid = 12;
    e.f.p[1].flt = 10;
    e.f.p[2].flt = 45;
    e.f.p[3].flt = 30;
    CHECK_I(step(&e, 0, 1, &st), 0);
    CHECK_I(step(&e, 100, 0, &st), 0);
    /* C is read, then reaped by S before S's read (as above) */
    e.f.p[2].cpu = 50;
    e.f.p[2].flt = 50;
    e.f.p[3].cpu = 6;
    e.f.p[3].ccpu = 60;
    e.f.p[3].cflt = 52;
    CHECK_I(step(&e, 100, 0, &st), 0);
    /* all three gone; P reaps O: O's 3, S's 7, C's 60; 10 + 30 + 52 faults */
    heard_exit(&e.f, 15, 20, 7, 50, 0, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_FAULTS_MINOR, 52);
    e.f.p[2].alive = 0;
    e.f.p[3].alive = 0;
    e.f.p[1].vanish_on_read = 1;
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 70;
    e.f.p[0].cflt = 92;
    CHECK_I(step(&e, 100, 0, &st), 0);
    int64_t pcol = sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    e.f.p[1].alive = 0;
    for (int k = 0; k < 3; k++) {
        e.f.p[0].cpu++;
        CHECK_I(step(&e, 100, 0, &st), 0);
        pcol += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    }
    CHECK_I(pcol, 1); /* S's last 1 */
    ph_tracker_free(e.t);
}

/* Issue 14 (a fork storm at -8.5% beside another suite): a child with a
 * lower pid than its parent's (the pid space wrapped) is read, then exits
 * and is reaped before its parent's read: its reap is in that delta, a
 * step before its debt exists. A step later it is gone when read, its
 * parent idle; a step after that it is no longer listed and its debt
 * waited as one whose reap was still to come, so the next reap of another
 * child (the storm's reaper, gone when read after its parent's read) paid
 * it on the CPU rule alone: the storm's own debt no longer fitted, and the
 * remainder of its reap went to the wrong child. A debt whose child was
 * gone before its parent's read of child times (or an idle read: the
 * parent reaped nothing since its last read) can be in no later delta. */
TEST(debt_reaped_before_its_parents_read_does_not_take_a_later_reap)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    e.f.has_cflt = 1;
    e.f.has_flt = 1;
    e.f.bare_idle = 1;
    add(&e, 40, 5, 500, "sh", 100);    /* P: the shell */
    add(&e, 31, 6, 600, "time", 300);  /* C: a wrapper with a lower pid */
    add(&e, 45, 7, 700, "forks", 400); /* W: the storm's reaper */
    e.f.p[1].flt = 10;
    e.f.p[2].flt = 20;
    fproc tmp = e.f.p[0];
    e.f.p[0] = e.f.p[1];
    e.f.p[1] = tmp; /* the listing in pid order: 31, 40, 45 (procs 1, 2, 3) */
    CHECK_I(step(&e, 0, 1, &st), 0);
    /* C runs 50 more and 2 faults, is read, exits (5 more) and is reaped
     * before P's read: 355 and its teardown (5), 12 faults */
    e.f.p[0].cpu = 350;
    e.f.p[0].flt = 12;
    e.f.p[1].cpu = 101;
    e.f.p[1].ccpu = 360;
    e.f.p[1].cflt = 12;
    heard_exit(&e.f, 31, 40, 6, 355, 0, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_FAULTS_MINOR, 12);
    CHECK_I(step(&e, 100, 0, &st), 0);
    int64_t c_own = sum_rows(&e.r, 1, PH_M_CPU_USER_NS), w_own = sum_rows(&e.r, 3, PH_M_CPU_USER_NS);
    /* C is listed but gone when read; P and W did not run (idle) */
    e.f.p[0].vanish_on_read = 1;
    CHECK_I(step(&e, 100, 0, &st), 0);
    c_own += sum_rows(&e.r, 1, PH_M_CPU_USER_NS);
    w_own += sum_rows(&e.r, 3, PH_M_CPU_USER_NS);
    /* W exits (100 more) and P reaps it after P's read: gone when read; its
     * reap is in P's next delta with 10 of teardown */
    e.f.p[0].alive = 0;
    e.f.p[2].vanish_on_read = 1;
    heard_exit(&e.f, 45, 40, 7, 500, 0, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_FAULTS_MINOR, 20);
    CHECK_I(step(&e, 100, 0, &st), 0);
    c_own += sum_rows(&e.r, 1, PH_M_CPU_USER_NS);
    w_own += sum_rows(&e.r, 3, PH_M_CPU_USER_NS);
    e.f.p[2].alive = 0;
    e.f.p[1].cpu = 102;
    e.f.p[1].ccpu = 360 + 510;
    e.f.p[1].cflt = 12 + 20;
    CHECK_I(step(&e, 100, 0, &st), 0);
    c_own += sum_rows(&e.r, 1, PH_M_CPU_USER_NS);
    w_own += sum_rows(&e.r, 3, PH_M_CPU_USER_NS);
    int64_t pcol = sum_rows(&e.r, 2, PH_M_CHILD_CPU_USER_NS);
    CHECK_I(pcol, 0);
    CHECK_I(w_own, 100 + 10); /* its record's last 100 and its reap's remainder */
    CHECK_I(c_own, 50 + 5);   /* its delta and its record's last 5, nothing of W's */
    ph_tracker_free(e.t);
}

/* Issue 14 ("200 x true" counted twice under load): a process's I/O is read
 * after its stat, so a child reaped between the two is in the wrapper's
 * last I/O but not in its child times and faults. Its debt waits, and is
 * folded into the wrapper's when the wrapper exits: the wrapper's debt then
 * holds that child's I/O twice, more than the shell's reap of it passes up,
 * and the shell's growth, exact in CPU and faults, was refused on I/O alone
 * (the whole wrapper stayed in the shell's child columns). What a reap
 * shows for sure is the wrapper's own last read; the I/O of the children
 * folded into it may be in that read already. */
TEST(wrapper_whose_io_read_held_a_child_its_stat_did_not_is_paid)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    e.f.has_cflt = 1;
    e.f.has_flt = 1;
    add(&e, 10, 5, 500, "sh", 100); /* P: the shell (proc 1) */
    add(&e, 20, 6, 600, "loop", 5); /* W: its child, a loop that reaps (proc 2) */
    e.f.p[1].flt = 30;
    e.f.p[1].ccpu = 30; /* children reaped before the first sample */
    e.f.p[1].cflt = 10;
    e.f.p[1].io = 100;
    CHECK_I(step(&e, 0, 1, &st), 0);
    /* X, born after the listing, runs 50 (20 faults, 40 bytes) and is
     * reaped by W between W's stat and its I/O */
    heard_exit(&e.f, 30, 20, e.boot_ns + 150, 50, 40, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_FAULTS_MINOR, 20);
    e.f.p[1].cpu = 6;
    e.f.p[1].io = 140;
    CHECK_I(step(&e, 100, 0, &st), 0);
    int64_t pcol = sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    /* W exits (1 more) and P reaps it before P's read: W's 7, its children's
     * 30 + 50, and 10 of teardown; 60 faults; W's 140 bytes. W, read after
     * P, is gone when read */
    heard_exit(&e.f, 20, 10, 6, 7, 100, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_FAULTS_MINOR, 30);
    e.f.p[1].vanish_on_read = 1;
    e.f.p[0].cpu = 101;
    e.f.p[0].ccpu = 97;
    e.f.p[0].cflt = 60;
    e.f.p[0].io = 140;
    CHECK_I(step(&e, 100, 0, &st), 0);
    pcol += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
    int64_t pio = sum_rows(&e.r, 1, PH_M_DISK_READ_BYTES);
    e.f.p[1].alive = 0;
    for (int k = 0; k < 3; k++) {
        e.f.p[0].cpu++;
        CHECK_I(step(&e, 100, 0, &st), 0);
        pcol += sum_rows(&e.r, 1, PH_M_CHILD_CPU_USER_NS);
        pio += sum_rows(&e.r, 1, PH_M_DISK_READ_BYTES);
    }
    CHECK_I(pcol, 0); /* W and X are in their own rows, not again in P's */
    CHECK_I(pio, 0);  /* P read nothing itself */
    ph_tracker_free(e.t);
}

/* Issue 14 (chain2 at +100.9% under load): the pid space wrapped between a
 * shell's fork of its outer wrapper O and O's fork of the inner wrapper I,
 * so I and the spinner S under it have lower pids than O. I and S are read
 * alive; then S exits, I reaps it and exits, O reaps I and exits, and the
 * shell H reaps O, all before O's read: O is gone when read. I and S were
 * found gone only at the next listing, and folding looked only at the
 * debts found in the same step, so I's debt (S folded into it) stayed owed
 * to O, gone already: O's debt was paid without it, the growth of I and S
 * went to O's exit row as remainder, and I's debt waited and was dropped
 * (their CPU counted twice).
 * With `reaped_before_h` 0, H was read before it reaped O (its next delta
 * holds all three) and the second read of I and S still sees them (the
 * fake's world does not move within a step): their debts, found a step
 * after O's, are folded into O's, still waiting. With 1, H was read after
 * the reap (its delta of that very step holds all three: O's debt would be
 * paid without I's before I's debt exists), and I and S, read again once
 * every process is read, are gone in the same step as O. With `levels` 2,
 * O is itself the child of another wrapper W gone in the same step as O
 * (O's debt folded into W's): I's debt follows to W's. */
static void wrapped_chain(int levels, int reaped_before_h)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    e.f.has_cflt = 1;
    e.f.has_flt = 1;
    /* the listing is in pid order: I, S, H, (W,) O */
    int32_t opid = levels == 2 ? 47 : 45;
    add(&e, 20, 8, 600, "inner", 3); /* I: O's child (proc 1) */
    add(&e, 25, 9, 700, "spin", 100); /* S: I's child (proc 2) */
    add(&e, 40, 5, 500, "sh", 100);   /* H: the test's shell (proc 3) */
    if (levels == 2)
        add(&e, 45, 6, 550, "wrap", 2); /* W: H's child, O's parent (proc 4) */
    add(&e, opid, 7, 560, "outer", 5);  /* O: the outer wrapper (last proc) */
    int o = e.f.n - 1;
    e.f.p[0].ppid = opid;
    e.f.p[1].ppid = 20;
    e.f.p[2].ppid = 1;
    e.f.p[o].ppid = levels == 2 ? 45 : 40;
    if (levels == 2) {
        e.f.p[3].ppid = 40;
        e.f.p[3].flt = 5;
    }
    e.f.p[0].flt = 10;
    e.f.p[1].flt = 20;
    e.f.p[o].flt = 10;
    CHECK_I(step(&e, 0, 1, &st), 0);
    int64_t total = 0;
    e.f.p[1].cpu = 600; /* S burns */
    e.f.p[1].flt = 40;
    CHECK_I(step(&e, 100, 0, &st), 0);
    total += credited(&e.r);
    /* I and S are read (S at 1450, I at 4); then S exits at 1500 (55
     * faults), I at 5 (12), O at 6 (11), W at 3 (6), each reaped by its
     * parent; O (and W) gone when read */
    e.f.p[1].cpu = 1450;
    e.f.p[1].flt = 50;
    e.f.p[0].cpu = 4;
    e.f.p[o].vanish_on_read = 1;
    if (levels == 2)
        e.f.p[3].vanish_on_read = 1;
    heard_exit(&e.f, 25, 20, 9, 1500, 0, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_FAULTS_MINOR, 55);
    heard_exit(&e.f, 20, opid, 8, 5, 0, 1);
    ph_values_set(&e.f.exits[1].vals, PH_M_FAULTS_MINOR, 12);
    heard_exit(&e.f, opid, levels == 2 ? 45 : 40, 7, 6, 0, 1);
    ph_values_set(&e.f.exits[2].vals, PH_M_FAULTS_MINOR, 11);
    if (levels == 2) {
        heard_exit(&e.f, 45, 40, 6, 3, 0, 1);
        ph_values_set(&e.f.exits[3].vals, PH_M_FAULTS_MINOR, 6);
    }
    /* H's growth when it reaps O: S's 1500, I's 5, O's 6 (W's 3), and 3 of
     * teardown at each reap */
    int64_t reap_cpu = 1500 + 5 + 6 + 9 + (levels == 2 ? 3 + 3 : 0);
    int64_t reap_flt = 55 + 12 + 11 + (levels == 2 ? 6 : 0);
    if (reaped_before_h) {
        e.f.p[0].vanish_after_read = 1;
        e.f.p[1].vanish_after_read = 1;
        e.f.p[2].cpu = 101;
        e.f.p[2].ccpu = reap_cpu;
        e.f.p[2].cflt = reap_flt;
    }
    CHECK_I(step(&e, 100, 0, &st), 0);
    total += credited(&e.r);
    int64_t hcol = sum_rows(&e.r, 3, PH_M_CHILD_CPU_USER_NS);
    /* none of them is listed; H's delta holds the reap unless it came
     * before */
    for (int i = 0; i < e.f.n; i++)
        if (i != 2)
            e.f.p[i].alive = 0;
    e.f.p[2].cpu = reaped_before_h ? 102 : 101;
    e.f.p[2].ccpu = reap_cpu;
    e.f.p[2].cflt = reap_flt;
    CHECK_I(step(&e, 100, 0, &st), 0);
    total += credited(&e.r);
    hcol += sum_rows(&e.r, 3, PH_M_CHILD_CPU_USER_NS);
    for (int k = 0; k < 3; k++) { /* an unpaid debt would wait, then be dropped */
        e.f.p[2].cpu++;
        CHECK_I(step(&e, 100, 0, &st), 0);
        total += credited(&e.r);
        hcol += sum_rows(&e.r, 3, PH_M_CHILD_CPU_USER_NS);
    }
    /* every unit once: S's 500 + 850 + 50, I's 1 + 1, O's 1, (W's 1,) H's
     * own, and the teardown */
    CHECK_I(total, 1400 + 2 + 1 + (reaped_before_h ? 5 : 4) + 9 + (levels == 2 ? 1 + 3 : 0));
    CHECK_I(hcol, 0); /* all of the growth is in rows */
    ph_tracker_free(e.t);
}

TEST(debt_found_a_step_after_its_gone_parents_is_folded_into_it)
{
    wrapped_chain(1, 0);
    wrapped_chain(2, 0);
}

TEST(child_read_before_its_parent_was_found_gone_is_read_again)
{
    wrapped_chain(1, 1);
    wrapped_chain(2, 1);
}

/* The other side: a child whose parent exited without waiting for it was
 * handed to another process, which reaps it; its exit record names that
 * one. Found gone a step after the parent, its debt is not the parent's
 * (the grandparent's reap of the parent does not hold it): folded into the
 * parent's, it made that debt larger than the reap, which then stayed in
 * the grandparent's child columns. */
TEST(orphan_found_gone_after_its_parent_is_not_folded_into_its_debt)
{
    env e;
    ph_tick_stats st;
    env_init(&e);
    e.src.cpu_res_ns = 10;
    e.f.has_cflt = 1;
    e.f.has_flt = 1;
    add(&e, 20, 8, 600, "inner", 300); /* I: O's child, a lower pid (proc 1) */
    add(&e, 40, 5, 500, "sh", 100);    /* H (proc 2) */
    add(&e, 45, 7, 560, "outer", 5);   /* O: H's child (proc 3) */
    e.f.p[0].ppid = 45;
    e.f.p[1].ppid = 1;
    e.f.p[2].ppid = 40;
    e.f.p[0].flt = 10;
    e.f.p[2].flt = 10;
    CHECK_I(step(&e, 0, 1, &st), 0);
    /* I is read at 400 and idle since (its parent as last read: O); O exits
     * (6, 11 faults) and H reaps it after H's read: gone when read */
    e.f.p[0].cpu = 400;
    e.f.p[2].vanish_on_read = 1;
    heard_exit(&e.f, 45, 40, 7, 6, 0, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_FAULTS_MINOR, 11);
    CHECK_I(step(&e, 100, 0, &st), 0);
    int64_t hcol = sum_rows(&e.r, 2, PH_M_CHILD_CPU_USER_NS);
    /* I exits (500, 15 faults), handed to pid 1, which reaps it; H's delta
     * holds O's 6 and 3 of teardown */
    e.f.p[0].alive = 0;
    e.f.p[2].alive = 0;
    heard_exit(&e.f, 20, 1, 8, 500, 0, 1);
    ph_values_set(&e.f.exits[0].vals, PH_M_FAULTS_MINOR, 15);
    e.f.p[1].cpu = 101;
    e.f.p[1].ccpu = 9;
    e.f.p[1].cflt = 11;
    CHECK_I(step(&e, 100, 0, &st), 0);
    hcol += sum_rows(&e.r, 2, PH_M_CHILD_CPU_USER_NS);
    for (int k = 0; k < 3; k++) {
        e.f.p[1].cpu++;
        CHECK_I(step(&e, 100, 0, &st), 0);
        hcol += sum_rows(&e.r, 2, PH_M_CHILD_CPU_USER_NS);
    }
    CHECK_I(hcol, 0); /* O's debt paid, its teardown to its exit row */
    ph_tracker_free(e.t);
}
