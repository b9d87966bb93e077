/* ph_format.h: human units, aligned tables and JSON for command output. */
#ifndef PH_FORMAT_H
#define PH_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* "512 B", "1.5 KiB", "2.0 GiB"; "-" when bytes < 0. */
void ph_fmt_bytes(int64_t bytes, char *buf, size_t len);
/* "850 ms", "12.3 s", "4.2 min", "1.5 h"; "-" when ns < 0. */
void ph_fmt_duration(int64_t ns, char *buf, size_t len);
/* "12 mJ", "3.40 J", "1.2 kJ"; "-" when nj < 0. */
void ph_fmt_energy(int64_t nj, char *buf, size_t len);
/* "1234", "1.2 M", "3.4 G" for large counts; "-" when n < 0. */
void ph_fmt_count(int64_t n, char *buf, size_t len);

typedef struct ph_table {
    size_t ncols, nrows, cap;
    const char **heads;
    int *right;      /* right-align column */
    char **cells;    /* nrows * ncols, owned */
} ph_table;

void ph_table_init(ph_table *t, size_t ncols, const char **heads, const int *right);
void ph_table_add(ph_table *t, const char **cells);
void ph_table_print(const ph_table *t, FILE *f, int colour);
void ph_table_free(ph_table *t);

/* Colour for a stream: a terminal, and NO_COLOR unset or empty. */
int ph_use_colour(FILE *f);

struct cJSON;
/* key: v / scale, or null when v < 0 (not measured). */
void ph_json_num(struct cJSON *o, const char *key, int64_t v, double scale);
/* Print a JSON document to stdout and free it; -1 when that failed. */
int ph_json_print(struct cJSON *root);

#endif
