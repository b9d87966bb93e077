/*
 * The Linux collector fills only the metrics ph_platform_stored_metrics
 * declares (a new database stores those columns only; the store fails a
 * row with any other rather than drop it). Every process of the fixture
 * tree and of this machine's /proc, read in full. Linux only.
 */
#include "ph_platform.h"
#include "test.h"

#include <stdio.h>

/* Every process of the tree at proc (NULL: /proc) read in full; how many
 * had values, each checked against the declared set. */
static int read_all(const char *proc, ph_mask *seen)
{
    ph_platform_opts o = {0};
    o.proc_root = proc;
    ph_platform *p = NULL;
    char err[256];
    ph_pidlist l = {0};
    int n = 0;
    ph_mask declared = ph_platform_stored_metrics();
    if (ph_platform_open(&o, &p, err, sizeof err) < 0) {
        t_fail(__FILE__, __LINE__, "open %s: %s", proc ? proc : "/proc", err);
        return -1;
    }
    CHECK_I(ph_platform_list(p, &l), 0);
    for (size_t i = 0; i < l.n; i++) {
        ph_proc_sample s;
        if (ph_platform_read(p, l.pids[i], NULL, &s) != PH_READ_FULL || !s.vals.have)
            continue;
        n++;
        *seen |= s.vals.have;
        ph_mask extra = s.vals.have & ~declared;
        if (extra)
            t_fail(__FILE__, __LINE__, "pid %d (%s) has %s, not in ph_platform_stored_metrics()", (int)s.pid,
                   s.name, ph_metric_column((enum ph_metric)__builtin_ctzll(extra)));
    }
    ph_pidlist_free(&l);
    ph_platform_close(p);
    return n;
}

TEST(linux_collector_fills_only_the_stored_metrics)
{
    ph_mask seen = 0;
    CHECK(read_all(t_path("fixtures/proc"), &seen) > 0);
    CHECK(read_all(NULL, &seen) > 0); /* this test process at least */
    /* the check is not empty: the reads filled most of the declared set */
    CHECK(__builtin_popcountll(seen) >= 20);
}
