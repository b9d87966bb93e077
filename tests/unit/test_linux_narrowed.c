/*
 * The Linux collector's narrowed listing on the live /proc: after PIDs were
 * allocated, only the pids above the last cursor are read (the /proc
 * directory sought to the first of them), merged with the last listing.
 * Every child started between two listings must be listed, the listing
 * must stay ascending without duplicates, and a process that ended must
 * leave it once found gone. Linux only.
 */
#define _GNU_SOURCE
#include "ph_platform.h"
#include "test.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static int listed(const ph_pidlist *l, int32_t pid)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->pids[i] == pid)
            return 1;
    return 0;
}

static int ascending(const ph_pidlist *l)
{
    for (size_t i = 1; i < l->n; i++)
        if (l->pids[i - 1] >= l->pids[i])
            return 0;
    return 1;
}

TEST(linux_listing_narrowed_to_new_pids_finds_every_child)
{
    ph_platform_opts o = {0};
    ph_platform *p = NULL;
    char err[256];
    unsetenv("PROCHIST_ALWAYS_SCAN");
    setenv("PROCHIST_NO_EXITS", "1", 1);
    if (ph_platform_open(&o, &p, err, sizeof err) < 0) {
        t_fail(__FILE__, __LINE__, "open: %s", err);
        return;
    }
    ph_pidlist l = {0};
    ph_proc_sample s;
    CHECK_I(ph_platform_list(p, &l), 0); /* the first listing scans */
    CHECK(listed(&l, (int32_t)getpid()));
    /* Children started one at a time, each between two listings: each must
     * be found. A listing narrowed to the new pids is what the cursor allows
     * unless it wrapped or the periodic full scan fell there: most must be
     * narrowed. */
    enum { N = 20 };
    pid_t kids[N];
    int found = 0;
    for (int i = 0; i < N; i++) {
        int fds[2];
        if (pipe(fds) != 0) {
            t_fail(__FILE__, __LINE__, "pipe");
            break;
        }
        kids[i] = fork();
        if (kids[i] == 0) {
            char c;
            close(fds[1]);
            while (read(fds[0], &c, 1) < 0)
                ;
            _exit(0);
        }
        close(fds[0]);
        close(fds[1]); /* the child's read returns 0 at once: it exits soon */
        int w = 0;
        if (i % 2 == 0) { /* every other child is reaped before the listing */
            waitpid(kids[i], &w, 0);
            kids[i] = -1;
        }
        CHECK_I(ph_platform_list(p, &l), 0);
        CHECK(ascending(&l));
        CHECK(listed(&l, (int32_t)getpid()));
        if (kids[i] > 0) { /* a zombie until reaped: listed */
            CHECK(listed(&l, (int32_t)kids[i]));
            found += listed(&l, (int32_t)kids[i]);
        }
        for (int j = 0; j < i; j++) /* reaped earlier and read gone: not listed */
            if (kids[j] > 0) {
                waitpid(kids[j], &w, 0);
                ph_platform_read(p, kids[j], NULL, &s);
            }
    }
    CHECK_I(found, N / 2);
    uint64_t narrowed = ph_platform_list_narrowed(p);
    CHECK(narrowed >= N / 2);
    /* every child is gone and was read gone: the next listing drops them */
    for (int i = 0; i < N; i++)
        if (kids[i] > 0) {
            int w;
            waitpid(kids[i], &w, 0);
            CHECK_I(ph_platform_read(p, kids[i], NULL, &s), PH_READ_GONE);
        }
    CHECK_I(ph_platform_list(p, &l), 0);
    for (int i = 0; i < N; i++)
        if (kids[i] > 0)
            CHECK(!listed(&l, (int32_t)kids[i]));
    ph_pidlist_free(&l);
    ph_platform_close(p);
    unsetenv("PROCHIST_NO_EXITS");
}
