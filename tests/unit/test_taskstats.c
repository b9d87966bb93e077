/* Taskstats exit records: parsing crafted netlink datagrams, and folding
 * thread records into processes. */
#include "test.h"

#include "ph_taskstats.h"

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <stdlib.h>

#define FAMILY 27

typedef struct msgbuf {
    unsigned char b[8192];
    size_t len;   /* whole datagram */
    size_t start; /* current message */
} msgbuf;

static void put(msgbuf *m, const void *p, size_t n)
{
    memcpy(m->b + m->len, p, n);
    m->len += n;
}

static void pad(msgbuf *m)
{
    while (m->len % 4)
        m->b[m->len++] = 0;
}

static void msg_begin(msgbuf *m)
{
    m->start = m->len;
    struct nlmsghdr h = {.nlmsg_type = FAMILY};
    struct genlmsghdr g = {.cmd = TASKSTATS_CMD_NEW, .version = 1};
    put(m, &h, sizeof h);
    put(m, &g, sizeof g);
}

static void msg_end(msgbuf *m)
{
    uint32_t len = (uint32_t)(m->len - m->start);
    memcpy(m->b + m->start, &len, sizeof len); /* nlmsg_len is the first field */
    pad(m);
}

/* AGGR_PID (or AGGR_TGID) {PID|TGID id, STATS ts (first stats_len bytes)} */
static void aggr(msgbuf *m, int tgid, uint32_t id, const struct taskstats *ts, size_t stats_len)
{
    size_t at = m->len;
    struct nlattr outer = {0, tgid ? TASKSTATS_TYPE_AGGR_TGID : TASKSTATS_TYPE_AGGR_PID};
    put(m, &outer, sizeof outer);
    struct nlattr a = {NLA_HDRLEN + 4, tgid ? TASKSTATS_TYPE_TGID : TASKSTATS_TYPE_PID};
    put(m, &a, sizeof a);
    put(m, &id, 4);
    struct nlattr s = {(uint16_t)(NLA_HDRLEN + stats_len), TASKSTATS_TYPE_STATS};
    put(m, &s, sizeof s);
    put(m, ts, stats_len);
    pad(m);
    uint16_t len = (uint16_t)(m->len - at);
    memcpy(m->b + at, &len, sizeof len);
}

static struct taskstats thread(uint32_t pid, uint32_t tgid, uint64_t run_ns)
{
    struct taskstats ts;
    memset(&ts, 0, sizeof ts);
    ts.version = TASKSTATS_VERSION;
    ts.ac_pid = pid;
    ts.ac_tgid = tgid;
    ts.ac_ppid = 100;
    ts.ac_uid = 1000;
    snprintf(ts.ac_comm, sizeof ts.ac_comm, "cc1");
    ts.cpu_run_virtual_total = run_ns;
    ts.cpu_run_real_total = run_ns / 4000000 * 4000000; /* tick-sampled: not used */
    ts.ac_utime = 3000;  /* us, tick-sampled */
    ts.ac_stime = 1000;
    ts.ac_etime = 50000; /* 50 ms */
    ts.ac_minflt = 40;
    ts.ac_majflt = 1;
    ts.read_bytes = 4096;
    ts.write_bytes = 8192;
    ts.read_char = 100;
    ts.write_char = 200;
    ts.read_syscalls = 3;
    ts.write_syscalls = 4;
    ts.nvcsw = 5;
    ts.nivcsw = 6;
    ts.hiwater_rss = 1500; /* KiB */
    return ts;
}

