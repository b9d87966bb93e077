/*
 * Debts: what a gone child owes its parent, and paying it from the
 * parent's child deltas (see include/ph_tracker.h for the contract, and
 * tracker_int.h for the words).
 *
 * A step's debts are one list (t->debts): those still waiting from earlier
 * steps, sorted by the parent they are owed to, then those found in this
 * step, appended unsorted and sorted once phase 3 is done. A parent finds
 * its own by binary search on the sorted part, then a walk of the tail.
 */
#include "tracker_int.h"
#include "ph_util.h"

#include <stdlib.h>
#include <string.h>

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
const enum ph_metric ph_reaped_io[PH_NREAPED_IO] = {
    PH_M_DISK_READ_BYTES,    PH_M_DISK_WRITE_BYTES, PH_M_SYSCALL_READ_BYTES,
    PH_M_SYSCALL_WRITE_BYTES, PH_M_SYSCALLS_READ,   PH_M_SYSCALLS_WRITE,
};


static ph_debt *debt_push(ph_debt **list, size_t *n, size_t *cap)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 64;
        *list = ph_xrealloc(*list, *cap * sizeof **list);
    }
    ph_debt *c = &(*list)[(*n)++];
    memset(c, 0, sizeof *c);
    c->exit_row = -1;
    return c;
}

static int cmp_debt(const void *a, const void *b)
{
    int32_t x = ((const ph_debt *)a)->ppid, y = ((const ph_debt *)b)->ppid;
    return (x > y) - (x < y);
}

void ph_debts_sort(ph_tracker *t)
{
    if (t->ndebts > 1 && t->nsorted < t->ndebts)
        qsort(t->debts, t->ndebts, sizeof *t->debts, cmp_debt);
    t->nsorted = t->ndebts;
}

/* First debt of the sorted part of this step's debts owed to pid. */
static size_t debts_first(const ph_tracker *t, int32_t pid)
{
    return PH_LOWER_BOUND(t->debts, t->nsorted, ppid, pid);
}

/* The next debt owed to pid not settled in this step, from *k on: the
 * sorted part of this step's debts by binary search, then its unsorted tail
 * (debts found during this step). Start with *k = debts_first(t, pid). */
static ph_debt *debts_next(ph_tracker *t, int32_t pid, size_t *k)
{
    for (; *k < t->ndebts; (*k)++) {
        if (*k < t->nsorted && t->debts[*k].ppid != pid) {
            *k = t->nsorted - 1; /* on to the unsorted tail */
            continue;
        }
        ph_debt *w = &t->debts[*k];
        if (!w->settled && w->ppid == pid) {
            (*k)++;
            return w;
        }
    }
    return NULL;
}

/* Index of the debt created in this step (debts[from..]) by pid, or -1;
 * byp is those indices sorted by pid. */
static long new_debt_by_pid(const ph_tracker *t, const size_t *byp, size_t n, int32_t pid)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t->debts[byp[mid]].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && t->debts[byp[lo]].pid == pid ? (long)byp[lo] : -1;
}

static const ph_tracker *sort_ctx;
static int cmp_by_pid(const void *a, const void *b)
{
    int32_t x = sort_ctx->debts[*(const size_t *)a].pid, y = sort_ctx->debts[*(const size_t *)b].pid;
    return (x > y) - (x < y);
}

/* The debt of an earlier step (debts[0..from)) left by the process that
 * was c's parent, or -1: the youngest of that pid (a pid is reused) that
 * started no later than c, while no process of that pid is read alive in
 * this step. Only for a c that exited its parent's child: its exit record,
 * when there is one, names the parent it had then (a child whose parent
 * exited first was handed to another, which reaped it). */
