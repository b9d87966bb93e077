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
    free(t->owed);
    free(t->work);
    free(t->pexit);
    free(t->reads);
    free(t->prow);
    free(t->paid);
    ph_exitlist_free(&t->heard);
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

/* I/O a waiting Linux parent's own counters receive from a reaped child. */
static const enum ph_metric reaped_io[] = {
    PH_M_DISK_READ_BYTES,    PH_M_DISK_WRITE_BYTES, PH_M_SYSCALL_READ_BYTES,
    PH_M_SYSCALL_WRITE_BYTES, PH_M_SYSCALLS_READ,   PH_M_SYSCALLS_WRITE,
};

static int64_t val(const ph_values *v, enum ph_metric m)
{
    return (v->have & PH_BIT(m)) ? v->v[m] : 0;
}

static ph_child_seen *push_seen(ph_child_seen **list, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *list = ph_xrealloc(*list, *cap * sizeof **list);
    }
    ph_child_seen *c = &(*list)[(*n)++];
    memset(c, 0, sizeof *c);
    c->prow = -1;
    return c;
}

/* A row of this step kept until its end (an exit row: the remainder of its
 * parent's reap may still be added to it). Returns its index. */
static int push_prow(ph_tracker *t, int64_t proc)
{
    if (t->nprow == t->capprow) {
        t->capprow = t->capprow ? t->capprow * 2 : 64;
        t->prow = ph_xrealloc(t->prow, t->capprow * sizeof *t->prow);
    }
    ph_row *r = &t->prow[t->nprow];
    memset(r, 0, sizeof *r);
    r->proc = proc;
    r->kind = PH_ROW_EXIT;
    return (int)t->nprow++;
}

static int cmp_seen(const void *a, const void *b)
{
    int32_t x = ((const ph_child_seen *)a)->ppid, y = ((const ph_child_seen *)b)->ppid;
    return (x > y) - (x < y);
}

static void sort_work(ph_tracker *t)
{
    if (t->nwork > 1 && t->nsorted < t->nwork)
        qsort(t->work, t->nwork, sizeof *t->work, cmp_seen);
    t->nsorted = t->nwork;
}

/* First entry of the sorted part of the work list owed to pid. */
static size_t first_owed(const ph_tracker *t, int32_t pid)
{
    return PH_LOWER_BOUND(t->work, t->nsorted, ppid, pid);
}

/* The next debt owed to pid not settled in this step, from *k on: the
 * sorted part of the work list by binary search, then its unsorted tail
 * (debts found during this step). Start with *k = first_owed(t, pid). */
static ph_child_seen *next_owed(ph_tracker *t, int32_t pid, size_t *k)
{
    for (; *k < t->nwork; (*k)++) {
        if (*k < t->nsorted && t->work[*k].ppid != pid) {
            *k = t->nsorted - 1; /* on to the unsorted tail */
            continue;
        }
        ph_child_seen *w = &t->work[*k];
        if (!w->used && w->ppid == pid) {
            (*k)++;
            return w;
        }
    }
    return NULL;
}

/* Index of the debt created in this step (work[from..]) by pid, or -1;
 * byp is those indices sorted by pid. */
static long new_debt_of(const ph_tracker *t, const size_t *byp, size_t n, int32_t pid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->work[byp[mid]].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && t->work[byp[lo]].pid == pid ? (long)byp[lo] : -1;
}

static const ph_tracker *sort_ctx;
static int cmp_by_pid(const void *a, const void *b)
{
    int32_t x = sort_ctx->work[*(const size_t *)a].pid, y = sort_ctx->work[*(const size_t *)b].pid;
    return (x > y) - (x < y);
}

/*
 * Debts follow the chain. A debt owed to a process that is gone in this
 * step is added to the debt of that process, or of its nearest ancestor not
 * gone in this step: the kernel passes what a process reaped up with it when
 * its own parent reaps it. Done once every gone process has its debt, so the
 * order they were found in (pid order) does not matter. Debts created in
 * this step are work[from..nwork).
 */
