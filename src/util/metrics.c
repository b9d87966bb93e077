/* The metric registry (include/ph_metrics.h), the pid and exit lists. */
#include "ph_metrics.h"
#include "ph_platform.h"
#include "ph_util.h"

#include <stdlib.h>
#include <string.h>

static const struct {
    const char *column;
    enum ph_metric_kind kind;
} metrics[PH_METRIC_COUNT] = {
#define PH_M_ROW(id, col, kind) {col, kind},
    PH_METRICS(PH_M_ROW)
#undef PH_M_ROW
};

const char *ph_metric_column(enum ph_metric m) { return metrics[m].column; }
enum ph_metric_kind ph_metric_kind(enum ph_metric m) { return metrics[m].kind; }

ph_mask ph_metric_counters(void)
{
    return 0
#define PH_M_CMASK(id, col, kind) | ((kind) == PH_COUNTER ? PH_BIT(PH_M_##id) : 0)
        PH_METRICS(PH_M_CMASK)
#undef PH_M_CMASK
        ;
}

int ph_pidlist_push(ph_pidlist *l, int32_t pid)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 512;
        l->pids = ph_xrealloc(l->pids, l->cap * sizeof *l->pids);
    }
    l->pids[l->n++] = pid;
    return 0;
}

ph_exit *ph_exitlist_push(ph_exitlist *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 64;
        l->v = ph_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    ph_exit *x = &l->v[l->n++];
    memset(x, 0, sizeof *x);
    return x;
}

void ph_exitlist_free(ph_exitlist *l)
{
    free(l->v);
    l->v = NULL;
    l->n = l->cap = 0;
}

void ph_pidlist_free(ph_pidlist *l)
{
    free(l->pids);
    l->pids = NULL;
    l->n = l->cap = 0;
}

uint64_t ph_power_delta(uint64_t prev, uint64_t cur, uint64_t max)
{
    if (cur >= prev)
        return cur - prev;
    /* Wrapped: prev ran up to max, then from 0 to cur. A reading past max
     * (a reset, or a max that changed) gives no delta rather than a huge one. */
    if (max == 0 || prev > max)
        return 0;
    return (max - prev) + cur;
}