TEST(taskstats_single_thread_exit)
{
    msgbuf m = {0};
    struct taskstats ts = thread(4242, 4242, 7000000);
    msg_begin(&m);
    aggr(&m, 0, 4242, &ts, sizeof ts);
    msg_end(&m);
    ph_ts_record r[4];
    CHECK_I(ph_parse_taskstats(m.b, m.len, FAMILY, r, 4, NULL), 1);
    CHECK_I(r[0].id, 4242);
    CHECK_I(r[0].tgid, 4242);
    CHECK_I(r[0].tgid_record, 0);
    CHECK_I(r[0].with_tgid, 0);
    CHECK_I((int64_t)r[0].run_ns, 7000000);
    CHECK_S(r[0].comm, "cc1");
    /* another family's message is not ours */
    CHECK_I(ph_parse_taskstats(m.b, m.len, FAMILY + 1, r, 4, NULL), 0);

    ph_exit_acc a;
    ph_exit_acc_init(&a, 1000000000, 10000000);
    ph_exit_acc_add(&a, &r[0], 5000000000LL);
    CHECK_I(a.done.n, 1);
    if (a.done.n == 1) {
        const ph_exit *x = &a.done.v[0];
        CHECK_I(x->pid, 4242);
        CHECK_I(x->ppid, 100);
        CHECK_I(x->uid, 1000);
        CHECK_S(x->name, "cc1");
        CHECK_I(x->whole, 1);
        CHECK_I(x->start_boot_ns, 5000000000LL - 50000000);
        CHECK_I((int64_t)x->start_key, (5000000000LL - 50000000) / 10000000);
        /* 7 ms of CPU split 3:1 like the tick samples */
        CHECK_I(x->vals.v[PH_M_CPU_USER_NS], 5250000);
        CHECK_I(x->vals.v[PH_M_CPU_SYSTEM_NS], 1750000);
        CHECK_I(x->vals.v[PH_M_FAULTS_MINOR], 40);
        CHECK_I(x->vals.v[PH_M_DISK_WRITE_BYTES], 8192);
        CHECK(!(x->vals.have & PH_BIT(PH_M_SYSCALLS_WRITE))); /* KiB-masked by the kernel */
        CHECK_I(x->vals.v[PH_M_CTXSW_INVOLUNTARY], 6);
        CHECK_I(x->vals.v[PH_M_PEAK_RESIDENT_BYTES], 1500 * 1024);
    }
    ph_exit_acc_free(&a);
}

/* Three threads: two exit alone, the last one's message ends the process
 * with a TGID record whose CPU covers every thread. */
