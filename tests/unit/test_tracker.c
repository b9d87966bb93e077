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
    int64_t cpu, io, rss, ccpu;
    int32_t ppid;
    int alive, vanish_on_read;
} fproc;

typedef struct fake {
    fproc p[MAXP];
    int n;
    int full_reads, idle_reads;
} fake;

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
        s->pid = pid;
        s->start_key = p->start_key;
        s->start_boot_ns = p->start_boot_ns;
        s->start_res_ns = p->start_res_ns;
        s->quick_sig = (uint64_t)(p->cpu * 1000003 + p->ccpu);
        s->ppid = p->ppid;
        snprintf(s->name, sizeof s->name, "%s", p->name);
        ph_values_set(&s->vals, PH_M_CPU_USER_NS, p->cpu);
        ph_values_set(&s->vals, PH_M_CHILD_CPU_USER_NS, p->ccpu);
        ph_values_set(&s->vals, PH_M_RESIDENT_BYTES, p->rss);
        if (hint && hint->start_key == s->start_key && hint->quick_sig == s->quick_sig) {
            f->idle_reads++;
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
    ph_tracker t;
    ph_source src;
    ph_sink sink;
    int64_t boot_ns, prev;
} env;

static void env_init(env *e)
{
    memset(e, 0, sizeof *e);
    ph_tracker_init(&e->t);
    e->src = (ph_source){&e->f, f_list, f_read, f_ident, NULL};
    e->sink = (ph_sink){&e->r, s_new, s_renamed, s_gone, s_row, NULL};
    e->boot_ns = 1000;
    e->prev = -1;
}

/* One step at boot time +dt; returns the step's rc. */
static int step(env *e, int64_t dt, int keyframe, ph_tick_stats *st)
{
    e->r.nrows = e->r.ngone = 0;
    e->boot_ns += dt;
    ph_tick tick = {e->boot_ns, e->prev, 0, keyframe};
    int rc = ph_tracker_step(&e->t, &e->src, &e->sink, &tick, st);
    if (rc == 0) {
        ph_tracker_commit(&e->t);
        e->prev = e->boot_ns;
    } else {
        ph_tracker_abort(&e->t);
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
    ph_tracker_free(&e.t);
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
    ph_tracker_free(&e.t);
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
    ph_tracker_free(&e.t);
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
    ph_tracker_free(&e.t);
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
    ph_tracker_free(&e.t);
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
    ph_tracker_free(&e.t);
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
    CHECK_I(e.t.ncur, 1);
    CHECK_I(e.t.cur[0].pid, 12);
    ph_tracker_free(&e.t);
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
    ph_tracker_free(&e.t);
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
    ph_tracker_free(&e.t);
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
    size_t n = e.t.ncur;
    memcpy(saved, e.t.cur, n * sizeof *saved);
    ph_tracker_free(&e.t);
    ph_tracker_init(&e.t);
    ph_tracker_load(&e.t, saved, n);
    e.f.p[0].cpu = 175;
    CHECK_I(step(&e, 5000, 1, &st), 0);
    CHECK_I(e.r.nrows, 1);
    CHECK_I(e.r.rows[0].kind, PH_ROW_DELTA);
    CHECK_I(e.r.rows[0].vals.v[PH_M_CPU_USER_NS], 75);
    CHECK_I(e.r.nnew, 1);
    ph_tracker_free(&e.t);
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
    ph_tracker_free(&e.t);
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
    ph_tracker_free(&e.t);
}
