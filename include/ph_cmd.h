/*
 * ph_cmd.h: subcommands. Each lives in its own src/cmd_*.c and exports one
 * descriptor; src/cli/main.c holds the table and accepts unique prefixes.
 * Exit status: 0 success, 1 runtime failure, 2 usage error.
 */
#ifndef PH_CMD_H
#define PH_CMD_H

#include <stddef.h>

#define PH_EXIT_OK 0
#define PH_EXIT_FAIL 1
#define PH_EXIT_USAGE 2

typedef struct ph_cmd {
    const char *name;
    const char *usage;   /* after "prochist NAME " */
    const char *summary; /* one line */
    const char *help;    /* options, one per line */
    int (*exec)(int argc, char **argv);
} ph_cmd;

extern const ph_cmd ph_cmd_record;
extern const ph_cmd ph_cmd_top;
extern const ph_cmd ph_cmd_status;
extern const ph_cmd ph_cmd_peak;
extern const ph_cmd ph_cmd_apps;
extern const ph_cmd ph_cmd_show;
extern const ph_cmd ph_cmd_diff;
extern const ph_cmd ph_cmd_service;
extern const ph_cmd ph_cmd_export;
extern const ph_cmd ph_cmd_power;
extern const ph_cmd ph_cmd_doctor;
extern const ph_cmd ph_cmd_report;

/* Print "usage: prochist NAME USAGE" and the option list. */
void ph_cmd_print_help(const ph_cmd *c, int to_stderr);

/* Resolve the database path: --db, then $PROCHIST_DB, then the platform
 * default. With create_dir, missing parent directories are made 0700.
 * Returns 0; -2 (message printed: exit PH_EXIT_USAGE) for an empty or
 * over-long --db; -1 (printed) otherwise. */
int ph_db_path(const char *opt, int create_dir, char *buf, size_t len);

#endif
