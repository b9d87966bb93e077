/*
 * The taskstats listener: a generic netlink socket registered for exit
 * records of every CPU (needs CAP_NET_ADMIN, so root in practice). Parsing
 * and folding are in taskstats_parse.c; this file only talks to the kernel.
 *
 * Why taskstats rather than BSD process accounting (acct(2), what atop
 * uses): the records arrive over a socket as processes exit, with precise
 * CPU nanoseconds, storage and syscall I/O, faults, context switches and
 * peak RSS; acct(2) writes 64-byte records with CPU in 1/100 s compressed
 * floats, virtual (not resident) memory and no I/O, to a file that one
 * process per namespace owns and that stops below 2% free disk. Cost: the
 * kernel builds one ~400-byte message per exiting thread; we read them in
 * batches while sleeping between samples.
 */
#define _GNU_SOURCE /* SO_RCVBUFFORCE, recvmmsg */
#include "ph_taskstats.h"
#include "ph_util.h"

#include <errno.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/taskstats.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RCVBUF (16 << 20)
#define RECV_MAX 65536
#define BATCH 64
/* Datagrams taken per recvmmsg call, and the room for each: a taskstats
 * message is one or two struct taskstats (~400 bytes each) with headers,
 * so 8 KiB is ample; a longer one is flagged MSG_TRUNC and dropped (the
 * parser would refuse it anyway). One system call per MMSG records instead
 * of one per record: at a thousand exits a second the calls were a third
 * of the cost of hearing them. */
#define MMSG 32
#define MMSG_SLOT 8192

struct ph_ts {
    int fd;
    uint16_t family;
    char mask[32];
    ph_exit_acc acc;
    unsigned char *buf;
    unsigned char *slots; /* MMSG x MMSG_SLOT */
    int lost_logged;
};

static int64_t boot_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Send one generic netlink request with a single attribute. */
static int send_req(int fd, uint16_t type, uint8_t cmd, uint16_t attr, const void *val, size_t vlen)
{
    unsigned char msg[256];
    size_t len = NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN + NLA_ALIGN(vlen);
    if (len > sizeof msg)
        return -1;
    memset(msg, 0, sizeof msg);
    struct nlmsghdr h = {.nlmsg_len = (uint32_t)len, .nlmsg_type = type,
                         .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK, .nlmsg_seq = 1};
    struct genlmsghdr g = {.cmd = cmd, .version = 1};
    struct nlattr a = {.nla_len = (uint16_t)(NLA_HDRLEN + vlen), .nla_type = attr};
    memcpy(msg, &h, sizeof h);
    memcpy(msg + NLMSG_HDRLEN, &g, sizeof g);
    memcpy(msg + NLMSG_HDRLEN + GENL_HDRLEN, &a, sizeof a);
    memcpy(msg + NLMSG_HDRLEN + GENL_HDRLEN + NLA_HDRLEN, val, vlen);
    struct sockaddr_nl to = {.nl_family = AF_NETLINK};
    return sendto(fd, msg, len, 0, (struct sockaddr *)&to, sizeof to) == (ssize_t)len ? 0 : -1;
}

/* Wait up to a second for the answer to a request: its ack (0 or -errno),
 * and for CTRL_CMD_GETFAMILY the family id. */
