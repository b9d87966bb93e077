/*
 * prochist doctor: the first thing to run on a new machine. For every data
 * source the platform's collector reads, one line: works / partly / missing,
 * a value read now, and what is missing and why. `--format json` gives the
 * same for bug reports:
 *   {"platform": "linux", "version": "0.1.0", "ok": true,
 *    "sources": [{"source": "...", "state": "works|partly|missing",
 *                 "sample": "..." or null, "why": "..." or null}, ...]}
 * The last line is this program's own: whether cgroups can be read and
 * which hierarchy the host has (Linux), or that they are Linux-only.
 * Exit 0 when processes can be listed and read (the recorder can work),
 * 1 when not, 2 for usage errors.
 */
#include "ph_cgroup.h"
#include "ph_cmd.h"
#include "ph_format.h"
#include "ph_platform.h"
#include "ph_util.h"

#include <cJSON.h>
#include <stdio.h>
#include <string.h>

/* Control groups (include/ph_cgroup.h): whether the recorder can read
 * every listed process's /proc/PID/cgroup, and which hierarchy the lines
 * show: cgroup v2 alone (the "0::" line), hybrid (v2 beside systemd's v1
 * "name=systemd" tree) or v1 alone. macOS: no cgroups, so the keys of
 * `--by unit|slice|container|cgroup` do not apply there. */
static void cgroup_probe(ph_platform *p, const ph_platform_opts *opts, ph_probes *pr)
{
    static const char *const src = "cgroups (--by unit, slice, container)";
    if (pr->n >= PH_PROBES_MAX)
        return;
    ph_probe *c = &pr->v[pr->n++];
    memset(c, 0, sizeof *c);
    c->source = src;
    if (!ph_platform_has_cgroups()) {
        c->state = PH_PROBE_MISSING;
        snprintf(c->why, sizeof c->why,
                 "Linux-only: this platform has no cgroups (its grouping is coalitions and bundles: --by app)");
        return;
    }
    ph_pidlist l = {NULL, 0, 0};
    if (ph_platform_list(p, &l) < 0 || l.n == 0) {
        c->state = PH_PROBE_MISSING;
        snprintf(c->why, sizeof c->why, "no processes listed to read cgroups of");
        ph_pidlist_free(&l);
        return;
    }
    size_t read = 0, both = 0, v2 = 0; /* the rest: name=systemd alone */
    char first[96] = "";
    for (size_t i = 0; i < l.n; i++) {
        ph_cgroup cg;
        if (ph_platform_cgroup(p, l.pids[i], &cg) < 0)
            continue;
        read++;
        if (cg.have_v2 && cg.have_v1)
            both++;
        else if (cg.have_v2)
            v2++;
        if (!first[0]) {
            ph_cgroup_keys k;
            ph_cgroup_keys_of(&cg, &k);
            snprintf(first, sizeof first, "pid %d in %.40s (unit %.30s)", (int)l.pids[i], k.path, k.unit);
        }
    }
    const char *root = opts->proc_root ? opts->proc_root : "/proc";
    if (read == 0) {
        c->state = PH_PROBE_MISSING;
        snprintf(c->why, sizeof c->why,
                 "no %s/PID/cgroup with a cgroup v2 or name=systemd line could be read (of %zu processes):"
                 " --by unit, slice, container and cgroup put everything under '-'",
                 root, l.n);
        ph_pidlist_free(&l);
        return;
    }
    const char *h = both ? "hybrid (cgroup v2 and v1 name=systemd)" : v2 ? "v2 unified" : "v1 (name=systemd)";
    snprintf(c->sample, sizeof c->sample, "%s; %zu of %zu processes read; %s", h, read, l.n, first);
    /* A process may end between the listing and the read: a few misses
     * are that; more is something refusing the reads. */
    c->state = (l.n - read) * 20 <= l.n ? PH_PROBE_WORKS : PH_PROBE_PARTLY;
    if (c->state == PH_PROBE_PARTLY)
        snprintf(c->why, sizeof c->why,
                 "%zu processes' %s/PID/cgroup could not be read (ended, refused, or no v2 or name=systemd"
                 " line): they group under '-'",
                 l.n - read, root);
    ph_pidlist_free(&l);
}

static const char *state_name(enum ph_probe_state s)
{
    return s == PH_PROBE_WORKS ? "works" : s == PH_PROBE_PARTLY ? "partly" : "missing";
}

typedef struct doctor_args {
    ph_platform_opts *opts;
    int json;
} doctor_args;