static void fold_chains(ph_tracker *t, size_t from)
{
    size_t n = t->nwork - from;
    if (n == 0)
        return;
    if (n > t->cappaid) {
        t->cappaid = n;
        t->paid = ph_xrealloc(t->paid, n * sizeof *t->paid);
    }
    size_t *byp = t->paid;
    for (size_t k = 0; k < n; k++)
        byp[k] = from + k;
    sort_ctx = t;
    qsort(byp, n, sizeof *byp, cmp_by_pid);
    for (size_t k = 0; k < t->nwork; k++) {
        ph_child_seen *w = &t->work[k];
        if (w->used)
            continue;
        long root = -1;
        int32_t up = w->ppid;
        for (int depth = 0; depth < 64; depth++) { /* a chain, not a cycle: bounded all the same */
            long j = new_debt_of(t, byp, n, up);
            if (j < 0 || (size_t)j == k)
                break; /* (a debt already folded is walked through: its own root is further up) */
            root = j;
            up = t->work[j].ppid;
        }
        if (root < 0)
            continue;
        ph_child_seen *r = &t->work[root];
        w->used = 1;
        w->folded = 1;
        w->into = r->pid; /* indices change when the list is sorted: the pid does not */
        w->into_proc = r->proc;
        for (int m = 0; m < PH_METRIC_COUNT; m++)
            r->v[m] += w->v[m];
        if (w->exact && w->proc > 0 && !w->keep)
            r->members += 1 + w->members; /* its remainder share goes to them too */
    }
}

/* The debt of a disappearing process to its parent: everything credited to
 * it (own, with the final row's deltas when its exit was heard, and its
 * children's columns) plus what its own children still owed it. */
static void owe(ph_child_seen *c, const ph_source *src, int32_t pid, int32_t ppid,
                const ph_values *last, const ph_values *final_delta, int64_t carry)
{
    c->pid = pid;
    c->ppid = ppid;
    for (size_t i = 0; i < PH_ARRAY_LEN(credit); i++)
        c->v[credit[i].child] = val(last, credit[i].own) + val(last, credit[i].child) +
                                (final_delta ? val(final_delta, credit[i].own) : 0);
    /* Its own debts may have taken more than its child times showed when it
     * was last read (a child's debt paid in the delta before its reap, within
     * the rounding slack): that carry was credited too (its child's row),
     * and is in what the kernel passes up, so it is owed as well. Otherwise
     * the grandparent's reap finds it again and gives it a second time. */
    c->v[PH_M_CHILD_CPU_USER_NS] += carry;
    if (src->reaped_io_in_parent)
        for (size_t i = 0; i < PH_ARRAY_LEN(reaped_io); i++)
            c->v[reaped_io[i]] = val(last, reaped_io[i]) + (final_delta ? val(final_delta, reaped_io[i]) : 0);
}

/* Was f folded into root d, with an exit row? A root with an identity is
 * known by it (a debt folded may be older than its root: a fork storm's
 * reaper that reaps a step after its child's record and exits; by pid and
 * age its share went to the reaper); one without, by pid in the same step. */
static int member_of(const ph_child_seen *f, const ph_child_seen *d)
{
    if (!(f->folded && f->into == d->pid && f->exact && f->proc > 0 && !f->keep))
        return 0;
    return d->proc > 0 ? f->into_proc == d->proc : f->age == d->age;
}

/* Add a remainder of CPU to the exit row of the debt's process: its row
 * of this step, or a new one in this step's sample. */
static void give(ph_tracker *t, ph_child_seen *w, int64_t user, int64_t sys)
{
    if (user <= 0 && sys <= 0)
        return;
    if (w->prow < 0)
        w->prow = push_prow(t, w->proc);
    ph_values *v = &t->prow[w->prow].vals;
    ph_values_set(v, PH_M_CPU_USER_NS, val(v, PH_M_CPU_USER_NS) + (user > 0 ? user : 0));
    ph_values_set(v, PH_M_CPU_SYSTEM_NS, val(v, PH_M_CPU_SYSTEM_NS) + (sys > 0 ? sys : 0));
}

/* Where a reaped child's I/O lands in its parent's own counters, a reap
 * in this delta shows there in full: what is left of the parent's I/O
 * delta (after the debts already paid) holds the child's. */
