/* Human units and aligned tables. */
#include "ph_format.h"
#include "ph_qcmd.h"
#include "ph_time.h"
#include "ph_util.h"

#include <cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void ph_fmt_bytes(int64_t b, char *buf, size_t len)
{
    static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    if (b < 0) {
        snprintf(buf, len, "-");
        return;
    }
    double v = (double)b;
    size_t u = 0;
    while (v >= 1024 && u + 1 < PH_ARRAY_LEN(units)) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%lld B", (long long)b);
    else
        snprintf(buf, len, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

void ph_fmt_duration(int64_t ns, char *buf, size_t len)
{
    double s = (double)ns / 1e9;
    if (ns < 0)
        snprintf(buf, len, "-");
    else if (s < 1)
        snprintf(buf, len, "%.0f ms", s * 1e3);
    else if (s < 60)
        snprintf(buf, len, "%.2f s", s);
    else if (s < 3600)
        snprintf(buf, len, "%.1f min", s / 60);
    else
        snprintf(buf, len, "%.1f h", s / 3600);
}

void ph_fmt_energy(int64_t nj, char *buf, size_t len)
{
    double j = (double)nj / 1e9;
    if (nj < 0)
        snprintf(buf, len, "-");
    else if (j < 1)
        snprintf(buf, len, "%.0f mJ", j * 1e3);
    else if (j < 1000)
        snprintf(buf, len, "%.2f J", j);
    else
        snprintf(buf, len, "%.1f kJ", j / 1e3);
}

void ph_fmt_count(int64_t n, char *buf, size_t len)
{
    if (n < 0)
        snprintf(buf, len, "-");
    else if (n < 100000)
        snprintf(buf, len, "%lld", (long long)n);
    else if (n < 100000000)
        snprintf(buf, len, "%.1f M", (double)n / 1e6);
    else
        snprintf(buf, len, "%.1f G", (double)n / 1e9);
}

void ph_table_init(ph_table *t, size_t ncols, const char **heads, const int *right)
{
    memset(t, 0, sizeof *t);
    t->ncols = ncols;
    t->heads = heads;
    t->right = ph_xcalloc(ncols, sizeof *t->right);
    memcpy(t->right, right, ncols * sizeof *right);
}

void ph_table_add(ph_table *t, const char **cells)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 16;
        t->cells = ph_xrealloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
    }
    /* Cells hold process names: whatever a terminal would act on (ESC, the
     * one-code CSI U+009B, ...) is shown as '?'. */
    for (size_t c = 0; c < t->ncols; c++) {
        char *cell = ph_xstrdup(cells[c] ? cells[c] : "");
        ph_ctrl_sanitize(cell);
        t->cells[t->nrows * t->ncols + c] = cell;
    }
    t->nrows++;
}

/* Display width (cells are sanitized on entry). */
static size_t width(const char *s)
{
    return ph_text_width(s);
}

static void put_cell(FILE *f, const char *s, size_t w, int right, int last)
{
    size_t sw = width(s);
    size_t pad = w > sw ? w - sw : 0;
    if (right)
        for (size_t i = 0; i < pad; i++)
            fputc(' ', f);
    for (const char *p = s; *p; p++)
        fputc((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p, f);
    if (!right && !last)
        for (size_t i = 0; i < pad; i++)
            fputc(' ', f);
}

void ph_table_print(const ph_table *t, FILE *f, int colour)
{
    size_t *w = ph_xcalloc(t->ncols, sizeof *w);
    for (size_t c = 0; c < t->ncols; c++) {
        w[c] = width(t->heads[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            size_t cw = width(t->cells[r * t->ncols + c]);
            if (cw > w[c])
                w[c] = cw;
        }
    }
    if (colour)
        fputs("\033[1m", f);
    for (size_t c = 0; c < t->ncols; c++) {
        put_cell(f, t->heads[c], w[c], t->right[c], c + 1 == t->ncols);
        if (c + 1 < t->ncols)
            fputs("  ", f);
    }
    if (colour)
        fputs("\033[0m", f);
    fputc('\n', f);
    for (size_t r = 0; r < t->nrows; r++) {
        for (size_t c = 0; c < t->ncols; c++) {
            put_cell(f, t->cells[r * t->ncols + c], w[c], t->right[c], c + 1 == t->ncols);
            if (c + 1 < t->ncols)
                fputs("  ", f);
        }
        fputc('\n', f);
    }
    free(w);
}

void ph_table_free(ph_table *t)
{
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t->right);
    free(t->heads_owned);
    memset(t, 0, sizeof *t);
}

int ph_use_colour(FILE *f)
{
    const char *nc = getenv("NO_COLOR");
    if (nc && *nc)
        return 0;
    return isatty(fileno(f));
}

void ph_json_num(cJSON *o, const char *key, int64_t v, double scale)
{
    if (v < 0)
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, (double)v / scale);
}

