/*
 * `prochist doctor` on macOS: every source the collector reads, asked
 * directly (libproc, the private calls resolved with dlsym, IOReport and the
 * AGX registry through ioreport.c), with what is missing and why: another
 * user's processes (proc_pid_rusage checks the same user), a kernel older
 * than macOS 13 (no rusage v6), Rosetta, an Intel Mac (no IOReport energy,
 * no AGX), a symbol gone from a new macOS. Linux-only sources (RAPL, DRM,
 * taskstats) are listed as such, so a bug report reads the same everywhere.
 */
#include "ph_darwin.h"
#include "ph_platform.h"
#include "ph_util.h"

#include <dlfcn.h>
#include <errno.h>
#include <libproc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/proc_info.h>
#include <sys/resource.h>
#include <sys/sysctl.h>
#include <unistd.h>

static ph_probe *add(ph_probes *out, const char *source, enum ph_probe_state st)
{
    if (out->n >= PH_PROBES_MAX)
        return &out->v[PH_PROBES_MAX - 1];
    ph_probe *pr = &out->v[out->n++];
    memset(pr, 0, sizeof *pr);
    pr->source = source;
    pr->state = st;
    return pr;
}

static uint64_t u64_at(const unsigned char *b, enum ph_ru_field f)
{
    uint64_t v;
    memcpy(&v, b + PH_RU_OFFSET(f), sizeof v);
    return v;
}

static int sysctl_int(const char *name)
{
    int v = 0;
    size_t len = sizeof v;
    return sysctlbyname(name, &v, &len, NULL, 0) == 0 ? v : -1;
}

typedef int (*coalition_fn)(uint64_t cid, void *cru, size_t size);
typedef pid_t (*responsible_fn)(pid_t);

