/*
 * The Linux collector's listing without a scan: when the PID allocation
 * cursor (loadavg's last field) has not moved, the last listing less the
 * processes found gone is the answer. Driven on a copy of the fixture tree
 * whose loadavg the test controls (PROCHIST_FIXTURE_CURSOR=1). Linux only.
 */
#define _GNU_SOURCE
#include "ph_platform.h"
#include "test.h"

#include <stdio.h>
#include <stdlib.h>

static int listed(const ph_pidlist *l, int32_t pid)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->pids[i] == pid)
            return 1;
    return 0;
}

static void sh(const char *fmt, const char *a, const char *b)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    if (system(cmd) != 0)
        t_fail(__FILE__, __LINE__, "command failed: %s", cmd);
}

static void set_cursor(const char *proc, int last)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/loadavg", proc);
    FILE *f = fopen(path, "w");
    if (!f) {
        t_fail(__FILE__, __LINE__, "cannot write %s", path);
        return;
    }
    fprintf(f, "0.00 0.00 0.00 1/100 %d\n", last);
    fclose(f);
}

static ph_platform *open_tree(const char *proc)
{
    ph_platform_opts o = {0};
    o.proc_root = proc;
    ph_platform *p = NULL;
    char err[256];
    if (ph_platform_open(&o, &p, err, sizeof err) < 0)
        t_fail(__FILE__, __LINE__, "open: %s", err);
    return p;
}

TEST(linux_listing_skips_scan_while_no_pid_is_allocated)
{
    char proc[1024];
    snprintf(proc, sizeof proc, "%s/proc", t_tmpdir());
    sh("cp -R '%s' '%s'", t_path("fixtures/proc"), proc);
    set_cursor(proc, 5000);
    setenv("PROCHIST_FIXTURE_CURSOR", "1", 1);
    ph_platform *p = open_tree(proc);
    unsetenv("PROCHIST_FIXTURE_CURSOR");
    if (!p)
        return;
    ph_pidlist l = {0};
    ph_proc_sample s;
    CHECK_I(ph_platform_list(p, &l), 0); /* the first listing scans */
    size_t n0 = l.n;
    CHECK(listed(&l, 3154));
    CHECK_I(ph_platform_list_skipped(p), 0);

    /* 3154 exits: still listed (nobody has read it), found gone, then not listed */
    sh("rm -rf '%s/3154'%s", proc, "");
    CHECK_I(ph_platform_list(p, &l), 0);
    CHECK_I(ph_platform_list_skipped(p), 1);
    CHECK_I(l.n, n0);
    CHECK_I(ph_platform_read(p, 3154, NULL, &s), PH_READ_GONE);
    CHECK(ph_platform_read(p, 1186, NULL, &s) != PH_READ_GONE);
    CHECK_I(ph_platform_list(p, &l), 0);
    CHECK_I(l.n, n0 - 1);
    CHECK(!listed(&l, 3154));
    CHECK(listed(&l, 1186));

    /* 4000 is born: the cursor moves, the next listing scans and finds it */
    sh("cp -R '%s/3109' '%s/4000'", proc, proc);
    CHECK_I(ph_platform_list(p, &l), 0);
    CHECK(!listed(&l, 4000)); /* what the cursor promises; the kernel moves it */
    set_cursor(proc, 5001);
    CHECK_I(ph_platform_list(p, &l), 0);
    CHECK(listed(&l, 4000));
    CHECK_I(l.n, n0);
    uint64_t skipped = ph_platform_list_skipped(p);
    CHECK_I(skipped, 3);

    /* A pid the cursor cannot see (clone3 set_tid) is found by the periodic scan */
    sh("cp -R '%s/3109' '%s/4001'", proc, proc);
    int k = 0;
    while (k < 100) {
        CHECK_I(ph_platform_list(p, &l), 0);
        k++;
        if (listed(&l, 4001))
            break;
    }
    CHECK_I(k, 60);
    CHECK_I(ph_platform_list_skipped(p), skipped + 59);

    /* An unreadable cursor means a scan every time */
    sh("rm -f '%s/loadavg'%s", proc, "");
    sh("cp -R '%s/3109' '%s/4002'", proc, proc);
    CHECK_I(ph_platform_list(p, &l), 0);
    CHECK(listed(&l, 4002));
    ph_pidlist_free(&l);
    ph_platform_close(p);
}

TEST(linux_listing_always_scans_without_a_trusted_cursor)
{
    char proc[1024];
    snprintf(proc, sizeof proc, "%s/proc", t_tmpdir());
    sh("cp -R '%s' '%s'", t_path("fixtures/proc"), proc);
    set_cursor(proc, 5000);
    ph_platform *p = open_tree(proc); /* a fixture tree: not the kernel's cursor */
    if (!p)
        return;
    ph_pidlist l = {0};
    CHECK_I(ph_platform_list(p, &l), 0);
    sh("cp -R '%s/3109' '%s/4000'", proc, proc);
    CHECK_I(ph_platform_list(p, &l), 0);
    CHECK(listed(&l, 4000));
    CHECK_I(ph_platform_list_skipped(p), 0);
    ph_pidlist_free(&l);
    ph_platform_close(p);
}
