/*
 * Pure conversions for the macOS collector (contract in include/ph_darwin.h).
 * No macOS header is used here: buffers are read at the documented offsets
 * with memcpy (both macOS architectures are little-endian, like the Linux
 * machines that run these tests), and platform.c asserts at compile time
 * that the offsets match the SDK's structs.
 */
#include "ph_darwin.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint64_t rd64(const void *buf, size_t off)
{
    uint64_t v;
    memcpy(&v, (const unsigned char *)buf + off, sizeof v);
    return v;
}

static uint32_t rd32(const void *buf, size_t off)
{
    uint32_t v;
    memcpy(&v, (const unsigned char *)buf + off, sizeof v);
    return v;
}

uint64_t ph_darwin_ticks_to_ns(uint64_t ticks, ph_timebase tb)
{
    if (tb.denom == 0 || tb.numer == 0)
        return ticks;
    /* (q * d + r) * n / d = q * n + r * n / d, with r * n < d * n < 2^64. */
    uint64_t q = ticks / tb.denom, r = ticks % tb.denom;
    if (q > UINT64_MAX / tb.numer)
        return UINT64_MAX;
    uint64_t a = q * tb.numer, b = r * tb.numer / tb.denom;
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t gcd(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

ph_timebase ph_darwin_timebase(uint32_t numer, uint32_t denom, int translated,
                               uint64_t tb_freq_hz)
{
    ph_timebase tb = {1, 1};
    if (translated) {
        /* ns per tick = 1e9 / freq, reduced: 24 MHz gives 125/3. */
        if (tb_freq_hz == 0 || tb_freq_hz > 1000000000000ULL)
            return tb;
        uint64_t n = 1000000000ULL, d = tb_freq_hz, g = gcd(n, d);
        n /= g;
        d /= g;
        if (n > UINT32_MAX || d > UINT32_MAX)
            return tb;
        tb.numer = (uint32_t)n;
        tb.denom = (uint32_t)d;
        return tb;
    }
    if (numer && denom) {
        tb.numer = numer;
        tb.denom = denom;
    }
    return tb;
}

int ph_darwin_energy_measured(int arm64, int flavor)
{
    return arm64 && flavor == PH_RUSAGE_V6;
}

uint64_t ph_darwin_pidinfo_arg(int flavor)
{
    /* proc_info.c looks zombies up for these flavors only when arg != 0. */
    return flavor == 3 || flavor == 13 || flavor == PH_PROC_PIDUNIQIDENTIFIERINFO || flavor == 18;
}

int ph_darwin_rusage_fallback(int flavor, int err)
{
    if (flavor == PH_RUSAGE_V6 && err == EINVAL)
        return PH_RUSAGE_V4;
    return -1;
}

static void put(ph_values *out, enum ph_metric m, uint64_t v)
{
    /* Values past INT64_MAX are garbage for our purposes: leave them out. */
    if (v <= (uint64_t)INT64_MAX)
        ph_values_set(out, m, (int64_t)v);
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    return h ^ (v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2));
}

int ph_darwin_rusage(const void *buf, size_t len, ph_timebase tb, int energy_v6,
                     ph_values *out, ph_darwin_ru *ru)
{
    if (len < PH_RU_V4_SIZE)
        return -1;
    int v6 = len >= PH_RU_V6_SIZE;
#define F(f) rd64(buf, PH_RU_OFFSET(PH_RU_##f))
#define NS(f) ph_darwin_ticks_to_ns(F(f), tb)
    put(out, PH_M_CPU_USER_NS, NS(USER_TIME));
    put(out, PH_M_CPU_SYSTEM_NS, NS(SYSTEM_TIME));
    put(out, PH_M_RUNNABLE_NS, NS(RUNNABLE_TIME));
    put(out, PH_M_CPU_QOS_DEFAULT_NS, NS(QOS_DEFAULT));
    put(out, PH_M_CPU_QOS_MAINTENANCE_NS, NS(QOS_MAINTENANCE));
    put(out, PH_M_CPU_QOS_BACKGROUND_NS, NS(QOS_BACKGROUND));
    put(out, PH_M_CPU_QOS_UTILITY_NS, NS(QOS_UTILITY));
    put(out, PH_M_CPU_QOS_LEGACY_NS, NS(QOS_LEGACY));
    put(out, PH_M_CPU_QOS_USER_INITIATED_NS, NS(QOS_USER_INITIATED));
    put(out, PH_M_CPU_QOS_USER_INTERACTIVE_NS, NS(QOS_USER_INTERACTIVE));
    put(out, PH_M_BILLED_SYSTEM_NS, NS(BILLED_SYSTEM_TIME));
    put(out, PH_M_SERVICED_SYSTEM_NS, NS(SERVICED_SYSTEM_TIME));
    put(out, PH_M_WAKEUPS_PKG_IDLE, F(PKG_IDLE_WKUPS));
    put(out, PH_M_WAKEUPS_INTERRUPT, F(INTERRUPT_WKUPS));
    /* Every package-idle wakeup is also an interrupt wakeup (xnu
     * osfmk/kern/sched_prim.c credits both ledgers): the total is the
     * interrupt count alone. */
    put(out, PH_M_WAKEUPS, F(INTERRUPT_WKUPS));
    put(out, PH_M_PAGEINS, F(PAGEINS));
    put(out, PH_M_CHILD_CPU_USER_NS, NS(CHILD_USER_TIME));
    put(out, PH_M_CHILD_CPU_SYSTEM_NS, NS(CHILD_SYSTEM_TIME));
    put(out, PH_M_CHILD_WAKEUPS, F(CHILD_INTERRUPT_WKUPS));
    put(out, PH_M_CHILD_PAGEINS, F(CHILD_PAGEINS));
    put(out, PH_M_DISK_READ_BYTES, F(DISKIO_BYTESREAD));
    put(out, PH_M_DISK_WRITE_BYTES, F(DISKIO_BYTESWRITTEN));
    put(out, PH_M_LOGICAL_WRITE_BYTES, F(LOGICAL_WRITES));
    put(out, PH_M_INSTRUCTIONS, F(INSTRUCTIONS));
    put(out, PH_M_CYCLES, F(CYCLES));
    put(out, PH_M_ENERGY_BILLED_NJ, F(BILLED_ENERGY));
    /* ri_billed_energy is what OTHER tasks spent on this one's behalf
     * (vouchers), not its own energy: the task's own is ri_energy_nj, only
     * in v6 and only measured on arm64. Anything else stays NULL. */
    if (v6 && energy_v6)
        put(out, PH_M_ENERGY_NJ, F(ENERGY_NJ));
    put(out, PH_M_RESIDENT_BYTES, F(RESIDENT_SIZE));
    put(out, PH_M_FOOTPRINT_BYTES, F(PHYS_FOOTPRINT));
    put(out, PH_M_WIRED_BYTES, F(WIRED_SIZE));
    put(out, PH_M_FOOTPRINT_LIFETIME_MAX_BYTES, F(LIFETIME_MAX_PHYS_FOOTPRINT));
    put(out, PH_M_FOOTPRINT_INTERVAL_MAX_BYTES, F(INTERVAL_MAX_PHYS_FOOTPRINT));
    if (ru) {
        ru->start_abstime = F(PROC_START_ABSTIME);
        uint64_t h = 0;
        h = mix(h, F(USER_TIME));
        h = mix(h, F(SYSTEM_TIME));
        h = mix(h, F(PKG_IDLE_WKUPS));
        h = mix(h, F(INTERRUPT_WKUPS));
        h = mix(h, F(PAGEINS));
        h = mix(h, F(DISKIO_BYTESREAD));
        h = mix(h, F(DISKIO_BYTESWRITTEN));
        h = mix(h, F(LOGICAL_WRITES));
        h = mix(h, F(CHILD_USER_TIME));
        h = mix(h, F(CHILD_SYSTEM_TIME));
        ru->quick_sig = h;
    }
#undef F
#undef NS
    return 0;
}

static void put32(ph_values *out, enum ph_metric m, const void *buf, size_t off)
{
    int32_t v;
    uint32_t u = rd32(buf, off);
    memcpy(&v, &u, sizeof v);
    if (v >= 0 && v < INT32_MAX)
        ph_values_set(out, m, v);
}

int ph_darwin_taskinfo(const void *buf, size_t len, ph_values *out)
{
    if (len < PH_PTI_SIZE)
        return -1;
    put(out, PH_M_VIRTUAL_BYTES, rd64(buf, PH_PTI_VIRTUAL_SIZE));
    put32(out, PH_M_FAULTS_TOTAL, buf, PH_PTI_FAULTS);
    put32(out, PH_M_FAULTS_COW, buf, PH_PTI_COW_FAULTS);
    put32(out, PH_M_MESSAGES_SENT, buf, PH_PTI_MESSAGES_SENT);
    put32(out, PH_M_MESSAGES_RECEIVED, buf, PH_PTI_MESSAGES_RECEIVED);
    put32(out, PH_M_SYSCALLS_MACH, buf, PH_PTI_SYSCALLS_MACH);
    put32(out, PH_M_SYSCALLS_UNIX, buf, PH_PTI_SYSCALLS_UNIX);
    put32(out, PH_M_CTXSW_TOTAL, buf, PH_PTI_CSW);
    put32(out, PH_M_THREADS, buf, PH_PTI_THREADNUM);
    put32(out, PH_M_THREADS_RUNNING, buf, PH_PTI_NUMRUNNING);
    put32(out, PH_M_PRIORITY, buf, PH_PTI_PRIORITY);
    return 0;
}

char ph_darwin_state(uint32_t status, int64_t numrunning)
{
    switch (status) {
    case 1: /* SIDL */
        return 'I';
    case 2: /* SRUN: every live process; whether a thread runs is the question */
    case 3: /* SSLEEP: never set by xnu, read the same way */
        if (numrunning < 0)
            return 0;
        return numrunning > 0 ? 'R' : 'S';
    case 4: /* SSTOP */
        return 'T';
    case 5: /* SZOMB */
        return 'Z';
    default:
        return '?';
    }
}

int ph_darwin_bsdshort(const void *buf, size_t len, ph_darwin_bsd *out)
{
    if (len < PH_PBSI_SIZE)
        return -1;
    uint32_t pid = rd32(buf, PH_PBSI_PID), ppid = rd32(buf, PH_PBSI_PPID);
    uint32_t status = rd32(buf, PH_PBSI_STATUS);
    if (pid > INT32_MAX || ppid > INT32_MAX)
        return -1;
    out->pid = (int32_t)pid;
    out->ppid = (int32_t)ppid;
    out->uid = rd32(buf, PH_PBSI_RUID);
    out->status = status;
    memcpy(out->comm, (const unsigned char *)buf + PH_PBSI_COMM, PH_PBSI_COMM_LEN);
    out->comm[PH_PBSI_COMM_LEN] = '\0';
    return 0;
}

int ph_darwin_uniqueid(const void *buf, size_t len, uint64_t *id)
{
    if (len < PH_UNIQID_SIZE)
        return -1;
    *id = rd64(buf, PH_UNIQID_UNIQUEID);
    return *id ? 0 : -1;
}

int ph_darwin_coalition(const void *buf, size_t len, uint64_t *resource_id)
{
    if (len < PH_COALITION_SIZE)
        return -1;
    *resource_id = rd64(buf, 0);
    return *resource_id ? 0 : -1;
}

int ph_darwin_coalition_usage(const void *buf, size_t len, ph_timebase tb, int energy_v6,
                              ph_coalition_usage *out)
{
    if (len < PH_CRU_MIN_SIZE)
        return -1;
    uint64_t cpu = ph_darwin_ticks_to_ns(rd64(buf, 3 * 8), tb);
    const struct {
        enum ph_co_field f;
        uint64_t v;
    } map[] = {
        {PH_CO_CPU_NS, cpu},
        {PH_CO_WAKEUPS_INTERRUPT, rd64(buf, 4 * 8)},
        {PH_CO_WAKEUPS_PKG_IDLE, rd64(buf, 5 * 8)},
        {PH_CO_DISK_READ_BYTES, rd64(buf, 6 * 8)},
        {PH_CO_DISK_WRITE_BYTES, rd64(buf, 7 * 8)},
        {PH_CO_ENERGY_NJ, rd64(buf, 11 * 8)},
    };
    memset(out, 0, sizeof *out);
    for (int f = 0; f < PH_CO_FIELDS; f++)
        out->v[f] = -1;
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        out->v[map[i].f] = map[i].v > (uint64_t)INT64_MAX ? -1 : (int64_t)map[i].v;
    if (!energy_v6)
        out->v[PH_CO_ENERGY_NJ] = -1; /* the rows carry no measured energy: not comparable */
    return 0;
}

int ph_darwin_bundle(const char *path, char *bundle, size_t blen, char *app, size_t alen)
{
    /* First component ending in ".app" from the left is the outermost. */
    const char *p = path;
    while (*p) {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : strlen(p);
        if (n > 4 && memcmp(p + n - 4, ".app", 4) == 0 && slash) {
            size_t bl = (size_t)(p + n - path);
            if (bl >= blen || n - 4 >= alen)
                return -1;
            memcpy(bundle, path, bl);
            bundle[bl] = '\0';
            memcpy(app, p, n - 4);
            app[n - 4] = '\0';
            return 0;
        }
        if (!slash)
            break;
        p = slash + 1;
    }
    return -1;
}

void ph_darwin_app_for(const char *exe, const char *resp_exe, const char *comm,
                       char *bundle, size_t blen, char *app, size_t alen)
{
    bundle[0] = '\0';
    if (exe && *exe && ph_darwin_bundle(exe, bundle, blen, app, alen) == 0)
        return;
    if (resp_exe && *resp_exe && ph_darwin_bundle(resp_exe, bundle, blen, app, alen) == 0)
        return;
    bundle[0] = '\0';
    if (exe && *exe) {
        const char *base = strrchr(exe, '/');
        base = base ? base + 1 : exe;
        if (*base) {
            snprintf(app, alen, "%s", base);
            return;
        }
    }
    snprintf(app, alen, "%s", comm && *comm ? comm : "?");
}
