/*
 * ph_taskstats.h: Linux exit records (taskstats over generic netlink),
 * parsed and folded into one record per process. Pure: no I/O, so both
 * halves are tested on crafted messages and fuzzed; the socket lives in
 * src/platform/linux/taskstats.c.
 *
 * What the kernel sends (kernel/taskstats.c, taskstats_exit), once a
 * listener has registered a CPU mask:
 *   - for every exiting thread, one message with TASKSTATS_TYPE_AGGR_PID
 *     {TASKSTATS_TYPE_PID = thread id, TASKSTATS_TYPE_STATS = struct
 *     taskstats}: that thread's own CPU, faults, I/O (rounded down to KiB,
 *     without reaped children; the syscall counts are masked the same way,
 *     so they are useless and left out), context switches, and its address
 *     space's high-water RSS;
 *   - when the last thread of a multi-threaded process exits, the same
 *     message also carries TASKSTATS_TYPE_AGGR_TGID {TGID, STATS} whose
 *     cpu_run_virtual_total is the CPU time of every thread the process had
 *     (the kernel accumulates it at each thread exit, listener or not); its
 *     other fields are delay accounting only.
 * A single-threaded process therefore ends with one AGGR_PID message whose
 * thread id is its pid; its record is its whole life. A multi-threaded one is
 * whole only when every thread's record was heard: it was born after the
 * listener registered and no message was dropped (ENOBUFS) meanwhile.
 * Otherwise only its CPU time (from the TGID record) is complete.
 *
 * struct taskstats grows by appending, except version 15, which inserted
 * fields in the middle (version 16 moved them to the end again): records of
 * version 15 are refused, and a field is read only when the attribute is long
 * enough to hold it.
 */
#ifndef PH_TASKSTATS_H
#define PH_TASKSTATS_H

#include <stddef.h>
#include <stdint.h>

#include "ph_platform.h"

typedef struct ph_ts_record {
    int tgid_record;      /* 1: AGGR_TGID (whole process), 0: AGGR_PID (one thread) */
    int with_tgid;        /* a thread record whose message also ends its process */
    uint32_t id;          /* thread id, or tgid for a TGID record */
    uint32_t tgid;        /* ac_tgid; for older kernels the thread id */
    uint32_t ppid, uid;
    uint16_t version;
    char comm[32];
    uint64_t etime_us;    /* elapsed since the thread began */
    uint64_t utime_us, stime_us; /* tick-sampled */
    uint64_t run_ns;      /* cpu_run_virtual_total: the scheduler's exact CPU time */
    uint64_t minflt, majflt;
    uint64_t read_bytes, write_bytes, rchar, wchar, syscr, syscw;
    uint64_t nvcsw, nivcsw;
    uint64_t hiwater_rss_kib;
} ph_ts_record;

/* Parse one datagram (one or more netlink messages) from the taskstats
 * family `family`. Fills up to max records; returns how many, or -1 when the
 * datagram is malformed. Records of an unsupported layout are skipped and
 * counted in *refused (may be NULL). */
int ph_parse_taskstats(const void *buf, size_t len, uint16_t family,
                       ph_ts_record *out, size_t max, int *refused);

/* Folds thread records into one ph_exit per process. */
typedef struct ph_ts_proc ph_ts_proc; /* a process some of whose threads exited */
typedef struct ph_exit_acc {
    int64_t listen_ns;    /* boot clock when the listener registered */
    int64_t tick_ns;      /* start_key unit (a clock tick) */
    int64_t drained_ns;   /* boot clock when the previous drain began: a record read
                           * now was sent after it, so its start estimate is late by
                           * at most now - drained_ns (set by the listener) */
    uint64_t lost;        /* times records were dropped (ENOBUFS) */
    ph_ts_proc *open; size_t nopen, capopen;
    ph_exitlist done;     /* finished processes, taken by the caller */
} ph_exit_acc;

void ph_exit_acc_init(ph_exit_acc *a, int64_t listen_ns, int64_t tick_ns);
/* One record, received at now_ns on the boot clock. */
void ph_exit_acc_add(ph_exit_acc *a, const ph_ts_record *r, int64_t now_ns);
/* Records were dropped: no process with threads in flight can be whole. */
void ph_exit_acc_lost(ph_exit_acc *a);
void ph_exit_acc_free(ph_exit_acc *a);

/* The listener (src/platform/linux/taskstats.c). Open fails with a
 * one-line reason (no privilege, no taskstats in the kernel). */
typedef struct ph_ts ph_ts;
int ph_ts_open(ph_ts **out, int64_t tick_ns, char *why, size_t whylen);
int ph_ts_fd(const ph_ts *t);
void ph_ts_drain(ph_ts *t);                /* read what waits, never blocks */
void ph_ts_take(ph_ts *t, ph_exitlist *out); /* drain, then hand over finished processes */
void ph_ts_close(ph_ts *t);

#endif