static long old_debt_of(const ph_tracker *t, size_t from, const ph_debt *c)
{
    if (c->exit_ppid && c->exit_ppid != c->ppid)
        return -1;
    const ph_read *rd = ph_trk_read_of(t, c->ppid);
    if (rd && rd->r != PH_READ_GONE && !rd->closed)
        return -1; /* its parent lives (a zombie listed with its debt is closed) */
    long best = -1;
    for (size_t j = 0; j < from; j++) {
        const ph_debt *p = &t->debts[j];
        if (p->pid != c->ppid || p == c || p->key > c->key + 1 + p->key_slack)
            continue;
        if (best < 0 || p->age < t->debts[best].age)
            best = (long)j;
    }
    return best;
}

/*
 * Debts follow the chain. A debt owed to a process that is gone is added to
 * the debt of that process, or of its nearest ancestor whose debt is still
 * owed (its ROOT): the kernel passes what a process reaped up with it when
 * its own parent reaps it, so the root's parent pays the whole subtree from
 * one growth. Done once every gone process has its debt, so the order they
 * were found in (pid order) does not matter. Debts created in this step are
 * t->debts[from..ndebts).
 * The parent may have been found gone a step before its child: after the
 * pid space wrapped, a child with a lower pid is read alive, then exits and
 * is reaped by its parent, which exits and is reaped before its own read
 * (gone when read); the child is found gone at the next listing. Its debt
 * is folded into the parent's debt of that earlier step while that one is
 * still owed (waiting, or folded into an ancestor's that is): the
 * grandparent's reap of the parent holds the child, and paying the parent's
 * debt without it gave the child's whole CPU again as the reap's remainder
 * (chain2 +100.9%: an inner shell and its spinner, 1.5 s). Where the
 * parent's debt was paid already, the reap that held the child was shared
 * out in that step, and nothing written then can be taken back: the child's
 * debt waits as before. That is why such a child is read again in its
 * parent's step (tracker.c, read_again) and is mostly found gone there;
 * this is for the child that read still saw.
 */
void ph_debts_fold(ph_tracker *t, size_t from)
{
    size_t n = t->ndebts - from;
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
    for (size_t k = 0; k < t->ndebts; k++) {
        ph_debt *w = &t->debts[k];
        if (w->settled)
            continue;
        long root = -1;
        const ph_debt *c = w; /* the child of `up` */
        int fresh = k >= from; /* the chain holds a debt found in this step */
        for (int depth = 0; depth < 64; depth++) { /* a chain, not a cycle: bounded all the same */
            long j = new_debt_by_pid(t, byp, n, c->ppid);
            if (j >= 0)
                fresh = 1;
            else if (fresh)
                j = old_debt_of(t, from, c); /* the parent found gone a step before */
            if (j < 0 || (size_t)j == k)
                break;
            /* a debt already folded is walked through: its own root is further up;
             * one of an earlier step is a root only while it is owed */
            if ((size_t)j >= from || !t->debts[j].settled)
                root = j;
            c = &t->debts[j];
        }
        if (root < 0)
            continue;
        ph_debt *r = &t->debts[root];
        w->settled = 1;
        w->folded = 1;
        w->stale = k < from;
        w->root_pid = r->pid; /* indices change when the list is sorted: the pid does not */
        w->root_proc = r->proc;
        if ((size_t)root < from && k >= from)
            w->age = r->age; /* kept as long as its root, and known by it without an identity */
        for (int m = 0; m < PH_METRIC_COUNT; m++)
            r->owed[m] += w->owed[m];
        r->nfolded++;
        if (w->has_exit && w->proc > 0 && !w->uncharged)
            r->members += 1 + w->members; /* its remainder share goes to them too */
    }
}

/* The debt of a disappearing process to its parent: everything credited to
 * it (own, with the final row's deltas when its exit was heard, and its
 * children's columns) plus what its own children still owed it. */
