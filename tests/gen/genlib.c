/* The synthetic machine (see genlib.h). */
#include "genlib.h"

#include "ph_cgroup.h"
#include "ph_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEC 1000000000LL

typedef struct gproc {
    int32_t pid;
    uint64_t start_key;
    int64_t start_boot_ns;
    int app;
    int busy;       /* usually running */
    int life;       /* samples left; < 0: long-lived */
    int64_t cpu, sys, rd, wr, faults, rss;
    int64_t hwm; /* lifetime peak: like the kernel's VmHWM, it never falls */
} gproc;

typedef struct gen {
    gproc *p;
    int n, cap;
    uint64_t rng;
    uint64_t next_key;
    int64_t boot_ns;
    unsigned char *pid_used;
    int pid_span;
    int apps;
    int64_t cpu_tick;     /* CPU all processes used in the last interval */
    int64_t pw_boot;      /* boot clock of the last power reading; 0: none */
    uint64_t uj[3];       /* package, core, dram counters */
} gen;

static uint64_t rnd(gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}

static double frand(gen *g) { return (double)(rnd(g) >> 11) / 9007199254740992.0; }

static int cmp_gproc(const void *a, const void *b)
{
    int32_t x = ((const gproc *)a)->pid, y = ((const gproc *)b)->pid;
    return (x > y) - (x < y);
}

static void spawn(gen *g, int busy, int life)
{
    int32_t pid = -1;
    for (int tries = 0; tries < g->pid_span; tries++) {
        int32_t c = 300 + (int32_t)(rnd(g) % (uint64_t)g->pid_span);
        if (!g->pid_used[c - 300]) {
            pid = c;
            break;
        }
    }
    if (pid < 0)
        return;
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 64;
        g->p = ph_xrealloc(g->p, (size_t)g->cap * sizeof *g->p);
    }
    gproc *p = &g->p[g->n++];
    memset(p, 0, sizeof *p);
    p->pid = pid;
    p->start_key = ++g->next_key;
    p->start_boot_ns = g->boot_ns - (int64_t)(rnd(g) % (uint64_t)SEC);
    p->app = (int)(rnd(g) % (uint64_t)g->apps);
    p->busy = busy;
    p->life = life;
    p->rss = (int64_t)(4 + rnd(g) % 400) << 20;
    g->pid_used[pid - 300] = 1;
}

static int g_list(void *ctx, ph_pidlist *out)
{
    gen *g = ctx;
    qsort(g->p, (size_t)g->n, sizeof *g->p, cmp_gproc);
    out->n = 0;
    for (int i = 0; i < g->n; i++)
        ph_pidlist_push(out, g->p[i].pid);
    return 0;
}

static enum ph_read_result g_read(void *ctx, int32_t pid, const ph_hint *hint, ph_proc_sample *s)
{
    gen *g = ctx;
    int lo = 0, hi = g->n - 1;
    gproc *p = NULL;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (g->p[mid].pid == pid) {
            p = &g->p[mid];
            break;
        }
        if (g->p[mid].pid < pid)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    if (!p)
        return PH_READ_GONE;
    memset(s, 0, sizeof *s);
    s->pid = pid;
    s->ppid = 1;
    s->uid = p->app % 2 ? 65534 : 0; /* root and nobody: names every system has */
    s->start_key = p->start_key;
    s->start_boot_ns = p->start_boot_ns;
    s->quick_sig = (uint64_t)(p->cpu * 31 + p->sys * 7 + p->faults);
    snprintf(s->name, sizeof s->name, "app%02d", p->app);
    ph_values_set(&s->vals, PH_M_CPU_USER_NS, p->cpu);
    ph_values_set(&s->vals, PH_M_CPU_SYSTEM_NS, p->sys);
    ph_values_set(&s->vals, PH_M_FAULTS_MINOR, p->faults);
    ph_values_set(&s->vals, PH_M_RESIDENT_BYTES, p->rss);
    ph_values_set(&s->vals, PH_M_THREADS, 1 + p->app % 8);
    if (hint && hint->start_key == s->start_key && hint->quick_sig == s->quick_sig)
        return PH_READ_IDLE;
    ph_values_set(&s->vals, PH_M_DISK_READ_BYTES, p->rd);
    ph_values_set(&s->vals, PH_M_DISK_WRITE_BYTES, p->wr);
    if (p->rss + (4 << 20) > p->hwm)
        p->hwm = p->rss + (4 << 20);
    ph_values_set(&s->vals, PH_M_PEAK_RESIDENT_BYTES, p->hwm);
    ph_values_set(&s->vals, PH_M_CTXSW_VOLUNTARY, p->faults / 3);
    return PH_READ_FULL;
}

