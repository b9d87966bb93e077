/* prochist diff: how each app's usage changed between two windows. */
#include "ph_cmd.h"
#include "ph_format.h"
#include "ph_qcmd.h"
#include "ph_time.h"
#include "ph_util.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct change {
    const ph_agg *row; /* of the after window, else the before one (groups) */
    const char *name;
    int64_t before, after; /* < 0: not measured / absent */
    int64_t proc;          /* --by process: the process (after, else before) and its pid */
    int pid;
    int ia, ib; /* --by process: its entries in the after and before windows (-1 none) */
} change;

/* --sort mem --by process: more peaks to read than this, and reading every
 * process costs no more. */
#define MAX_PEAKS 50000

static int64_t absv(int64_t v) { return v < 0 ? -v : v; }

/* A before-window total at the after window's length (-1 stays unknown). */
static int64_t scaled(int64_t v, double k)
{
    return v < 0 || k == 1.0 ? v : (int64_t)((double)v * k + 0.5);
}

/* What the comparison is, in words, for the header and the note. */
static void describe(char *out, size_t len, int rates, int is_peak, int64_t len_b, int64_t len_a, int overlap)
{
    char lb[32], la[32];
    ph_fmt_duration(len_b, lb, sizeof lb);
    ph_fmt_duration(len_a, la, sizeof la);
    size_t off = 0;
    out[0] = '\0';
    if (rates)
        off += (size_t)snprintf(out, len, "windows of %s (before) and %s (after): before scaled to %s, rates compared",
                                lb, la, la);
    else if (is_peak && len_b != len_a)
        off += (size_t)snprintf(out, len, "windows of %s (before) and %s (after): peaks compared as they are", lb, la);
    if (overlap && off < len)
        snprintf(out + off, len - off, "%sthe windows overlap: their common part counts in both", off ? "; " : "");
}

static int cmp_change(const void *x, const void *y)
{
    const change *a = x, *b = y;
    int64_t da = absv((a->after < 0 ? 0 : a->after) - (a->before < 0 ? 0 : a->before));
    int64_t db = absv((b->after < 0 ? 0 : b->after) - (b->before < 0 ? 0 : b->before));
    if (da != db)
        return da < db ? 1 : -1;
    int c = strcmp(a->name, b->name);
    if (c)
        return c;
    if (a->pid != b->pid) /* processes: one order, whatever the windows' */
        return a->pid < b->pid ? -1 : 1;
    return (a->proc > b->proc) - (a->proc < b->proc);
}

/* The first `limit` of ch[0..n) in cmp_change's order, in that order, at
 * its start; how many. A month of processes holds ~10^5 changes for the
 * ten a table shows: a heap of the limit kept, not a sort of all. */
static void sift_down(change *h, size_t n, size_t j)
{
    for (;;) { /* h[0] is the last kept: the one every other comes before */
        size_t l = 2 * j + 1, r = l + 1, m = j;
        if (l < n && cmp_change(&h[l], &h[m]) > 0)
            m = l;
        if (r < n && cmp_change(&h[r], &h[m]) > 0)
            m = r;
        if (m == j)
            return;
        change t = h[j];
        h[j] = h[m];
        h[m] = t;
        j = m;
    }
}

static size_t largest(change *ch, size_t n, size_t limit)
{
    if (limit < n && limit > 0) {
        for (size_t j = limit / 2; j-- > 0;)
            sift_down(ch, limit, j);
        for (size_t i = limit; i < n; i++)
            if (cmp_change(&ch[i], &ch[0]) < 0) {
                ch[0] = ch[i];
                sift_down(ch, limit, 0);
            }
        n = limit;
    }
    if (n > limit)
        n = limit;
    if (n > 1)
        qsort(ch, n, sizeof *ch, cmp_change);
    return n;
}

/* "A..B": two points in time in the grammar of include/ph_time.h; 0, or
 * PH_EXIT_USAGE after one line saying which side is wrong and why. */