void ph_debt_set(ph_debt *c, const ph_source *src, int32_t pid, int32_t ppid,
                const ph_values *last, const ph_values *final_delta, int64_t carry)
{
    c->pid = pid;
    c->ppid = ppid;
    for (size_t i = 0; i < PH_ARRAY_LEN(credit); i++)
        c->owed[credit[i].child] = ph_val(last, credit[i].own) + ph_val(last, credit[i].child) +
                                (final_delta ? ph_val(final_delta, credit[i].own) : 0);
    /* Its own debts may have taken more than its child times showed when it
     * was last read (a child's debt paid in the delta before its reap, within
     * the rounding slack): that carry was credited too (its child's row),
     * and is in what the kernel passes up, so it is owed as well. Otherwise
     * the grandparent's reap finds it again and gives it a second time. */
    c->owed[PH_M_CHILD_CPU_USER_NS] += carry;
    c->held_cpu = ph_val(last, PH_M_CHILD_CPU_USER_NS) + ph_val(last, PH_M_CHILD_CPU_SYSTEM_NS) + carry;
    c->held_flt = ph_val(last, PH_M_CHILD_FAULTS_MINOR);
    if (src->reaped_io_in_parent)
        for (size_t i = 0; i < PH_NREAPED_IO; i++)
            c->owed[ph_reaped_io[i]] = ph_val(last, ph_reaped_io[i]) + (final_delta ? ph_val(final_delta, ph_reaped_io[i]) : 0);
}

/* Was f folded into root d, with an exit row? A root with an identity is
 * known by it (a debt folded may be older than its root: a fork storm's
 * reaper that reaps a step after its child's record and exits; by pid and
 * age its share went to the reaper); one without, by pid in the same step. */
static int member_of(const ph_debt *f, const ph_debt *d)
{
    if (!(f->folded && f->root_pid == d->pid && f->has_exit && f->proc > 0 && !f->uncharged))
        return 0;
    return d->proc > 0 ? f->root_proc == d->proc : f->age == d->age;
}

/* Add a remainder of CPU to the exit row of the debt's process: its row
 * of this step, or a new one in this step's sample. */
static void give_share(ph_tracker *t, ph_debt *w, int64_t user, int64_t sys)
{
    if (user <= 0 && sys <= 0)
        return;
    if (w->exit_row < 0)
        w->exit_row = ph_trk_exit_row(t, w->proc);
    ph_values *v = &t->exit_rows[w->exit_row].vals;
    ph_values_set(v, PH_M_CPU_USER_NS, ph_val(v, PH_M_CPU_USER_NS) + (user > 0 ? user : 0));
    ph_values_set(v, PH_M_CPU_SYSTEM_NS, ph_val(v, PH_M_CPU_SYSTEM_NS) + (sys > 0 ? sys : 0));
}

/* Was f folded into the debt d (whatever its exit record)? */
static int folded_into(const ph_debt *f, const ph_debt *d)
{
    if (!(f->folded && f->root_pid == d->pid && f != d))
        return 0;
    return d->proc > 0 ? f->root_proc == d->proc : f->age == d->age;
}

/* Where a reaped child's I/O lands in its parent's own counters, a reap
 * in this delta shows there in full: what is left of the parent's I/O
 * delta (after the debts already paid) holds the child's. What it holds
 * for sure is the child's own last read: the I/O of the children folded
 * into its debt may be in that read already. A process's I/O is read after
 * its stat, and a child it reaps between the two is in its I/O but not in
 * its child times and faults: that child's debt waits, is folded into the
 * wrapper's when the wrapper goes, and holds its I/O a second time (a
 * shell's growth, exact in CPU and faults for a loop of 200 `true`, was
 * refused for a few bytes, and the loop counted twice). Faults and CPU
 * still say whether the reap is in the delta. */
static int io_shows_reap(const ph_tracker *t, const ph_source *src, const ph_values *row,
                         const ph_debt *w)
{
    if (!src->reaped_io_in_parent)
        return 1;
    for (size_t i = 0; i < PH_NREAPED_IO; i++) {
        enum ph_metric m = ph_reaped_io[i];
        int64_t need = w->owed[m];
        for (size_t j = 0; w->nfolded && need > 0 && j < t->ndebts; j++) {
            const ph_debt *f = &t->debts[j];
            if (folded_into(f, w) && !f->unfolded)
                need -= f->owed[m];
        }
        if (need > 0 && (row->have & PH_BIT(m)) && row->v[m] < need)
            return 0;
    }
    return 1;
}

