/*
 * ph_tracker.h: process identity and deltas, independent of OS and storage.
 *
 * The tracker keeps, per live process, the last cumulative values it read,
 * and turns each new reading into a row of what happened since. It is
 * driven by fakes in tests/unit/test_tracker.c; read EXAMPLE below first.
 * Its state is private (src/record/tracker_int.h, which also names its
 * words): debts in src/record/debts.c, exit records in src/record/exits.c.
 *
 * THE STEP
 * Each step lists the processes, reads each one through a ph_source, and
 * emits through a ph_sink:
 *   - proc_new for an identity (boot, pid, start_key) not seen before;
 *   - a row per process that ran (deltas of counters, current gauges), per
 *     process first seen (BORN: charged from birth when it started after the
 *     previous sample; BASELINE: gauges only, when it was already running),
 *     and, on a keyframe step, per idle process (gauges only);
 *   - proc_gone for identities no longer listed (or whose pid was reused).
 * A step reads every listed process first, then takes the exit records
 * (so every reap its reads saw has its child's record), then closes what is
 * gone, then makes the rows of the live processes, and writes the exit rows
 * last, with the shares their parents' reaps gave them (see DEBTS; the five
 * phases are listed at ph_tracker_step, src/record/tracker.c). A counter
 * that goes backwards yields no delta for that row and becomes the new
 * baseline.
 *
 * DEBTS
 * When a process disappears, what was credited of it (its cumulative CPU
 * and faults, own and of its reaped children; on Linux also its I/O, which
 * the kernel adds to the waiting parent's own counters) is its DEBT to its
 * parent, PAID by subtracting it from the parent's next child_* deltas once
 * they show the reap (the parent's child CPU grew by at least the debt):
 * the kernel adds a reaped child's whole total to the parent, and only the
 * part no row credited is new. The parent is read after the listing: debts
 * of children the listing shows reaped are paid first; then those that may
 * have been reaped after the parent's read (gone when read, or born after
 * the listing), only when the parent's I/O shows them too (Linux); one
 * whose child is still listed (a zombie, not taken for a new process) only
 * when child faults are read and show its reap (its pid is lower than the
 * parent's: read first, it may have been reaped before the parent's read),
 * else it waits, for as long as it is listed (those samples do not count
 * below). A debt the parent never pays within PH_DEBT_WAIT_SAMPLES
 * (two) more samples (it did not wait: the kernel reaped the child) is
 * dropped.
 * Debts follow the chain: a debt owed to a process that is itself gone in
 * the same step (a wrapper that forked, waited and exited) is FOLDED into
 * that process's own debt, whatever the order they are found in, so the
 * grandparent's reap pays both (the kernel passes the wrapper's reaped
 * children up with it). A child folded that way may be counted twice: the
 * wrapper's last read may hold its reap already (a child read before it,
 * or whose debt waited while another was paid from its growth). When the
 * grandparent's delta does not hold such a debt, folded children are taken
 * out of it, one at a time, never more than their own parent's last read
 * held of its children, until the delta holds the rest exactly (faults
 * where they are read): one child stays counted twice, not the wrapper's
 * whole subtree (debts.c, unfold_double).
 * The REMAINDER: what the parent's child CPU grew by beyond the debts a
 * delta pays is the CPU of those children that no row holds (the kernel
 * sends an exit record before it tears the process's memory down). It is
 * split evenly, one SHARE per child paid for (a wrapper's debt counts what
 * was folded into it); a share whose child has an exit record moves from
 * the parent's child columns to that child's exit row (a later EXIT row when
 * the reap is seen in a later step), the others stay. What debts take beyond
 * a delta (the kernel rounds child times down, two ticks at most) is taken
 * from the parent's next growth (ph_entry.child_carry); a parent gone before
 * that growth owes its carry with its own debt (it was credited, and the
 * kernel passes it up).
 *
 * EXIT RECORDS
 * Where the source hears of exits (Linux taskstats as root), a process
 * that was sampled gets a last EXIT row with what it did after its last
 * sample, and a process that lived between two samples gets its own identity
 * and one EXIT row with its whole life. An exit whose pid is still listed as
 * its process (a zombie not yet reaped) waits until it is not listed, however
 * many samples that takes (but one read as a zombie with one thread before
 * its parent, its pid being lower, may be reaped between its read and its
 * parent's read of the same step: it is closed in that step, its exit row
 * written and its debt placed as a listed zombie's, so that the parent's
 * growth pays it instead of being shared out as other children's
 * remainder): the record is the only account of the process's
 * last part (or of its whole life), and its parent's reap, whenever it
 * comes, must find the debt it makes; dropping it after a few samples (as
 * the code once did) gave a late reaper's parent the child's CPU and I/O.
 * The wait is bounded by the processes listed, and a record is never kept
 * for another process that reuses its pid (its start differs).
 *
 * NAMES
 * The exit record's name wins over a sampled one (a process sampled
 * between fork and exec is renamed at its exit); the app of a process known
 * by name only comes from the source's app_of, the same rule as ident's.
 * A changed uid (setuid) is passed on through proc_renamed.
 * Control groups: read at first sight, after an exec (a supervisor moves its
 * child between fork and exec) and on every keyframe step (so a process
 * moved to another cgroup is seen within a keyframe interval), and
 * passed on through proc_cgroup whenever they could be read; a process known
 * only by its exit record has none.
 *
 * FAILURE
 * The step's new state is kept apart until ph_tracker_commit, so a step
 * whose rows could not be stored is undone with ph_tracker_abort and the
 * next step's deltas cover both intervals: nothing is lost.
 *
 * EXAMPLE
 * tests/unit/test_tracker.c, reaped_children_are_credited_once: make (pid
 * 10) and cc1 (pid 20, make's child); CPU in ns, child = make's child time.
 *
 *   step  listed      read                          rows
 *   1     10, 20      make cpu 100 child 0          make BASELINE, cc1 BASELINE
 *                     cc1  cpu 300
 *   2     10          make cpu 101 child 350        make DELTA cpu 1 child 50
 *   3     10          make cpu 102 child 450        make DELTA cpu 1 child 100
 *
 * Step 2: cc1 is gone; its debt to make is the 300 it had when last read
 * (credited by its rows, or spent before the recording began). make's child
 * time grew by 350 >= 300: the reap is in this delta, the debt is paid, and
 * only 300 seen alive + 50 after = 350 reaped: the 50 is new, cc1's life
 * after its last sample, which no row holds. With an exit record (cc1 exits
 * with 380: exit_record_adds_the_last_part_once) cc1 gets an EXIT row of
 * 80 and make's child column 0. Step 3: a child nobody saw leaves no debt:
 * all 100 is new, in make's child column.
 */
