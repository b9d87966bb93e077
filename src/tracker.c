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
    free(t->seen);
    free(t->late);
    free(t->carry);
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

/* A disappearing process's totals, as its parent's child_* metrics count them. */
static const struct {
    enum ph_metric own, child;
} credit[] = {
    {PH_M_CPU_USER_NS, PH_M_CHILD_CPU_USER_NS},
    {PH_M_CPU_SYSTEM_NS, PH_M_CHILD_CPU_SYSTEM_NS},
    {PH_M_FAULTS_MINOR, PH_M_CHILD_FAULTS_MINOR},
    {PH_M_FAULTS_MAJOR, PH_M_CHILD_FAULTS_MAJOR},
    {PH_M_WAKEUPS, PH_M_CHILD_WAKEUPS},
    {PH_M_PAGEINS, PH_M_CHILD_PAGEINS},
};

static void add_seen(ph_child_seen **list, size_t *n, size_t *cap, const ph_entry *e)
{
    if (e->ppid <= 0)
        return;
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *list = ph_xrealloc(*list, *cap * sizeof **list);
    }
    ph_child_seen *c = &(*list)[(*n)++];
    memset(c, 0, sizeof *c);
    c->ppid = e->ppid;
    for (size_t i = 0; i < PH_ARRAY_LEN(credit); i++) {
        int64_t v = 0;
        if (e->last.have & PH_BIT(credit[i].own))
            v += e->last.v[credit[i].own];
        if (e->last.have & PH_BIT(credit[i].child))
            v += e->last.v[credit[i].child];
        c->v[credit[i].child] = v;
    }
}

static int cmp_seen(const void *a, const void *b)
{
    int32_t x = ((const ph_child_seen *)a)->ppid, y = ((const ph_child_seen *)b)->ppid;
    return (x > y) - (x < y);
}

/* Subtract from a parent's child deltas what was already seen of its
 * children that disappeared; never below zero. */
static void discount_children(const ph_tracker *t, int32_t pid, ph_values *row)
{
    size_t lo = 0, hi = t->nseen;
    while (lo < hi) { /* first entry with ppid >= pid */
        size_t mid = (lo + hi) / 2;
        if (t->seen[mid].ppid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t k = lo; k < t->nseen && t->seen[k].ppid == pid; k++)
        for (size_t i = 0; i < PH_ARRAY_LEN(credit); i++) {
            enum ph_metric m = credit[i].child;
            if (!(row->have & PH_BIT(m)))
                continue;
            int64_t d = t->seen[k].v[m];
            row->v[m] = row->v[m] > d ? row->v[m] - d : 0;
        }
}

static int report_gone(const ph_sink *sink, const ph_entry *e, ph_tick_stats *st)
{
    st->gone++;
    return sink->proc_gone(sink->ctx, e->proc);
}

static int emit(const ph_sink *sink, const ph_row *row, const ph_entry *e)
{
    if (sink->row(sink->ctx, row) < 0)
        return -1;
    return sink->state ? sink->state(sink->ctx, e) : 0;
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
    e->ppid = s->ppid;
    e->start_key = s->start_key;
    e->sig = s->quick_sig;
    e->last = s->vals;
    snprintf(e->name, sizeof e->name, "%s", s->name);
    if (sink->proc_new(sink->ctx, &info, &e->proc) < 0)
        return -1;

    memset(&row, 0, sizeof row);
    row.proc = e->proc;
    /* Linux start times are truncated to a clock tick (10 ms): a process
     * whose start tick contains the previous sample may have been born after
     * it, and was not listed then, so it was: charging it from birth is right,
     * taking a baseline would lose up to a whole interval of its work. */
    int64_t res = s->start_res_ns > 0 ? s->start_res_ns : 0;
    int born = tick->prev_boot_ns >= 0 && s->start_boot_ns > tick->prev_boot_ns - res;
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
    return emit(sink, &row, e);
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
    if (s->name[0])
        e->ppid = s->ppid; /* a read that saw the process's stat */

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
    discount_children(t, e->pid, &row.vals);
    if (r == PH_READ_IDLE) {
        /* Only the cheap counters were read (their deltas are zero); gauges
         * the cheap read lacks hold their last values. */
        st->idle++;
        if (!tick->keyframe)
            return 0;
        take_gauges(&row.vals, &e->last);
    }
    st->rows++;
    return emit(sink, &row, e);
}

int ph_tracker_step(ph_tracker *t, const ph_source *src, const ph_sink *sink,
                    const ph_tick *tick, ph_tick_stats *st)
{
    memset(st, 0, sizeof *st);
    t->nnext = 0;
    t->nlate = 0;
    if (src->list(src->ctx, &t->pids) < 0)
        return -1;

    /* Processes no longer listed: remember what was seen of them for their
     * parents before any parent is read; plus what the last step found. */
    t->nseen = 0;
    size_t i = 0;
    for (size_t k = 0; k < t->pids.n; k++) {
        while (i < t->ncur && t->cur[i].pid < t->pids.pids[k])
            add_seen(&t->seen, &t->nseen, &t->capseen, &t->cur[i++]);
        if (i < t->ncur && t->cur[i].pid == t->pids.pids[k])
            i++;
    }
    while (i < t->ncur)
        add_seen(&t->seen, &t->nseen, &t->capseen, &t->cur[i++]);
    for (size_t k = 0; k < t->ncarry; k++) {
        if (t->nseen == t->capseen) {
            t->capseen = t->capseen ? t->capseen * 2 : 64;
            t->seen = ph_xrealloc(t->seen, t->capseen * sizeof *t->seen);
        }
        t->seen[t->nseen++] = t->carry[k];
    }
    if (t->nseen > 1)
        qsort(t->seen, t->nseen, sizeof *t->seen, cmp_seen);

    i = 0;
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
            if (old) {
                add_seen(&t->late, &t->nlate, &t->caplate, old); /* for the next step */
                if (report_gone(sink, old, st) < 0)
                    return -1;
            }
            continue;
        }
        st->procs++;
        if (s.denied)
            st->denied++;
        if (old && old->start_key != s.start_key) {
            /* The pid was reused: the old process is gone. */
            add_seen(&t->late, &t->nlate, &t->caplate, old);
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
    /* Disappearances found mid-step count for the next step's parents. */
    ph_child_seen *ctmp = t->carry;
    size_t ccap = t->capcarry;
    t->carry = t->late;
    t->ncarry = t->nlate;
    t->capcarry = t->caplate;
    t->late = ctmp;
    t->caplate = ccap;
    t->nlate = 0;
}

void ph_tracker_abort(ph_tracker *t)
{
    t->nnext = 0;
    t->nlate = 0;
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
    if (n)
        memcpy(t->cur, e, n * sizeof *e);
    t->ncur = n;
    if (n > 1)
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

static int src_power(void *ctx, ph_power *out)
{
    return ph_platform_power(ctx, out);
}

ph_source ph_platform_source(ph_platform *p)
{
    ph_source s = {p, src_list, src_read, src_ident, src_power};
    return s;
}