/* Does what is left of the parent's delta hold debt w? CPU within the
 * kernel's rounding; where `strict`, also its reaped I/O, and its child
 * minor faults exactly where those are read. */
static int shows(const ph_tracker *t, const ph_source *src, const ph_values *row, const ph_debt *w,
                 int64_t left, int64_t left_flt, int by_faults, int strict)
{
    int64_t need = w->owed[PH_M_CHILD_CPU_USER_NS] + w->owed[PH_M_CHILD_CPU_SYSTEM_NS];
    if (left + 2 * src->cpu_res_ns < need)
        return 0;
    return !strict || (io_shows_reap(t, src, row, w) &&
                       (!by_faults || left_flt >= w->owed[PH_M_CHILD_FAULTS_MINOR]));
}

/*
 * A debt with others folded into it that the parent's delta does not hold
 * may count one of them twice. A wrapper's last read holds the reap of
 * every child it reaped before that read, but a child's debt is paid only
 * when a delta shows it, and under load the choice between children whose
 * reap is unsure is made on CPU and fault counts that differ by a few
 * units: a child not yet reaped may be paid from the growth of one that
 * was, which then waits. When the wrapper exits, the one that waited is
 * folded into its debt, on top of the wrapper's child columns that hold it
 * already; the grandparent's growth never covers that debt, which waits
 * and is dropped, and the whole of the wrapper's children stays in the
 * grandparent's child columns as well as in the children's rows (a loop of
 * 200 x 10 ms children: 2.2 s counted twice for 50 faults too many). The
 * same holds for a child read alive before its wrapper (a lower pid) and
 * reaped before the wrapper's read.
 * Such folded debts are taken out of the debt, one at a time, until the
 * delta holds what is left exactly (faults and reaped I/O too, whatever
 * the pass): those folded from an earlier step (their wrapper was read
 * after their child was gone) first; of those, the largest no larger than
 * what the delta lacks (in faults where they are read, else in CPU), else
 * the smallest larger; all those of one parent together no more than that
 * parent's last read held of its children (what can be counted twice: a
 * wrapper whose reap is not in this delta is not paid stripped of the
 * children it had not reaped when last read; the parent may be a wrapper
 * inside the wrapper, gone with it). What is taken out leaves the debt:
 * its share of a remainder is not given, and its child stays counted in
 * its own rows and in the wrapper's child columns (one child, not the
 * wrapper's whole subtree).
 * Returns 1 when the debt, so reduced, is paid from this delta; 0 leaves
 * it as it was.
 */
/* The debt of f's parent among w and what was folded into w (f's own
 * parent may be gone with it: a chain of wrappers), else w. */
static ph_debt *parent_in(ph_tracker *t, ph_debt *w, const ph_debt *f)
{
    if (f->ppid != w->pid)
        for (size_t j = 0; j < t->ndebts; j++) {
            ph_debt *p = &t->debts[j];
            if (p != f && p->pid == f->ppid && folded_into(p, w))
                return p;
        }
    return w;
}