#ifndef PH_TRACKER_H
#define PH_TRACKER_H

#include <stddef.h>
#include <stdint.h>

#include "ph_metrics.h"
#include "ph_platform.h"

enum ph_row_kind {
    PH_ROW_DELTA = 0,    /* the process ran: counters are deltas */
    PH_ROW_BORN = 1,     /* first sight, born after the previous sample: counters since birth */
    PH_ROW_BASELINE = 2, /* first sight, older than the previous sample: gauges only */
    PH_ROW_KEYFRAME = 3, /* idle process on a keyframe step: gauges only */
    PH_ROW_EXIT = 4,     /* from its exit record: counters since its previous row, or since birth */
};

typedef struct ph_proc_info {
    int32_t pid, ppid;
    int64_t uid;
    uint64_t start_key;
    int64_t start_ns; /* wall clock, ns since the epoch; 0 when unknown */
    const char *name, *exe, *app, *bundle;
    int64_t coalition;       /* -1 unknown */
    int32_t responsible_pid; /* -1 unknown */
    int gone;                /* already gone (known only by its exit record): the sink may
                              * write it gone at once; proc_gone still follows in this step */
} ph_proc_info;

typedef struct ph_row {
    int64_t proc;
    enum ph_row_kind kind;
    ph_values vals;
} ph_row;

struct ph_entry;

