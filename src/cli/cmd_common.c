/* Helpers shared by the subcommands: option parsing and help from each
 * command's declared options, and the database path. */
#include "ph_cmd.h"
#include "ph_platform.h"
#include "ph_util.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define HELP_COL 21 /* where an option's text starts */
#define WRAP 80

/* "-f, --format FMT" */
static void opt_label(const ph_opt *o, char *buf, size_t len)
{
    const char *sp = o->arg ? " " : "", *arg = o->arg ? o->arg : "";
    if (o->shortc)
        snprintf(buf, len, "-%c, --%s%s%s", o->shortc, o->name, sp, arg);
    else
        snprintf(buf, len, "--%s%s%s", o->name, sp, arg);
}

/* The usage line, wrapped: "[--cpu|--mem] [--since WHEN] ..." */
static void print_usage(FILE *f, const ph_cmd *c)
{
    char word[512];
    int col = fprintf(f, "usage: prochist %s%s%s", c->name, c->args[0] ? " " : "", c->args);
    for (const ph_opt *o = c->opts; o && o->name;) {
        size_t off = 0;
        word[off++] = '[';
        const ph_opt *g = o;
        do {
            off += (size_t)snprintf(word + off, sizeof word - off, "%s--%s%s%s", g == o ? "" : "|", g->name,
                                    g->arg ? " " : "", g->arg ? g->arg : "");
            if (off > sizeof word - 2) /* cut, never past the buffer */
                off = sizeof word - 2;
            g++;
        } while (o->group && g->name && g->group && strcmp(g->group, o->group) == 0 && off < sizeof word - 2);
        snprintf(word + off, sizeof word - off, "]");
        if (col + 1 + (int)strlen(word) > WRAP) {
            fputs("\n      ", f);
            col = 6;
        }
        col += fprintf(f, " %s", word);
        o = g;
    }
    fputc('\n', f);
}

void ph_cmd_print_help(const ph_cmd *c, int to_stderr)
{
    FILE *f = to_stderr ? stderr : stdout;
    print_usage(f, c);
    fprintf(f, "%s\n\n", c->summary);
    for (const ph_opt *o = c->opts; o && o->name; o++) {
        char label[128];
        opt_label(o, label, sizeof label);
        int w = fprintf(f, "  %s", label);
        if (w >= HELP_COL) {
            fputc('\n', f);
            w = 0;
        }
        fprintf(f, "%*s", HELP_COL - w, "");
        int col = HELP_COL;
        for (const char *p = o->help; *p; p++) {
            fputc(*p, f);
            col++;
            if (*p == '\n')
                col = fprintf(f, "%*s", HELP_COL, "");
        }
        if (o->dflt) { /* on the last line, or a line of its own when it would not fit */
            char d[96];
            int dl = snprintf(d, sizeof d, "(default %s)", o->dflt);
            if (col + 1 + dl > WRAP)
                fprintf(f, "\n%*s%s", HELP_COL, "", d);
            else
                fprintf(f, " %s", d);
        }
        fputc('\n', f);
    }
    if (c->notes)
        fprintf(f, "\n%s", c->notes);
}

int ph_cmd_defaults(const ph_cmd *c, int (*on_opt)(void *ctx, int key, const char *arg), void *ctx)
{
    for (const ph_opt *o = c->opts; o && o->name; o++) {
        int rc;
        if (o->dflt && (rc = on_opt(ctx, o->key, o->dflt)) != 0)
            return rc;
    }
    return 0;
}

/* The declared option the argument names ("--by", "--by=x", "-n"), or NULL. */
static const ph_opt *named(const ph_opt *list, const char *word)
{
    if (!list || !word || word[0] != '-')
        return NULL;
    for (const ph_opt *o = list; o->name; o++) {
        if (word[1] != '-') {
            if (o->shortc && o->shortc == word[1])
                return o;
            continue;
        }
        size_t n = strcspn(word + 2, "=");
        if (n == strlen(o->name) && strncmp(word + 2, o->name, n) == 0)
            return o;
    }
    return NULL;
}