static int unfold_double(ph_tracker *t, const ph_source *src, const ph_values *row, ph_debt *w,
                         int64_t left, int64_t left_flt, int by_faults)
{
    if (w->nfolded == 0)
        return 0;
    ph_debt trial = *w;
    int taken = 0;
    for (;;) {
        int64_t need = trial.owed[PH_M_CHILD_CPU_USER_NS] + trial.owed[PH_M_CHILD_CPU_SYSTEM_NS];
        int64_t lack_flt = by_faults ? trial.owed[PH_M_CHILD_FAULTS_MINOR] - left_flt : 0;
        int64_t lack = lack_flt > 0 ? lack_flt : need - (left + 2 * src->cpu_res_ns);
        if (lack <= 0)
            break; /* what the delta lacks is reaped I/O: not a child counted twice */
        /* the largest no larger than what is lacking, else the smallest
         * larger; the stale before the others */
        ph_debt *below = NULL, *above = NULL;
        int64_t below_n = 0, above_n = 0;
        for (size_t j = 0; j < t->ndebts; j++) {
            ph_debt *f = &t->debts[j];
            if (!folded_into(f, w) || f->unfolded)
                continue;
            int64_t f_cpu = f->owed[PH_M_CHILD_CPU_USER_NS] + f->owed[PH_M_CHILD_CPU_SYSTEM_NS];
            int64_t f_flt = f->owed[PH_M_CHILD_FAULTS_MINOR];
            int64_t n = lack_flt > 0 ? f_flt : f_cpu;
            const ph_debt *p = parent_in(t, w, f);
            if (n <= 0 || f_cpu > p->held_cpu + 2 * src->cpu_res_ns || (by_faults && f_flt > p->held_flt))
                continue; /* more than its parent's last read held of its children */
            if (n <= lack) {
                if (!below || f->stale > below->stale || (f->stale == below->stale && n > below_n)) {
                    below = f;
                    below_n = n;
                }
            } else if (!above || f->stale > above->stale || (f->stale == above->stale && n < above_n)) {
                above = f;
                above_n = n;
            }
        }
        ph_debt *f = below ? below : above;
        if (!f)
            break;
        for (int m = 0; m < PH_METRIC_COUNT; m++)
            trial.owed[m] -= f->owed[m];
        ph_debt *p = parent_in(t, w, f); /* what its read held is taken as far */
        p->held_cpu -= f->owed[PH_M_CHILD_CPU_USER_NS] + f->owed[PH_M_CHILD_CPU_SYSTEM_NS];
        p->held_flt -= f->owed[PH_M_CHILD_FAULTS_MINOR];
        f->unfolded = 1;
        taken++;
        if (shows(t, src, row, &trial, left, left_flt, by_faults, 1))
            goto paid;
    }
    for (size_t j = 0; taken && j < t->ndebts; j++) { /* not enough: all put back */
        ph_debt *f = &t->debts[j];
        if (!(f->unfolded && folded_into(f, w)))
            continue;
        ph_debt *p = parent_in(t, w, f);
        p->held_cpu += f->owed[PH_M_CHILD_CPU_USER_NS] + f->owed[PH_M_CHILD_CPU_SYSTEM_NS];
        p->held_flt += f->owed[PH_M_CHILD_FAULTS_MINOR];
        f->unfolded = 0;
    }
    return 0;
paid:
    for (int m = 0; m < PH_METRIC_COUNT; m++)
        w->owed[m] = trial.owed[m];
    for (size_t j = 0; j < t->ndebts; j++) {
        ph_debt *f = &t->debts[j];
        if (!(f->unfolded && folded_into(f, w)))
            continue;
        if (f->has_exit && f->proc > 0 && !f->uncharged)
            w->members -= 1 + f->members;
        w->nfolded--;
        f->root_pid = 0; /* no longer the wrapper's: no share of its remainder */
        f->root_proc = 0;
    }
    if (w->members < 0)
        w->members = 0;
    return 1;
}

