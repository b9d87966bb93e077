/*
 * tracker_int.h: the tracker's state, shared by its three files and no one
 * else (include/ph_tracker.h is the contract; this is how it is kept).
 *
 *   tracker.c  a step: list, read, close what is gone, make the rows
 *   debts.c    what a gone child owes its parent, and paying it from the
 *              parent's child deltas (the reap)
 *   exits.c    exit records heard from the source, waiting for their process
 *              to be gone, and the processes only a record saw
 *
 * Words: a child that disappears leaves a DEBT to its parent (what rows
 * already credited of it); the parent PAYS it from the delta that shows the
 * reap; what that delta holds beyond the debts it pays is the REMAINDER,
 * split into SHARES among the children paid for. A debt owed to a parent
 * that is itself gone (in the same step, or in an earlier one and its debt
 * still owed) is FOLDED into that parent's own debt, or into the one that
 * debt was folded into (its ROOT). An exit record WAITS while its process
 * is listed.
 */
#ifndef PH_TRACKER_INT_H
#define PH_TRACKER_INT_H

#include "ph_tracker.h"

/* A debt not paid is kept for this many more samples, then dropped: its
 * parent did not wait (the kernel reaped the child, or the parent was
 * read before the reap and the reap's growth went to an earlier debt). One
 * whose child was gone before its parent's read does not wait (debts.c,
 * ph_debts_expire). */
#define PH_DEBT_WAIT_SAMPLES 2

/* Where a debt's child stood at this step's listing: its parent's reads
 * come after the listing, so a child reaped before it is in them. */
enum ph_reap {
    PH_REAP_DONE = 0,   /* not listed, and it existed before the listing: reaped before
                         * the parent was read */
    PH_REAP_UNSURE = 1, /* gone when read, or born after the listing: reaped before or
                         * after its parent's read */
    PH_REAP_LISTED = 2, /* listed as the same process: a zombie at the listing (reaped
                         * before its parent's read only if read before it) */
};

/* What a parent's next child delta must not count again: the totals already
 * credited of one of its children that disappeared. */
typedef struct ph_debt {
    int32_t ppid;  /* owed to */
    int32_t pid;   /* the child that owes it */
    int64_t proc;  /* its identity in the sink: its remainder share goes there; 0 none */
    int has_exit;  /* its exit record was heard: the debt is its whole total */
    int32_t exit_ppid; /* the parent its exit record names (at its exit), 0 none */
    int uncharged; /* in the parent's delta, but no row holds it: not subtracted */
    int exit_row;  /* its exit row in this step (tracker->exit_rows), or -1 */
    int32_t root_pid;  /* folded into the debt of this gone ancestor (its pid), or 0 */
    int64_t root_proc; /* that ancestor's identity in the sink, 0 none */
    int folded;    /* folded, not paid: kept (as long as its root) to take its share of the
                    * root's remainder */
    int members;   /* debts with an exit record folded into this one in this step */
    int nfolded;   /* debts folded into this one (members: those with an exit row) */
    int stale;     /* folded from an earlier step: its root's last read came after its
                    * child was gone, and may hold its reap already */
    int unfolded;  /* taken out of its root's debt again (debts.c, unfold_double) */
    int64_t held_cpu, held_flt; /* of what it owes, its children's CPU (with its carry) and
                                 * minor faults that its own last read held */
    int age;       /* samples it has waited for the parent to show the reap */
    int expired;   /* its child was gone before its parent's read of this step, which did
                    * not show the reap: no later delta can (dropped at commit) */
    int settled;   /* paid (or folded into an ancestor's debt) in this step */
    enum ph_reap reap; /* where its child stood at this step's listing */
    uint64_t key, key_slack; /* its start_key (from its exit record: key - slack .. key + 1) */
    int64_t owed[PH_METRIC_COUNT]; /* child_* metrics; own I/O metrics where reaped I/O
                                    * lands in the parent */
} ph_debt;

/* An exit record heard, waiting for its process to be gone. */
typedef struct ph_exit_wait {
    ph_exit x;
    int matched; /* produced its row in this step */
} ph_exit_wait;

/* One process read in a step, before its row is made. */
typedef struct ph_read {
    int32_t pid;
    const struct ph_entry *old; /* its committed state; NULL: first sight (or pid reused) */
    enum ph_read_result r;
    ph_proc_sample s;
    int closed; /* a zombie whose exit row was already made: not a new process */
    int late;   /* read again after every read of the step (tracker.c, read_again) */
} ph_read;

struct ph_tracker {
    ph_entry *cur;  size_t ncur, capcur;   /* committed state, sorted by pid */
    ph_entry *next; size_t nnext, capnext; /* state being built by a step */
    ph_pidlist pids;
    ph_debt *waiting; size_t nwaiting, capwaiting; /* committed debts, waiting for a reap */
    ph_debt *debts; size_t ndebts, capdebts;       /* this step's: waiting + new */
    size_t nsorted;                                /* debts[0..nsorted) is sorted by ppid */
    ph_exit_wait *exits; size_t nexits, capexits;  /* exits heard, not yet matched */
    ph_exitlist heard; /* scratch for the source's exits */
    ph_read *reads; size_t nreads, capreads;       /* this step's reads, by pid */
    ph_row *exit_rows; size_t nexit_rows, capexit_rows; /* written at the step's end */
    size_t *paid; size_t cappaid; /* scratch: the debts one delta paid */
};

/* A metric's value, 0 when not read. */
static inline int64_t ph_val(const ph_values *v, enum ph_metric m)
{
    return (v->have & PH_BIT(m)) ? v->v[m] : 0;
}

/* tracker.c */
int ph_trk_exit_row(ph_tracker *t, int64_t proc);
ph_read *ph_trk_read_of(const ph_tracker *t, int32_t pid);
void ph_trk_app_of(const ph_source *src, const char *name, char *app, size_t len);

/* debts.c */
#define PH_NREAPED_IO 6
extern const enum ph_metric ph_reaped_io[PH_NREAPED_IO]; /* I/O a waiting Linux parent's own
                                                          * counters receive from a reaped child */
ph_debt *ph_debt_push(ph_tracker *t);
void ph_debt_set(ph_debt *c, const ph_source *src, int32_t pid, int32_t ppid,
                 const ph_values *last, const ph_values *final_delta, int64_t carry);
int ph_debt_is(const ph_debt *w, uint64_t start_key);
void ph_debts_begin(ph_tracker *t);
void ph_debts_sort(ph_tracker *t);
void ph_debts_fold(ph_tracker *t, size_t from);
void ph_debts_pay(ph_tracker *t, const ph_source *src, int32_t pid, ph_values *row,
                  int64_t *carry);
void ph_debts_expire(ph_tracker *t, int32_t pid);
void ph_debts_commit(ph_tracker *t);

/* exits.c */
void ph_exits_hear(ph_tracker *t, const ph_source *src);
ph_exit_wait *ph_exits_claim(ph_tracker *t, int32_t pid, uint64_t start_key);
int ph_exits_is(const ph_exit *x, uint64_t start_key);
int ph_exits_unseen(ph_tracker *t, const ph_source *src, const ph_sink *sink,
                    const ph_tick *tick);
void ph_exits_commit(ph_tracker *t);

#endif