int ph_json_print(cJSON *root)
{
    char *text = cJSON_Print(root);
    int rc = text && printf("%s\n", text) >= 0 ? 0 : -1;
    if (!text)
        ph_err("out of memory formatting JSON");
    cJSON_free(text);
    cJSON_Delete(root);
    return rc;
}

void ph_grid_init(ph_grid *g, const ph_col *cols, size_t ncols)
{
    memset(g, 0, sizeof *g);
    g->cols = cols;
    g->ncols = ncols;
}

ph_cell *ph_grid_row(ph_grid *g)
{
    if (g->nrows == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 16;
        g->cells = ph_xrealloc(g->cells, g->cap * g->ncols * sizeof *g->cells);
    }
    ph_cell *r = &g->cells[g->nrows++ * g->ncols];
    memset(r, 0, g->ncols * sizeof *r);
    return r;
}

void ph_cell_str(ph_cell *c, const char *s)
{
    if (!s)
        return;
    free(c->s);
    c->s = ph_xstrdup(s);
    c->set = 1;
}

void ph_cell_int(ph_cell *c, int64_t v)
{
    c->i = v;
    c->d = (double)v;
    c->set = 1;
}

void ph_cell_val(ph_cell *c, int64_t v)
{
    if (v >= 0)
        ph_cell_int(c, v);
}

void ph_cell_dbl(ph_cell *c, double d)
{
    if (d >= 0) {
        c->d = d;
        c->set = 1;
    }
}

/* A number's value in JSON and CSV: base units (s, J) for ns and nJ. */
static double out_num(const ph_col *col, const ph_cell *c)
{
    switch (col->kind) {
    case PH_K_NS:
    case PH_K_NJ: return (double)c->i / 1e9;
    case PH_K_PCT:
    case PH_K_W:
    case PH_K_NUM: return c->d;
    default: return (double)c->i;
    }
}

static int integral(enum ph_ckind k)
{
    return k == PH_K_INT || k == PH_K_BYTES || k == PH_K_COUNT;
}

void ph_grid_json(const ph_grid *g, cJSON *arr)
{
    char t[48];
    for (size_t r = 0; r < g->nrows; r++) {
        cJSON *o = cJSON_CreateObject();
        for (size_t k = 0; k < g->ncols; k++) {
            const ph_col *col = &g->cols[k];
            const ph_cell *c = &g->cells[r * g->ncols + k];
            if (!col->key)
                continue;
            if (!c->set)
                cJSON_AddNullToObject(o, col->key);
            else if (col->kind == PH_K_STR)
                cJSON_AddStringToObject(o, col->key, c->s);
            else if (col->kind == PH_K_TIME) {
                ph_time_iso_utc(c->i, t, sizeof t);
                cJSON_AddStringToObject(o, col->key, t);
            } else
                cJSON_AddNumberToObject(o, col->key, out_num(col, c));
        }
        cJSON_AddItemToArray(arr, o);
    }
}

