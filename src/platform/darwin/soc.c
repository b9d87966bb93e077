/*
 * SoC energy, GPU states and per-process GPU time: the pure half of the
 * IOReport and AGX readers (see include/ph_darwin.h). No system calls, so it
 * is unit-tested on Linux; sources (macmon, mactop): docs/macos.md,
 * "IOReport and the GPU".
 */
#include "ph_darwin.h"
#include "ph_util.h"

#include <stdlib.h>
#include <string.h>

enum ph_power_domain ph_soc_energy_domain(const char *ch)
{
    if (!ch)
        return PH_PWR_DOMAINS;
    if (strncmp(ch, "DIE_", 4) == 0) { /* Ultra: DIE_0_CPU Energy, one per die */
        const char *u = strchr(ch + 4, '_');
        if (u)
            ch = u + 1;
    }
    if (strcmp(ch, "CPU Energy") == 0)
        return PH_PWR_CORE;
    if (strcmp(ch, "GPU Energy") == 0)
        return PH_PWR_GPU;
    if (strncmp(ch, "ANE", 3) == 0)
        return PH_PWR_ANE;
    if (strncmp(ch, "DRAM", 4) == 0)
        return PH_PWR_DRAM;
    return PH_PWR_DOMAINS;
}

/* The label without surrounding blanks equals `want`. */
static int unit_is(const char *unit, const char *want)
{
    while (*unit == ' ' || *unit == '\t')
        unit++;
    size_t n = strlen(unit), w = strlen(want);
    while (n > 0 && (unit[n - 1] == ' ' || unit[n - 1] == '\t' || unit[n - 1] == '\n'))
        n--;
    return n == w && memcmp(unit, want, w) == 0;
}

int64_t ph_soc_energy_nj(int64_t v, const char *unit)
{
    if (v < 0 || !unit)
        return -1;
    int64_t k;
    /* macmon, mactop and stats trim the label before comparing: so do we. */
    if (unit_is(unit, "nJ"))
        k = 1;
    else if (unit_is(unit, "uJ") || unit_is(unit, "\xc2\xb5J")) /* u or the micro sign */
        k = 1000;
    else if (unit_is(unit, "mJ"))
        k = 1000000;
    else
        return -1;
    return v > INT64_MAX / k ? -1 : v * k;
}

int ph_soc_gpu_freqs(const void *data, size_t len, uint32_t *mhz, int max)
{
    const unsigned char *b = data;
    int n = 0;
    for (size_t off = 8; off + 8 <= len && n < max; off += 8) { /* skip the first pair */
        uint32_t hz = (uint32_t)b[off] | (uint32_t)b[off + 1] << 8 | (uint32_t)b[off + 2] << 16 |
                      (uint32_t)b[off + 3] << 24;
        mhz[n++] = hz / 1000000;
    }
    return n;
}

static int idle_state(const char *name)
{
    return name && (strcmp(name, "OFF") == 0 || strcmp(name, "IDLE") == 0 || strcmp(name, "DOWN") == 0);
}

int ph_soc_gpu_busy(const char *const *names, const int64_t *res, int n, const uint32_t *mhz, int nmhz,
                    int64_t *busy_permille, int64_t *avg_mhz)
{
    long double total = 0, busy = 0, weighted = 0, weighed = 0;
    int active = 0;
    for (int i = 0; i < n; i++) {
        if (res[i] < 0)
            continue;
        total += res[i];
        if (idle_state(names[i]))
            continue;
        busy += res[i];
        if (mhz && active < nmhz) {
            weighted += (long double)res[i] * mhz[active];
            weighed += res[i];
        }
        active++;
    }
    *busy_permille = -1;
    *avg_mhz = -1;
    if (total <= 0)
        return -1;
    *busy_permille = (int64_t)(busy * 1000 / total + 0.5L);
    if (weighed > 0)
        *avg_mhz = (int64_t)(weighted / weighed + 0.5L);
    return 0;
}

int32_t ph_agx_creator_pid(const char *s)
{
    if (!s || strncmp(s, "pid ", 4) != 0)
        return -1;
    s += 4;
    int64_t v = 0;
    const char *d = s;
    while (*d >= '0' && *d <= '9' && v <= INT32_MAX)
        v = v * 10 + (*d++ - '0');
    if (d == s || v > INT32_MAX || (*d != ',' && *d != '\0'))
        return -1;
    return (int32_t)v;
}

static size_t pid_pos(const ph_agx *a, int32_t pid)
{
    return PH_LOWER_BOUND(a->p, a->np, pid, pid);
}

static ph_agx_pid *pid_entry(ph_agx *a, int32_t pid)
{
    size_t i = pid_pos(a, pid);
    if (i < a->np && a->p[i].pid == pid)
        return &a->p[i];
    if (a->np == a->capp) {
        a->capp = a->capp ? a->capp * 2 : 32;
        a->p = ph_xrealloc(a->p, a->capp * sizeof *a->p);
    }
    memmove(&a->p[i + 1], &a->p[i], (a->np - i) * sizeof *a->p);
    a->np++;
    memset(&a->p[i], 0, sizeof a->p[i]);
    a->p[i].pid = pid;
    return &a->p[i];
}

void ph_agx_begin(ph_agx *a)
{
    for (size_t i = 0; i < a->nc; i++)
        a->c[i].seen = 0;
}

void ph_agx_note(ph_agx *a, uint64_t id, int32_t pid, int64_t ns)
{
    if (pid < 0 || ns < 0)
        return;
    ph_agx_client *c = NULL;
    for (size_t i = 0; i < a->nc && !c; i++)
        if (a->c[i].id == id && !a->c[i].seen)
            c = &a->c[i];
    int64_t add;
    if (c && c->pid == pid) {
        /* Below the last value of the same registry entry: a new baseline.
         * Crediting it again in full would count time already counted. */
        add = ns >= c->last ? ns - c->last : 0;
    } else {
        if (!c) {
            if (a->nc == a->capc) {
                a->capc = a->capc ? a->capc * 2 : 32;
                a->c = ph_xrealloc(a->c, a->capc * sizeof *a->c);
            }
            c = &a->c[a->nc++];
        }
        c->id = id;
        c->pid = pid;
        add = ns; /* a new client (or a reused id of another process): all of it is new */
    }
    c->last = ns;
    c->seen = 1;
    ph_agx_pid *p = pid_entry(a, pid);
    p->total = add > INT64_MAX - p->total ? INT64_MAX : p->total + add;
}

void ph_agx_end(ph_agx *a)
{
    size_t k = 0;
    for (size_t i = 0; i < a->nc; i++)
        if (a->c[i].seen)
            a->c[k++] = a->c[i];
    a->nc = k;
    for (size_t i = 0; i < a->np; i++)
        a->p[i].clients = 0;
    for (size_t i = 0; i < a->nc; i++) {
        size_t j = pid_pos(a, a->c[i].pid);
        if (j < a->np && a->p[j].pid == a->c[i].pid)
            a->p[j].clients++;
    }
    k = 0;
    for (size_t i = 0; i < a->np; i++)
        if (a->p[i].clients)
            a->p[k++] = a->p[i];
    a->np = k;
}

int64_t ph_agx_total(const ph_agx *a, int32_t pid)
{
    size_t i = pid_pos(a, pid);
    return i < a->np && a->p[i].pid == pid ? a->p[i].total : -1;
}

void ph_agx_free(ph_agx *a)
{
    free(a->c);
    free(a->p);
    memset(a, 0, sizeof *a);
}