static int parse_range(const char *s, int64_t now, int utc, int64_t *a, int64_t *b)
{
    const char *dots = strstr(s, "..");
    char left[128];
    if (!dots || (size_t)(dots - s) >= sizeof left) {
        ph_err("bad --vs '%s': give two times A..B, e.g. 2d..1d, yesterday..today or "
               "'2026-11-20..2026-11-21'", s);
        return PH_EXIT_USAGE;
    }
    memcpy(left, s, (size_t)(dots - s));
    left[dots - s] = '\0';
    /* The whole argument is quoted: "bad --vs ''" for "5m.." said nothing. */
    enum ph_tz tz = utc ? PH_TZ_UTC : PH_TZ_LOCAL;
    int rc = ph_time_parse_tz(left, now, tz, a);
    if (rc == 0 && (rc = ph_time_parse_tz(dots + 2, now, tz, b)) != 0) {
        ph_err("bad --vs '%s': its end '%s': %s", s, dots + 2, ph_time_strerror(rc));
        return PH_EXIT_USAGE;
    }
    if (rc != 0) {
        ph_err("bad --vs '%s': its start '%s': %s", s, left, ph_time_strerror(rc));
        return PH_EXIT_USAGE;
    }
    if (*b <= *a) {
        ph_err("bad --vs '%s': its end is not after its start", s);
        return PH_EXIT_USAGE;
    }
    return 0;
}

/* What a window is asked: the one metric compared (CPU with its
 * children's), from the app and group rows where they hold it (the engine
 * reads process rows elsewhere). */
static ph_mask query_need(const ph_qmetric *m)
{
    return m->need | PH_BIT(PH_M_CHILD_CPU_USER_NS) | PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS);
}

static int query_flags(const ph_qopts *o)
{
    int flags = o->by == PH_BY_APP || o->by == PH_BY_USER || PH_BY_IS_CGROUP(o->by) ? PH_Q_APPS_ONLY : 0;
    if (o->by == PH_BY_USER)
        flags |= PH_Q_BY_USER;
    return flags;
}

/* --explain: the window's plan, to stderr. */
static void explain_window(ph_store *st, const ph_qopts *o, const char *which, int64_t since, int64_t until,
                           const ph_qmetric *m)
{
    fprintf(stderr, "plan: the %s window\n", which);
    ph_query_explain(st, since, until, query_need(m), ph_qflags(o, query_flags(o)), stderr);
}

static int query(ph_store *st, const ph_qopts *o, int64_t since, int64_t until, const ph_qmetric *m,
                 ph_result *r)
{
    return ph_qwindow(o, st, since, until, query_need(m), query_flags(o), r);
}

/* Groups (apps, users, cgroup keys) of one window by key, equal keys in
 * row order: a month has thousands of them in each window, too many to
 * compare each with each. */
typedef struct keyed {
    const ph_agg *row;
    size_t at;
} keyed;

static int cmp_key_group(const void *x, const void *y)
{
    return strcmp(((const keyed *)x)->row->app, ((const keyed *)y)->row->app);
}

static int cmp_group_at(const void *x, const void *y)
{
    int c = cmp_key_group(x, y);
    if (c)
        return c;
    size_t a = ((const keyed *)x)->at, b = ((const keyed *)y)->at;
    return (a > b) - (a < b);
}

static keyed *keyed_sort(const ph_agg *rows, size_t n)
{
    keyed *k = ph_xcalloc(n + 1, sizeof *k);
    for (size_t i = 0; i < n; i++) {
        k[i].row = &rows[i];
        k[i].at = i;
    }
    qsort(k, n, sizeof *k, cmp_group_at);
    return k;
}

