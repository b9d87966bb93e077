/*
 * Taskstats exit records: netlink parsing and per-process folding (see
 * include/ph_taskstats.h for the protocol). No I/O here.
 */
#include "ph_taskstats.h"
#include "ph_util.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- parsing ---------------------------------------------------------- */

#define HAS(len, field) (offsetof(struct taskstats, field) + sizeof(((struct taskstats *)0)->field) <= (len))

static int take_stats(const unsigned char *p, size_t len, ph_ts_record *r)
{
    struct taskstats ts;
    if (len < sizeof ts.version)
        return -1;
    memset(&ts, 0, sizeof ts);
    memcpy(&ts, p, len < sizeof ts ? len : sizeof ts);
    if (ts.version == 15 || !HAS(len, ac_etime))
        return -1; /* the one layout that moved fields, or too old to use */
    r->version = ts.version;
    r->uid = ts.ac_uid;
    r->ppid = ts.ac_ppid;
    memcpy(r->comm, ts.ac_comm, sizeof r->comm - 1);
    r->comm[sizeof r->comm - 1] = '\0';
    r->etime_us = ts.ac_etime;
    /* cpu_run_real_total is utime + stime, tick-sampled like them; the
     * "virtual" total is the scheduler's exact runtime (sum_exec_runtime),
     * what /proc's times are scaled to. Both are filled without delay
     * accounting (seen on 6.18 with kernel.task_delayacct = 0). */
    r->run_ns = ts.cpu_run_virtual_total;
    if (HAS(len, ac_majflt)) {
        r->utime_us = ts.ac_utime;
        r->stime_us = ts.ac_stime;
        r->minflt = ts.ac_minflt;
        r->majflt = ts.ac_majflt;
    }
    if (HAS(len, write_syscalls)) {
        r->hiwater_rss_kib = ts.hiwater_rss;
        r->rchar = ts.read_char;
        r->wchar = ts.write_char;
        r->syscr = ts.read_syscalls;
        r->syscw = ts.write_syscalls;
    }
    if (HAS(len, write_bytes)) {
        r->read_bytes = ts.read_bytes;
        r->write_bytes = ts.write_bytes;
    }
    if (HAS(len, nivcsw)) {
        r->nvcsw = ts.nvcsw;
        r->nivcsw = ts.nivcsw;
    }
    r->tgid = 0;
#if TASKSTATS_VERSION >= 12
    if (ts.version >= 12 && HAS(len, ac_tgid))
        r->tgid = ts.ac_tgid;
#endif
    return 0;
}

/* One AGGR_PID or AGGR_TGID attribute: {PID|TGID u32, STATS}. */
static int take_aggr(const unsigned char *p, size_t len, int tgid_record, ph_ts_record *r)
{
    int have_id = 0, have_stats = 0;
    memset(r, 0, sizeof *r);
    r->tgid_record = tgid_record;
    while (len >= NLA_HDRLEN) {
        struct nlattr a;
        memcpy(&a, p, sizeof a);
        if (a.nla_len < NLA_HDRLEN || a.nla_len > len)
            return -1;
        const unsigned char *v = p + NLA_HDRLEN;
        size_t vlen = a.nla_len - NLA_HDRLEN;
        int type = a.nla_type & NLA_TYPE_MASK;
        if ((type == TASKSTATS_TYPE_PID || type == TASKSTATS_TYPE_TGID) && vlen >= 4) {
            memcpy(&r->id, v, 4);
            have_id = 1;
        } else if (type == TASKSTATS_TYPE_STATS) {
            if (take_stats(v, vlen, r) < 0)
                return 1; /* well formed, not usable */
            have_stats = 1;
        }
        size_t step = NLA_ALIGN(a.nla_len);
        if (step >= len)
            break;
        p += step;
        len -= step;
    }
    if (!have_id || !have_stats)
        return -1;
    if (!r->tgid || tgid_record)
        r->tgid = r->id; /* before version 12 no ac_tgid: take the thread as the process */
    return 0;
}