static void g_ident(void *ctx, int32_t pid, const ph_proc_sample *s, ph_proc_ident *out)
{
    (void)ctx;
    (void)pid;
    snprintf(out->exe, sizeof out->exe, "/usr/bin/%s", s->name);
    snprintf(out->app, sizeof out->app, "%s", s->name);
}

/* System power that follows the load: a package of 6 W idle plus 2.5 W per
 * busy core (core the CPU part of it, dram a little), 16 CPUs; a GPU whose
 * busy %, clock and power ride a two-hour triangle wave. */
static int g_power(void *ctx, ph_power *out)
{
    gen *g = ctx;
    memset(out, 0, sizeof *out);
    int64_t dt = g->pw_boot ? g->boot_ns - g->pw_boot : 0;
    g->pw_boot = g->boot_ns;
    double load = dt > 0 ? (double)g->cpu_tick / (double)dt : 0; /* busy cores */
    double w[3] = {6 + 2.5 * load, 1 + 2.5 * load, 1.5 + 0.1 * load};
    static const enum ph_power_domain dom[3] = {PH_PWR_PACKAGE, PH_PWR_CORE, PH_PWR_DRAM};
    for (int i = 0; i < 3; i++) {
        g->uj[i] += (uint64_t)(w[i] * (double)dt / 1000.0);
        out->zone[i].domain = dom[i];
        out->zone[i].energy_uj = g->uj[i];
        out->zone[i].max_uj = 262143328850ULL;
    }
    out->n = 3;
    out->cpu_total_ns = g->boot_ns * 16;
    int64_t ph = (g->boot_ns / SEC) % 7200;
    double tri = (double)(ph < 3600 ? ph : 7200 - ph) / 3600.0;
    out->gpu_busy_permille = (int64_t)(50 + 800 * tri);
    out->gpu_mhz = (int64_t)(300 + 1200 * tri);
    out->gpu_power_uw = (int64_t)((2 + 20 * tri) * 1e6);
    return 0;
}

/* 64 hex digits, fixed per seed value: a container's id. */
static void hex_id(uint64_t seed, char *out)
{
    for (int i = 0; i < 4; i++) {
        uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        snprintf(out + 16 * i, 17, "%016llx", (unsigned long long)(z ^ (z >> 31)));
    }
}

/* Each app lives in one kind of cgroup (v2 paths, as a systemd host with
 * docker and a kubelet writes them; docs/cgroups.md): system services of
 * their own, three login sessions shared by several apps, user units,
 * docker containers, Kubernetes pods, and the root. So units, slices and
 * containers each group several apps, and several processes. */
static int g_cgroup(void *ctx, int32_t pid, ph_cgroup *out)
{
    gen *g = ctx;
    gproc *p = NULL;
    for (int i = 0; i < g->n && !p; i++)
        if (g->p[i].pid == pid)
            p = &g->p[i];
    if (!p)
        return -1;
    char id[65], uid[65];
    int a = p->app;
    hex_id((uint64_t)a, id);
    hex_id((uint64_t)a + 1000, uid);
    out->have_v1 = 0;
    out->v1[0] = '\0';
    out->have_v2 = 1;
    switch (a % 8) {
    case 0: case 1: case 2:
        snprintf(out->v2, sizeof out->v2, "/system.slice/app%02d.service", a);
        break;
    case 3:
        snprintf(out->v2, sizeof out->v2, "/user.slice/user-1000.slice/session-%d.scope", 1 + a % 3);
        break;
    case 4:
        snprintf(out->v2, sizeof out->v2,
                 "/user.slice/user-1000.slice/user@1000.service/app.slice/app%02d.service", a);
        break;
    case 5:
        snprintf(out->v2, sizeof out->v2, "/system.slice/docker-%s.scope", id);
        break;
    case 6:
        snprintf(out->v2, sizeof out->v2,
                 "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod%.8s_%.4s_%.4s_%.4s_%.12s.slice"
                 "/cri-containerd-%s.scope", uid, uid + 8, uid + 12, uid + 16, uid + 20, id);
        break;
    default:
        snprintf(out->v2, sizeof out->v2, "/");
    }
    return 0;
}