void ph_platform_doctor(ph_platform *p, const ph_platform_opts *opts, ph_probes *out)
{
    (void)opts;
    ph_probe *pr;
    memset(out, 0, sizeof *out);
    pid_t self = getpid();

    ph_pidlist pids = {NULL, 0, 0};
    if (ph_platform_list(p, &pids) != 0 || pids.n == 0) {
        pr = add(out, "process listing", PH_PROBE_MISSING);
        ph_fmt(pr->why, sizeof pr->why, "proc_listallpids failed: %s", strerror(errno));
        ph_pidlist_free(&pids);
        return;
    }
    pr = add(out, "process listing", PH_PROBE_WORKS);
    ph_fmt(pr->sample, sizeof pr->sample, "%zu processes (proc_listallpids)", pids.n);

    /* Every process once, as the recorder's first sample does. */
    size_t full = 0, denied = 0, bundled = 0;
    char bundle_eg[PH_PATH_MAX] = "";
    for (size_t i = 0; i < pids.n; i++) {
        ph_proc_sample s;
        if (ph_platform_read(p, pids.pids[i], NULL, &s) == PH_READ_GONE)
            continue;
        full++;
        if (s.denied)
            denied++;
        ph_proc_ident id;
        memset(&id, 0, sizeof id);
        id.coalition = -1;
        id.responsible_pid = -1;
        ph_platform_ident(p, s.pid, &s, &id);
        if (id.bundle[0] && !bundled++)
            snprintf(bundle_eg, sizeof bundle_eg, "%s", id.bundle);
    }
    pr = add(out, "per-process counters", !full ? PH_PROBE_MISSING : denied ? PH_PROBE_PARTLY : PH_PROBE_WORKS);
    ph_fmt(pr->sample, sizeof pr->sample, "%zu of %zu processes read fully", full - denied, full);
    if (denied)
        ph_fmt(pr->why, sizeof pr->why,
               "%zu processes of other users: proc_pid_rusage and PROC_PIDTASKINFO answer only for the "
               "same user or root (run the recorder as a LaunchDaemon to see them all)",
               denied);

    /* The rusage flavor this kernel answers, read on ourselves. */
    unsigned char ru[PH_RU_V6_SIZE];
    int flavor = PH_RUSAGE_V6, e = 0;
    memset(ru, 0, sizeof ru);
    while (proc_pid_rusage(self, flavor, (rusage_info_t *)(void *)ru) != 0) {
        e = errno;
        flavor = ph_darwin_rusage_fallback(flavor, e);
        if (flavor < 0)
            break;
    }
    int arm64 = sysctl_int("hw.optional.arm64") == 1;
    if (flavor < 0) {
        pr = add(out, "rusage flavor", PH_PROBE_MISSING);
        ph_fmt(pr->why, sizeof pr->why, "proc_pid_rusage on ourselves failed: %s", strerror(e));
    } else {
        int measured = ph_darwin_energy_measured(arm64, flavor);
        pr = add(out, "rusage flavor", measured ? PH_PROBE_WORKS : PH_PROBE_PARTLY);
        ph_fmt(pr->sample, sizeof pr->sample, "RUSAGE_INFO_V%d%s", flavor,
               measured ? ", measured energy (ri_energy_nj)" : "");
        if (!measured)
            ph_fmt(pr->why, sizeof pr->why, "%s: energy_nj stays NULL (billed energy is kept apart)",
                   flavor != PH_RUSAGE_V6 ? "no rusage v6 before macOS 13"
                                          : "ri_energy_nj is measured only on Apple Silicon");
    }

    /* Rosetta: counters in native ticks while mach_timebase_info says 1/1. */
    int translated = sysctl_int("sysctl.proc_translated") == 1;
    pr = add(out, "timebase", translated ? PH_PROBE_PARTLY : PH_PROBE_WORKS);
    ph_fmt(pr->sample, sizeof pr->sample, "%s", translated ? "x86_64 under Rosetta: ticks from hw.tbfrequency"
                                                           : arm64 ? "native arm64" : "native x86_64");
    if (translated)
        ph_fmt(pr->why, sizeof pr->why, "an x86_64 build under Rosetta: install the native arm64 build");

    if (flavor >= 0) {
        pr = add(out, "memory footprint", PH_PROBE_WORKS);
        ph_fmt(pr->sample, sizeof pr->sample, "prochist: phys_footprint %.1f MiB, lifetime max %.1f MiB",
               (double)u64_at(ru, PH_RU_PHYS_FOOTPRINT) / 1048576.0,
               (double)u64_at(ru, PH_RU_LIFETIME_MAX_PHYS_FOOTPRINT) / 1048576.0);
    } else {
        pr = add(out, "memory footprint", PH_PROBE_MISSING);
        ph_fmt(pr->why, sizeof pr->why, "proc_pid_rusage failed, so no footprint");
    }

    /* Coalitions: our own, and its totals through the private call. */
    unsigned char ci[PH_COALITION_SIZE];
    uint64_t cid = 0;
    coalition_fn cu = (coalition_fn)dlsym(RTLD_DEFAULT, "coalition_info_resource_usage");
    int have_cid = proc_pidinfo(self, PH_PROC_PIDCOALITIONINFO, 0, ci, sizeof ci) == (int)sizeof ci &&
                   ph_darwin_coalition(ci, sizeof ci, &cid) == 0;
    unsigned char cru[PH_CRU_BUF_SIZE];
    memset(cru, 0, sizeof cru);
    if (!have_cid) {
        pr = add(out, "coalitions", PH_PROBE_MISSING);
        ph_fmt(pr->why, sizeof pr->why, "PROC_PIDCOALITIONINFO (20) gave no resource coalition");
    } else if (!cu) {
        pr = add(out, "coalitions", PH_PROBE_PARTLY);
        ph_fmt(pr->sample, sizeof pr->sample, "resource coalition %llu", (unsigned long long)cid);
        ph_fmt(pr->why, sizeof pr->why, "coalition_info_resource_usage is not in this macOS: no per-app totals");
    } else if (cu(cid, cru, sizeof cru) != 0) {
        pr = add(out, "coalitions", PH_PROBE_PARTLY);
        ph_fmt(pr->sample, sizeof pr->sample, "resource coalition %llu", (unsigned long long)cid);
        ph_fmt(pr->why, sizeof pr->why, "coalition_info_resource_usage refused: %s", strerror(errno));
    } else {
        uint64_t started, exited;
        memcpy(&started, cru, 8);
        memcpy(&exited, cru + 8, 8);
        pr = add(out, "coalitions", PH_PROBE_WORKS);
        ph_fmt(pr->sample, sizeof pr->sample, "resource coalition %llu: %llu tasks started, %llu exited",
               (unsigned long long)cid, (unsigned long long)started, (unsigned long long)exited);
    }

    responsible_fn resp = (responsible_fn)dlsym(RTLD_DEFAULT, "responsibility_get_pid_responsible_for_pid");
    if (!resp) {
        pr = add(out, "responsible pid", PH_PROBE_MISSING);
        ph_fmt(pr->why, sizeof pr->why, "responsibility_get_pid_responsible_for_pid is not in this macOS: "
                                        "helpers are grouped by their own bundle only");
    } else {
        pid_t r = resp(self);
        char path[PROC_PIDPATHINFO_MAXSIZE] = "";
        if (r > 0 && proc_pidpath(r, path, sizeof path) <= 0)
            path[0] = '\0';
        pr = add(out, "responsible pid", r > 0 ? PH_PROBE_WORKS : PH_PROBE_PARTLY);
        if (r > 0)
            ph_fmt(pr->sample, sizeof pr->sample, "pid %d is responsible for prochist (%s)", (int)r,
                   path[0] ? path : "path unreadable");
        else
            ph_fmt(pr->why, sizeof pr->why, "no answer for our own pid");
    }

    pr = add(out, "app bundles", bundled ? PH_PROBE_WORKS : PH_PROBE_MISSING);
    if (bundled)
        ph_fmt(pr->sample, sizeof pr->sample, "%zu processes in .app bundles, e.g. %s", bundled, bundle_eg);
    else
        ph_fmt(pr->why, sizeof pr->why, "no listed process runs from an .app bundle (none open, or paths unreadable)");

    /* IOReport and the AGX clients: Apple Silicon only. */
    ph_soc *soc = NULL;
    char why[160] = "";
    if (ph_soc_open(&soc, why, sizeof why) != 0) {
        pr = add(out, "IOReport energy channels", PH_PROBE_MISSING);
        ph_fmt(pr->why, sizeof pr->why, "%s", why);
        pr = add(out, "AGX GPU clients", PH_PROBE_MISSING);
        ph_fmt(pr->why, sizeof pr->why, "needs IOReport and IOKit (Apple Silicon): %s", why);
    } else {
        char chans[sizeof pr->sample];
        int n = ph_soc_describe(soc, chans, sizeof chans);
        pr = add(out, "IOReport energy channels", n ? PH_PROBE_WORKS : PH_PROBE_MISSING);
        if (n)
            ph_fmt(pr->sample, sizeof pr->sample, "%d: %s", n, chans);
        else
            ph_fmt(pr->why, sizeof pr->why, "subscribed, but a sample has no channels");
        ph_soc_gpu_scan(soc);
        size_t clients = 0, gpids = 0;
        ph_soc_gpu_counts(soc, &clients, &gpids);
        pr = add(out, "AGX GPU clients", clients ? PH_PROBE_WORKS : PH_PROBE_MISSING);
        if (clients)
            ph_fmt(pr->sample, sizeof pr->sample, "%zu clients of %zu processes", clients, gpids);
        else
            ph_fmt(pr->why, sizeof pr->why,
                   "no AGXDeviceUserClient with AppUsage found (no GPU client running, or a headless Mac)");
        ph_soc_close(soc);
    }

    static const char *const linux_only[] = {"RAPL energy", "GPU (DRM sysfs)", "taskstats exit records"};
    for (size_t i = 0; i < PH_ARRAY_LEN(linux_only); i++) {
        pr = add(out, linux_only[i], PH_PROBE_MISSING);
        ph_fmt(pr->why, sizeof pr->why, "Linux only (macOS: %s)",
               i == 2 ? "coalition totals keep exited helpers' usage" : "IOReport, above");
    }
    ph_pidlist_free(&pids);
}
