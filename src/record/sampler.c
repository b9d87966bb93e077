/*
 * The sampler: one tracker step plus its sample row, in one transaction
 * (see include/ph_recorder.h). Keyframes (a row for every live process) fall
 * on the first sample of a run and of each PH_KEYFRAME_NS of wall clock.
 */
#include "ph_recorder.h"
#include "ph_util.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Profiling (PROCHIST_PROFILE=1, for benchmarks): the store's sink wrapped
 * so the thread CPU spent inside it counts as storage, the rest of a step as
 * collection. */
typedef struct timed {
    ph_sink inner;
    int64_t ns;
} timed;

static int64_t thread_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#define TIMED(call)                      \
    do {                                 \
        int64_t t0_ = thread_ns();       \
        int rc_ = (call);                \
        t->ns += thread_ns() - t0_;      \
        return rc_;                      \
    } while (0)

static int t_new(void *ctx, const ph_proc_info *info, int64_t *id)
{
    timed *t = ctx;
    TIMED(t->inner.proc_new(t->inner.ctx, info, id));
}
static int t_renamed(void *ctx, int64_t id, const ph_proc_info *info)
{
    timed *t = ctx;
    TIMED(t->inner.proc_renamed(t->inner.ctx, id, info));
}
static int t_gone(void *ctx, int64_t id)
{
    timed *t = ctx;
    TIMED(t->inner.proc_gone(t->inner.ctx, id));
}
static int t_row(void *ctx, const ph_row *row)
{
    timed *t = ctx;
    TIMED(t->inner.row(t->inner.ctx, row));
}
static int t_state(void *ctx, const ph_entry *e)
{
    timed *t = ctx;
    TIMED(t->inner.state(t->inner.ctx, e));
}

static int t_cgroup(void *ctx, int64_t id, const struct ph_cgroup *cg)
{
    timed *t = ctx;
    TIMED(t->inner.proc_cgroup ? t->inner.proc_cgroup(t->inner.ctx, id, cg) : 0);
}

/* GPU gauges are read at the sample and stand for its interval; after a
 * longer gap (sleep, a stopped recorder) they say nothing about it. */
#define GAUGE_SPAN_MAX_NS (300 * 1000000000LL)

void ph_power_sums(const ph_power *prev, const ph_power *cur, int64_t interval_ns, ph_sys *out)
{
    ph_sys_unknown(out);
    if (!cur)
        return;
    /* Energy per domain since the previous reading, zone by zone and
     * wrap-aware; a first reading, or a changed set of zones, gives none. */
    if (prev && prev->n == cur->n) {
        for (int z = 0; z < cur->n; z++) {
            if (cur->zone[z].domain != prev->zone[z].domain)
                continue;
            uint64_t uj = ph_power_delta(prev->zone[z].energy_uj, cur->zone[z].energy_uj, cur->zone[z].max_uj);
            int d = cur->zone[z].domain;
            if (uj > (uint64_t)INT64_MAX / 1000)
                continue;
            out->energy_nj[d] = (out->energy_nj[d] < 0 ? 0 : out->energy_nj[d]) + (int64_t)(uj * 1000);
        }
        if (cur->cpu_total_ns > prev->cpu_total_ns)
            out->cpu_capacity_ns = cur->cpu_total_ns - prev->cpu_total_ns;
    }
    if (interval_ns <= 0 || interval_ns > GAUGE_SPAN_MAX_NS) {
        out->energy_nj[PH_PWR_GPU] = -1; /* counters alone would leave out the power-only GPUs */
        return;
    }
    /* GPUs with a power reading but no energy counter (amdgpu): their power
     * over the interval, added to the counters' energy. When a GPU counter
     * has no previous reading, the GPU total is unknown, not partial. */
    int counters = 0;
    for (int z = 0; z < cur->n; z++)
        counters |= cur->zone[z].domain == PH_PWR_GPU;
    int64_t *gpu = &out->energy_nj[PH_PWR_GPU];
    if (cur->gpu_power_uw >= 0 && !(counters && *gpu < 0))
        *gpu = (*gpu < 0 ? 0 : *gpu) + (int64_t)((long double)cur->gpu_power_uw * interval_ns / 1e6L);
    if (cur->gpu_busy_permille >= 0)
        out->gpu_busy_ns = (int64_t)((long double)cur->gpu_busy_permille * interval_ns / 1000.0L);
    if (cur->gpu_mhz >= 0)
        out->gpu_mcycles = (int64_t)((long double)cur->gpu_mhz * interval_ns / 1e9L);
    if (cur->gpu_busy_permille >= 0 || cur->gpu_mhz >= 0)
        out->gpu_covered_ns = interval_ns;
}

int ph_sampler_init(ph_sampler *s, ph_store *store, ph_source src, const char *boot_uuid,
                    int64_t boot_wall_ns, char *err, size_t errlen)
{
    ph_last_sample last;
    ph_entry *entries = NULL;
    size_t n = 0;
    memset(s, 0, sizeof *s);
    s->tracker = ph_tracker_new();
    s->store = store;
    s->src = src;
    s->boot_wall_ns = boot_wall_ns;
    if (ph_store_boot(store, boot_uuid, boot_wall_ns, &s->boot) < 0 ||
        ph_store_last_sample(store, &last) < 0 ||
        ph_store_load_state(store, s->boot, &entries, &n) < 0) {
        ph_fmt(err, errlen, "cannot read the database: %s", ph_store_errmsg(store));
        free(entries);
        return -1;
    }
    s->next_sample = last.sample + 1;
    s->prev_boot_ns = (last.sample && last.boot == s->boot) ? last.boot_ns : -1;
    /* Energy counters continue across restarts within a boot. */
    s->have_power = s->prev_boot_ns >= 0 && ph_store_get_power(store, &s->power) == 1;
    s->prev_wall_ns = last.ts_ns;
    if (s->prev_boot_ns >= 0 && n)
        ph_tracker_load(s->tracker, entries, n);
    free(entries);
    ph_ledger_init(&s->ledger);
    ph_ledger_init(&s->undo);
    if (ph_store_load_coalitions(store, s->boot, &s->ledger) < 0) {
        ph_fmt(err, errlen, "cannot read the database: %s", ph_store_errmsg(store));
        return -1;
    }
    s->first = 1;
    return 0;
}