static int io_shows_reap(const ph_source *src, const ph_values *row, const ph_child_seen *w)
{
    if (!src->reaped_io_in_parent)
        return 1;
    for (size_t i = 0; i < PH_ARRAY_LEN(reaped_io); i++) {
        enum ph_metric m = reaped_io[i];
        if (w->v[m] > 0 && (row->have & PH_BIT(m)) && row->v[m] < w->v[m])
            return 0;
    }
    return 1;
}

/*
 * Subtract from a parent's deltas what its reaped children already had
 * credited. Debts whose child this step's listing shows reaped are paid
 * first (the parent was read after the listing: their reap is in this
 * delta); then those that may or may not be (gone when read, or born after
 * the listing), only when the parent's I/O shows them too; never one whose
 * child is still listed (a zombie: its reap comes later). Under load a
 * parent reaps several children in one interval: paying greedily in list
 * order let a child not yet reaped take the growth (within the slack) of
 * one that was, and its I/O was then taken from a delta that did not hold
 * it, and charged to the parent when the real reap came. A debt is paid only when what is left of the parent's child CPU
 * growth covers it: the reap is in this delta. Otherwise it waits. The
 * parent's user and system child times are each rounded down to the CPU unit
 * while an exit record's CPU is exact: two units of slack.
 * What the growth holds beyond them is those children's too (the CPU of
 * their exit after the record was sent): split evenly over the children
 * paid for, the shares of those with an exit record move from the parent's
 * child columns to their exit rows.
 */
static void pay_debts(ph_tracker *t, const ph_source *src, int32_t pid, ph_values *row, int64_t *carry)
{
    if (!(row->have & PH_BIT(PH_M_CHILD_CPU_USER_NS)))
        return; /* child times not read: the reap shows in a later delta */
    int64_t have_u = val(row, PH_M_CHILD_CPU_USER_NS), have_s = val(row, PH_M_CHILD_CPU_SYSTEM_NS);
    int64_t left = have_u + have_s, paid_u = 0, paid_s = 0, carried = *carry;
    size_t npaid = 0, nother = 0, nshares = 0;
    for (int pass = PH_REAP_DONE; pass <= PH_REAP_UNSURE; pass++) {
    size_t k = first_owed(t, pid);
    ph_child_seen *w;
    while ((w = next_owed(t, pid, &k)) != NULL) {
        if (w->reap != pass)
            continue; /* a zombie's (listed) never: its reap is not in any delta yet */
        int64_t need = w->v[PH_M_CHILD_CPU_USER_NS] + w->v[PH_M_CHILD_CPU_SYSTEM_NS];
        if (left + 2 * src->cpu_res_ns < need || (need == 0 && val(row, PH_M_CHILD_FAULTS_MINOR) <
                                                             w->v[PH_M_CHILD_FAULTS_MINOR]))
            continue;
        if (pass == PH_REAP_UNSURE && !io_shows_reap(src, row, w))
            continue;
        w->used = 1;
        left -= need;
        paid_u += w->v[PH_M_CHILD_CPU_USER_NS];
        paid_s += w->v[PH_M_CHILD_CPU_SYSTEM_NS];
        if (w->exact && w->proc > 0 && !w->keep) {
            if (npaid == t->cappaid) {
                t->cappaid = t->cappaid ? t->cappaid * 2 : 64;
                t->paid = ph_xrealloc(t->paid, t->cappaid * sizeof *t->paid);
            }
            t->paid[npaid++] = (size_t)(w - t->work);
            nshares += 1 + (size_t)w->members;
        } else {
            nother++;
        }
        if (w->keep)
            continue; /* no row holds it: it stays in the child columns */
        /* the debt holds only child_* metrics, and own I/O where reaped I/O
         * lands in the parent: every metric it has is owed */
        for (int m = 0; m < PH_METRIC_COUNT; m++)
            if (w->v[m] && (row->have & PH_BIT(m)))
                row->v[m] = row->v[m] > w->v[m] ? row->v[m] - w->v[m] : 0;
    }
    }
    /* What the debts took beyond the growth is the kernel's rounding down
     * of the parent's child times (bounded by it): the next growth pays it
     * back, so the parent's columns and the children's rows add up to the
     * parent's child times over any span, not to more. */
    int64_t rem = (have_u + have_s) - (paid_u + paid_s) - carried;
    int64_t bound = 2 * src->cpu_res_ns;
    *carry = rem < 0 ? (-rem < bound ? -rem : bound) : 0;
    int64_t res_u = row->v[PH_M_CHILD_CPU_USER_NS], res_s = val(row, PH_M_CHILD_CPU_SYSTEM_NS);
    if (carried > 0) { /* last delta's excess, out of this one's columns */
        int64_t c = carried, take = res_s < c ? res_s : c;
        res_s -= take;
        c -= take;
        res_u -= res_u < c ? res_u : c;
    }
    if (npaid && rem > 0) {
        /* Each child reaped in this delta takes an even share (a wrapper's
         * debt with the children folded into it counts them all); the
         * shares of those without an exit record stay in the parent's child
         * columns, where no row credits them (as without exit records). */
        rem = (int64_t)((long double)rem * (long double)nshares / (long double)(nshares + nother));
        int64_t rem_s = res_s < rem ? res_s : rem;
        int64_t rem_u = rem - rem_s;
        if (rem_u > res_u) /* the rest was rounded away: not given */
            rem_u = res_u;
        res_s -= rem_s;
        res_u -= rem_u;
        int64_t n = (int64_t)nshares, g = 0;
        for (size_t i = 0; i < npaid; i++) {
            ph_child_seen *d = &t->work[t->paid[i]];
            int64_t cnt = 1 + d->members;
            /* even shares; the last takes what the division leaves */
            int64_t u = i + 1 == npaid ? rem_u - rem_u / n * g : rem_u / n * cnt;
            int64_t sy = i + 1 == npaid ? rem_s - rem_s / n * g : rem_s / n * cnt;
            g += cnt;
            if (!d->members) {
                give(t, d, u, sy);
                continue;
            }
            /* split between the wrapper and what was folded into it */
            int64_t found = 0;
            for (size_t j = 0; j < t->nwork; j++)
                found += member_of(&t->work[j], d);
            int64_t pu = u / (1 + found), ps = sy / (1 + found);
            give(t, d, u - pu * found, sy - ps * found);
            for (size_t j = 0; found && j < t->nwork; j++) {
                if (member_of(&t->work[j], d))
                    give(t, &t->work[j], pu, ps);
            }
        }
    }
    row->v[PH_M_CHILD_CPU_USER_NS] = res_u > 0 ? res_u : 0;
    if (row->have & PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS))
        row->v[PH_M_CHILD_CPU_SYSTEM_NS] = res_s > 0 ? res_s : 0;
}