/* One interval of simulated life: run, exit, start. */
static void live(gen *g, const ph_gen_opts *o, int64_t dt)
{
    g->cpu_tick = 0;
    for (int i = 0; i < g->n; i++) {
        gproc *p = &g->p[i];
        double prun = p->busy ? 0.8 : 0.02;
        if (p->life >= 0)
            prun = 1.0;
        if (frand(g) < prun) {
            int64_t used = (int64_t)(frand(g) * (double)dt * (p->busy ? 0.3 : 0.02));
            p->cpu += used - used / 4;
            p->sys += used / 4 + 1;
            g->cpu_tick += used + 1;
            p->faults += 1 + (int64_t)(rnd(g) % 200);
            if (frand(g) < 0.3)
                p->rd += (int64_t)(rnd(g) % (1 << 20));
            if (frand(g) < 0.3)
                p->wr += (int64_t)(rnd(g) % (1 << 20));
            int64_t delta = (int64_t)(rnd(g) % (8 << 20)) - (4 << 20);
            if (p->rss + delta > (1 << 20))
                p->rss += delta;
        }
    }
    /* Short-lived processes end; long-lived ones are replaced rarely. */
    for (int i = 0; i < g->n;) {
        gproc *p = &g->p[i];
        int ends = p->life >= 0 ? p->life-- == 0 : frand(g) < 0.0005;
        if (ends) {
            g->pid_used[p->pid - 300] = 0;
            g->p[i] = g->p[--g->n];
            continue;
        }
        i++;
    }
    int long_lived = 0;
    for (int i = 0; i < g->n; i++)
        long_lived += g->p[i].life < 0;
    while (long_lived < o->alive) {
        spawn(g, long_lived < o->busy, -1);
        long_lived++;
    }
    double c = o->churn;
    while (c > 0) {
        if (c >= 1 || frand(g) < c)
            spawn(g, 0, (int)(rnd(g) % 3));
        c -= 1;
    }
}

void ph_gen_defaults(ph_gen_opts *o)
{
    memset(o, 0, sizeof *o);
    o->start_ns = 1795651200LL * SEC; /* 2026-11-26T00:00Z */
    o->duration_ns = 3600 * SEC;
    o->interval_ns = 5 * SEC;
    o->alive = 400;
    o->busy = 60;
    o->apps = 40;
    o->churn = 0.5;
    o->pid_span = 4000;
    o->seed = 42;
    o->maintain = 1;
    ph_retention_default(&o->retain);
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int ph_gen_history(ph_store *s, const ph_gen_opts *o, ph_gen_stats *st, char *err, size_t errlen)
{
    gen g;
    ph_sampler sm;
    memset(&g, 0, sizeof g);
    memset(st, 0, sizeof *st);
    g.rng = o->seed * 2654435761ULL + 1;
    g.pid_span = o->pid_span;
    g.apps = o->apps > 0 ? o->apps : 1;
    g.pid_used = ph_xcalloc((size_t)o->pid_span, 1);
    g.boot_ns = 1000 * SEC;
    ph_source src = {&g, g_list, g_read, g_ident, o->power ? g_power : NULL, NULL, 0, 0, NULL, NULL, g_cgroup};
    int rc = -1;
    if (ph_sampler_init(&sm, s, src, "generated-boot", o->start_ns - g.boot_ns, err, errlen) < 0)
        goto out;
    int64_t next_gap = o->gap_every_ns ? o->start_ns + o->gap_every_ns : INT64_MAX;
    int64_t last_minute = INT64_MIN;
    int pending = 0;
    live(&g, o, o->interval_ns);
    for (int64_t t = o->start_ns; t < o->start_ns + o->duration_ns; t += o->interval_ns) {
        int64_t dt = o->interval_ns;
        if (t >= next_gap) { /* asleep: nothing runs, no samples */
            t += o->gap_ns;
            g.boot_ns += o->gap_ns;
            next_gap += o->gap_every_ns;
        }
        g.boot_ns += dt;
        live(&g, o, dt);
        ph_tick_stats ts;
        double c0 = cpu_now();
        if (ph_sampler_tick(&sm, t, g.boot_ns, -1, &ts) < 0) {
            ph_fmt(err, errlen, "storing a generated sample failed: %s", ph_store_errmsg(s));
            goto out;
        }
        double c1 = cpu_now();
        st->samples++;
        st->rows += ts.rows;
        st->procs_started += ts.born + ts.baseline;
        if (o->maintain && (pending || t / (60 * SEC) != last_minute)) {
            ph_maint_stats ms;
            if (ph_maintain(s, &o->retain, t, 10, 5000, &ms, err, errlen) < 0)
                goto out;
            pending = ms.pending;
            last_minute = t / (60 * SEC);
        }
        st->sample_cpu_s += c1 - c0;
        st->maint_cpu_s += cpu_now() - c1;
    }
    rc = 0;
out:
    ph_sampler_free(&sm);
    free(g.p);
    free(g.pid_used);
    return rc;
}
