/*
 * Exit records (Linux taskstats as root): heard from the source, each waits
 * until its process is gone from the listing, then gives that process its
 * last row (tracker.c, gone) or, for a process no sample saw, an identity
 * and one row with its whole life (see include/ph_tracker.h).
 */
#include "tracker_int.h"
#include "ph_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * Can the process whose start_key this is be the one of exit record x? Its
 * start is estimated late by up to the slack (plus a tick of rounding).
 * PIDs are reused (32,768 of them by default, a wrap every half minute
 * under heavy churn): a record must never be matched, or kept waiting, for
 * another process that holds its pid now.
 */
int ph_exits_is(const ph_exit *x, uint64_t start_key)
{
    return start_key <= x->start_key + 1 && start_key + x->start_key_slack >= x->start_key;
}

/* The exit heard for this process not matched yet, or NULL. Of several
 * records for its pid that could be its own (the pid was reused within the
 * window), the one whose estimated start is earliest: a later process with
 * the same pid started later, and estimates are late, never early. */
ph_exit_wait *ph_exits_claim(ph_tracker *t, int32_t pid, uint64_t start_key)
{
    ph_exit_wait *best = NULL;
    for (size_t i = 0; i < t->nexits; i++) {
        ph_exit_wait *px = &t->exits[i];
        if (!px->matched && px->x.pid == pid && ph_exits_is(&px->x, start_key) &&
            (!best || px->x.start_key < best->x.start_key))
            best = px;
    }
    if (best)
        best->matched = 1;
    return best;
}

/* What a process no sample saw was credited before its exit: nothing. */
static const ph_values credited_none;

/* Its debt, filled in place at the tail of this step's debts (unsorted
 * until debts_sort): ph_debt_push gives it zeroed, exit_row -1. */
static ph_debt *unseen_debt(ph_tracker *t, const ph_source *src, const ph_exit *x, enum ph_reap reap)
{
    ph_debt *c = ph_debt_push(t);
    ph_debt_set(c, src, x->pid, x->ppid, &credited_none, &x->vals, 0);
    c->key = x->start_key;
    c->key_slack = x->start_key_slack;
    c->reap = reap;
    return c;
}

/* An exit heard for a process no sample saw: its own identity and one row
 * with its whole life (kept until the step's end), when it lived after the
 * previous sample. Otherwise it is not charged, and its parent's reap of it
 * stays in the parent's child columns. Under churn this runs for nearly
 * every record: nothing of the 640-byte record or of the debt is copied
 * or zeroed more than once here. */
static int exited_unseen(ph_tracker *t, const ph_source *src, const ph_sink *sink,
                         const ph_tick *tick, ph_exit_wait *px)
{
    const ph_exit *x = &px->x;
    px->matched = 1;
    /* Not listed as itself (phase 3 leaves the listed ones waiting): reaped
     * before the listing if it was born before it (births are estimated
     * late, never early; tick->boot_ns is read before the listing); one
     * listed but gone when read, or born since, may have been reaped after
     * its parent's read. Another process holding its pid: reaped before. */
    const ph_read *rd = ph_trk_read_of(t, x->pid);
    enum ph_reap reap = rd ? (rd->r == PH_READ_GONE ? PH_REAP_UNSURE : PH_REAP_DONE)
                           : (x->start_boot_ns <= tick->boot_ns ? PH_REAP_DONE : PH_REAP_UNSURE);
    if (!x->whole || tick->prev_boot_ns < 0 || x->start_boot_ns + x->start_res_ns <= tick->prev_boot_ns) {
        /* part of its life may lie outside the window: not charged, but its
         * CPU is known to be in its parent's next reap */
        unseen_debt(t, src, x, reap)->uncharged = 1;
        return 0;
    }
    ph_proc_info info;
    char app[PH_NAME_MAX];
    memset(&info, 0, sizeof info);
    ph_trk_app_of(src, x->name, app, sizeof app);
    info.pid = x->pid;
    info.ppid = x->ppid;
    info.uid = x->uid;
    info.start_key = x->start_key;
    info.start_ns = tick->boot_wall_ns ? tick->boot_wall_ns + x->start_boot_ns : 0;
    info.name = x->name;
    info.exe = "";
    info.app = app; /* gone: its executable can no longer be read */
    info.bundle = "";
    info.coalition = -1;
    info.responsible_pid = -1;
    info.gone = 1; /* written gone at once: the proc_gone below then costs no UPDATE */
    int64_t proc = 0;
    if (sink->proc_new(sink->ctx, &info, &proc) < 0 || sink->proc_gone(sink->ctx, proc) < 0)
        return -1;
    int row = ph_trk_exit_row(t, proc);
    t->exit_rows[row].vals = x->vals;
    ph_debt *c = unseen_debt(t, src, x, reap);
    c->proc = proc;
    c->has_exit = 1;
    c->exit_row = row;
    return 0;
}

