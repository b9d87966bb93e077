/*
 * Process identity and deltas (see include/ph_tracker.h for the contract).
 *
 * Both the listing and the state are sorted by pid, so a step is one merge
 * join: no hashing, O(processes). A pid whose start_key changed is a new
 * process (the old identity is reported gone first). This file is the step
 * and the rows; debts.c holds what gone children owe and how parents pay,
 * exits.c the exit records (their words: tracker_int.h).
 */
#include "tracker_int.h"
#include "ph_cgroup.h"
#include "ph_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

ph_tracker *ph_tracker_new(void)
{
    ph_tracker *t = ph_xrealloc(NULL, sizeof *t);
    memset(t, 0, sizeof *t);
    return t;
}

void ph_tracker_free(ph_tracker *t)
{
    if (!t)
        return;
    free(t->cur);
    free(t->next);
    free(t->waiting);
    free(t->debts);
    free(t->exits);
    free(t->reads);
    free(t->exit_rows);
    free(t->paid);
    ph_exitlist_free(&t->heard);
    ph_pidlist_free(&t->pids);
    free(t);
}

size_t ph_tracker_count(const ph_tracker *t)
{
    return t->ncur;
}

const ph_entry *ph_tracker_entries(const ph_tracker *t)
{
    return t->cur;
}

/* A row of this step kept until its end (an exit row: the remainder of its
 * parent's reap may still be added to it). Returns its index. */
int ph_trk_exit_row(ph_tracker *t, int64_t proc)
{
    if (t->nexit_rows == t->capexit_rows) {
        t->capexit_rows = t->capexit_rows ? t->capexit_rows * 2 : 64;
        t->exit_rows = ph_xrealloc(t->exit_rows, t->capexit_rows * sizeof *t->exit_rows);
    }
    ph_row *r = &t->exit_rows[t->nexit_rows];
    memset(r, 0, sizeof *r);
    r->proc = proc;
    r->kind = PH_ROW_EXIT;
    return (int)t->nexit_rows++;
}

/* This step's read of pid (t->reads is in listing order, by pid), or NULL. */
ph_read *ph_trk_read_of(const ph_tracker *t, int32_t pid)
{
    size_t lo = PH_LOWER_BOUND(t->reads, t->nreads, pid, pid);
    return lo < t->nreads && t->reads[lo].pid == pid ? (ph_read *)&t->reads[lo] : NULL;
}

/* The app of a process known only by its name. */
void ph_trk_app_of(const ph_source *src, const char *name, char *app, size_t len)
{
    if (src->app_of)
        src->app_of(src->ctx, name, app, len);
    else
        snprintf(app, len, "%s", name);
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
    info->gone = 0;
}

/* The process's control groups, read now (first sight, exec, keyframes) and
 * passed on; unreadable (gone, refused) passes nothing. */