int ph_parse_taskstats(const void *buf, size_t len, uint16_t family,
                       ph_ts_record *out, size_t max, int *refused)
{
    const unsigned char *p = buf;
    size_t n = 0;
    while (len >= NLMSG_HDRLEN) {
        struct nlmsghdr h;
        memcpy(&h, p, sizeof h);
        if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len)
            return -1;
        if (h.nlmsg_type == family && h.nlmsg_len >= NLMSG_HDRLEN + GENL_HDRLEN) {
            const unsigned char *a = p + NLMSG_HDRLEN + GENL_HDRLEN;
            size_t alen = h.nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN;
            size_t first = n;
            while (alen >= NLA_HDRLEN) {
                struct nlattr at;
                memcpy(&at, a, sizeof at);
                if (at.nla_len < NLA_HDRLEN || at.nla_len > alen)
                    return -1;
                int type = at.nla_type & NLA_TYPE_MASK;
                if (type == TASKSTATS_TYPE_AGGR_PID || type == TASKSTATS_TYPE_AGGR_TGID) {
                    ph_ts_record r;
                    int rc = take_aggr(a + NLA_HDRLEN, at.nla_len - NLA_HDRLEN,
                                       type == TASKSTATS_TYPE_AGGR_TGID, &r);
                    if (rc < 0)
                        return -1;
                    if (rc > 0) {
                        if (refused)
                            (*refused)++;
                    } else if (n < max) {
                        out[n++] = r;
                    }
                }
                size_t step = NLA_ALIGN(at.nla_len);
                if (step >= alen)
                    break;
                a += step;
                alen -= step;
            }
            /* A thread record followed by its process's TGID record. */
            for (size_t i = first; i < n; i++)
                if (out[i].tgid_record)
                    for (size_t j = first; j < i; j++)
                        if (!out[j].tgid_record && out[j].tgid == out[i].id)
                            out[j].with_tgid = 1;
        }
        size_t step = NLMSG_ALIGN(h.nlmsg_len);
        if (step >= len)
            break;
        p += step;
        len -= step;
    }
    return (int)n;
}

/* ---- folding ---------------------------------------------------------- */

struct ph_ts_proc {
    uint32_t tgid;
    int leader;           /* the thread whose id is the tgid was heard */
    uint64_t lost;        /* acc->lost when the first record came */
    ph_ts_record sum;     /* summed counters; identity from the leader */
    int64_t start_ns;     /* from the leader, else the earliest thread */
    int64_t late_ns;      /* how late start_ns may be: the record waited this long at most */
};

void ph_exit_acc_init(ph_exit_acc *a, int64_t listen_ns, int64_t tick_ns)
{
    memset(a, 0, sizeof *a);
    a->listen_ns = listen_ns;
    a->tick_ns = tick_ns > 0 ? tick_ns : 10000000;
    a->drained_ns = listen_ns;
}

void ph_exit_acc_free(ph_exit_acc *a)
{
    free(a->open);
    ph_exitlist_free(&a->done);
    a->open = NULL;
    a->nopen = a->capopen = 0;
}

void ph_exit_acc_lost(ph_exit_acc *a)
{
    a->lost++;
}

static int64_t clamp64(uint64_t v)
{
    return v > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)v;
}

/* v * k for a kernel field in a bigger unit, saturating (hostile records). */
static int64_t scaled(uint64_t v, int64_t k)
{
    return v > (uint64_t)(INT64_MAX / k) ? INT64_MAX : (int64_t)v * k;
}

/* The kernel's cputime_adjust: split a precise total in the proportion of
 * the tick-sampled user and system times. */
static void split_cpu(uint64_t total, uint64_t u, uint64_t s, int64_t *user, int64_t *sys)
{
    if (s == 0 || total == 0) {
        *user = clamp64(total);
        *sys = 0;
    } else if (u == 0) {
        *user = 0;
        *sys = clamp64(total);
    } else {
        /* total * s / (u + s) without overflow: in long double precision */
        long double part = (long double)total * (long double)s / ((long double)u + (long double)s);
        uint64_t sy = part >= (long double)total ? total : (uint64_t)part;
        *sys = clamp64(sy);
        *user = clamp64(total - sy);
    }
}