/* The waiting record of the same process as h (the lowest index of those
 * with its pid that may be it), or NULL. at maps each pid to the index of
 * its one waiting record, or to -1 when several wait with that pid (a pid
 * reused within the window, or a leader thread's record beside its
 * process's): those are searched in order, as they all were before the map
 * (a search of every waiting record for every record heard took a quarter
 * of the recorder's CPU under churn: perf, 400 exits a second). */
static ph_exit_wait *same_process(ph_tracker *t, const ph_imap *at, const ph_exit *h)
{
    const int *i = ph_imap_get(at, h->pid);
    if (!i)
        return NULL;
    for (size_t j = *i >= 0 ? (size_t)*i : 0; j < t->nexits; j++) {
        ph_exit_wait *px = &t->exits[j];
        if (px->x.pid == h->pid && (ph_exits_is(&px->x, h->start_key) || ph_exits_is(h, px->x.start_key)))
            return px;
        if (*i >= 0)
            break;
    }
    return NULL;
}

static void note_pid(ph_imap *at, int32_t pid, int idx)
{
    const int *i = ph_imap_get(at, pid);
    if (!i || *i != idx)
        ph_imap_put(at, pid, i ? -1 : idx);
}

/* Take the exits the source heard (kept until matched, even if this step
 * is undone); a later exit of the same pid supersedes a waiting one (a
 * leader thread that left first, then the whole process). */
void ph_exits_hear(ph_tracker *t, const ph_source *src)
{
    t->heard.n = 0;
    if (!src->exits || src->exits(src->ctx, &t->heard) != 0 || t->heard.n == 0)
        return;
    ph_imap at;
    ph_imap_init(&at);
    for (size_t j = 0; j < t->nexits; j++)
        note_pid(&at, t->exits[j].x.pid, (int)j);
    for (size_t k = 0; k < t->heard.n; k++) {
        ph_exit_wait *px = same_process(t, &at, &t->heard.v[k]);
        if (!px) {
            if (t->nexits == t->capexits) {
                t->capexits = t->capexits ? t->capexits * 2 : 64;
                t->exits = ph_xrealloc(t->exits, t->capexits * sizeof *t->exits);
            }
            note_pid(&at, t->heard.v[k].pid, (int)t->nexits);
            px = &t->exits[t->nexits++];
        }
        px->x = t->heard.v[k];
        px->matched = 0;
    }
    ph_imap_free(&at);
}

/* Phase 3's records left over: those whose process is not listed as
 * itself are of processes that lived between two samples (or whose
 * samples missed them); one whose process is listed waits (a zombie). */
int ph_exits_unseen(ph_tracker *t, const ph_source *src, const ph_sink *sink, const ph_tick *tick)
{
    for (size_t k = 0; k < t->nexits; k++) {
        ph_exit_wait *px = &t->exits[k];
        const ph_read *rd = ph_trk_read_of(t, px->x.pid);
        if (px->matched || (rd && rd->r != PH_READ_GONE && ph_exits_is(&px->x, rd->s.start_key)))
            continue; /* matched, or it is still there (a zombie): wait */
        if (exited_unseen(t, src, sink, tick, px) < 0)
            return -1;
    }
    return 0;
}

/*
 * Records matched are done. One whose process is still listed waits, for
 * as long as it is listed: a zombie its parent has not reaped yet (under a
 * fork storm a parent may reap late, and the record is the only account of
 * the process's last part), or a leader thread that left while the process
 * lives (its last record will supersede this one). Phase 3 leaves only
 * those unmatched, so the list is bounded by the processes listed.
 */
void ph_exits_commit(ph_tracker *t)
{
    size_t n = 0;
    for (size_t k = 0; k < t->nexits; k++)
        if (!t->exits[k].matched)
            t->exits[n++] = t->exits[k];
    t->nexits = n;
}
