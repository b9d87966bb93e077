/* The coalition ledger (see include/ph_coalition.h). */
#include "ph_coalition.h"
#include "ph_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Which rows' metrics each coalition field compares with. */
static const struct {
    enum ph_co_field f;
    enum ph_metric m, m2; /* m2: added to m (CPU: user + system); PH_METRIC_COUNT none */
} fields[] = {
    {PH_CO_CPU_NS, PH_M_CPU_USER_NS, PH_M_CPU_SYSTEM_NS},
    {PH_CO_ENERGY_NJ, PH_M_ENERGY_NJ, PH_METRIC_COUNT},
    {PH_CO_DISK_READ_BYTES, PH_M_DISK_READ_BYTES, PH_METRIC_COUNT},
    {PH_CO_DISK_WRITE_BYTES, PH_M_DISK_WRITE_BYTES, PH_METRIC_COUNT},
    {PH_CO_WAKEUPS_INTERRUPT, PH_M_WAKEUPS_INTERRUPT, PH_METRIC_COUNT},
    {PH_CO_WAKEUPS_PKG_IDLE, PH_M_WAKEUPS_PKG_IDLE, PH_METRIC_COUNT},
};

void ph_ledger_init(ph_ledger *l)
{
    memset(l, 0, sizeof *l);
}

void ph_ledger_free(ph_ledger *l)
{
    free(l->co);
    free(l->m);
    memset(l, 0, sizeof *l);
}

void ph_ledger_copy(ph_ledger *dst, const ph_ledger *src)
{
    if (dst->capco < src->nco) {
        dst->capco = src->nco;
        dst->co = ph_xrealloc(dst->co, dst->capco * sizeof *dst->co);
    }
    if (dst->capm < src->nm) {
        dst->capm = src->nm;
        dst->m = ph_xrealloc(dst->m, dst->capm * sizeof *dst->m);
    }
    if (src->nco)
        memcpy(dst->co, src->co, src->nco * sizeof *src->co);
    if (src->nm)
        memcpy(dst->m, src->m, src->nm * sizeof *src->m);
    dst->nco = src->nco;
    dst->nm = src->nm;
}

static size_t co_pos(const ph_ledger *l, int64_t id)
{
    return PH_LOWER_BOUND(l->co, l->nco, id, id);
}

static ph_co *find_co(ph_ledger *l, int64_t id)
{
    size_t i = co_pos(l, id);
    return i < l->nco && l->co[i].id == id ? &l->co[i] : NULL;
}

ph_co *ph_ledger_add_coalition(ph_ledger *l, int64_t id, const char *app)
{
    size_t i = co_pos(l, id);
    if (i < l->nco && l->co[i].id == id)
        return &l->co[i];
    if (l->nco == l->capco) {
        l->capco = l->capco ? l->capco * 2 : 32;
        l->co = ph_xrealloc(l->co, l->capco * sizeof *l->co);
    }
    memmove(&l->co[i + 1], &l->co[i], (l->nco - i) * sizeof *l->co);
    l->nco++;
    ph_co *c = &l->co[i];
    memset(c, 0, sizeof *c);
    c->id = id;
    snprintf(c->app, sizeof c->app, "%s", app && app[0] ? app : "?");
    return c;
}

static size_t m_pos(const ph_ledger *l, int64_t proc)
{
    return PH_LOWER_BOUND(l->m, l->nm, proc, proc);
}

void ph_ledger_add_member(ph_ledger *l, int64_t proc, int64_t coalition)
{
    size_t i = m_pos(l, proc);
    if (i < l->nm && l->m[i].proc == proc) {
        l->m[i].coalition = coalition;
        return;
    }
    if (l->nm == l->capm) {
        l->capm = l->capm ? l->capm * 2 : 256;
        l->m = ph_xrealloc(l->m, l->capm * sizeof *l->m);
    }
    /* process ids only grow: appending is the common case */
    memmove(&l->m[i + 1], &l->m[i], (l->nm - i) * sizeof *l->m);
    l->nm++;
    l->m[i].proc = proc;
    l->m[i].coalition = coalition;
}

static int64_t member_of(const ph_ledger *l, int64_t proc)
{
    size_t i = m_pos(l, proc);
    return i < l->nm && l->m[i].proc == proc ? l->m[i].coalition : -1;
}

static void drop_member(ph_ledger *l, int64_t proc)
{
    size_t i = m_pos(l, proc);
    if (i < l->nm && l->m[i].proc == proc) {
        memmove(&l->m[i], &l->m[i + 1], (l->nm - i - 1) * sizeof *l->m);
        l->nm--;
    }
}

/* ---- the sink wrapper ------------------------------------------------- */

static int w_new(void *ctx, const ph_proc_info *info, int64_t *id)
{
    ph_ledger_sink *w = ctx;
    if (w->inner.proc_new(w->inner.ctx, info, id) < 0)
        return -1;
    if (info->coalition > 0 && info->pid >= 0) {
        ph_ledger_add_coalition(w->l, info->coalition, info->app);
        ph_ledger_add_member(w->l, *id, info->coalition);
    }
    return 0;
}

static int w_renamed(void *ctx, int64_t id, const ph_proc_info *info)
{
    ph_ledger_sink *w = ctx;
    return w->inner.proc_renamed(w->inner.ctx, id, info);
}

static int w_gone(void *ctx, int64_t id)
{
    ph_ledger_sink *w = ctx;
    drop_member(w->l, id);
    return w->inner.proc_gone(w->inner.ctx, id);
}

