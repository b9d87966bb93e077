/*
 * `prochist doctor` on Linux: every source the collector reads, checked
 * through the collector itself (so a fixture tree given as --proc-root and
 * --sys-root is checked like the real one), with what is missing and why.
 * Sources: /proc listing and per-process files (stat, status, io, fdinfo),
 * the boot id, taskstats exit records, RAPL powercap zones, and DRM (the
 * cards' sysfs gauges, per-process fdinfo engine time).
 */
#include "ph_platform.h"
#include "ph_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static ph_probe *add(ph_probes *out, const char *source, enum ph_probe_state st)
{
    if (out->n >= PH_PROBES_MAX)
        return &out->v[PH_PROBES_MAX - 1]; /* cannot happen: fewer sources than slots */
    ph_probe *pr = &out->v[out->n++];
    memset(pr, 0, sizeof *pr);
    pr->source = source;
    pr->state = st;
    return pr;
}

static const char *domain_name(enum ph_power_domain d)
{
    static const char *const names[] = {"package", "core", "uncore", "dram", "psys", "gpu", "ane"};
    return (size_t)d < PH_ARRAY_LEN(names) ? names[d] : "?";
}

void ph_platform_doctor(ph_platform *p, const ph_platform_opts *opts, ph_probes *out)
{
    const char *proc = opts && opts->proc_root ? opts->proc_root : "/proc";
    const char *sys = opts && opts->sys_root ? opts->sys_root : "/sys";
    ph_probe *pr;
    memset(out, 0, sizeof *out);

    ph_pidlist pids = {NULL, 0, 0};
    if (ph_platform_list(p, &pids) != 0 || pids.n == 0) {
        pr = add(out, "process listing", PH_PROBE_MISSING);
        ph_fmt(pr->why, sizeof pr->why, "no process directory could be listed in %s", proc);
        ph_pidlist_free(&pids);
        return;
    }
    pr = add(out, "process listing", PH_PROBE_WORKS);
    ph_fmt(pr->sample, sizeof pr->sample, "%zu processes in %s", pids.n, proc);

    /* Every process once, as the recorder's first sample does. */
    size_t full = 0, denied = 0, gone = 0, gpu = 0;
    int shown = 0;
    char sample[sizeof pr->sample] = "", gpu_sample[sizeof pr->sample] = "";
    int32_t self = (int32_t)getpid();
    for (size_t i = 0; i < pids.n; i++) {
        ph_proc_sample s;
        enum ph_read_result r = ph_platform_read(p, pids.pids[i], NULL, &s);
        if (r == PH_READ_GONE) {
            gone++;
            continue;
        }
        full++;
        if (s.denied)
            denied++;
        const ph_values *v = &s.vals;
        int has_cpu = (v->have & PH_BIT(PH_M_CPU_USER_NS)) && (v->have & PH_BIT(PH_M_CPU_SYSTEM_NS));
        /* our own process when it is listed (live), else the first one */
        if (has_cpu && (!shown || s.pid == self)) {
            ph_fmt(sample, sizeof sample, "pid %d (%s): cpu %.2f s, resident %.1f MiB%s", (int)s.pid, s.name,
                   (double)(v->v[PH_M_CPU_USER_NS] + v->v[PH_M_CPU_SYSTEM_NS]) / 1e9,
                   (v->have & PH_BIT(PH_M_RESIDENT_BYTES)) ? (double)v->v[PH_M_RESIDENT_BYTES] / 1048576.0 : 0.0,
                   (v->have & PH_BIT(PH_M_DISK_READ_BYTES)) ? ", io read" : "");
            shown = s.pid == self ? 2 : 1;
        }
        if (v->have & PH_BIT(PH_M_GPU_NS)) {
            if (!gpu++)
                ph_fmt(gpu_sample, sizeof gpu_sample, "pid %d (%s): %.3f s of GPU engine time", (int)s.pid, s.name,
                       (double)v->v[PH_M_GPU_NS] / 1e9);
        }
    }
    pr = add(out, "per-process counters", !full ? PH_PROBE_MISSING : denied ? PH_PROBE_PARTLY : PH_PROBE_WORKS);
    snprintf(pr->sample, sizeof pr->sample, "%s", sample);
    if (!full)
        ph_fmt(pr->why, sizeof pr->why, "every listed process vanished or was unreadable");
    else if (denied && geteuid() != 0)
        ph_fmt(pr->why, sizeof pr->why,
               "%zu of %zu processes read in part: /proc/PID/io and fdinfo of other users' processes are "
               "readable only by root (or with CAP_SYS_PTRACE)",
               denied, full);
    else if (denied)
        ph_fmt(pr->why, sizeof pr->why,
               "%zu of %zu processes read in part: refused even to root (another PID namespace, a "
               "security module, or a process exiting while read)",
               denied, full);
    (void)gone;

    char boot[64];
    if (ph_platform_boot_id(p, boot, sizeof boot) == 0) {
        pr = add(out, "boot identity", PH_PROBE_WORKS);
        ph_fmt(pr->sample, sizeof pr->sample, "%s", boot);
    } else {
        pr = add(out, "boot identity", PH_PROBE_MISSING);
        ph_fmt(pr->why, sizeof pr->why, "%s/sys/kernel/random/boot_id is unreadable: samples cannot be tied to a boot",
               proc);
    }

    if (ph_platform_exit_fd(p) >= 0) {
        pr = add(out, "taskstats exit records", PH_PROBE_WORKS);
        ph_fmt(pr->sample, sizeof pr->sample, "%s", ph_platform_exit_mode(p));
    } else {
        pr = add(out, "taskstats exit records", PH_PROBE_MISSING);
        if (geteuid() != 0)
            ph_fmt(pr->why, sizeof pr->why, "%s; taskstats needs CAP_NET_ADMIN: run the recorder as root",
                   ph_platform_exit_mode(p));
        else
            ph_fmt(pr->why, sizeof pr->why, "%s", ph_platform_exit_mode(p));
    }

    ph_power pw;
    int have_pw = ph_platform_power(p, &pw) == 0;
    int rapl = 0, gzones = 0;
    char rs[sizeof pr->sample] = "";
    size_t off = 0;
    for (int z = 0; have_pw && z < pw.n; z++) {
        if (pw.zone[z].domain == PH_PWR_GPU) {
            gzones++;
            continue;
        }
        if (rapl++ < 4 && off < sizeof rs) {
            int k = snprintf(rs + off, sizeof rs - off, "%s%s %llu uJ", off ? ", " : "", domain_name(pw.zone[z].domain),
                             (unsigned long long)pw.zone[z].energy_uj);
            off += k > 0 ? (size_t)k : 0;
        }
    }
    if (rapl) {
        pr = add(out, "RAPL energy", pw.denied ? PH_PROBE_PARTLY : PH_PROBE_WORKS);
        ph_fmt(pr->sample, sizeof pr->sample, "%d zones: %s", rapl, rs);
        if (pw.denied)
            ph_fmt(pr->why, sizeof pr->why, "some energy_uj files are readable only by root (Linux 5.10+)");
    } else {
        pr = add(out, "RAPL energy", PH_PROBE_MISSING);
        if (have_pw && pw.denied)
            ph_fmt(pr->why, sizeof pr->why,
                   "%s/class/powercap/intel-rapl:*/energy_uj is readable only by root since Linux 5.10 "
                   "(CVE-2020-8694): run the recorder as root",
                   sys);
        else
            ph_fmt(pr->why, sizeof pr->why,
                   "no intel-rapl zones in %s/class/powercap (a virtual machine, a CPU without RAPL, or "
                   "intel_rapl_common not loaded)",
                   sys);
    }

    int gauges = have_pw && (pw.gpu_busy_permille >= 0 || pw.gpu_mhz >= 0 || pw.gpu_power_uw >= 0 || gzones);
    pr = add(out, "GPU (DRM sysfs)", gauges ? PH_PROBE_WORKS : PH_PROBE_MISSING);
    if (gauges) {
        off = 0;
        char *b = pr->sample;
        size_t len = sizeof pr->sample;
#define APPEND(...)                                                                                    \
    do {                                                                                               \
        int k_ = off < len ? snprintf(b + off, len - off, __VA_ARGS__) : 0;                            \
        off += k_ > 0 ? (size_t)k_ : 0;                                                                \
    } while (0)
        if (pw.gpu_busy_permille >= 0)
            APPEND("busy %.1f%% ", (double)pw.gpu_busy_permille / 10);
        if (pw.gpu_mhz >= 0)
            APPEND("%lld MHz ", (long long)pw.gpu_mhz);
        if (pw.gpu_power_uw >= 0)
            APPEND("%.2f W ", (double)pw.gpu_power_uw / 1e6);
        if (gzones)
            APPEND("%d energy counters", gzones);
#undef APPEND
        if (off && off < len && b[off - 1] == ' ')
            b[off - 1] = '\0';
    } else {
        ph_fmt(pr->why, sizeof pr->why,
               "no card in %s/class/drm reports gpu_busy_percent, gt_act_freq_mhz or a hwmon "
               "(no GPU, or a driver without them: amdgpu, i915 and xe have them)",
               sys);
    }

    pr = add(out, "per-process GPU (DRM fdinfo)", gpu ? PH_PROBE_WORKS : PH_PROBE_MISSING);
    if (gpu)
        ph_fmt(pr->sample, sizeof pr->sample, "%zu processes; %s", gpu, gpu_sample);
    else
        ph_fmt(pr->why, sizeof pr->why,
               "no readable process holds a DRM device with drm-engine-* in its fdinfo (needs a GPU "
               "driver that reports it, Linux 5.19+; other users' fdinfo needs root)");
    ph_pidlist_free(&pids);
}