int ph_cmd_parse(const ph_cmd *c, int argc, char **argv, const ph_opt *elsewhere,
                 int (*on_opt)(void *ctx, int key, const char *arg), void *ctx)
{
    size_t n = 0;
    for (const ph_opt *o = c->opts; o && o->name; o++)
        n++;
    struct option *lo = ph_xcalloc(n + 2, sizeof *lo);
    char *so = ph_xcalloc(2 * n + 4, 1);
    size_t k = 0;
    so[k++] = ':';
    so[k++] = 'h';
    for (size_t i = 0; i < n; i++) {
        const ph_opt *o = &c->opts[i];
        lo[i] = (struct option){o->name, o->arg ? required_argument : no_argument, NULL, o->key};
        if (o->shortc) {
            so[k++] = (char)o->shortc;
            if (o->arg)
                so[k++] = ':';
        }
    }
    lo[n] = (struct option){"help", no_argument, NULL, 'h'};
    int rc = -1, ch;
    optind = 1;
    opterr = 0;
    while (rc < 0 && (ch = getopt_long(argc, argv, so, lo, NULL)) != -1) {
        char sw[3] = {'-', (char)optopt, '\0'}; /* an unknown short option */
        const char *word = ch == '?' && optopt ? sw : argv[optind - 1];
        if (ch == 'h') {
            ph_cmd_print_help(c, 0);
            rc = PH_EXIT_OK;
        } else if (ch == ':') {
            ph_err("option '%s' needs a value", word);
            rc = PH_EXIT_USAGE;
        } else if (ch == '?') {
            const ph_opt *e = named(elsewhere, word);
            if (e)
                ph_err("--%s does nothing for %s; see 'prochist %s --help'", e->name, c->name, c->name);
            else
                ph_err("unknown option '%s' for %s; see 'prochist %s --help'", word, c->name, c->name);
            rc = PH_EXIT_USAGE;
        } else {
            int r = on_opt(ctx, ch, optarg);
            if (r != 0)
                rc = r;
        }
    }
    free(lo);
    free(so);
    if (rc >= 0)
        return rc;
    if (argc - optind > c->nargs) {
        ph_err("unexpected argument '%s' for %s", argv[optind + c->nargs], c->name);
        return PH_EXIT_USAGE;
    }
    if (argc - optind < c->nargs) {
        ph_err("%s needs %s; see 'prochist %s --help'", c->name, c->args, c->name);
        return PH_EXIT_USAGE;
    }
    return -1;
}
int ph_db_path(const char *opt, int create_dir, char *buf, size_t len)
{
    const char *env = getenv("PROCHIST_DB");
    char dir[PH_PATH_MAX];
    /* --db '' is a mistake, not "the default"; an over-long path is one too
     * (both usage errors: -2). */
    if (opt && !*opt) {
        ph_err("--db needs a path; it was empty");
        return -2;
    }
    if (opt) {
        if (strlen(opt) >= PH_PATH_MAX - 16 || ph_fmt(buf, len, "%s", opt) < 0) {
            ph_err("--db path too long (%zu bytes, at most %d)", strlen(opt), PH_PATH_MAX - 17);
            return -2;
        }
    } else if (env && *env) {
        if (strlen(env) >= PH_PATH_MAX - 16 || ph_fmt(buf, len, "%s", env) < 0) {
            ph_err("$PROCHIST_DB too long (%zu bytes, at most %d)", strlen(env), PH_PATH_MAX - 17);
            return -2;
        }
    } else {
        if (ph_platform_default_db_dir(dir, sizeof dir) < 0 ||
            ph_fmt(buf, len, "%s/prochist.db", dir) < 0) {
            ph_err("cannot find a home directory for the database; pass --db PATH");
            return -1;
        }
    }
    if (create_dir) {
        if (ph_fmt(dir, sizeof dir, "%s", buf) < 0)
            return -1;
        char *slash = strrchr(dir, '/');
        if (slash && slash != dir) {
            *slash = '\0';
            struct stat st;
            if (stat(dir, &st) != 0 && ph_mkdir_p(dir, 0700) != 0) {
                ph_err("cannot create directory %s: %s", dir, strerror(errno));
                return -1;
            }
        }
    }
    return 0;
}