/*
 * Subtract from a parent's deltas what its reaped children already had
 * credited. Debts whose child this step's listing shows reaped are paid
 * first (the parent was read after the listing: their reap is in this
 * delta); then those that may or may not be (gone when read, or born after
 * the listing), only when the parent's I/O shows them too; last, where
 * child faults are read, those whose child the listing showed as a zombie:
 * read before its parent (a lower pid, after the pid space wrapped), it
 * may have been reaped in between, and the exact fault count shows it
 * (without faults they wait: the reap comes later). Under load a
 * parent reaps several children in one interval: paying greedily in list
 * order let a child not yet reaped take the growth (within the slack) of
 * one that was, and its I/O was then taken from a delta that did not hold
 * it, and charged to the parent when the real reap came.
 * A debt is paid only when what is left of the parent's child CPU growth
 * covers it, and, for one that may not be reaped yet, where child minor
 * faults are read (Linux), what is left of their growth covers its faults:
 * the reap is in this delta. Otherwise it waits. (A debt whose child the
 * listing shows reaped is paid on the CPU rule alone: its record may come a
 * step after the reap's growth, which the slack and carry then return.)
 * The parent's user and system child times are each rounded down to the
 * CPU unit while an exit record's CPU is exact: two units of slack.
 * Faults are exact counts: a fork storm's 1 ms children fit in the CPU
 * slack of a delta without any reap, and were paid from it (their reap's
 * growth then stayed in the parent's child columns, their remainder lost).
 * What the growth holds beyond the debts is those children's too (the CPU
 * of their exit after the record was sent): split evenly over the children
 * paid for, the shares of those with an exit record move from the parent's
 * child columns to their exit rows.
 */