static int w_row(void *ctx, const ph_row *row)
{
    ph_ledger_sink *w = ctx;
    int64_t cid = member_of(w->l, row->proc);
    ph_co *c = cid > 0 ? find_co(w->l, cid) : NULL;
    if (c && row->kind != PH_ROW_BASELINE && row->kind != PH_ROW_KEYFRAME)
        for (size_t i = 0; i < PH_ARRAY_LEN(fields); i++) {
            const ph_values *v = &row->vals;
            if (v->have & PH_BIT(fields[i].m))
                c->seen[fields[i].f] += v->v[fields[i].m];
            if (fields[i].m2 != PH_METRIC_COUNT && (v->have & PH_BIT(fields[i].m2)))
                c->seen[fields[i].f] += v->v[fields[i].m2];
        }
    return w->inner.row(w->inner.ctx, row);
}

static int w_state(void *ctx, const ph_entry *e)
{
    ph_ledger_sink *w = ctx;
    return w->inner.state ? w->inner.state(w->inner.ctx, e) : 0;
}

static int w_cgroup(void *ctx, int64_t id, const struct ph_cgroup *cg)
{
    ph_ledger_sink *w = ctx;
    return w->inner.proc_cgroup ? w->inner.proc_cgroup(w->inner.ctx, id, cg) : 0;
}

ph_sink ph_ledger_wrap(ph_ledger_sink *ctx)
{
    ph_sink s = {ctx, w_new, w_renamed, w_gone, w_row, w_state, w_cgroup};
    return s;
}

/* ---- settling a sample ------------------------------------------------ */

static int emit(ph_co *c, const ph_sink *sink, int64_t start_ns, const int64_t diff[PH_CO_FIELDS])
{
    if (!c->proc) {
        ph_proc_info info;
        memset(&info, 0, sizeof info);
        info.pid = -1;
        info.ppid = -1;
        info.uid = -1;
        info.start_key = (uint64_t)c->id; /* unique: ids are not reused within a boot */
        info.start_ns = start_ns;
        info.name = PH_CO_PROC_NAME;
        info.exe = "";
        info.app = c->app;
        info.bundle = "";
        info.coalition = c->id;
        info.responsible_pid = -1;
        if (sink->proc_new(sink->ctx, &info, &c->proc) < 0)
            return -1;
    }
    ph_row row;
    memset(&row, 0, sizeof row);
    row.proc = c->proc;
    row.kind = PH_ROW_EXIT;
    for (size_t i = 0; i < PH_ARRAY_LEN(fields); i++)
        if (diff[fields[i].f] > 0) {
            ph_values_set(&row.vals, fields[i].m, diff[fields[i].f]);
            /* package-idle wakeups are a subset of interrupt wakeups
             * (xnu sched_prim.c credits both): the total is the latter */
            if (fields[i].f == PH_CO_WAKEUPS_INTERRUPT)
                ph_values_set(&row.vals, PH_M_WAKEUPS, diff[fields[i].f]);
        }
    return sink->row(sink->ctx, &row);
}

int ph_ledger_settle(ph_ledger *l, const ph_source *src, const ph_sink *sink, int64_t start_ns,
                     int64_t *dropped, size_t max, size_t *ndropped)
{
    int rows = 0;
    size_t nd = 0;
    for (size_t i = 0; i < l->nco; i++)
        l->co[i].members = 0;
    for (size_t k = 0; k < l->nm; k++) {
        ph_co *c = find_co(l, l->m[k].coalition);
        if (c)
            c->members++;
    }
    size_t keep = 0;
    for (size_t i = 0; i < l->nco; i++) {
        ph_co *c = &l->co[i];
        ph_coalition_usage u;
        memset(&u, 0, sizeof u);
        int ok = src->coalition && src->coalition(src->ctx, c->id, &u) == 0;
        /* A member's own usage was refused, yet the totals count it: the
         * residue would claim usage no row can vouch for. The interval
         * since the last sample is blind when such a member lives now or
         * lived then (its last interval before it exited): take the totals
         * as the new baseline and write nothing. */
        int blind = ok && (u.unreadable_members || c->unreadable);
        if (ok)
            c->unreadable = u.unreadable_members;
        if (blind) {
            memset(c->carry, 0, sizeof c->carry);
        } else if (ok && c->have_last) {
            int64_t diff[PH_CO_FIELDS];
            int any = 0;
            for (int f = 0; f < PH_CO_FIELDS; f++) {
                diff[f] = 0;
                if (u.v[f] < 0 || c->last.v[f] < 0 || u.v[f] < c->last.v[f]) {
                    c->carry[f] = 0; /* unknown, or a new baseline */
                    continue;
                }
                int64_t d = (u.v[f] - c->last.v[f]) - c->seen[f] + c->carry[f];
                if (d > 0) {
                    diff[f] = d;
                    c->carry[f] = 0;
                    any = 1;
                } else {
                    /* the members' rows ran ahead of the coalition: the
                     * next sample's growth pays it back (bounded by a
                     * sample's worth, so a stale debt cannot eat real use) */
                    c->carry[f] = d < -c->seen[f] ? -c->seen[f] : d;
                }
            }
            if (any) {
                if (emit(c, sink, start_ns, diff) < 0)
                    return -1;
                rows++;
            }
        }
        if (ok) {
            c->last = u;
            c->have_last = 1;
        }
        memset(c->seen, 0, sizeof c->seen);
        if (!ok || c->members == 0) { /* ended, or nobody left to read it for */
            if (c->proc && sink->proc_gone(sink->ctx, c->proc) < 0)
                return -1;
            if (dropped && nd < max)
                dropped[nd++] = c->id;
            continue;
        }
        l->co[keep++] = *c;
    }
    l->nco = keep;
    if (ndropped)
        *ndropped = nd;
    return rows;
}
