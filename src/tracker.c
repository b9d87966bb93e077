/*
 * Process identity and deltas (see include/ph_tracker.h for the contract).
 *
 * Both the listing and the state are sorted by pid, so a step is one merge
 * join: no hashing, O(processes). A pid whose start_key changed is a new
 * process (the old identity is reported gone first).
 */
#include "ph_tracker.h"
#include "ph_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ph_tracker_init(ph_tracker *t)
{
    memset(t, 0, sizeof *t);
}

void ph_tracker_free(ph_tracker *t)
{
    free(t->cur);
    free(t->next);
    ph_pidlist_free(&t->pids);
    memset(t, 0, sizeof *t);
}

static ph_entry *push_next(ph_tracker *t)
{
    if (t->nnext == t->capnext) {
        t->capnext = t->capnext ? t->capnext * 2 : 256;
        t->next = ph_xrealloc(t->next, t->capnext * sizeof *t->next);
    }
    ph_entry *e = &t->next[t->nnext++];
    memset(e, 0, sizeof *e);
    return e;
}

/* Gauges of `from` copied into `to`. */
static void take_gauges(ph_values *to, const ph_values *from)
{
    ph_mask counters = ph_metric_counters();
    for (int m = 0; m < PH_METRIC_COUNT; m++)
        if ((from->have & PH_BIT(m)) && !(counters & PH_BIT(m)))
            ph_values_set(to, (enum ph_metric)m, from->v[m]);
}

static void fill_info(ph_proc_info *info, const ph_proc_sample *s,
                      const ph_proc_ident *id, const ph_tick *tick)
{
    info->pid = s->pid;
    info->ppid = s->ppid;
    info->uid = s->uid;
    info->start_key = s->start_key;
    info->start_ns = tick->boot_wall_ns ? tick->boot_wall_ns + s->start_boot_ns : 0;
    info->name = s->name;
    info->exe = id->exe;
    info->app = id->app;
    info->bundle = id->bundle;
    info->coalition = id->coalition;
    info->responsible_pid = id->responsible_pid;
}

static int report_gone(const ph_sink *sink, const ph_entry *e, ph_tick_stats *st)
{
    st->gone++;
    return sink->proc_gone(sink->ctx, e->proc);
}

static int first_sight(ph_tracker *t, const ph_source *src, const ph_sink *sink,
                       const ph_tick *tick, const ph_proc_sample *s,
                       ph_tick_stats *st)
{
    ph_proc_ident id;
    ph_proc_info info;
    ph_row row;
    memset(&id, 0, sizeof id);
    id.coalition = -1;
    id.responsible_pid = -1;
    src->ident(src->ctx, s->pid, s, &id);
    fill_info(&info, s, &id, tick);

    ph_entry *e = push_next(t);
    e->pid = s->pid;
    e->start_key = s->start_key;
    e->sig = s->quick_sig;
    e->last = s->vals;
    snprintf(e->name, sizeof e->name, "%s", s->name);
    if (sink->proc_new(sink->ctx, &info, &e->proc) < 0)
        return -1;

    memset(&row, 0, sizeof row);
    row.proc = e->proc;
    int born = tick->prev_boot_ns >= 0 && s->start_boot_ns > tick->prev_boot_ns;
    if (born) {
        /* Counters start at zero at fork: all of them happened since. */
        row.kind = PH_ROW_BORN;
        row.vals = s->vals;
        st->born++;
    } else {
        row.kind = PH_ROW_BASELINE;
        take_gauges(&row.vals, &s->vals);
        st->baseline++;
    }
    st->rows++;
    return sink->row(sink->ctx, &row);
}