void ph_debts_pay(ph_tracker *t, const ph_source *src, int32_t pid, ph_values *row, int64_t *carry)
{
    if (!(row->have & PH_BIT(PH_M_CHILD_CPU_USER_NS)))
        return; /* child times not read: the reap shows in a later delta */
    int64_t have_u = ph_val(row, PH_M_CHILD_CPU_USER_NS), have_s = ph_val(row, PH_M_CHILD_CPU_SYSTEM_NS);
    int64_t left = have_u + have_s, paid_u = 0, paid_s = 0, carried = *carry;
    int64_t took_u = 0, took_s = 0; /* of paid_u and paid_s, what a row holds */
    int both = (row->have & PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS)) != 0;
    /* child minor faults: exact counts, where they are read */
    int by_faults = (row->have & PH_BIT(PH_M_CHILD_FAULTS_MINOR)) != 0;
    int64_t left_flt = ph_val(row, PH_M_CHILD_FAULTS_MINOR); /* for the passes after the first */
    size_t npaid = 0, nother = 0, nshares = 0;
    /* reaped first; a listed zombie's last, and only where faults are read */
    for (int pass = PH_REAP_DONE; pass <= (by_faults ? PH_REAP_LISTED : PH_REAP_UNSURE); pass++) {
        size_t k = debts_first(t, pid);
        ph_debt *w;
        while ((w = debts_next(t, pid, &k)) != NULL) {
            if ((int)w->reap != pass)
                continue;
            if (!shows(t, src, row, w, left, left_flt, by_faults, pass != PH_REAP_DONE) &&
                !unfold_double(t, src, row, w, left, left_flt, by_faults))
                continue;
            int64_t need = w->owed[PH_M_CHILD_CPU_USER_NS] + w->owed[PH_M_CHILD_CPU_SYSTEM_NS];
            w->settled = 1;
            left -= need;
            left_flt -= w->owed[PH_M_CHILD_FAULTS_MINOR];
            paid_u += w->owed[PH_M_CHILD_CPU_USER_NS];
            paid_s += w->owed[PH_M_CHILD_CPU_SYSTEM_NS];
            if (w->has_exit && w->proc > 0 && !w->uncharged) {
                if (npaid == t->cappaid) {
                    t->cappaid = t->cappaid ? t->cappaid * 2 : 64;
                    t->paid = ph_xrealloc(t->paid, t->cappaid * sizeof *t->paid);
                }
                t->paid[npaid++] = (size_t)(w - t->debts);
                nshares += 1 + (size_t)w->members;
            } else {
                nother++;
            }
            if (w->uncharged)
                continue; /* no row holds it: it stays in the child columns */
            /* the debt holds only child_* metrics, and own I/O where reaped I/O
             * lands in the parent: every metric it has is owed (the child
             * CPU columns are taken together, below) */
            took_u += w->owed[PH_M_CHILD_CPU_USER_NS];
            took_s += w->owed[PH_M_CHILD_CPU_SYSTEM_NS];
            for (int m = 0; m < PH_METRIC_COUNT; m++)
                if (w->owed[m] && (row->have & PH_BIT(m)) && m != PH_M_CHILD_CPU_USER_NS &&
                    m != PH_M_CHILD_CPU_SYSTEM_NS)
                    row->v[m] = row->v[m] > w->owed[m] ? row->v[m] - w->owed[m] : 0;
        }
    }
    /* What the debts took beyond the growth is the kernel's rounding down
     * of the parent's child times (bounded by it): the next growth pays it
     * back, so the parent's columns and the children's rows add up to the
     * parent's child times over any span, not to more. */
    int64_t rem = (have_u + have_s) - (paid_u + paid_s) - carried;
    int64_t bound = 2 * src->cpu_res_ns;
    *carry = rem < 0 ? (-rem < bound ? -rem : bound) : 0;
    /* The debts' CPU out of the child columns as one sum: the kernel splits
     * a reaped child's time between user and system by its own tick
     * samples, an exit record by its, and the two splits differ. Taken
     * column by column, a record with more user time than the parent's
     * user growth left the difference in the system column (and the
     * other way round), credited again to the parent while the child's
     * row held it: a loop of 200 10 ms children kept 0.1 s of them. */
    int64_t res_u = have_u - took_u, res_s = both ? have_s - took_s : 0;
    if (!both)
        res_u -= took_s;
    if (res_u < 0) {
        res_s += res_u;
        res_u = 0;
    }
    if (res_s < 0) {
        res_u += res_s;
        res_s = 0;
    }
    if (res_u < 0)
        res_u = 0; /* the debts took more than the growth: the carry returns it */
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
            ph_debt *d = &t->debts[t->paid[i]];
            int64_t cnt = 1 + d->members;
            /* even shares; the last takes what the division leaves */
            int64_t u = i + 1 == npaid ? rem_u - rem_u / n * g : rem_u / n * cnt;
            int64_t sy = i + 1 == npaid ? rem_s - rem_s / n * g : rem_s / n * cnt;
            g += cnt;
            if (!d->members) {
                give_share(t, d, u, sy);
                continue;
            }
            /* split between the wrapper and what was folded into it */
            int64_t found = 0;
            for (size_t j = 0; j < t->ndebts; j++)
                found += member_of(&t->debts[j], d);
            int64_t pu = u / (1 + found), ps = sy / (1 + found);
            give_share(t, d, u - pu * found, sy - ps * found);
            for (size_t j = 0; found && j < t->ndebts; j++) {
                if (member_of(&t->debts[j], d))
                    give_share(t, &t->debts[j], pu, ps);
            }
        }
    }
    row->v[PH_M_CHILD_CPU_USER_NS] = res_u > 0 ? res_u : 0;
    if (row->have & PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS))
        row->v[PH_M_CHILD_CPU_SYSTEM_NS] = res_s > 0 ? res_s : 0;
    ph_debts_expire(t, pid);
}

/*
 * The debts owed to pid that this step's read of it has shown all it can:
 * called once its child times were read (the reap of a child gone before
 * that read is in the delta, or in one before it), and after an idle read
 * (it has not run since its last read, so it reaped nothing since: a child
 * gone before this read was reaped before that one). A child read before
 * its parent (a lower pid: the reads go in pid order) and gone was reaped
 * before the parent's read: a debt of it that such a read did not pay can
 * be in no later delta. Its reap was in an earlier one, before the debt
 * existed (the child read alive, then reaped before its parent's read, a
 * step before it was found gone), or was taken by another debt. Kept
 * waiting, it was paid from the next child's reap on the CPU rule alone,
 * once no longer listed (a `/usr/bin/time` took the reap of a fork storm's
 * reaper beside it: the storm's debt no longer fitted and was dropped, its
 * children -8.5%), or folded into its parent's debt on top of a last read
 * that held it. It is dropped at the step's end. A child gone when read
 * after its parent's read (a higher pid), or born after the listing, may
 * be reaped after that read: its debt waits; so does one of a child no
 * longer listed (PH_REAP_DONE), as it always has.
 */