int ph_sampler_tick(ph_sampler *s, int64_t wall, int64_t boot_ns, int64_t recorder_cpu_ns,
                    ph_tick_stats *stats)
{
    ph_tick tick = {
        .boot_ns = boot_ns,
        .prev_boot_ns = s->prev_boot_ns,
        .boot_wall_ns = s->boot_wall_ns,
        .keyframe = s->first || wall / PH_KEYFRAME_NS != s->prev_wall_ns / PH_KEYFRAME_NS,
    };
    ph_power pw;
    int have_pw = s->src.power && s->src.power(s->src.ctx, &pw) == 0;
    ph_sys sys;
    ph_power_sums(s->have_power && s->prev_boot_ns >= 0 ? &s->power : NULL, have_pw ? &pw : NULL,
                  s->prev_boot_ns >= 0 ? boot_ns - s->prev_boot_ns : -1, &sys);
    int64_t *energy = sys.energy_nj, capacity = sys.cpu_capacity_ns;
    int64_t est = energy[PH_PWR_PACKAGE] >= 0 ? energy[PH_PWR_PACKAGE] : energy[PH_PWR_PSYS];
    ph_store_tick st = {s->store, s->next_sample, wall, s->boot, est > 0 && capacity > 0 ? est : 0,
                        est > 0 && capacity > 0 ? capacity : 0};
    ph_sink sink = ph_store_sink(&st);
    timed tm = {sink, 0};
    ph_sink tsink = {&tm, t_new, t_renamed, t_gone, t_row, t_state, t_cgroup};
    int64_t t0 = s->profile ? thread_ns() : 0;

    /* Coalitions (macOS) watch the rows go by, then settle after the step. */
    ph_ledger_copy(&s->undo, &s->ledger);
    ph_ledger_sink lw = {&s->ledger, s->profile ? tsink : sink};
    ph_sink wsink = ph_ledger_wrap(&lw);

    ph_store_tick_begin(s->store);
    ph_store_err_clear(s->store);
    int ok = ph_store_begin(s->store) == 0 &&
             ph_tracker_step(s->tracker, &s->src, &wsink, &tick, stats) == 0;
    if (ok && s->ledger.nco) {
        int n = ph_ledger_settle(&s->ledger, &s->src, s->profile ? &tsink : &sink,
                                 s->boot_wall_ns ? s->boot_wall_ns + boot_ns : wall, NULL, 0, NULL);
        ok = n >= 0;
        if (ok)
            stats->rows += n;
    }
    /* The database holds the ledger as it was when this tick began (a failed
     * tick rolls both back), except on the first, which rewrites it whole. */
    ok = ok && ph_store_put_coalitions(s->store, s->boot, s->first ? NULL : &s->undo, &s->ledger) == 0;
    int64_t t1 = s->profile ? thread_ns() : 0;
    if (ok) {
        ph_sample_row row = {
            .sample = s->next_sample,
            .ts_ns = wall,
            .boot = s->boot,
            .boot_ns = boot_ns,
            .interval_ns = s->prev_boot_ns >= 0 ? boot_ns - s->prev_boot_ns : -1,
            .keyframe = tick.keyframe,
            .procs = stats->procs,
            .procs_denied = stats->denied,
            .rows = stats->rows,
            .recorder_cpu_ns = recorder_cpu_ns,
            .sys = sys,
        };
        ok = ph_store_add_sample(s->store, &row) == 0 && (!have_pw || ph_store_put_power(s->store, &pw) == 0) &&
             ph_store_commit(s->store) == 0;
    }
    if (s->profile) {
        int64_t t2 = thread_ns();
        s->collect_ns += (t1 - t0) - tm.ns;
        s->store_ns += tm.ns + (t2 - t1);
    }
    if (!ok) {
        ph_store_rollback(s->store);
        ph_tracker_abort(s->tracker);
        ph_ledger_copy(&s->ledger, &s->undo);
        /* Whatever failed (another writer's sample with our number, a file
         * replaced under us), the next sample follows the last one stored. */
        ph_last_sample last;
        if (ph_store_last_sample(s->store, &last) == 0 && last.sample >= s->next_sample)
            s->next_sample = last.sample + 1;
        return -1;
    }
    ph_tracker_commit(s->tracker);
    if (have_pw) {
        s->power = pw;
        s->have_power = 1;
    }
    s->next_sample++;
    s->prev_boot_ns = boot_ns;
    s->prev_wall_ns = wall;
    s->first = 0;
    return 0;
}

void ph_sampler_free(ph_sampler *s)
{
    ph_tracker_free(s->tracker);
    s->tracker = NULL; /* freed twice is fine: a reopen frees, then may fail to init */
    ph_ledger_free(&s->ledger);
    ph_ledger_free(&s->undo);
}
