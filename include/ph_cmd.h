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

/*
 * One option of a command, declared once: the parser (ph_cmd_parse) takes
 * exactly the options a command declares, and its --help (ph_cmd_print_help)
 * and usage line are generated from the same list, so help cannot name an
 * option that does nothing, nor miss one that does. tmux's cmd_entry and
 * its .args are the model.
 */
typedef struct ph_opt {
    const char *name;  /* long name without "--"; NULL ends a list */
    int shortc;        /* also -C; 0 for none */
    int key;           /* what the handler is given: shortc when it has one */
    const char *arg;   /* its value's placeholder ("WHEN"); NULL: a flag */
    const char *help;  /* what it does; each '\n' starts an indented line */
    const char *dflt;  /* the default, applied by ph_cmd_defaults through the
                        * same handler and shown as "(default X)"; or NULL */
    const char *group; /* usage line: consecutive options of one group are
                        * alternatives, [--cpu|--mem]; or NULL */
} ph_opt;

#define PH_OPT_END {NULL, 0, 0, NULL, NULL, NULL, NULL}

typedef struct ph_cmd {
    const char *name;
    const char *args;    /* positional arguments, before the options ("APP|PID"), or "" */
    int nargs;           /* how many positional arguments it takes, exactly */
    const char *summary; /* one line */
    const ph_opt *opts;  /* its options; NULL: help is the text below alone */
    const char *notes;   /* lines after the options (or the whole option text
                          * of a command without opts), or NULL */
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

/* Print "usage: prochist NAME ARGS [OPTIONS...]" (the options from c->opts),
 * the summary, one line per option, then the notes. */
void ph_cmd_print_help(const ph_cmd *c, int to_stderr);

/* Calls on_opt(ctx, key, dflt) for each declared option with a default:
 * 0, or the first non-zero status on_opt returned. */
int ph_cmd_defaults(const ph_cmd *c, int (*on_opt)(void *ctx, int key, const char *arg), void *ctx);

/*
 * Parse argv[1..] by c->opts (getopt_long, argv permuted: positional
 * arguments are left from optind): on_opt(ctx, key, value) for each option
 * given, in order; it returns 0 to go on, else an exit status. -h and
 * --help print the help. Exactly c->nargs positional arguments must be left. An option not declared is a usage error in one
 * line: "--by does nothing for power" when `elsewhere` (may be NULL)
 * declares it, else "unknown option". Returns -1 to go on, else an exit
 * status (PH_EXIT_OK after --help).
 */
int ph_cmd_parse(const ph_cmd *c, int argc, char **argv, const ph_opt *elsewhere,
                 int (*on_opt)(void *ctx, int key, const char *arg), void *ctx);

/* Resolve the database path: --db, then $PROCHIST_DB, then the platform
 * default. With create_dir, missing parent directories are made 0700.
 * Returns 0; -2 (message printed: exit PH_EXIT_USAGE) for an empty or
 * over-long --db; -1 (printed) otherwise. */
int ph_db_path(const char *opt, int create_dir, char *buf, size_t len);

#endif