static int tell_cgroup(const ph_source *src, const ph_sink *sink, int32_t pid, int64_t proc)
{
    ph_cgroup cg;
    if (!src->cgroup || !sink->proc_cgroup || src->cgroup(src->ctx, pid, &cg) < 0)
        return 0;
    return sink->proc_cgroup(sink->ctx, proc, &cg);
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

/*
 * A tracked process is gone. With its exit record, a last row: its final
 * counters less the last ones read (I/O only when it never reaped children,
 * since /proc's I/O includes reaped children's and the record does not),
 * kept until the step's end (its parent's reap may add to it); and the
 * record's name, when it differs from the one sampled (a sample between
 * fork and exec saw the parent's), renames it. Then its debt to its parent,
 * and the identity is closed.
 */
static int gone(ph_tracker *t, const ph_source *src, const ph_sink *sink, const ph_tick *tick,
                const ph_entry *e, ph_debt *debt, ph_tick_stats *st)
{
    ph_exit_wait *px = ph_exits_claim(t, e->pid, e->start_key);
    ph_row row;
    memset(&row, 0, sizeof row);
    debt->exit_row = -1;
    if (px) {
        const ph_values *fin = &px->x.vals, *last = &e->last;
        int reaped = ph_val(last, PH_M_CHILD_FAULTS_MINOR) > 0 || ph_val(last, PH_M_CHILD_CPU_USER_NS) > 0 ||
                     ph_val(last, PH_M_CHILD_CPU_SYSTEM_NS) > 0;
        ph_mask take = ph_metric_counters() & fin->have & last->have;
        if (reaped && src->reaped_io_in_parent)
            for (size_t i = 0; i < PH_NREAPED_IO; i++)
                take &= ~PH_BIT(ph_reaped_io[i]);
        /* A row that is written says 0, as a delta row does, for a counter
         * read at both ends that did not move: NULL means "not read", and
         * `cpu_user_ns + cpu_system_ns` of a row with a NULL is NULL (a
         * fork storm's 1 ms children, whose system time did not move, lost
         * their exit CPU from such sums). No counter moved: no row. */
        int moved = 0;
        for (int m = 0; m < PH_METRIC_COUNT; m++) {
            if (!(take & PH_BIT(m)))
                continue;
            /* a counter below its last read (two sources: the record's
             * per-thread sums against /proc's) did not move */
            int64_t d = fin->v[m] > last->v[m] ? fin->v[m] - last->v[m] : 0;
            ph_values_set(&row.vals, (enum ph_metric)m, d);
        }
        /* CPU as one sum: the record splits its exact total between user
         * and system by its own tick samples, the reads by theirs, and the
         * two splits differ. Taken column by column, a record with less
         * system time than the last read left the row's system CPU out
         * (NULL: `cpu_user_ns + cpu_system_ns` of the row was NULL, and a
         * 4-thread burner lost its last second from such sums) and its
         * user column held more than the total grew. */
        const ph_mask both = PH_BIT(PH_M_CPU_USER_NS) | PH_BIT(PH_M_CPU_SYSTEM_NS);
        if ((take & both) == both) {
            int64_t grew = (fin->v[PH_M_CPU_USER_NS] + fin->v[PH_M_CPU_SYSTEM_NS]) -
                           (last->v[PH_M_CPU_USER_NS] + last->v[PH_M_CPU_SYSTEM_NS]);
            int64_t sys = row.vals.v[PH_M_CPU_SYSTEM_NS];
            if (grew < 0)
                grew = 0;
            if (sys > grew)
                sys = grew;
            ph_values_set(&row.vals, PH_M_CPU_SYSTEM_NS, sys);
            ph_values_set(&row.vals, PH_M_CPU_USER_NS, grew - sys);
        }
        for (int m = 0; m < PH_METRIC_COUNT; m++)
            moved |= (row.vals.have & PH_BIT(m)) && row.vals.v[m] > 0;
        if (!moved)
            memset(&row.vals, 0, sizeof row.vals);
        if (row.vals.have && (fin->have & PH_BIT(PH_M_PEAK_RESIDENT_BYTES)))
            ph_values_set(&row.vals, PH_M_PEAK_RESIDENT_BYTES, fin->v[PH_M_PEAK_RESIDENT_BYTES]);
        debt->exit_row = ph_trk_exit_row(t, e->proc);
        t->exit_rows[debt->exit_row].vals = row.vals;
        debt->proc = e->proc;
        debt->has_exit = 1;
        debt->exit_ppid = px->x.ppid;
        if (px->x.name[0] && strcmp(px->x.name, e->name) != 0) {
            ph_proc_info info;
            char app[PH_NAME_MAX];
            memset(&info, 0, sizeof info);
            ph_trk_app_of(src, px->x.name, app, sizeof app);
            info.pid = e->pid;
            info.ppid = e->ppid;
            info.uid = px->x.uid >= 0 ? px->x.uid : e->uid;
            info.start_key = e->start_key;
            info.start_ns = 0;
            info.name = px->x.name;
            info.exe = "";
            info.app = app;
            info.bundle = "";
            info.coalition = -1;
            info.responsible_pid = -1;
            (void)tick;
            if (sink->proc_renamed(sink->ctx, e->proc, &info) < 0)
                return -1;
        }
    }
    ph_debt_set(debt, src, e->pid, e->ppid, &e->last, px ? &row.vals : NULL, e->child_carry);
    debt->key = e->start_key;
    return report_gone(sink, e, st);
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
    e->uid = s->uid;
    e->sig = s->quick_sig;
    e->last = s->vals;
    snprintf(e->name, sizeof e->name, "%s", s->name);
    if (sink->proc_new(sink->ctx, &info, &e->proc) < 0 ||
        tell_cgroup(src, sink, s->pid, e->proc) < 0)
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
        ph_debts_pay(t, src, s->pid, &row.vals, &e->child_carry); /* children it reaped since birth */
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

    int uid_changed = s->uid >= 0 && e->uid >= 0 && s->uid != e->uid;
    if (s->uid >= 0)
        e->uid = s->uid; /* -1 after a resume: learnt from this read */
    int exec_seen = s->name[0] && (strcmp(e->name, s->name) != 0 || uid_changed);
    if (exec_seen) {
        /* exec: same identity, new program; or setuid: a new user. */
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
    /* After an exec too: a supervisor moves its child into the unit's
     * cgroup between fork and exec, and the child may be first seen before. */
    if ((tick->keyframe || exec_seen) && tell_cgroup(src, sink, s->pid, e->proc) < 0)
        return -1;

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
    ph_debts_pay(t, src, e->pid, &row.vals, &e->child_carry);
    if (r == PH_READ_IDLE) {
        /* Only the cheap counters were read (their deltas are zero); gauges
         * the cheap read lacks hold their last values. It has not run since
         * its last read: it reaped nothing since (debts.c, ph_debts_expire). */
        ph_debts_expire(t, e->pid);
        st->idle++;
        if (!tick->keyframe)
            return 0;
        take_gauges(&row.vals, &e->last);
    }
    st->rows++;
    return emit(sink, &row, e);
}

/*
 * A zombie read before its parent (a lower pid than its parent's: the pid
 * space wrapped), its exit record heard: its reap may come between its read
 * and its parent's, and then shows in the parent's read of this very step.
 * Kept open until it is no longer listed, it owed nothing yet, so that
 * growth went to the children paid beside it as their remainder, and its
 * debt, left a step later, found no growth and was dropped (a fork storm
 * whose 740 zombies were reaped in that window: +21.6% on its children).
 * Closed now, its debt is a listed zombie's: paid in this step where the
 * parent's child fault growth shows the reap, else waiting while it is
 * listed. A leader thread that left its other threads running reads as a
 * zombie too, with more than one thread: it is not closed.
 */
static int zombie_read_first(const ph_tracker *t, const ph_entry *e, const ph_read *rd)
{
    /* An idle read of a single thread may hold no values at all (Linux: its
     * run time alone said it has not run, and a zombie does not run): its
     * state is the one last read. A fork storm's zombies, seen once and then
     * read idle, were not closed: 479 of them reaped between their read and
     * their parent's, their reap's 1 s shared out as others' remainder
     * (+14.5% on the storm's children) and their debts dropped. */
    const ph_values *v = &rd->s.vals;
    if (rd->r == PH_READ_IDLE && !(v->have & PH_BIT(PH_M_STATE)))
        v = &e->last;
    if (e->ppid <= e->pid || !(v->have & PH_BIT(PH_M_STATE)) || v->v[PH_M_STATE] != 'Z' ||
        !(v->have & PH_BIT(PH_M_THREADS)) || v->v[PH_M_THREADS] > 1)
        return 0;
    for (size_t k = 0; k < t->nexits; k++) {
        const ph_exit_wait *px = &t->exits[k];
        if (!px->matched && px->x.pid == e->pid && ph_exits_is(&px->x, e->start_key))
            return 1;
    }
    return 0;
}

/*
 * A child read alive before its parent was found gone when read (a lower
 * pid: the pid space wrapped) may have exited in between and been reaped by
 * that parent, which then exited and was reaped before its own read. Its
 * debt was then found a step after the parent's: where the grandparent's
 * read came after the reap, the parent's debt was paid from a growth that
 * held the child's whole subtree, whose CPU went to the parent's exit row
 * as the reap's remainder while the child's own rows held it too (chain2
 * under load: an inner `sh -c` and its spinner, 1.5 s counted twice). Such
 * a child is read again once every process is read: gone now, it is gone
 * in this step, with its parent, and its debt is folded into the parent's
 * before any growth pays it. Alive, it was not reaped by that parent (the
 * first read stands). Its children read before it are read again in turn.
 * A child found gone only by this read may have been reaped after the
 * reads of this step (ph_debts_expire). Only after a read found a process
 * gone: the extra reads are of the few children read before such a parent.
 */
static void read_again(ph_tracker *t, const ph_source *src)
{
    for (int round = 0; round < 64; round++) { /* a chain, bounded all the same */
        int more = 0;
        for (size_t k = 0; k < t->nreads; k++) {
            ph_read *c = &t->reads[k];
            if (c->r == PH_READ_GONE || c->late)
                continue;
            int32_t ppid = c->old ? c->old->ppid : c->s.ppid; /* the one its debt would be owed to */
            const ph_read *p = ppid > 0 ? ph_trk_read_of(t, ppid) : NULL;
            if (!p || p->r != PH_READ_GONE || !(p->pid > c->pid || p->late))
                continue; /* its parent lives, or was gone before this child's read */
            ph_proc_sample s;
            ph_hint hint;
            if (c->old) {
                hint.start_key = c->old->start_key;
                hint.quick_sig = c->old->sig;
                hint.refresh = 0;
            }
            c->late = 1;
            if (src->read(src->ctx, c->pid, c->old ? &hint : NULL, &s) == PH_READ_GONE ||
                s.start_key != c->s.start_key) { /* gone, or its pid taken already */
                c->r = PH_READ_GONE;
                more = 1;
            }
        }
        if (!more)
            break;
    }
}

/*
 * A step in five phases. 1: list and read every process (and read again a
 * child read before its parent was found gone: read_again). 2: take the exit
 * records, only now: a process reaped before its parent was read exited
 * before that read, so its record is already here. 3: place the debts of
 * earlier steps by this listing (reaped, or a zombie still listed), close
 * every identity that is gone (no longer listed, gone when read, or its pid
 * reused), with its exit record when there is one, and give processes no
 * sample saw their rows; each leaves a debt to its parent. 4: make the rows
 * of the live processes, parents paying their children's debts. 5: write
 * the exit rows, with the remainder shares their parents' reaps gave them.
 */
int ph_tracker_step(ph_tracker *t, const ph_source *src, const ph_sink *sink,
                    const ph_tick *tick, ph_tick_stats *st)
{
    memset(st, 0, sizeof *st);
    t->nnext = 0;
    for (size_t k = 0; k < t->nexits; k++)
        t->exits[k].matched = 0;
    if (src->list(src->ctx, &t->pids) < 0)
        return -1;

    /* 1: read */
    t->nreads = 0;
    size_t i = 0;
    int ngone = 0;
    for (size_t k = 0; k < t->pids.n; k++) {
        int32_t pid = t->pids.pids[k];
        while (i < t->ncur && t->cur[i].pid < pid)
            i++;
        const ph_entry *old = NULL;
        if (i < t->ncur && t->cur[i].pid == pid)
            old = &t->cur[i++];
        if (t->nreads == t->capreads) {
            t->capreads = t->capreads ? t->capreads * 2 : 256;
            t->reads = ph_xrealloc(t->reads, t->capreads * sizeof *t->reads);
        }
        ph_read *rd = &t->reads[t->nreads++];
        ph_hint hint;
        if (old) {
            hint.start_key = old->start_key;
            hint.quick_sig = old->sig;
            hint.refresh = tick->keyframe;
        }
        rd->pid = pid;
        rd->closed = 0;
        rd->late = 0;
        rd->r = src->read(src->ctx, pid, old ? &hint : NULL, &rd->s);
        ngone += rd->r == PH_READ_GONE;
        rd->old = old;
        if (old && rd->r != PH_READ_GONE && old->start_key != rd->s.start_key)
            rd->old = NULL; /* the pid was reused: the old process is gone */
    }

    if (ngone)
        read_again(t, src);

    /* 2: exits */
    ph_exits_hear(t, src);

    /* 3: what is gone, owing its parent */
    t->nexit_rows = 0;
    ph_debts_begin(t);
    size_t nold = t->ndebts;
    size_t ri = 0; /* cur and reads are both in pid order: one merge walk */
    for (size_t k = 0; k < t->ncur; k++) {
        const ph_entry *e = &t->cur[k];
        while (ri < t->nreads && t->reads[ri].pid < e->pid)
            ri++;
        ph_read *rd = ri < t->nreads && t->reads[ri].pid == e->pid ? &t->reads[ri] : NULL;
        int zombie = 0;
        if (rd && rd->r != PH_READ_GONE && rd->old == e && !(zombie = zombie_read_first(t, e, rd)))
            continue; /* still there */
        ph_debt debt;
        memset(&debt, 0, sizeof debt);
        if (gone(t, src, sink, tick, e, &debt, st) < 0)
            return -1;
        /* listed but gone when read: reaped before or after its parent's
         * read; not listed (or its pid reused): reaped before the listing */
        debt.reap = rd && rd->r == PH_READ_GONE ? PH_REAP_UNSURE : PH_REAP_DONE;
        if (zombie) {
            debt.reap = PH_REAP_LISTED;
            rd->closed = 1; /* no row of its own: it is closed */
        }
        *ph_debt_push(t) = debt; /* unsorted tail */
    }
    if (ph_exits_unseen(t, src, sink, tick) < 0)
        return -1;
    ph_debts_fold(t, nold);
    ph_debts_sort(t);

    /* 4: rows */
    for (size_t k = 0; k < t->nreads; k++) {
        ph_read *rd = &t->reads[k];
        if (rd->r == PH_READ_GONE || rd->closed)
            continue;
        st->procs++;
        if (rd->s.denied)
            st->denied++;
        int rc = rd->old ? seen_again(t, src, sink, tick, rd->old, &rd->s, rd->r, st)
                         : first_sight(t, src, sink, tick, &rd->s, st);
        if (rc < 0)
            return -1;
    }

    /* 5: the exit rows, with what their parents' reaps added */
    for (size_t k = 0; k < t->nexit_rows; k++) {
        if (!t->exit_rows[k].vals.have)
            continue;
        if (sink->row(sink->ctx, &t->exit_rows[k]) < 0)
            return -1;
        st->rows++;
        st->exits++;
    }
    t->nexit_rows = 0;
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
    ph_debts_commit(t);
    ph_exits_commit(t);
}

void ph_tracker_abort(ph_tracker *t)
{
    t->nnext = 0;
    t->ndebts = 0;
    t->nexit_rows = 0;
    for (size_t k = 0; k < t->nexits; k++)
        t->exits[k].matched = 0;
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
    for (size_t i = 0; i < n; i++)
    {
        t->cur[i].uid = -1; /* not kept across a restart: learnt from the next full read */
        t->cur[i].child_carry = 0;
    }
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

static int src_exits(void *ctx, ph_exitlist *out)
{
    return ph_platform_exits(ctx, out);
}

static int src_coalition(void *ctx, int64_t id, ph_coalition_usage *out)
{
    return ph_platform_coalition(ctx, id, out);
}

static int src_cgroup(void *ctx, int32_t pid, ph_cgroup *out)
{
    return ph_platform_cgroup(ctx, pid, out);
}

static void src_app_of(void *ctx, const char *name, char *app, size_t len)
{
    (void)ctx;
    ph_app_of_name(name, app, len);
}

ph_source ph_platform_source(ph_platform *p)
{
    ph_source s = {p, src_list, src_read, src_ident, src_power, src_exits, ph_platform_reaped_io_in_parent(),
                   ph_platform_cpu_res_ns(p), src_coalition, src_app_of, src_cgroup};
    return s;
}