static int take_opt(void *ctx, int c, const char *arg)
{
    doctor_args *a = ctx;
    switch (c) {
    case 'f':
        if (strcmp(arg, "json") != 0 && strcmp(arg, "text") != 0 && strcmp(arg, "table") != 0) {
            ph_err("bad --format '%s': give text or json", arg);
            return PH_EXIT_USAGE;
        }
        a->json = strcmp(arg, "json") == 0;
        break;
    case 'p': a->opts->proc_root = arg; break;
    case 's': a->opts->sys_root = arg; break;
    }
    return 0;
}

static int doctor_exec(int argc, char **argv)
{
    ph_platform_opts opts = {NULL, NULL};
    doctor_args args = {&opts, 0};
    int rc;
    if ((rc = ph_cmd_defaults(&ph_cmd_doctor, take_opt, &args)) != 0 ||
        (rc = ph_cmd_parse(&ph_cmd_doctor, argc, argv, NULL, take_opt, &args)) >= 0)
        return rc;
    int json = args.json;

    ph_probes pr;
    ph_platform *p = NULL;
    char err[256];
    memset(&pr, 0, sizeof pr);
    if (ph_platform_open(&opts, &p, err, sizeof err) != 0) {
        pr.n = 1;
        pr.v[0].source = "process listing";
        pr.v[0].state = PH_PROBE_MISSING;
        snprintf(pr.v[0].why, sizeof pr.v[0].why, "%s", err);
    } else {
        ph_platform_doctor(p, &opts, &pr);
        cgroup_probe(p, &opts, &pr);
        ph_platform_close(p);
    }
    /* The recorder works when it can list and read processes. */
    int ok = pr.n >= 2 && pr.v[0].state != PH_PROBE_MISSING && pr.v[1].state != PH_PROBE_MISSING;

    if (json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "platform", ph_platform_name());
        cJSON_AddStringToObject(root, "version", PH_VERSION);
        cJSON_AddBoolToObject(root, "ok", ok);
        cJSON *arr = cJSON_AddArrayToObject(root, "sources");
        for (int i = 0; i < pr.n; i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "source", pr.v[i].source);
            cJSON_AddStringToObject(o, "state", state_name(pr.v[i].state));
            if (pr.v[i].sample[0])
                cJSON_AddStringToObject(o, "sample", pr.v[i].sample);
            else
                cJSON_AddNullToObject(o, "sample");
            if (pr.v[i].why[0])
                cJSON_AddStringToObject(o, "why", pr.v[i].why);
            else
                cJSON_AddNullToObject(o, "why");
            cJSON_AddItemToArray(arr, o);
        }
        if (ph_json_print(root) != 0 || fflush(stdout) != 0)
            return PH_EXIT_FAIL;
        return ok ? PH_EXIT_OK : PH_EXIT_FAIL;
    }
    printf("prochist %s on %s\n", PH_VERSION, ph_platform_name());
    size_t w = 0;
    for (int i = 0; i < pr.n; i++)
        if (strlen(pr.v[i].source) > w)
            w = strlen(pr.v[i].source);
    for (int i = 0; i < pr.n; i++) {
        printf("%-7s  %-*s  ", state_name(pr.v[i].state), (int)w, pr.v[i].source);
        if (pr.v[i].sample[0])
            printf("%s", pr.v[i].sample);
        if (pr.v[i].sample[0] && pr.v[i].why[0])
            printf("\n%-7s  %-*s  ", "", (int)w, "");
        if (pr.v[i].why[0])
            printf("%s", pr.v[i].why);
        printf("\n");
    }
    if (!ok)
        ph_err("the recorder cannot work here: processes cannot be listed or read");
    if (fflush(stdout) != 0)
        return PH_EXIT_FAIL;
    return ok ? PH_EXIT_OK : PH_EXIT_FAIL;
}

static const ph_opt doctor_opts[] = {
    {"format", 'f', 'f', "FMT", "text or json (for bug reports)", "text", NULL},
    {"proc-root", 0, 'p', "DIR", "Linux: check DIR instead of /proc (fixture trees)", NULL, NULL},
    {"sys-root", 0, 's', "DIR", "Linux: check DIR instead of /sys", NULL, NULL},
    PH_OPT_END,
};

const ph_cmd ph_cmd_doctor = {
    "doctor",
    "",
    0,
    "Check every data source on this machine: works, a value, what is missing and why.",
    doctor_opts,
    "Exit status 0 when processes can be listed and read, 1 when not.\n",
    doctor_exec,
};
