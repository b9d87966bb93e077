/* prochist: entry point and the command table. */
#include "ph_cmd.h"
#include "ph_platform.h"
#include "ph_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const ph_cmd *const commands[] = {
    &ph_cmd_record,
    &ph_cmd_top,
    &ph_cmd_peak,
    &ph_cmd_show,
    &ph_cmd_apps,
    &ph_cmd_power,
    &ph_cmd_diff,
    &ph_cmd_report,
    &ph_cmd_status,
    &ph_cmd_export,
    &ph_cmd_service,
    &ph_cmd_doctor,
};

static void usage(FILE *f)
{
    fprintf(f, "usage: prochist COMMAND [OPTIONS]\n\n"
               "Records what every process spends (CPU, memory, disk, energy) and answers\n"
               "questions about any past time window.\n\ncommands:\n");
    for (size_t i = 0; i < PH_ARRAY_LEN(commands); i++)
        fprintf(f, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\n'prochist help COMMAND' or 'prochist COMMAND --help' for its options.\n");
}

/* Exact name, else a unique prefix. */
static const ph_cmd *lookup(const char *name, int *ambiguous)
{
    const ph_cmd *found = NULL;
    size_t n = strlen(name);
    *ambiguous = 0;
    for (size_t i = 0; i < PH_ARRAY_LEN(commands); i++) {
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
        if (n && strncmp(commands[i]->name, name, n) == 0) {
            if (found)
                *ambiguous = 1;
            found = commands[i];
        }
    }
    return *ambiguous ? NULL : found;
}

/* Whatever a command printed reaches standard output, or the run fails:
 * a full disk, a closed pipe or /dev/full is said once here, in one line,
 * for every command and --help (commands only return 1 on a failed write).
 * errno is that of the failed write when the last flush failed, else the
 * one the command left behind (its own failed flush). */
static int finish_stdout(int rc)
{
    int e = errno;
    if (fflush(stdout) != 0)
        e = errno;
    if (!ferror(stdout))
        return rc;
    ph_err("cannot write standard output: %s", strerror(e ? e : EIO));
    return rc == PH_EXIT_OK ? PH_EXIT_FAIL : rc;
}

static int run(int argc, char **argv)
{
    int amb;
    if (getuid() != geteuid() || getgid() != getegid()) {
        ph_err("refusing to run set-uid or set-gid");
        return PH_EXIT_FAIL;
    }
    ph_argv0 = argv[0];
    if (argc < 2) {
        usage(stderr);
        return PH_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "-h") == 0 || strcmp(name, "--help") == 0) {
        usage(stdout);
        return PH_EXIT_OK;
    }
    if (strcmp(name, "-V") == 0 || strcmp(name, "--version") == 0 || strcmp(name, "version") == 0) {
        printf("prochist %s (%s)\n", PH_VERSION, ph_platform_name());
        return PH_EXIT_OK;
    }
    if (strcmp(name, "help") == 0) {
        if (argc < 3 || strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) {
            usage(stdout);
            return PH_EXIT_OK;
        }
        const ph_cmd *c = lookup(argv[2], &amb);
        if (!c) {
            ph_err("%s command '%s'; try 'prochist help'", amb ? "ambiguous" : "unknown", argv[2]);
            return PH_EXIT_USAGE;
        }
        ph_cmd_print_help(c, 0);
        return PH_EXIT_OK;
    }
    const ph_cmd *c = lookup(name, &amb);
    if (!c) {
        ph_err("%s command '%s'; try 'prochist help'", amb ? "ambiguous" : "unknown", name);
        return PH_EXIT_USAGE;
    }
    return c->exec(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
    errno = 0;
    int rc = run(argc, argv);
    return finish_stdout(rc);
}