/* The first row (in row order) of sorted k[0..n) with row's key, or NULL. */
static const ph_agg *keyed_find(const keyed *k, size_t n, const ph_agg *row)
{
    keyed want = {row, 0};
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first not below */
        size_t mid = lo + (hi - lo) / 2;
        if (cmp_key_group(&k[mid], &want) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && cmp_key_group(&k[lo], &want) == 0 ? k[lo].row : NULL;
}

/*
 * --by process: each window's processes, each with the figure compared.
 * A process of the after window is compared with the same process when it
 * ran in the before window too,
 * else with the latest process (the largest process id) of its pid and
 * name there; one of the before window whose pid and name no process of
 * the after window has is gone. Over a month the windows' figures come
 * from proc_total and the rows of the processes at their edges
 * (ph_query_window_values) instead of every process's rows.
 */
typedef struct pentry {
    int64_t proc, value;
    const char *name;
    int pid, nid; /* nid: the name's number, the same in both windows */
    int exact;    /* 0: value is at least the figure (a memory peak from proc_total) */
} pentry;

/* The names of both windows' processes, each once (their strings stay the
 * windows'): numbers to compare instead of strings. */
typedef struct names {
    ph_imap map;
    const char **v;
    size_t n, cap;
} names;

static const char *name_at(const void *ctx, int idx)
{
    return ((const names *)ctx)->v[idx];
}

static void names_free(names *nm)
{
    ph_imap_free(&nm->map);
    free(nm->v);
}

static int name_id(names *nm, const char *s)
{
    int64_t key;
    int at = ph_smap_find(&nm->map, s, name_at, nm, &key);
    if (at >= 0)
        return at;
    if (nm->n == nm->cap) {
        nm->cap = nm->cap ? 2 * nm->cap : 256;
        nm->v = ph_xrealloc(nm->v, nm->cap * sizeof *nm->v);
    }
    ph_imap_put(&nm->map, key, (int)nm->n);
    nm->v[nm->n] = s;
    return (int)nm->n++;
}

typedef struct pwin {
    ph_result r;   /* the engine's answer (the edge processes, or every one) */
    ph_pvalues pv; /* the others, from proc_total */
    pentry *e;
    size_t n;
} pwin;

typedef struct vctx {
    const ph_qmetric *m;
    int children;
} vctx;

static int64_t value_of(const ph_agg *a, void *ctx)
{
    const vctx *c = ctx;
    return ph_qmetric_value(c->m, a, c->children);
}

/* A process's pid and name as one number. */
static int64_t pkey(const pentry *e)
{
    return (int64_t)((uint64_t)(uint32_t)e->pid << 32 | (uint32_t)e->nid);
}

/* full: every process read (else, over a month, the inside ones' figures
 * from proc_total; a memory peak is then only bounded: settle_peaks). */
static int window_procs(ph_store *st, ph_qopts *o, int64_t since, int64_t until, const ph_qmetric *m,
                        const char *which, int explain, int full, names *nm, pwin *w)
{
    memset(w, 0, sizeof *w);
    vctx vc = {m, o->children};
    ph_mask need = query_need(m);
    int rc = 0, is_peak = strcmp(m->name, "mem") == 0;
    if (explain)
        explain_window(st, o, which, since, until, m);
    /* --name decides between literal and glob on every name: it reads
     * every process; so does a list of more peaks than are worth reading
     * one by one. */
    if (!o->name && !full && !(is_peak && o->limit > MAX_PEAKS)) {
        char err[512] = "";
        rc = ph_query_window_values(st, since, until, need, ph_qflags(o, 0), need, value_of, &vc, &w->r, &w->pv,
                                    err, sizeof err);
        if (rc < 0) {
            ph_err("%s", err);
            return -1;
        }
    }
    if (rc == 0 && query(st, o, since, until, m, &w->r) < 0)
        return -1;
    if (explain && rc == 1)
        fprintf(stderr, "plan: %zu processes from proc_total, the hour rows of %zu read\n", w->pv.n, w->r.nprocs);
    else if (explain)
        fprintf(stderr, "plan: every process of the window read (%zu)\n", w->r.nprocs);
    ph_agg *rows;
    size_t nr = ph_group(o, &w->r, NULL, &rows);
    for (size_t i = 0; i < w->pv.nnames; i++) /* as ph_group does the rows' */
        ph_utf8_sanitize(w->pv.names[i]);
    int *nid = ph_xcalloc(w->pv.nnames + 1, sizeof *nid);
    for (size_t i = 0; i < w->pv.nnames; i++)
        nid[i] = name_id(nm, w->pv.names[i]);
    w->e = ph_xcalloc(nr + w->pv.n + 1, sizeof *w->e);
    for (size_t i = 0; i < nr; i++)
        w->e[w->n++] = (pentry){rows[i].proc, ph_qmetric_value(m, &rows[i], o->children), rows[i].name, rows[i].pid,
                                name_id(nm, rows[i].name), 1};
    for (size_t i = 0; i < w->pv.n; i++) { /* no memory figure at all: none in the rows either */
        const ph_pvalue *v = &w->pv.v[i];
        w->e[w->n++] = (pentry){v->proc, v->value, w->pv.names[v->name], v->pid, nid[v->name], !is_peak || v->value < 0};
    }
    free(nid);
    free(w->pv.v); /* the names stay: the entries hold them */
    w->pv.v = NULL;
    w->pv.n = 0;
    return 0;
}

/* Leaves w empty: read_procs frees both windows before reading them again,
 * and a failed read of the before window leaves the after one to its caller. */
static void pwin_free(pwin *w)
{
    ph_result_free(&w->r);
    ph_pvalues_free(&w->pv);
    free(w->e);
    memset(w, 0, sizeof *w);
}

/* The changes of --by process into ch (room for both windows' processes),
 * through maps of the before window's processes by id and of the latest of
 * each pid and name, and of the after window's pids and names. */
static size_t process_changes(const pwin *a, const pwin *b, double scale, change *ch)
{
    ph_imap self, latest, after;
    ph_imap_init(&self);
    ph_imap_init(&latest);
    ph_imap_init(&after);
    for (size_t j = 0; j < b->n; j++) {
        const pentry *q = &b->e[j];
        int *at = ph_imap_get(&latest, pkey(q));
        if (!at || b->e[*at].proc < q->proc)
            ph_imap_put(&latest, pkey(q), (int)j);
        ph_imap_put(&self, q->proc, (int)j);
    }
    size_t n = 0;
    for (size_t i = 0; i < a->n; i++) {
        const pentry *p = &a->e[i];
        ph_imap_put(&after, pkey(p), (int)i);
        int *at = ph_imap_get(&self, p->proc); /* itself, when it ran in both */
        if (!at)
            at = ph_imap_get(&latest, pkey(p));
        ch[n++] = (change){NULL,   p->name, at ? scaled(b->e[*at].value, scale) : -1, p->value, p->proc, p->pid,
                           (int)i, at ? *at : -1};
    }
    for (size_t j = 0; j < b->n; j++) { /* gone since */
        const pentry *q = &b->e[j];
        if (!ph_imap_get(&after, pkey(q)))
            ch[n++] = (change){NULL, q->name, scaled(q->value, scale), -1, q->proc, q->pid, -1, (int)j};
    }
    ph_imap_free(&self);
    ph_imap_free(&latest);
    ph_imap_free(&after);
    return n;
}

/* The figures of changes ch[0..n) again from their entries, after peaks
 * were read (peaks are never scaled). */
static void change_values(change *ch, size_t n, const pwin *a, const pwin *b)
{
    for (size_t i = 0; i < n; i++) {
        ch[i].after = ch[i].ia >= 0 ? a->e[ch[i].ia].value : -1;
        ch[i].before = ch[i].ib >= 0 ? b->e[ch[i].ib].value : -1;
    }
}

/* How far a change can be: its size when both figures are exact, else at
 * most this (a peak from proc_total lies between 0 and the figure held).
 * *exact: whether it is the size. */
static int64_t change_bound(const change *c, const pwin *a, const pwin *b, int *exact)
{
    int64_t A = c->after < 0 ? 0 : c->after, B = c->before < 0 ? 0 : c->before, d = absv(A - B);
    int ea = c->ia < 0 || a->e[c->ia].exact, eb = c->ib < 0 || b->e[c->ib].exact;
    *exact = ea && eb;
    if (ea && !eb)
        return d > A ? d : A;
    if (!ea && eb)
        return d > B ? d : B;
    if (!ea)
        return A > B ? A : B;
    return d;
}

/* Reads exactly the peaks of w's entries marked in ask[]: 1; 0 when one
 * was not answered (read every process instead); -1 failed. */
static int read_peaks(ph_store *st, ph_qopts *o, int64_t since, int64_t until, const ph_qmetric *m, pwin *w,
                      const unsigned char *ask, size_t *nread)
{
    int64_t *procs = ph_xcalloc(w->n + 1, sizeof *procs);
    size_t n = 0;
    ph_imap at;
    ph_imap_init(&at);
    for (size_t i = 0; i < w->n; i++)
        if (ask[i]) {
            procs[n++] = w->e[i].proc;
            ph_imap_put(&at, w->e[i].proc, (int)i);
        }
    int rc = 1;
    if (n > 0) {
        ph_result r;
        char err[512] = "";
        rc = ph_query_window_set(st, since, until, query_need(m), ph_qflags(o, 0), procs, n, &r, err, sizeof err);
        if (rc < 0)
            ph_err("%s", err);
        size_t got = 0;
        for (size_t i = 0; rc == 1 && i < r.nprocs; i++) {
            int *k = ph_imap_get(&at, r.procs[i].proc);
            if (!k || w->e[*k].exact)
                continue;
            w->e[*k].value = ph_qmetric_value(m, &r.procs[i], o->children);
            w->e[*k].exact = 1;
            got++;
        }
        if (rc == 1 && got != n) /* an inside process without rows: cannot be */
            rc = 0;
        if (rc >= 0)
            ph_result_free(&r);
        *nread += n;
    }
    ph_imap_free(&at);
    free(procs);
    return rc;
}

/* --sort mem --by process over a month: an inside process's peak from
 * proc_total is only bounded (pentry.exact 0). The peaks of the processes
 * whose change may rank are read, in two reads a window at most: first
 * those whose change's bound reaches the limit-th largest bound or size;
 * then, when a change left unread may still reach the limit-th largest
 * size read, every one that may. Then a change not read is strictly
 * smaller than `limit` read ones (it can neither rank nor tie), and its
 * size as computed is at most its bound: largest() leaves it out. ch has
 * room for both windows' entries. 1 settled; 0 not (read every process
 * instead); -1 failed. */
static int settle_peaks(ph_store *st, ph_qopts *o, const ph_qmetric *m, int64_t b0, int64_t b1, pwin *pa, pwin *pb,
                        change *ch, size_t n, size_t limit, size_t *nread)
{
    size_t cap = n + 1;
    int64_t *key = ph_xcalloc(cap, sizeof *key), *sizes = ph_xcalloc(cap, sizeof *sizes);
    unsigned char *exact = ph_xcalloc(cap, 1), *aska = ph_xcalloc(pa->n + 1, 1), *askb = ph_xcalloc(pb->n + 1, 1);
    int rc = 0;
    for (int round = 0; round < 3; round++) {
        size_t k = limit < n ? limit : n, nsize = 0, nopen = 0;
        int64_t top_open = INT64_MIN;
        for (size_t i = 0; i < n; i++) {
            int e;
            key[i] = change_bound(&ch[i], pa, pb, &e);
            exact[i] = (unsigned char)e;
            if (e)
                sizes[nsize++] = key[i];
            else if (nopen++ == 0 || key[i] > top_open)
                top_open = key[i];
        }
        int64_t t = k > 0 && nsize >= k ? ph_kth_largest(sizes, nsize, k) : INT64_MIN;
        if (nopen == 0 || k == 0 || top_open < t) {
            rc = 1;
            break;
        }
        if (round == 2) /* cannot be: after the second read none reaches t */
            break;
        int64_t cut = round == 0 ? ph_kth_largest(key, n, k) : t;
        memset(aska, 0, pa->n);
        memset(askb, 0, pb->n);
        size_t nask = 0;
        for (size_t i = 0; i < n; i++)
            if (!exact[i] && key[i] >= cut) {
                if (ch[i].ia >= 0 && !pa->e[ch[i].ia].exact && !aska[ch[i].ia])
                    aska[ch[i].ia] = 1, nask++;
                if (ch[i].ib >= 0 && !pb->e[ch[i].ib].exact && !askb[ch[i].ib])
                    askb[ch[i].ib] = 1, nask++;
            }
        if (nask > MAX_PEAKS)
            break;
        if ((rc = read_peaks(st, o, b0, b1, m, pb, askb, nread)) != 1 ||
            (rc = read_peaks(st, o, o->since_ns, o->until_ns, m, pa, aska, nread)) != 1)
            break;
        change_values(ch, n, pa, pb);
        rc = 0;
    }
    free(key);
    free(sizes);
    free(exact);
    free(aska);
    free(askb);
    return rc;
}

/* Both windows' processes (--by process), in one snapshot, and their
 * changes (*ch, *n: the caller frees); with --sort mem their peaks settled
 * (settle_peaks), else every process read. scale: the before window's.
 * 0, or -1 failed (said). */
static int read_procs(ph_store *st, ph_qopts *o, const ph_qmetric *m, int64_t b0, int64_t b1, double scale,
                      int explain, names *nm, pwin *pb, pwin *pa, change **ch, size_t *n)
{
    int rc = -1;
    ph_store_read_begin(st);
    for (int full = 0; full < 2; full++) {
        if (window_procs(st, o, b0, b1, m, "before", explain, full, nm, pb) < 0 ||
            window_procs(st, o, o->since_ns, o->until_ns, m, "after", explain, full, nm, pa) < 0)
            break;
        *ch = ph_xcalloc(pa->n + pb->n + 1, sizeof **ch);
        *n = process_changes(pa, pb, scale, *ch);
        size_t nread = 0, nbound = 0; /* peaks only bounded: none but --sort mem's from proc_total */
        for (size_t i = 0; i < pa->n || i < pb->n; i++)
            nbound += (i < pa->n && !pa->e[i].exact) + (i < pb->n && !pb->e[i].exact);
        if (nbound == 0) {
            rc = 0;
            break;
        }
        int got = settle_peaks(st, o, m, b0, b1, pa, pb, *ch, *n, (size_t)o->limit, &nread);
        if (got < 0)
            break;
        if (explain)
            fprintf(stderr, "plan: the peaks of %zu processes read exactly%s\n", nread,
                    got ? "" : "; not settled: every process of both windows read");
        if (got) {
            rc = 0;
            break;
        }
        free(*ch);
        *ch = NULL;
        pwin_free(pb);
        pwin_free(pa);
        names_free(nm);
        memset(nm, 0, sizeof *nm);
        ph_imap_init(&nm->map);
    }
    ph_store_read_end(st);
    return rc;
}

typedef struct diff_args {
    const char *vs;
    int explain;
} diff_args;

static int take_arg(void *ctx, int c, const char *arg)
{
    diff_args *da = ctx;
    if (c == 2000)
        da->vs = arg;
    if (c == 2100)
        da->explain = 1;
    return 0;
}

static int diff_exec(int argc, char **argv)
{
    ph_qopts o;
    int rc;
    diff_args da = {NULL, 0};
    ph_qopts_init(&o, NULL);
    if ((rc = ph_qopts_parse(&o, &ph_cmd_diff, argc, argv, take_arg, &da)) >= 0)
        return rc;
    const char *vs = da.vs;
    const ph_qmetric *m = ph_qmetric_find(o.sort ? o.sort : "cpu");
    int64_t b0, b1;
    if (vs) {
        /* One clock reading for all the times of the command: --since and
         * --until were read at one "now" (ph_qopts_finish) and --vs at a
         * later one, so "--since 3m --vs 6m..3m" ended the before window
         * a few microseconds after the after window began, and windows
         * that only touch were said to overlap. Read again, at one now. */
        int64_t now = ph_now_wall_ns();
        if (ph_qtime("--since", o.since, now, o.utc, &o.since_ns) ||
            ph_qtime("--until", o.until, now, o.utc, &o.until_ns) || parse_range(vs, now, o.utc, &b0, &b1))
            return PH_EXIT_USAGE;
        if (o.until_ns <= o.since_ns) { /* as ph_qopts_finish, at this now */
            ph_err("--until (%s) is not after --since (%s)", o.until, o.since);
            return PH_EXIT_USAGE;
        }
    } else { /* the same length just before */
        b1 = o.since_ns;
        b0 = o.since_ns - (o.until_ns - o.since_ns);
    }
    ph_store *st;
    if ((rc = ph_qopen(&o, &st)) != 0)
        return rc;
    int byp = o.by == PH_BY_PROCESS;
    pwin pb, pa; /* --by process */
    memset(&pb, 0, sizeof pb);
    memset(&pa, 0, sizeof pa);
    ph_result *before = &pb.r, *after = &pa.r;
    names nm; /* --by process */
    memset(&nm, 0, sizeof nm);
    ph_imap_init(&nm.map);
    /* Windows of different lengths: totals would compare time, not use.
     * Counters are compared as rates: the before window's totals scaled to
     * the after window's length. A peak is a peak whatever the length: it
     * is compared as it is, and the difference said. Overlap is said. */
    int64_t len_b = b1 - b0, len_a = o.until_ns - o.since_ns;
    int is_peak = strcmp(m->name, "mem") == 0;
    int rates = len_a != len_b && !is_peak;
    int overlap = b0 < o.until_ns && o.since_ns < b1;
    double scale = rates ? (double)len_a / (double)len_b : 1.0;
    change *ch = NULL;
    size_t n = 0;
    if (da.explain && !byp)
        explain_window(st, &o, "before", b0, b1, m);
    if (byp ? read_procs(st, &o, m, b0, b1, scale, da.explain, &nm, &pb, &pa, &ch, &n) < 0
            : query(st, &o, b0, b1, m, before) < 0) {
        free(ch);
        pwin_free(&pb);
        pwin_free(&pa);
        names_free(&nm);
        ph_store_close(st);
        return PH_EXIT_FAIL;
    }
    if (da.explain && !byp)
        explain_window(st, &o, "after", o.since_ns, o.until_ns, m);
    if (!byp && query(st, &o, o.since_ns, o.until_ns, m, after) < 0) {
        pwin_free(&pb);
        pwin_free(&pa);
        names_free(&nm);
        ph_store_close(st);
        return PH_EXIT_FAIL;
    }
    ph_store_close(st);
    /* An empty answer: a whole JSON/CSV document, exit 1 (include/ph_qcmd.h). */
    int empty = 0;
    if (after->win.samples == 0)
        empty = ph_qno_data(&o, o.since_ns, o.until_ns) != 0;
    else if (before->win.samples == 0)
        empty = ph_qno_data(&o, b0, b1) != 0;
    if (!byp) {
        ph_agg *ra, *rb;
        size_t na = ph_group(&o, after, NULL, &ra);
        size_t nb = ph_group(&o, before, NULL, &rb);
        ch = ph_xcalloc(na + nb + 1, sizeof *ch);
        keyed *after_keys = keyed_sort(ra, na), *before_keys = keyed_sort(rb, nb);
        for (size_t i = 0; i < na; i++) {
            const ph_agg *was = keyed_find(before_keys, nb, &ra[i]);
            ch[n++] = (change){&ra[i], ra[i].name, was ? scaled(ph_qmetric_value(m, was, o.children), scale) : -1,
                               ph_qmetric_value(m, &ra[i], o.children), 0, 0, -1, -1};
        }
        for (size_t j = 0; j < nb; j++) /* gone since */
            if (!keyed_find(after_keys, na, &rb[j]))
                ch[n++] = (change){&rb[j], rb[j].name, scaled(ph_qmetric_value(m, &rb[j], o.children), scale), -1,
                                   0, 0, -1, -1};
        free(after_keys);
        free(before_keys);
    }
    if (empty)
        n = 0; /* one window alone is no change */
    else
        empty = ph_qname_missed(&o, n);
    n = largest(ch, n, (size_t)o.limit);

    /* The columns, once, for the table, the JSON rows and the CSV; the
     * table adds the change in words and in percent. */
    enum { C_NAME, C_PID, C_KEY, C_CID, C_BEFORE, C_AFTER, C_CHANGE, C_SIGNED, C_PCT, NC };
    static const enum ph_ckind kind[] = {[PH_UNIT_NS] = PH_K_NS, [PH_UNIT_BYTES] = PH_K_BYTES,
                                         [PH_UNIT_NJ] = PH_K_NJ, [PH_UNIT_COUNT] = PH_K_COUNT};
    char kb[64], ka[64], kd[64];
    snprintf(kb, sizeof kb, "before_%s", m->json);
    snprintf(ka, sizeof ka, "after_%s", m->json);
    snprintf(kd, sizeof kd, "change_%s", m->json);
    ph_col cols[NC] = {
        [C_NAME] = {"name", ph_by_heads[o.by], PH_K_STR, 0},
        [C_PID] = {byp ? "pid" : NULL, byp ? "PID" : NULL, PH_K_INT, 0},
        [C_KEY] = {NULL, NULL, PH_K_STR, 0},
        [C_CID] = {NULL, NULL, PH_K_STR, 0},
        [C_BEFORE] = {kb, "BEFORE", kind[m->unit], 0},
        [C_AFTER] = {ka, "AFTER", kind[m->unit], 0},
        [C_CHANGE] = {kd, NULL, kind[m->unit], 0}, /* absent counts as 0 */
        [C_SIGNED] = {NULL, "CHANGE", PH_K_STR, PH_COL_RIGHT},
        [C_PCT] = {NULL, "%", PH_K_STR, PH_COL_RIGHT},
    };
    ph_qcols_key(&o, &cols[C_KEY], &cols[C_CID]);
    ph_grid g;
    ph_grid_init(&g, cols, NC);
    for (size_t i = 0; i < n; i++) {
        ph_cell *c = ph_grid_row(&g);
        char ds[40], ps[24];
        int64_t bv = ch[i].before < 0 ? 0 : ch[i].before, av = ch[i].after < 0 ? 0 : ch[i].after;
        ph_cell_str(&c[C_NAME], ch[i].name);
        if (byp)
            ph_cell_int(&c[C_PID], ch[i].pid);
        else
            ph_qcells_key(&o, &c[C_KEY], &c[C_CID], ch[i].row);
        ph_cell_val(&c[C_BEFORE], ch[i].before);
        ph_cell_val(&c[C_AFTER], ch[i].after);
        ph_cell_int(&c[C_CHANGE], av - bv);
        ph_fmt_unit(m->unit, av >= bv ? av - bv : bv - av, ds + 1, sizeof ds - 1);
        ds[0] = av >= bv ? '+' : '-';
        if (bv > 0)
            snprintf(ps, sizeof ps, "%+.0f%%", (double)(av - bv) * 100.0 / (double)bv);
        else
            snprintf(ps, sizeof ps, av > 0 ? "new" : "-");
        if (ch[i].after < 0)
            snprintf(ps, sizeof ps, "gone");
        ph_cell_str(&c[C_SIGNED], ds);
        ph_cell_str(&c[C_PCT], ps);
    }
    cJSON *root = NULL;
    if (o.fmt == PH_FMT_JSON) {
        char t[48];
        root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "metric", m->name);
        cJSON *w = cJSON_AddObjectToObject(root, "before");
        ph_time_iso_utc(b0, t, sizeof t);
        cJSON_AddStringToObject(w, "since", t);
        ph_time_iso_utc(b1, t, sizeof t);
        cJSON_AddStringToObject(w, "until", t);
        cJSON_AddNumberToObject(w, "length_s", (double)len_b / 1e9);
        w = cJSON_AddObjectToObject(root, "after");
        ph_time_iso_utc(o.since_ns, t, sizeof t);
        cJSON_AddStringToObject(w, "since", t);
        ph_time_iso_utc(o.until_ns, t, sizeof t);
        cJSON_AddStringToObject(w, "until", t);
        cJSON_AddNumberToObject(w, "length_s", (double)len_a / 1e9);
        /* "totals": same lengths (or peaks); "rates": before_* are the before
         * window's totals times before_scale (after length / before length) */
        cJSON_AddStringToObject(root, "compared", rates ? "rates" : is_peak ? "peaks" : "totals");
        cJSON_AddNumberToObject(root, "before_scale", scale);
        cJSON_AddBoolToObject(root, "windows_overlap", overlap);
    }
    char what[256], x[40], y[40], z[40], w2[40], head[512];
    describe(what, sizeof what, rates, is_peak, len_b, len_a, overlap);
    if (o.fmt == PH_FMT_CSV && what[0] && !empty)
        ph_err("note: %s", what);
    ph_time_display(b0, o.utc, x, sizeof x);
    ph_time_display(b1, o.utc, y, sizeof y);
    ph_time_display(o.since_ns, o.utc, z, sizeof z);
    ph_time_display(o.until_ns, o.utc, w2, sizeof w2);
    snprintf(head, sizeof head, "%s: %s..%s (before) vs %s..%s (after), largest changes first%s%s", m->name, x, y,
             z, w2, what[0] ? "; " : "", what);
    int out_err = ph_qwrite(&o, root, &g, empty, head) < 0;
    free(ch);
    pwin_free(&pb);
    pwin_free(&pa);
    names_free(&nm);
    if (fflush(stdout) != 0 || out_err)
        return PH_EXIT_FAIL;
    return empty ? PH_EXIT_EMPTY : PH_EXIT_OK;
}

static const ph_opt diff_opts[] = {
    PH_QO_SINCE("1d"), PH_QO_UNTIL,
    {"vs", 0, 2000, "A..B", "the window to compare with (default: the same length just\nbefore)", NULL, NULL},
    PH_QO_SORT("what to compare: cpu (default), mem, disk, energy, wakeups,\n..."),
    PH_QO_BY, PH_QO_NAME, PH_QO_CHILDREN("CPU includes reaped children (counted once)"), PH_QO_LIMIT("10"),
    PH_QO_FORMAT, PH_QO_UTC, PH_QO_DB,
    {"explain", 0, 2100, NULL, "print the query plan to stderr (which processes were read)", NULL, NULL},
    PH_OPT_END,
};

const ph_cmd ph_cmd_diff = {
    "diff",
    "",
    0,
    "Compare two windows: how each app's usage changed, largest changes first.",
    diff_opts,
    "  e.g. prochist diff --since today --vs yesterday..today\n"
    "  By process, a process is compared with itself when it ran in both windows,\n"
    "  else with the latest process of its pid and name in the before window.\n",
    diff_exec,
};