TEST(taskstats_threads_fold_into_their_process)
{
    ph_ts_record r[8];
    ph_exit_acc a;
    ph_exit_acc_init(&a, 1000000000, 10000000);
    struct taskstats t1 = thread(501, 500, 1000000), t0 = thread(500, 500, 2000000),
                     t2 = thread(502, 500, 3000000), tg;
    memset(&tg, 0, sizeof tg);
    tg.version = TASKSTATS_VERSION;
    tg.cpu_run_virtual_total = 6500000; /* the kernel's sum, a little more than heard */

    msgbuf m = {0};
    msg_begin(&m);
    aggr(&m, 0, 501, &t1, sizeof t1);
    msg_end(&m);
    msg_begin(&m); /* the leader leaves first: others still run */
    aggr(&m, 0, 500, &t0, sizeof t0);
    msg_end(&m);
    msg_begin(&m);
    aggr(&m, 0, 502, &t2, sizeof t2);
    aggr(&m, 1, 500, &tg, sizeof tg);
    msg_end(&m);
    int n = ph_parse_taskstats(m.b, m.len, FAMILY, r, 8, NULL);
    CHECK_I(n, 4);
    CHECK_I(r[2].with_tgid, 1);
    CHECK_I(r[3].tgid_record, 1);
    for (int i = 0; i < n; i++)
        ph_exit_acc_add(&a, &r[i], 9000000000LL);
    /* The leader's record looked like a single-threaded exit: it was handed
     * over (the tracker keeps it while pid 500 is listed); the rest of the
     * process ends with the TGID record: all its CPU, but not whole. */
    CHECK_I(a.done.n, 2);
    if (a.done.n == 2) {
        const ph_exit *x = &a.done.v[1];
        CHECK_I(x->pid, 500);
        CHECK_I(x->whole, 0);
        CHECK_I(x->vals.v[PH_M_CPU_USER_NS] + x->vals.v[PH_M_CPU_SYSTEM_NS], 6500000);
        CHECK(!(x->vals.have & PH_BIT(PH_M_DISK_WRITE_BYTES)));
    }
    ph_exit_acc_free(&a);

    /* Leader last, born after the listener: the sums are its whole life. */
    ph_exit_acc_init(&a, 1000000000, 10000000);
    memset(&m, 0, sizeof m);
    msg_begin(&m);
    aggr(&m, 0, 501, &t1, sizeof t1);
    msg_end(&m);
    msg_begin(&m);
    aggr(&m, 0, 500, &t0, sizeof t0);
    aggr(&m, 1, 500, &tg, sizeof tg);
    msg_end(&m);
    n = ph_parse_taskstats(m.b, m.len, FAMILY, r, 8, NULL);
    CHECK_I(n, 3);
    for (int i = 0; i < n; i++)
        ph_exit_acc_add(&a, &r[i], 9000000000LL);
    CHECK_I(a.done.n, 1);
    if (a.done.n == 1) {
        const ph_exit *x = &a.done.v[0];
        CHECK_I(x->whole, 1);
        CHECK_I(x->vals.v[PH_M_CPU_USER_NS] + x->vals.v[PH_M_CPU_SYSTEM_NS], 6500000);
        CHECK_I(x->vals.v[PH_M_DISK_WRITE_BYTES], 2 * 8192);
        CHECK_I(x->vals.v[PH_M_FAULTS_MINOR], 80);
        CHECK_I(x->vals.v[PH_M_CTXSW_VOLUNTARY], 5); /* the main thread's, like /proc */
    }
    ph_exit_acc_free(&a);

    /* The same, but records were dropped while it ran: not whole. */
    ph_exit_acc_init(&a, 1000000000, 10000000);
    ph_exit_acc_add(&a, &r[0], 9000000000LL);
    ph_exit_acc_lost(&a);
    ph_exit_acc_add(&a, &r[1], 9000000000LL);
    ph_exit_acc_add(&a, &r[2], 9000000000LL);
    CHECK(a.done.n == 1 && a.done.v[0].whole == 0);
    ph_exit_acc_free(&a);

    /* Born before the listener registered: earlier threads were not heard. */
    ph_exit_acc_init(&a, 8990000000LL, 10000000);
    for (int i = 0; i < n; i++)
        ph_exit_acc_add(&a, &r[i], 9000000000LL);
    CHECK(a.done.n == 1 && a.done.v[0].whole == 0);
    ph_exit_acc_free(&a);
}

TEST(taskstats_layouts_and_malformed_input)
{
    /* absurd values saturate instead of overflowing (found by make fuzz) */
    {
        ph_ts_record h;
        memset(&h, 0, sizeof h);
        h.id = h.tgid = 9;
        h.hiwater_rss_kib = UINT64_MAX / 2;
        h.etime_us = UINT64_MAX;
        h.utime_us = UINT64_MAX;
        h.stime_us = UINT64_MAX;
        h.run_ns = UINT64_MAX;
        ph_exit_acc a;
        ph_exit_acc_init(&a, 0, 10000000);
        ph_exit_acc_add(&a, &h, 5);
        CHECK(a.done.n == 1 && a.done.v[0].vals.v[PH_M_PEAK_RESIDENT_BYTES] == INT64_MAX);
        CHECK(a.done.n == 1 && a.done.v[0].start_boot_ns == 0);
        ph_exit_acc_free(&a);
    }
    ph_ts_record r[4];
    int refused = 0;
    msgbuf m = {0};
    struct taskstats ts = thread(7, 7, 1000);
    /* version 15 moved fields: refused, not misread */
    ts.version = 15;
    msg_begin(&m);
    aggr(&m, 0, 7, &ts, sizeof ts);
    msg_end(&m);
    CHECK_I(ph_parse_taskstats(m.b, m.len, FAMILY, r, 4, &refused), 0);
    CHECK_I(refused, 1);

    /* an older, shorter struct: fields past its end are not read */
    ts.version = 8;
    memset(&m, 0, sizeof m);
    msg_begin(&m);
    aggr(&m, 0, 7, &ts, offsetof(struct taskstats, read_bytes));
    msg_end(&m);
    CHECK_I(ph_parse_taskstats(m.b, m.len, FAMILY, r, 4, NULL), 1);
    CHECK_I((int64_t)r[0].read_bytes, 0);
    CHECK_I((int64_t)r[0].syscw, 4);
    CHECK_I(r[0].tgid, 7); /* no ac_tgid: the thread */

    /* truncations anywhere are rejected without reading past the end */
    ts.version = TASKSTATS_VERSION;
    memset(&m, 0, sizeof m);
    msg_begin(&m);
    aggr(&m, 0, 7, &ts, sizeof ts);
    msg_end(&m);
    for (size_t cut = 0; cut < m.len; cut++) {
        unsigned char *copy = malloc(cut ? cut : 1);
        memcpy(copy, m.b, cut);
        int k = ph_parse_taskstats(copy, cut, FAMILY, r, 4, NULL);
        CHECK(k <= 0);
        free(copy);
    }
    /* an attribute claiming more than the message holds */
    unsigned char bad[64];
    memset(bad, 0, sizeof bad);
    struct nlmsghdr h = {.nlmsg_len = 40, .nlmsg_type = FAMILY};
    memcpy(bad, &h, sizeof h);
    struct nlattr at = {200, TASKSTATS_TYPE_AGGR_PID};
    memcpy(bad + NLMSG_HDRLEN + GENL_HDRLEN, &at, sizeof at);
    CHECK_I(ph_parse_taskstats(bad, 40, FAMILY, r, 4, NULL), -1);
}