/* Read this step, by pid (t->reads is in listing order). */
static ph_read *read_of(const ph_tracker *t, int32_t pid)
{
    size_t lo = PH_LOWER_BOUND(t->reads, t->nreads, pid, pid);
    return lo < t->nreads && t->reads[lo].pid == pid ? (ph_read *)&t->reads[lo] : NULL;
}

/* Is the process listed with this start_key the child of debt w? */
static int debt_is(const ph_child_seen *w, uint64_t start_key)
{
    return start_key <= w->key + 1 && start_key + w->key_slack >= w->key;
}

/*
 * Can the process whose start_key this is be the one of exit record x? Its
 * start is estimated late by up to the slack (plus a tick of rounding).
 * PIDs are reused (32,768 of them by default, a wrap every half minute
 * under heavy churn): a record must never be matched, or kept waiting, for
 * another process that holds its pid now.
 */
static int exit_is(const ph_exit *x, uint64_t start_key)
{
    return start_key <= x->start_key + 1 && start_key + x->start_key_slack >= x->start_key;
}

/* The exit heard for this process not matched yet, or NULL. Of several
 * records for its pid that could be its own (the pid was reused within the
 * window), the one whose estimated start is earliest: a later process with
 * the same pid started later, and estimates are late, never early. */
static ph_pending_exit *claim_exit(ph_tracker *t, int32_t pid, uint64_t start_key)
{
    ph_pending_exit *best = NULL;
    for (size_t i = 0; i < t->npexit; i++) {
        ph_pending_exit *px = &t->pexit[i];
        if (!px->used && px->x.pid == pid && exit_is(&px->x, start_key) &&
            (!best || px->x.start_key < best->x.start_key))
            best = px;
    }
    if (best)
        best->used = 1;
    return best;
}