typedef struct ph_sink {
    void *ctx;
    int (*proc_new)(void *ctx, const ph_proc_info *info, int64_t *proc_id);
    int (*proc_renamed)(void *ctx, int64_t proc_id, const ph_proc_info *info);
    int (*proc_gone)(void *ctx, int64_t proc_id);
    int (*row)(void *ctx, const ph_row *row);
    /* The cumulative state of a process whose counters moved (may be NULL):
     * kept with the rows, it lets a restart, even after a crash, continue
     * the same deltas. */
    int (*state)(void *ctx, const struct ph_entry *e);
    /* The control groups of a process, as read at its first sight, after an
     * exec and on every keyframe (may be NULL). */
    int (*proc_cgroup)(void *ctx, int64_t proc_id, const struct ph_cgroup *cg);
}
ph_sink;

typedef struct ph_source {
    void *ctx;
    int (*list)(void *ctx, ph_pidlist *out);
    enum ph_read_result (*read)(void *ctx, int32_t pid, const ph_hint *hint,
                                ph_proc_sample *out);
    void (*ident)(void *ctx, int32_t pid, const ph_proc_sample *s, ph_proc_ident *out);
    int (*power)(void *ctx, ph_power *out); /* NULL: no system power */
    int (*exits)(void *ctx, ph_exitlist *out); /* NULL or -1: no exit records */
    int reaped_io_in_parent; /* a waiting parent's own I/O counters grow by the child's (Linux) */
    int64_t cpu_res_ns;      /* CPU times come in whole units of this (Linux: a clock tick) */
    int (*coalition)(void *ctx, int64_t id, ph_coalition_usage *out); /* NULL: none */
    /* The app of a process known only by its name (an exit record): the
     * same rule as ident's app. NULL: the name is the app. */
    void (*app_of)(void *ctx, const char *name, char *app, size_t len);
    /* A process's control groups: 0, or -1 when unreadable. NULL: none. */
    int (*cgroup)(void *ctx, int32_t pid, struct ph_cgroup *out);
} ph_source;

typedef struct ph_tick {
    int64_t boot_ns;      /* boot clock now */
    int64_t prev_boot_ns; /* boot clock at the previous stored sample of this boot, or -1 */
    int64_t boot_wall_ns; /* wall clock of boot (for start_ns), 0 if unknown */
    int keyframe;         /* write a row for every live process */
} ph_tick;

typedef struct ph_tick_stats {
    int procs;   /* processes read */
    int denied;  /* of which some source was refused */
    int rows;    /* rows emitted */
    int born, baseline, gone, idle;
    int exits;   /* exit records that produced a row */
} ph_tick_stats;

typedef struct ph_entry {
    int32_t pid;
    int32_t ppid;       /* as last read (a reaped child is credited to it) */
    int64_t uid;        /* as last read; -1 unknown (not read yet, or resumed) */
    int64_t child_carry; /* child CPU its debts took beyond what its delta showed (the
                          * kernel rounds child times down): taken from the next growth */
    uint64_t start_key;
    uint64_t sig;
    int64_t proc;
    char name[PH_NAME_MAX];
    ph_values last; /* last cumulative counters and gauges read */
} ph_entry;

/* The tracker's state (opaque: src/record/tracker_int.h). */
typedef struct ph_tracker ph_tracker;

ph_tracker *ph_tracker_new(void);
void ph_tracker_free(ph_tracker *t); /* NULL is fine */
/* Run one step; returns 0, or -1 when the source cannot list or the sink failed. */
int ph_tracker_step(ph_tracker *t, const ph_source *src, const ph_sink *sink,
                    const ph_tick *tick, ph_tick_stats *stats);
void ph_tracker_commit(ph_tracker *t);
void ph_tracker_abort(ph_tracker *t);
/* Seed the committed state (resume); entries need not be sorted. */
void ph_tracker_load(ph_tracker *t, const ph_entry *e, size_t n);
/* The committed state: one entry per live process, sorted by pid (valid
 * until the next step or free). */
size_t ph_tracker_count(const ph_tracker *t);
const ph_entry *ph_tracker_entries(const ph_tracker *t);

/* The source backed by this build's platform collector. */
ph_source ph_platform_source(ph_platform *p);

#endif