void ph_grid_csv(const ph_grid *g, FILE *f)
{
    char t[48];
    int first = 1;
    for (size_t k = 0; k < g->ncols; k++)
        if (g->cols[k].key) {
            fprintf(f, "%s%s", first ? "" : ",", g->cols[k].key);
            first = 0;
        }
    fputc('\n', f);
    for (size_t r = 0; r < g->nrows; r++) {
        first = 1;
        for (size_t k = 0; k < g->ncols; k++) {
            const ph_col *col = &g->cols[k];
            const ph_cell *c = &g->cells[r * g->ncols + k];
            if (!col->key)
                continue;
            if (!first)
                fputc(',', f);
            first = 0;
            if (!c->set)
                continue;
            if (col->kind == PH_K_STR)
                ph_csv_field(f, c->s);
            else if (col->kind == PH_K_TIME) {
                ph_time_iso_utc(c->i, t, sizeof t);
                fputs(t, f);
            } else if (integral(col->kind))
                fprintf(f, "%lld", (long long)c->i);
            else
                fprintf(f, "%.9g", out_num(col, c));
        }
        fputc('\n', f);
    }
}

static void human(const ph_col *col, const ph_cell *c, int utc, char *buf, size_t len)
{
    if (!c->set) {
        snprintf(buf, len, "-");
        return;
    }
    switch (col->kind) {
    case PH_K_STR: snprintf(buf, len, "%s", c->s); break;
    case PH_K_INT: snprintf(buf, len, "%lld", (long long)c->i); break;
    case PH_K_TIME: ph_time_display(c->i, utc, buf, len); break;
    case PH_K_NS: ph_fmt_duration(c->i, buf, len); break;
    case PH_K_BYTES: ph_fmt_bytes(c->i, buf, len); break;
    case PH_K_NJ: ph_fmt_energy(c->i, buf, len); break;
    case PH_K_COUNT: ph_fmt_count(c->i, buf, len); break;
    case PH_K_PCT: snprintf(buf, len, "%.1f%%", c->d); break;
    case PH_K_W: snprintf(buf, len, "%.2f W", c->d); break;
    case PH_K_NUM: snprintf(buf, len, "%.0f", c->d); break;
    }
}

void ph_grid_table(const ph_grid *g, ph_table *t, int utc, int *shown)
{
    const char **heads = ph_xcalloc(g->ncols + 1, sizeof *heads);
    int *right = ph_xcalloc(g->ncols + 1, sizeof *right);
    int *col = ph_xcalloc(g->ncols + 1, sizeof *col);
    size_t nt = 0;
    for (size_t k = 0; k < g->ncols; k++) {
        int any = !(g->cols[k].flags & PH_COL_SPARSE);
        for (size_t r = 0; r < g->nrows && !any; r++)
            any = g->cells[r * g->ncols + k].set;
        if (shown)
            shown[k] = -1;
        if (!g->cols[k].head || !any)
            continue;
        if (shown)
            shown[k] = (int)nt;
        heads[nt] = g->cols[k].head;
        right[nt] = (g->cols[k].kind != PH_K_STR && g->cols[k].kind != PH_K_TIME) || (g->cols[k].flags & PH_COL_RIGHT);
        col[nt++] = (int)k;
    }
    ph_table_init(t, nt, heads, right);
    t->heads_owned = heads;
    char (*buf)[128] = ph_xcalloc(nt + 1, sizeof *buf);
    const char **cells = ph_xcalloc(nt + 1, sizeof *cells);
    for (size_t r = 0; r < g->nrows; r++) {
        for (size_t j = 0; j < nt; j++) {
            human(&g->cols[col[j]], &g->cells[r * g->ncols + (size_t)col[j]], utc, buf[j], sizeof buf[j]);
            cells[j] = buf[j];
        }
        ph_table_add(t, cells);
    }
    free(buf);
    free(cells);
    free(right);
    free(col);
}

void ph_grid_free(ph_grid *g)
{
    for (size_t i = 0; i < g->nrows * g->ncols; i++)
        free(g->cells[i].s);
    free(g->cells);
    memset(g, 0, sizeof *g);
}