void ph_debts_expire(ph_tracker *t, int32_t pid)
{
    size_t k = debts_first(t, pid);
    ph_debt *w;
    while ((w = debts_next(t, pid, &k)) != NULL) {
        if (w->reap != PH_REAP_UNSURE || w->pid >= pid)
            continue;
        const ph_read *rd = ph_trk_read_of(t, w->pid);
        w->expired = rd && rd->r == PH_READ_GONE && !rd->late; /* read before its parent, and gone */
    }
}

/* Is the process listed with this start_key the child of debt w? */
int ph_debt_is(const ph_debt *w, uint64_t start_key)
{
    return start_key <= w->key + 1 && start_key + w->key_slack >= w->key;
}

ph_debt *ph_debt_push(ph_tracker *t)
{
    return debt_push(&t->debts, &t->ndebts, &t->capdebts);
}

/*
 * The debts of earlier steps, carried into this one, each with where its
 * child stands at this step's listing. They were left before it (by a
 * process gone at an earlier listing, or an exit record heard after one),
 * so a child not listed now was reaped before this listing; one listed
 * but gone when read was reaped after it, before or after its parent's
 * read. One listed as the same process is a zombie whose exit record came before it was ever
 * listed: its exit row is written, its reap is to come; its reads are
 * closed (it is not a new process). A debt without an exit row whose
 * process is listed again was left by a failed read: the process owes anew
 * when it goes, so that debt is dropped.
 */
void ph_debts_begin(ph_tracker *t)
{
    t->ndebts = 0;
    for (size_t k = 0; k < t->nwaiting; k++) {
        const ph_debt *o = &t->waiting[k];
        enum ph_reap reap = PH_REAP_DONE;
        ph_read *rd = o->folded ? NULL : ph_trk_read_of(t, o->pid);
        if (rd && rd->r != PH_READ_GONE && ph_debt_is(o, rd->s.start_key)) {
            if (!(o->has_exit && o->proc > 0))
                continue;
            reap = PH_REAP_LISTED;
            rd->closed = 1;
        } else if (rd && rd->r == PH_READ_GONE) {
            /* listed, gone when read: a zombie reaped after the listing,
             * perhaps after its parent's read too (a fork storm's reaper
             * read just before it reaped: its 17 zombies were paid from a
             * delta without their reap, on the CPU slack alone) */
            reap = PH_REAP_UNSURE;
        }
        ph_debt *w = ph_debt_push(t);
        *w = *o;
        w->settled = o->folded; /* folded: never paid itself */
        w->exit_row = -1; /* its exit row was written in its own step */
        w->reap = reap;
    }
    t->nsorted = 0;
    ph_debts_sort(t);
}

/* Debts not paid wait PH_DEBT_WAIT_SAMPLES more samples; a zombie's waits
 * while it is listed (bounded by the processes listed), its samples not
 * counted; a folded debt waits as long as its root may still be paid. */
void ph_debts_commit(ph_tracker *t)
{
    t->nwaiting = 0;
    for (size_t k = 0; k < t->ndebts; k++) {
        const ph_debt *w = &t->debts[k];
        int listed = w->reap == PH_REAP_LISTED && !w->settled;
        if (w->expired && !w->settled)
            continue; /* its reap can be in no later delta */
        if ((!w->settled || w->folded) && (w->age < PH_DEBT_WAIT_SAMPLES || listed)) {
            ph_debt *c = debt_push(&t->waiting, &t->nwaiting, &t->capwaiting);
            *c = *w;
            c->age += !listed;
        }
    }
    t->ndebts = 0;
}
