/*
 * ph_coalition.h: per-app totals from resource coalitions (macOS), so an
 * app's answers stay complete when its helpers come and go between samples.
 *
 * Every process of an app launch belongs to one resource coalition, whose
 * totals include members that already exited. Each sample, the ledger reads
 * each coalition that has live members, and compares its growth with what
 * the rows of its known members carried in the same sample. The difference
 * is what no row saw (helpers that lived between samples, the last interval
 * of those that exited): it is written as a row of one extra process per
 * coalition, pid -1, named "[exited members]", with the coalition's app, so
 * every query, rollup and export counts it with the app and nothing else
 * changes. The coalition is read after its members, so a little of its
 * growth is its members' next rows: a negative difference is carried to the
 * next sample instead of being dropped, and the sums stay exact over time.
 * The CPU of the extra process is all in cpu_user_ns (coalitions do not
 * split it). A coalition with a live member whose own usage was refused
 * (ph_coalition_usage.unreadable_members: a root daemon read by a user's
 * recorder) writes no such row for that sample nor the next (its last
 * interval): the kernel counts that member in the totals, so the residue
 * would be usage nobody can vouch for.
 * Its wakeups are the interrupt wakeups (package-idle ones are a subset).
 */
#ifndef PH_COALITION_H
#define PH_COALITION_H

#include <stddef.h>
#include <stdint.h>

#include "ph_platform.h"
#include "ph_tracker.h"

#define PH_CO_PROC_NAME "[exited members]"

typedef struct ph_co {
    int64_t id;
    char app[PH_NAME_MAX];
    int64_t proc;              /* its "[exited members]" process; 0 not yet */
    int have_last;
    ph_coalition_usage last;   /* cumulative at the last sample */
    int64_t carry[PH_CO_FIELDS]; /* negative differences, owed by the next sample */
    int64_t seen[PH_CO_FIELDS];  /* this sample: what member rows carried */
    int members;               /* live members, counted at settle */
    int unreadable;            /* at the last sample, a member's usage was refused */
} ph_co;

typedef struct ph_co_member {
    int64_t proc, coalition;
} ph_co_member;

typedef struct ph_ledger {
    ph_co *co; size_t nco, capco;           /* sorted by id */
    ph_co_member *m; size_t nm, capm;       /* sorted by proc */
} ph_ledger;

void ph_ledger_init(ph_ledger *l);
void ph_ledger_free(ph_ledger *l);
/* Copy (for undoing a sample that could not be stored). */
void ph_ledger_copy(ph_ledger *dst, const ph_ledger *src);

/* Wrap a sink: notes members as they are created and gone, and adds their
 * rows to their coalition's `seen`. ctx must outlive the returned sink. */
typedef struct ph_ledger_sink {
    ph_ledger *l;
    ph_sink inner;
} ph_ledger_sink;
ph_sink ph_ledger_wrap(ph_ledger_sink *ctx);

/* Seed from a resumed database: a coalition's state, or a live member. */
ph_co *ph_ledger_add_coalition(ph_ledger *l, int64_t id, const char *app);
void ph_ledger_add_member(ph_ledger *l, int64_t proc, int64_t coalition);

/* After the tracker step: read every coalition with live members through
 * src->coalition and write the differences through sink (creating the
 * extra process when first needed, started at start_ns). Coalitions with no
 * live member left, or that can no longer be read, are dropped; `dropped`
 * (may be NULL) receives their ids, up to max. Returns rows written, or -1
 * when the sink failed. */
int ph_ledger_settle(ph_ledger *l, const ph_source *src, const ph_sink *sink, int64_t start_ns,
                     int64_t *dropped, size_t max, size_t *ndropped);

#endif
