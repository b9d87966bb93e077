/* Human units and aligned tables. */
#include "ph_format.h"
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

/* Display width: count UTF-8 lead bytes (cells are sanitized on entry). */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            w++;
    return w;
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
