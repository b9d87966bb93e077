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
    const ph_agg *row; /* of the after window, else the before one */
    const char *name;
    int64_t before, after; /* < 0: not measured / absent */
} change;

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
    return strcmp(a->name, b->name);
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

static int query(ph_store *st, const ph_qopts *o, int64_t since, int64_t until, const ph_qmetric *m,
                 ph_result *r)
{
    /* App and group rows answer where they hold the metric (the engine
     * reads process rows elsewhere). */
    int flags = o->by == PH_BY_APP || o->by == PH_BY_USER || PH_BY_IS_CGROUP(o->by) ? PH_Q_APPS_ONLY : 0;
    if (o->by == PH_BY_USER)
        flags |= PH_Q_BY_USER;
    /* The one metric compared (CPU with its children's). */
    ph_mask need = m->need | PH_BIT(PH_M_CHILD_CPU_USER_NS) | PH_BIT(PH_M_CHILD_CPU_SYSTEM_NS);
    return ph_qwindow(o, st, since, until, need, ph_qflags(o, flags), r);
}

/* Rows of one window in the order of what matches them with the other's
 * (pid and name for processes, the app or group key otherwise), equal
 * keys in row order: a month has tens of thousands of processes in each
 * window, too many to compare each with each. */
typedef struct keyed {
    const ph_agg *row;
    size_t at;
} keyed;

static int cmp_key_proc(const void *x, const void *y)
{
    const ph_agg *a = ((const keyed *)x)->row, *b = ((const keyed *)y)->row;
    if (a->pid != b->pid)
        return a->pid < b->pid ? -1 : 1;
    return strcmp(a->name, b->name);
}

static int cmp_key_group(const void *x, const void *y)
{
    return strcmp(((const keyed *)x)->row->app, ((const keyed *)y)->row->app);
}

/* The same key, then row order: the first of equal keys is the first row. */
static int cmp_at(const void *x, const void *y)
{
    size_t a = ((const keyed *)x)->at, b = ((const keyed *)y)->at;
    return (a > b) - (a < b);
}

static int cmp_proc_at(const void *x, const void *y)
{
    int c = cmp_key_proc(x, y);
    return c ? c : cmp_at(x, y);
}

static int cmp_group_at(const void *x, const void *y)
{
    int c = cmp_key_group(x, y);
    return c ? c : cmp_at(x, y);
}

static keyed *keyed_sort(const ph_agg *rows, size_t n, int byp)
{
    keyed *k = ph_xcalloc(n + 1, sizeof *k);
    for (size_t i = 0; i < n; i++) {
        k[i].row = &rows[i];
        k[i].at = i;
    }
    qsort(k, n, sizeof *k, byp ? cmp_proc_at : cmp_group_at);
    return k;
}