static int recv_reply(int fd, unsigned char *buf, uint16_t *family)
{
    for (int tries = 0; tries < 8; tries++) {
        struct pollfd pfd = {fd, POLLIN, 0};
        if (poll(&pfd, 1, 1000) <= 0)
            return -ETIMEDOUT;
        ssize_t n = recv(fd, buf, RECV_MAX, 0);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
        unsigned char *p = buf;
        size_t len = (size_t)n;
        while (len >= NLMSG_HDRLEN) {
            struct nlmsghdr h;
            memcpy(&h, p, sizeof h);
            if (h.nlmsg_len < NLMSG_HDRLEN || h.nlmsg_len > len)
                return -EPROTO;
            if (h.nlmsg_type == NLMSG_ERROR && h.nlmsg_len >= NLMSG_HDRLEN + sizeof(struct nlmsgerr)) {
                struct nlmsgerr e;
                memcpy(&e, p + NLMSG_HDRLEN, sizeof e);
                return e.error; /* 0 is the ack */
            }
            if (family && h.nlmsg_type == GENL_ID_CTRL) {
                unsigned char *a = p + NLMSG_HDRLEN + GENL_HDRLEN;
                size_t alen = h.nlmsg_len > NLMSG_HDRLEN + GENL_HDRLEN ? h.nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN : 0;
                while (alen >= NLA_HDRLEN) {
                    struct nlattr at;
                    memcpy(&at, a, sizeof at);
                    if (at.nla_len < NLA_HDRLEN || at.nla_len > alen)
                        break;
                    if ((at.nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID && at.nla_len >= NLA_HDRLEN + 2)
                        memcpy(family, a + NLA_HDRLEN, 2);
                    size_t step = NLA_ALIGN(at.nla_len);
                    if (step >= alen)
                        break;
                    a += step;
                    alen -= step;
                }
            }
            size_t step = NLMSG_ALIGN(h.nlmsg_len);
            if (step >= len)
                break;
            p += step;
            len -= step;
        }
    }
    return -EPROTO;
}

int ph_ts_open(ph_ts **out, int64_t tick_ns, char *why, size_t whylen)
{
    ph_ts *t = ph_xcalloc(1, sizeof *t);
    t->buf = ph_xcalloc(1, RECV_MAX);
    t->slots = ph_xcalloc(MMSG, MMSG_SLOT);
    t->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
    struct sockaddr_nl me = {.nl_family = AF_NETLINK};
    int rc;
    if (t->fd < 0 || bind(t->fd, (struct sockaddr *)&me, sizeof me) < 0) {
        ph_fmt(why, whylen, "no generic netlink socket (%s)", strerror(errno));
        goto fail;
    }
    int sz = RCVBUF;
    if (setsockopt(t->fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof sz) < 0)
        setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    if (send_req(t->fd, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_NAME, TASKSTATS_GENL_NAME,
                 sizeof TASKSTATS_GENL_NAME) < 0 ||
        (rc = recv_reply(t->fd, t->buf, &t->family)) < 0 || !t->family) {
        ph_fmt(why, whylen, "the kernel has no taskstats (CONFIG_TASKSTATS)");
        goto fail;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_CONF);
    snprintf(t->mask, sizeof t->mask, "0-%ld", ncpu > 1 ? ncpu - 1 : 0);
    int64_t listen = boot_ns();
    if (send_req(t->fd, t->family, TASKSTATS_CMD_GET, TASKSTATS_CMD_ATTR_REGISTER_CPUMASK, t->mask,
                 strlen(t->mask) + 1) < 0 ||
        (rc = recv_reply(t->fd, t->buf, NULL)) != 0) {
        if (rc == -EPERM || rc == -EACCES)
            ph_fmt(why, whylen, "taskstats needs CAP_NET_ADMIN (run the recorder as root)");
        else
            ph_fmt(why, whylen, "taskstats registration failed (%s)", strerror(rc < 0 ? -rc : EPROTO));
        goto fail;
    }
    ph_exit_acc_init(&t->acc, listen, tick_ns);
    *out = t;
    return 0;
fail:
    if (t->fd >= 0)
        close(t->fd);
    free(t->buf);
    free(t->slots);
    free(t);
    return -1;
}

int ph_ts_fd(const ph_ts *t)
{
    return t ? t->fd : -1;
}

void ph_ts_drain(ph_ts *t)
{
    if (!t)
        return;
    int64_t began = boot_ns();
    struct mmsghdr mm[MMSG];
    struct iovec iov[MMSG];
    for (;;) {
        memset(mm, 0, sizeof mm);
        for (int i = 0; i < MMSG; i++) {
            iov[i].iov_base = t->slots + (size_t)i * MMSG_SLOT;
            iov[i].iov_len = MMSG_SLOT;
            mm[i].msg_hdr.msg_iov = &iov[i];
            mm[i].msg_hdr.msg_iovlen = 1;
        }
        int got = recvmmsg(t->fd, mm, MMSG, MSG_DONTWAIT, NULL);
        if (got < 0) {
            if (errno == ENOBUFS) { /* the kernel dropped records: say so once */
                ph_exit_acc_lost(&t->acc);
                if (!t->lost_logged)
                    ph_log("exit records were dropped (socket buffer full); some short processes are missing");
                t->lost_logged = 1;
                continue;
            }
            if (errno == EINTR)
                continue;
            /* EAGAIN: drained. What the next drain reads was sent after now. */
            t->acc.drained_ns = began;
            return;
        }
        int64_t now = boot_ns();
        for (int m = 0; m < got; m++) {
            if (mm[m].msg_hdr.msg_flags & MSG_TRUNC)
                continue;
            ph_ts_record r[BATCH];
            int k = ph_parse_taskstats(iov[m].iov_base, mm[m].msg_len, t->family, r, BATCH, NULL);
            for (int i = 0; i < k; i++)
                ph_exit_acc_add(&t->acc, &r[i], now);
        }
    }
}

void ph_ts_take(ph_ts *t, ph_exitlist *out)
{
    ph_ts_drain(t);
    if (out->n == 0) { /* hand the list over: no copy of every record */
        ph_exitlist keep = *out;
        *out = t->acc.done;
        t->acc.done = keep;
    } else {
        for (size_t i = 0; i < t->acc.done.n; i++)
            *ph_exitlist_push(out) = t->acc.done.v[i];
    }
    t->acc.done.n = 0;
}

void ph_ts_close(ph_ts *t)
{
    if (!t)
        return;
    send_req(t->fd, t->family, TASKSTATS_CMD_GET, TASKSTATS_CMD_ATTR_DEREGISTER_CPUMASK, t->mask,
             strlen(t->mask) + 1);
    close(t->fd);
    ph_exit_acc_free(&t->acc);
    free(t->buf);
    free(t->slots);
    free(t);
}