static int seen_again(ph_tracker *t, const ph_source *src, const ph_sink *sink,
                      const ph_tick *tick, const ph_entry *old,
                      const ph_proc_sample *s, enum ph_read_result r,
                      ph_tick_stats *st)
{
    ph_entry *e = push_next(t);
    ph_row row;
    *e = *old;
    e->sig = s->quick_sig;

    if (s->name[0] && strcmp(e->name, s->name) != 0) {
        /* exec: same identity, new program. */
        ph_proc_ident id;
        ph_proc_info info;
        memset(&id, 0, sizeof id);
        id.coalition = -1;
        id.responsible_pid = -1;
        src->ident(src->ctx, s->pid, s, &id);
        fill_info(&info, s, &id, tick);
        snprintf(e->name, sizeof e->name, "%s", s->name);
        if (sink->proc_renamed(sink->ctx, e->proc, &info) < 0)
            return -1;
    }

    memset(&row, 0, sizeof row);
    row.proc = e->proc;
    row.kind = r == PH_READ_IDLE ? PH_ROW_KEYFRAME : PH_ROW_DELTA;
    ph_mask counters = ph_metric_counters();
    for (int m = 0; m < PH_METRIC_COUNT; m++) {
        ph_mask bit = PH_BIT(m);
        if (!(s->vals.have & bit))
            continue; /* not read this time: keep the old baseline */
        if (counters & bit) {
            if ((old->last.have & bit) && s->vals.v[m] >= old->last.v[m])
                ph_values_set(&row.vals, (enum ph_metric)m, s->vals.v[m] - old->last.v[m]);
            /* else: first value or went backwards: new baseline, no delta */
        } else {
            ph_values_set(&row.vals, (enum ph_metric)m, s->vals.v[m]);
        }
        ph_values_set(&e->last, (enum ph_metric)m, s->vals.v[m]);
    }
    if (r == PH_READ_IDLE) {
        /* Only the cheap counters were read (their deltas are zero); gauges
         * the cheap read lacks hold their last values. */
        st->idle++;
        if (!tick->keyframe)
            return 0;
        take_gauges(&row.vals, &e->last);
    }
    st->rows++;
    return sink->row(sink->ctx, &row);
}

int ph_tracker_step(ph_tracker *t, const ph_source *src, const ph_sink *sink,
                    const ph_tick *tick, ph_tick_stats *st)
{
    memset(st, 0, sizeof *st);
    t->nnext = 0;
    if (src->list(src->ctx, &t->pids) < 0)
        return -1;

    size_t i = 0;
    for (size_t k = 0; k < t->pids.n; k++) {
        int32_t pid = t->pids.pids[k];
        while (i < t->ncur && t->cur[i].pid < pid)
            if (report_gone(sink, &t->cur[i++], st) < 0)
                return -1;
        const ph_entry *old = NULL;
        if (i < t->ncur && t->cur[i].pid == pid)
            old = &t->cur[i++];

        ph_hint hint;
        ph_proc_sample s;
        if (old) {
            hint.start_key = old->start_key;
            hint.quick_sig = old->sig;
            hint.refresh = tick->keyframe;
        }
        enum ph_read_result r = src->read(src->ctx, pid, old ? &hint : NULL, &s);
        if (r == PH_READ_GONE) {
            if (old && report_gone(sink, old, st) < 0)
                return -1;
            continue;
        }
        st->procs++;
        if (s.denied)
            st->denied++;
        if (old && old->start_key != s.start_key) {
            /* The pid was reused: the old process is gone. */
            if (report_gone(sink, old, st) < 0)
                return -1;
            old = NULL;
        }
        int rc = old ? seen_again(t, src, sink, tick, old, &s, r, st)
                     : first_sight(t, src, sink, tick, &s, st);
        if (rc < 0)
            return -1;
    }
    while (i < t->ncur)
        if (report_gone(sink, &t->cur[i++], st) < 0)
            return -1;
    return 0;
}

void ph_tracker_commit(ph_tracker *t)
{
    ph_entry *tmp = t->cur;
    size_t cap = t->capcur;
    t->cur = t->next;
    t->ncur = t->nnext;
    t->capcur = t->capnext;
    t->next = tmp;
    t->capnext = cap;
    t->nnext = 0;
}

void ph_tracker_abort(ph_tracker *t)
{
    t->nnext = 0;
}

static int cmp_entry(const void *a, const void *b)
{
    int32_t x = ((const ph_entry *)a)->pid, y = ((const ph_entry *)b)->pid;
    return (x > y) - (x < y);
}

void ph_tracker_load(ph_tracker *t, const ph_entry *e, size_t n)
{
    if (n > t->capcur) {
        t->cur = ph_xrealloc(t->cur, n * sizeof *t->cur);
        t->capcur = n;
    }
    memcpy(t->cur, e, n * sizeof *e);
    t->ncur = n;
    qsort(t->cur, n, sizeof *t->cur, cmp_entry);
}

static int src_list(void *ctx, ph_pidlist *out)
{
    return ph_platform_list(ctx, out);
}

static enum ph_read_result src_read(void *ctx, int32_t pid, const ph_hint *hint,
                                    ph_proc_sample *out)
{
    return ph_platform_read(ctx, pid, hint, out);
}

static void src_ident(void *ctx, int32_t pid, const ph_proc_sample *s, ph_proc_ident *out)
{
    ph_platform_ident(ctx, pid, s, out);
}

ph_source ph_platform_source(ph_platform *p)
{
    ph_source s = {p, src_list, src_read, src_ident};
    return s;
}