static void finish(ph_exit_acc *a, const ph_ts_proc *o, const ph_ts_record *tgid_rec)
{
    ph_exit *x = ph_exitlist_push(&a->done);
    const ph_ts_record *s = &o->sum;
    int single = !tgid_rec; /* ended by its only thread's record */
    x->pid = (int32_t)o->tgid;
    x->ppid = (int32_t)s->ppid;
    x->uid = o->leader ? (int64_t)s->uid : -1;
    snprintf(x->name, sizeof x->name, "%s", s->comm);
    x->start_boot_ns = o->start_ns > 0 ? o->start_ns : 0;
    x->start_key = (uint64_t)(x->start_boot_ns / a->tick_ns);
    /* late by how long the record waited to be read: at most the time
     * since the drain before the one that read it began. A measured bound,
     * not a fixed second: under a fork storm the pid that this record names
     * may already be another process's, and a wide window would match the
     * record to the wrong one (or keep it waiting for it). */
    x->start_res_ns = a->tick_ns + (o->late_ns > 0 ? o->late_ns : 0);
    x->start_key_slack = (uint64_t)((x->start_res_ns + a->tick_ns - 1) / a->tick_ns);
    x->whole = o->leader && (single || (o->start_ns >= a->listen_ns && o->lost == a->lost));
    uint64_t cpu = tgid_rec ? tgid_rec->run_ns : s->run_ns;
    int64_t user, sys;
    split_cpu(cpu, s->utime_us, s->stime_us, &user, &sys);
    ph_values_set(&x->vals, PH_M_CPU_USER_NS, user);
    ph_values_set(&x->vals, PH_M_CPU_SYSTEM_NS, sys);
    if (!x->whole)
        return; /* only the CPU time is the whole process's */
    ph_values_set(&x->vals, PH_M_FAULTS_MINOR, clamp64(s->minflt));
    ph_values_set(&x->vals, PH_M_FAULTS_MAJOR, clamp64(s->majflt));
    ph_values_set(&x->vals, PH_M_DISK_READ_BYTES, clamp64(s->read_bytes));
    ph_values_set(&x->vals, PH_M_DISK_WRITE_BYTES, clamp64(s->write_bytes));
    ph_values_set(&x->vals, PH_M_SYSCALL_READ_BYTES, clamp64(s->rchar));
    ph_values_set(&x->vals, PH_M_SYSCALL_WRITE_BYTES, clamp64(s->wchar));
    /* syscr/syscw are left out: the kernel masks them with the same KiB mask
     * as the byte counts (xacct_add_tsk), so 2 write calls read as 0 */
    /* /proc's context switch lines are the main thread's: so are these */
    ph_values_set(&x->vals, PH_M_CTXSW_VOLUNTARY, clamp64(s->nvcsw));
    ph_values_set(&x->vals, PH_M_CTXSW_INVOLUNTARY, clamp64(s->nivcsw));
    if (s->hiwater_rss_kib)
        ph_values_set(&x->vals, PH_M_PEAK_RESIDENT_BYTES, scaled(s->hiwater_rss_kib, 1024));
}

static ph_ts_proc *find_open(ph_exit_acc *a, uint32_t tgid)
{
    for (size_t i = 0; i < a->nopen; i++)
        if (a->open[i].tgid == tgid)
            return &a->open[i];
    return NULL;
}

static void drop_open(ph_exit_acc *a, ph_ts_proc *o)
{
    *o = a->open[--a->nopen];
}

#define MAX_OPEN 65536

void ph_exit_acc_add(ph_exit_acc *a, const ph_ts_record *r, int64_t now_ns)
{
    if (r->tgid_record) {
        ph_ts_proc *o = find_open(a, r->id);
        if (o) { /* its last thread's record came just before, in the same message */
            finish(a, o, r);
            drop_open(a, o);
        }
        return;
    }
    ph_ts_proc *o = find_open(a, r->tgid);
    if (!o) {
        if (a->nopen == MAX_OPEN) { /* a flood of threads of processes still alive */
            a->nopen = 0;
            a->lost++;
        }
        if (a->nopen == a->capopen) {
            a->capopen = a->capopen ? a->capopen * 2 : 64;
            a->open = ph_xrealloc(a->open, a->capopen * sizeof *a->open);
        }
        o = &a->open[a->nopen++];
        memset(o, 0, sizeof *o);
        o->tgid = r->tgid;
        o->lost = a->lost;
    }
    int64_t el = scaled(r->etime_us, 1000);
    int64_t start = el > now_ns ? 0 : now_ns - el;
    int64_t late = now_ns > a->drained_ns ? now_ns - a->drained_ns : 0;
    if (r->id == r->tgid) {
        o->leader = 1;
        o->start_ns = start;
        o->late_ns = late;
        o->sum.ppid = r->ppid;
        o->sum.uid = r->uid;
        o->sum.nvcsw = r->nvcsw;
        o->sum.nivcsw = r->nivcsw;
        memcpy(o->sum.comm, r->comm, sizeof o->sum.comm);
    } else if (!o->leader && (!o->start_ns || start < o->start_ns)) {
        o->start_ns = start;
        o->late_ns = late;
    }
    ph_ts_record *s = &o->sum;
    s->utime_us += r->utime_us;
    s->stime_us += r->stime_us;
    s->run_ns += r->run_ns;
    s->minflt += r->minflt;
    s->majflt += r->majflt;
    s->read_bytes += r->read_bytes;
    s->write_bytes += r->write_bytes;
    s->rchar += r->rchar;
    s->wchar += r->wchar;
    s->syscr += r->syscr;
    s->syscw += r->syscw;
    if (r->hiwater_rss_kib > s->hiwater_rss_kib)
        s->hiwater_rss_kib = r->hiwater_rss_kib;
    if (r->id == r->tgid && !r->with_tgid) {
        /* Its own thread, and no TGID record: a single-threaded process ended
         * (or a leader left its other threads running: the tracker keeps the
         * record until the process is no longer listed). */
        finish(a, o, NULL);
        drop_open(a, o);
    }
}