/* A datagram captured from Linux 6.18 (tests/fixtures/taskstats/capture.c):
 * a child named ph-capture that wrote 8192 bytes in two calls and exited. */
TEST(taskstats_captured_exit_of_linux_6_18)
{
    size_t len = 0;
    unsigned char *b = (unsigned char *)t_read_file(t_path("fixtures/taskstats/exit-6.18.bin"), &len);
    CHECK(b != NULL && len > 6);
    if (!b || len <= 6)
        return;
    uint16_t family;
    uint32_t pid;
    memcpy(&family, b, 2);
    memcpy(&pid, b + 2, 4);
    ph_ts_record r[4];
    int refused = 0;
    CHECK_I(ph_parse_taskstats(b + 6, len - 6, family, r, 4, &refused), 1);
    CHECK_I(refused, 0);
    CHECK_I(r[0].version, 16);
    CHECK_I(r[0].id, pid);
    CHECK_I(r[0].tgid, pid);
    CHECK_S(r[0].comm, "ph-capture");
    CHECK_I((int64_t)r[0].write_bytes, 8192);
    CHECK_I((int64_t)r[0].syscw, 0); /* 2 calls, masked to a multiple of 1024 by the kernel */
    CHECK((int64_t)r[0].wchar >= 8192);
    CHECK(r[0].run_ns > 0);
    CHECK(r[0].hiwater_rss_kib > 0);
    ph_exit_acc a;
    ph_exit_acc_init(&a, 0, 10000000);
    ph_exit_acc_add(&a, &r[0], 100 * 1000000000LL);
    CHECK(a.done.n == 1 && a.done.v[0].whole && a.done.v[0].pid == (int32_t)pid);
    if (a.done.n == 1) {
        CHECK_S(a.done.v[0].name, "ph-capture");
        CHECK_I(a.done.v[0].vals.v[PH_M_DISK_WRITE_BYTES], 8192);
        CHECK_I(a.done.v[0].vals.v[PH_M_SYSCALL_WRITE_BYTES], 8192);
        CHECK_I(a.done.v[0].vals.v[PH_M_CTXSW_VOLUNTARY], 4);
        CHECK_I(a.done.v[0].vals.v[PH_M_PEAK_RESIDENT_BYTES], 936 * 1024);
        CHECK_I(a.done.v[0].vals.v[PH_M_CPU_USER_NS] + a.done.v[0].vals.v[PH_M_CPU_SYSTEM_NS], (int64_t)r[0].run_ns);
    }
    ph_exit_acc_free(&a);
    free(b);
}