/* The app of a process known only by its name. */
static void app_of(const ph_source *src, const char *name, char *app, size_t len)
{
    if (src->app_of)
        src->app_of(src->ctx, name, app, len);
    else
        snprintf(app, len, "%s", name);
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
                const ph_entry *e, ph_child_seen *debt, ph_tick_stats *st)
{
    ph_pending_exit *px = claim_exit(t, e->pid, e->start_key);
    ph_row row;
    memset(&row, 0, sizeof row);
    debt->prow = -1;
    if (px) {
        const ph_values *fin = &px->x.vals, *last = &e->last;
        int reaped = val(last, PH_M_CHILD_FAULTS_MINOR) > 0 || val(last, PH_M_CHILD_CPU_USER_NS) > 0 ||
                     val(last, PH_M_CHILD_CPU_SYSTEM_NS) > 0;
        ph_mask take = ph_metric_counters() & fin->have & last->have;
        if (reaped && src->reaped_io_in_parent)
            for (size_t i = 0; i < PH_ARRAY_LEN(reaped_io); i++)
                take &= ~PH_BIT(reaped_io[i]);
        for (int m = 0; m < PH_METRIC_COUNT; m++) {
            if (!(take & PH_BIT(m)))
                continue;
            if (fin->v[m] > last->v[m])
                ph_values_set(&row.vals, (enum ph_metric)m, fin->v[m] - last->v[m]);
        }
        if (row.vals.have && (fin->have & PH_BIT(PH_M_PEAK_RESIDENT_BYTES)))
            ph_values_set(&row.vals, PH_M_PEAK_RESIDENT_BYTES, fin->v[PH_M_PEAK_RESIDENT_BYTES]);
        debt->prow = push_prow(t, e->proc);
        t->prow[debt->prow].vals = row.vals;
        debt->proc = e->proc;
        debt->exact = 1;
        if (px->x.name[0] && strcmp(px->x.name, e->name) != 0) {
            ph_proc_info info;
            char app[PH_NAME_MAX];
            memset(&info, 0, sizeof info);
            app_of(src, px->x.name, app, sizeof app);
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
    owe(debt, src, e->pid, e->ppid, &e->last, px ? &row.vals : NULL, e->child_carry);
    debt->key = e->start_key;
    return report_gone(sink, e, st);
}

/* An exit heard for a process no sample saw: its own identity and one row
 * with its whole life (kept until the step's end), when it lived after the
 * previous sample. Otherwise it is not charged, and its parent's reap of it
 * stays in the parent's child columns. */
static int exited_unseen(ph_tracker *t, const ph_source *src, const ph_sink *sink,
                         const ph_tick *tick, ph_pending_exit *px, ph_tick_stats *st)
{
    const ph_exit *x = &px->x;
    px->used = 1;
    ph_child_seen c;
    ph_values none;
    memset(&c, 0, sizeof c);
    memset(&none, 0, sizeof none);
    c.prow = -1;
    c.key = x->start_key;
    c.key_slack = x->start_key_slack;
    /* Not listed as itself (phase 3 leaves the listed ones waiting): reaped
     * before the listing if it was born before it (births are estimated
     * late, never early; tick->boot_ns is read before the listing); one
     * listed but gone when read, or born since, may have been reaped after
     * its parent's read. Another process holding its pid: reaped before. */
    const ph_read *rd = read_of(t, x->pid);
    c.reap = rd ? (rd->r == PH_READ_GONE ? PH_REAP_UNSURE : PH_REAP_DONE)
                : (x->start_boot_ns <= tick->boot_ns ? PH_REAP_DONE : PH_REAP_UNSURE);
    if (!x->whole || tick->prev_boot_ns < 0 || x->start_boot_ns + x->start_res_ns <= tick->prev_boot_ns) {
        /* part of its life may lie outside the window: not charged, but its
         * CPU is known to be in its parent's next reap */
        owe(&c, src, x->pid, x->ppid, &none, &x->vals, 0);
        c.key = x->start_key;
        c.key_slack = x->start_key_slack;
        c.keep = 1;
        *push_seen(&t->work, &t->nwork, &t->capwork) = c;
        return 0;
    }
    ph_proc_info info;
    char app[PH_NAME_MAX];
    memset(&info, 0, sizeof info);
    app_of(src, x->name, app, sizeof app);
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
    int64_t proc = 0;
    if (sink->proc_new(sink->ctx, &info, &proc) < 0 || sink->proc_gone(sink->ctx, proc) < 0)
        return -1;
    (void)st;
    owe(&c, src, x->pid, x->ppid, &none, &x->vals, 0);
    c.key = x->start_key;
    c.key_slack = x->start_key_slack;
    c.proc = proc;
    c.exact = 1;
    c.prow = push_prow(t, proc);
    t->prow[c.prow].vals = x->vals;
    *push_seen(&t->work, &t->nwork, &t->capwork) = c; /* unsorted tail until sort_work */
    return 0;
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
        pay_debts(t, src, s->pid, &row.vals, &e->child_carry); /* children it reaped since birth */
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
    if (s->name[0] && (strcmp(e->name, s->name) != 0 || uid_changed)) {
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
    pay_debts(t, src, e->pid, &row.vals, &e->child_carry);
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

/* Take the exits the source heard (kept until matched, even if this step
 * is undone); a later exit of the same pid supersedes a waiting one (a
 * leader thread that left first, then the whole process). */
static void hear_exits(ph_tracker *t, const ph_source *src)
{
    t->heard.n = 0;
    if (!src->exits || src->exits(src->ctx, &t->heard) != 0)
        return;
    for (size_t k = 0; k < t->heard.n; k++) {
        ph_pending_exit *px = NULL;
        for (size_t j = 0; j < t->npexit && !px; j++) /* the same process heard again */
            if (t->pexit[j].x.pid == t->heard.v[k].pid &&
                (exit_is(&t->pexit[j].x, t->heard.v[k].start_key) || exit_is(&t->heard.v[k], t->pexit[j].x.start_key)))
                px = &t->pexit[j];
        if (!px) {
            if (t->npexit == t->cappexit) {
                t->cappexit = t->cappexit ? t->cappexit * 2 : 64;
                t->pexit = ph_xrealloc(t->pexit, t->cappexit * sizeof *t->pexit);
            }
            px = &t->pexit[t->npexit++];
        }
        px->x = t->heard.v[k];
        px->age = 0;
        px->used = 0;
    }
}

/*
 * A step in four phases. 1: list and read every process. 2: take the exit
 * records, only now: a process reaped before its parent was read exited
 * before that read, so its record is already here. 3: close every identity
 * that is gone (no longer listed, gone when read, or its pid reused), with
 * its exit record when there is one, and give processes no sample saw their
 * rows; each leaves a debt to its parent. 4: make the rows of the live
 * processes, parents paying their children's debts.
 */
int ph_tracker_step(ph_tracker *t, const ph_source *src, const ph_sink *sink,
                    const ph_tick *tick, ph_tick_stats *st)
{
    memset(st, 0, sizeof *st);
    t->nnext = 0;
    for (size_t k = 0; k < t->npexit; k++)
        t->pexit[k].used = 0;
    if (src->list(src->ctx, &t->pids) < 0)
        return -1;

    /* 1: read */
    t->nreads = 0;
    size_t i = 0;
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
        rd->r = src->read(src->ctx, pid, old ? &hint : NULL, &rd->s);
        rd->old = old;
        if (old && rd->r != PH_READ_GONE && old->start_key != rd->s.start_key)
            rd->old = NULL; /* the pid was reused: the old process is gone */
    }

    /* 2: exits */
    hear_exits(t, src);

    /* 3: what is gone, owing its parent */
    t->nwork = 0;
    t->nprow = 0;
    for (size_t k = 0; k < t->nowed; k++) {
        const ph_child_seen *o = &t->owed[k];
        int reap = PH_REAP_DONE; /* it was gone before this listing: not listed, reaped */
        ph_read *rd = o->folded ? NULL : read_of(t, o->pid);
        if (rd && rd->r != PH_READ_GONE && debt_is(o, rd->s.start_key)) {
            if (!(o->exact && o->proc > 0))
                continue; /* read gone, listed again: it owes anew when it goes */
            /* A zombie whose record came before it was listed: its exit row
             * is written, its reap is to come. It is not a new process. */
            reap = PH_REAP_LISTED;
            rd->closed = 1;
        }
        ph_child_seen *w = push_seen(&t->work, &t->nwork, &t->capwork);
        *w = *o;
        w->used = o->folded; /* folded: never paid itself */
        w->prow = -1; /* its exit row was written in its own step */
        w->reap = reap;
    }
    size_t nold = t->nwork;
    t->nsorted = 0;
    sort_work(t);
    size_t ri = 0; /* cur and reads are both in pid order: one merge walk */
    for (size_t k = 0; k < t->ncur; k++) {
        const ph_entry *e = &t->cur[k];
        while (ri < t->nreads && t->reads[ri].pid < e->pid)
            ri++;
        const ph_read *rd = ri < t->nreads && t->reads[ri].pid == e->pid ? &t->reads[ri] : NULL;
        if (rd && rd->r != PH_READ_GONE && rd->old == e)
            continue; /* still there */
        ph_child_seen debt;
        memset(&debt, 0, sizeof debt);
        if (gone(t, src, sink, tick, e, &debt, st) < 0)
            return -1;
        /* listed but gone when read: reaped before or after its parent's
         * read; not listed (or its pid reused): reaped before the listing */
        debt.reap = rd && rd->r == PH_READ_GONE ? PH_REAP_UNSURE : PH_REAP_DONE;
        *push_seen(&t->work, &t->nwork, &t->capwork) = debt; /* unsorted tail */
    }
    for (size_t k = 0; k < t->npexit; k++) {
        ph_pending_exit *px = &t->pexit[k];
        const ph_read *rd = read_of(t, px->x.pid);
        if (px->used || (rd && rd->r != PH_READ_GONE && exit_is(&px->x, rd->s.start_key)))
            continue; /* matched, or it is still there (a zombie): wait */
        if (exited_unseen(t, src, sink, tick, px, st) < 0)
            return -1;
    }
    fold_chains(t, nold);
    sort_work(t);

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
    for (size_t k = 0; k < t->nprow; k++) {
        if (!t->prow[k].vals.have)
            continue;
        if (sink->row(sink->ctx, &t->prow[k]) < 0)
            return -1;
        st->rows++;
        st->exits++;
    }
    t->nprow = 0;
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
    /* Debts not paid wait two more samples; a zombie's waits while it is
     * listed (bounded by the processes listed), its samples not counted. */
    t->nowed = 0;
    for (size_t k = 0; k < t->nwork; k++) {
        int listed = t->work[k].reap == PH_REAP_LISTED && !t->work[k].used;
        if ((!t->work[k].used || t->work[k].folded) && (t->work[k].age < 2 || listed)) {
            ph_child_seen *c = push_seen(&t->owed, &t->nowed, &t->capowed);
            *c = t->work[k];
            c->age += !listed;
        }
    }
    t->nwork = 0;
    /* Exits matched are done; one whose process is still listed (a zombie
     * its parent has not reaped yet, however long: under a fork storm a
     * parent may reap late; or a leader thread that left while the process
     * lives, whose last record will supersede this one) waits: phase 3
     * leaves only those unmatched, so the list is bounded by the processes
     * listed. */
    size_t n = 0;
    for (size_t k = 0; k < t->npexit; k++)
        if (!t->pexit[k].used) {
            t->pexit[n] = t->pexit[k];
            t->pexit[n++].age++;
        }
    t->npexit = n;
}

void ph_tracker_abort(ph_tracker *t)
{
    t->nnext = 0;
    t->nwork = 0;
    t->nprow = 0;
    for (size_t k = 0; k < t->npexit; k++)
        t->pexit[k].used = 0;
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

static void src_app_of(void *ctx, const char *name, char *app, size_t len)
{
    (void)ctx;
    ph_app_of_name(name, app, len);
}

ph_source ph_platform_source(ph_platform *p)
{
    ph_source s = {p, src_list, src_read, src_ident, src_power, src_exits, ph_platform_reaped_io_in_parent(),
                   ph_platform_cpu_res_ns(p), src_coalition, src_app_of};
    return s;
}
