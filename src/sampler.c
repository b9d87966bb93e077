/*
 * The sampler: one tracker step plus its sample row, in one transaction
 * (see include/ph_recorder.h). Keyframes (a row for every live process) fall
 * on the first sample of a run and of each PH_KEYFRAME_NS of wall clock.
 */
#include "ph_recorder.h"
#include "ph_util.h"

#include <stdlib.h>
#include <string.h>

int ph_sampler_init(ph_sampler *s, ph_store *store, ph_source src, const char *boot_uuid,
                    int64_t boot_wall_ns, char *err, size_t errlen)
{
    ph_last_sample last;
    ph_entry *entries = NULL;
    size_t n = 0;
    memset(s, 0, sizeof *s);
    ph_tracker_init(&s->tracker);
    s->store = store;
    s->src = src;
    s->boot_wall_ns = boot_wall_ns;
    if (ph_store_boot(store, boot_uuid, boot_wall_ns, &s->boot) < 0 ||
        ph_store_last_sample(store, &last) < 0 ||
        ph_store_take_resume(store, last.sample, &entries, &n) < 0) {
        ph_fmt(err, errlen, "cannot read the database: %s", ph_store_errmsg(store));
        free(entries);
        return -1;
    }
    s->next_sample = last.sample + 1;
    s->prev_boot_ns = (last.sample && last.boot == s->boot) ? last.boot_ns : -1;
    s->prev_wall_ns = last.ts_ns;
    if (s->prev_boot_ns >= 0 && n)
        ph_tracker_load(&s->tracker, entries, n);
    free(entries);
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
    ph_store_tick st = {s->store, s->next_sample, wall, s->boot};
    ph_sink sink = ph_store_sink(&st);

    int ok = ph_store_exec(s->store, "BEGIN IMMEDIATE") == 0 &&
             ph_tracker_step(&s->tracker, &s->src, &sink, &tick, stats) == 0;
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
        };
        ok = ph_store_add_sample(s->store, &row) == 0 && ph_store_exec(s->store, "COMMIT") == 0;
    }
    if (!ok) {
        ph_store_exec(s->store, "ROLLBACK");
        ph_tracker_abort(&s->tracker);
        return -1;
    }
    ph_tracker_commit(&s->tracker);
    s->next_sample++;
    s->prev_boot_ns = boot_ns;
    s->prev_wall_ns = wall;
    s->first = 0;
    return 0;
}

int ph_sampler_save(ph_sampler *s)
{
    if (s->next_sample <= 1)
        return 0;
    return ph_store_save_resume(s->store, s->next_sample - 1, s->tracker.cur, s->tracker.ncur);
}

void ph_sampler_free(ph_sampler *s)
{
    ph_tracker_free(&s->tracker);
}
