/* Helpers shared by the subcommands: help text and the database path. */
#include "ph_cmd.h"
#include "ph_platform.h"
#include "ph_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void ph_cmd_print_help(const ph_cmd *c, int to_stderr)
{
    FILE *f = to_stderr ? stderr : stdout;
    fprintf(f, "usage: prochist %s %s\n%s\n\n%s", c->name, c->usage, c->summary, c->help);
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
