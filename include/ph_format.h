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
    const char **heads_owned; /* freed with the table (ph_grid_table's), or NULL */
} ph_table;

void ph_table_init(ph_table *t, size_t ncols, const char **heads, const int *right);
void ph_table_add(ph_table *t, const char **cells);
void ph_table_print(const ph_table *t, FILE *f, int colour);
void ph_table_free(ph_table *t);

/* Colour for a stream: a terminal, and NO_COLOR unset or empty. */
int ph_use_colour(FILE *f);

/*
 * One output contract: a command declares its columns once (ph_col: JSON
 * key and CSV header, table header, kind of value), fills a ph_grid with
 * its rows, and the table, the JSON rows and the CSV are all written from
 * that grid, so they cannot name or order fields differently.
 */
enum ph_ckind {
    PH_K_STR,   /* text */
    PH_K_INT,   /* an integer as it is (pid, uid, a number of processes) */
    PH_K_TIME,  /* ns since the epoch: ISO 8601 UTC; a table shows local (or --utc) time */
    PH_K_NS,    /* ns: seconds in JSON and CSV; "12.3 s" */
    PH_K_BYTES, /* bytes; "1.50 GiB" */
    PH_K_NJ,    /* nJ: joules in JSON and CSV; "3.40 J" */
    PH_K_COUNT, /* a count; "1.2 M" */
    PH_K_PCT,   /* percent (a double); "12.3%" */
    PH_K_W,     /* watts (a double); "1.50 W" */
    PH_K_NUM,   /* a double; "%.0f" */
};
/* In a table only when some row has a value (JSON and CSV always have it). */
#define PH_COL_SPARSE 1u
/* Right-aligned in a table (numbers always are; this is for text). */
#define PH_COL_RIGHT 2u

typedef struct ph_col {
    const char *key;  /* JSON key and CSV header; NULL: a table-only view of other columns */
    const char *head; /* table header; NULL: JSON and CSV only */
    enum ph_ckind kind;
    unsigned flags;
} ph_col;

typedef struct ph_cell {
    int set; /* 0: null (not measured) */
    int64_t i;
    double d;
    char *s; /* owned */
} ph_cell;

typedef struct ph_grid {
    const ph_col *cols;
    size_t ncols, nrows, cap;
    ph_cell *cells; /* nrows * ncols */
} ph_grid;

void ph_grid_init(ph_grid *g, const ph_col *cols, size_t ncols);
/* A new row, every cell null. */
ph_cell *ph_grid_row(ph_grid *g);
/* Set a cell: text (NULL stays null); an integer; a measure, null when
 * v < 0; a double, null when d < 0. */
void ph_cell_str(ph_cell *c, const char *s);
void ph_cell_int(ph_cell *c, int64_t v);
void ph_cell_val(ph_cell *c, int64_t v);
void ph_cell_dbl(ph_cell *c, double d);
struct cJSON;
/* Each row as an object of its keyed columns, added to arr. */
void ph_grid_json(const ph_grid *g, struct cJSON *arr);
/* The header line of the keyed columns, then a line per row. */
void ph_grid_csv(const ph_grid *g, FILE *f);
/* The columns with a head (a sparse one only when some row has a value)
 * into t (initialised here; the caller may add rows, prints and frees);
 * shown[k] is column k's index in t, or -1 (shown may be NULL). */
void ph_grid_table(const ph_grid *g, ph_table *t, int utc, int *shown);
void ph_grid_free(ph_grid *g);

/* key: v / scale, or null when v < 0 (not measured). */
void ph_json_num(struct cJSON *o, const char *key, int64_t v, double scale);
/* Print a JSON document to stdout and free it; -1 when that failed. */
int ph_json_print(struct cJSON *root);

#endif