/* The first row (in row order) of sorted k[0..n) matching row, or NULL. */
static const ph_agg *keyed_find(const keyed *k, size_t n, const ph_agg *row, int byp)
{
    int (*cmp)(const void *, const void *) = byp ? cmp_key_proc : cmp_key_group;
    keyed want = {row, 0};
    size_t lo = 0, hi = n;
    while (lo < hi) { /* the first not below */
        size_t mid = lo + (hi - lo) / 2;
        if (cmp(&k[mid], &want) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && cmp(&k[lo], &want) == 0 ? k[lo].row : NULL;
}

static int take_vs(void *ctx, int c, const char *arg)
{
    if (c == 2000)
        *(const char **)ctx = arg;
    return 0;
}

static int diff_exec(int argc, char **argv)
{
    ph_qopts o;
    int rc;
    const char *vs = NULL;
    ph_qopts_init(&o, NULL);
    if ((rc = ph_qopts_parse(&o, &ph_cmd_diff, argc, argv, take_vs, &vs)) >= 0)
        return rc;
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
    ph_result before, after;
    if (query(st, &o, b0, b1, m, &before) < 0) {
        ph_store_close(st);
        return PH_EXIT_FAIL;
    }
    if (query(st, &o, o.since_ns, o.until_ns, m, &after) < 0) {
        ph_result_free(&before);
        ph_store_close(st);
        return PH_EXIT_FAIL;
    }
    ph_store_close(st);
    /* An empty answer: a whole JSON/CSV document, exit 1 (include/ph_qcmd.h). */
    int empty = 0;
    if (after.win.samples == 0)
        empty = ph_qno_data(&o, o.since_ns, o.until_ns) != 0;
    else if (before.win.samples == 0)
        empty = ph_qno_data(&o, b0, b1) != 0;
    /* Windows of different lengths: totals would compare time, not use.
     * Counters are compared as rates: the before window's totals scaled to
     * the after window's length. A peak is a peak whatever the length: it
     * is compared as it is, and the difference said. Overlap is said. */
    int64_t len_b = b1 - b0, len_a = o.until_ns - o.since_ns;
    int is_peak = strcmp(m->name, "mem") == 0;
    int rates = len_a != len_b && !is_peak;
    int overlap = b0 < o.until_ns && o.since_ns < b1;
    double scale = rates ? (double)len_a / (double)len_b : 1.0;
    ph_agg *ra, *rb;
    size_t na = ph_group(&o, &after, NULL, &ra);
    size_t nb = ph_group(&o, &before, NULL, &rb);
    change *ch = ph_xcalloc(na + nb + 1, sizeof *ch);
    size_t n = 0;
    int byp = o.by == PH_BY_PROCESS;
    keyed *after_keys = keyed_sort(ra, na, byp), *before_keys = keyed_sort(rb, nb, byp);
    for (size_t i = 0; i < na; i++) {
        ch[n].name = ra[i].name;
        ch[n].row = &ra[i];
        ch[n].after = ph_qmetric_value(m, &ra[i], o.children);
        ch[n].before = -1;
        const ph_agg *was = keyed_find(before_keys, nb, &ra[i], byp);
        if (was)
            ch[n].before = scaled(ph_qmetric_value(m, was, o.children), scale);
        n++;
    }
    for (size_t j = 0; j < nb; j++) { /* gone since */
        if (!keyed_find(after_keys, na, &rb[j], byp)) {
            ch[n].name = rb[j].name;
            ch[n].row = &rb[j];
            ch[n].before = scaled(ph_qmetric_value(m, &rb[j], o.children), scale);
            ch[n].after = -1;
            n++;
        }
    }
    if (empty)
        n = 0; /* one window alone is no change */
    else
        empty = ph_qname_missed(&o, n);
    if (n > 1)
        qsort(ch, n, sizeof *ch, cmp_change);
    if (n > (size_t)o.limit)
        n = (size_t)o.limit;

    /* The columns, once, for the table, the JSON rows and the CSV; the
     * table adds the change in words and in percent. */
    enum { C_NAME, C_KEY, C_CID, C_BEFORE, C_AFTER, C_CHANGE, C_SIGNED, C_PCT, NC };
    static const enum ph_ckind kind[] = {[PH_UNIT_NS] = PH_K_NS, [PH_UNIT_BYTES] = PH_K_BYTES,
                                         [PH_UNIT_NJ] = PH_K_NJ, [PH_UNIT_COUNT] = PH_K_COUNT};
    char kb[64], ka[64], kd[64];
    snprintf(kb, sizeof kb, "before_%s", m->json);
    snprintf(ka, sizeof ka, "after_%s", m->json);
    snprintf(kd, sizeof kd, "change_%s", m->json);
    ph_col cols[NC] = {
        [C_NAME] = {"name", ph_by_heads[o.by], PH_K_STR, 0},
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
    free(after_keys);
    free(before_keys);
    ph_result_free(&before);
    ph_result_free(&after);
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
    PH_OPT_END,
};

const ph_cmd ph_cmd_diff = {
    "diff",
    "",
    0,
    "Compare two windows: how each app's usage changed, largest changes first.",
    diff_opts,
    "  e.g. prochist diff --since today --vs yesterday..today\n",
    diff_exec,
};
