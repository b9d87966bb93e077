/*
 * SoC power, GPU states and per-process GPU time on Apple Silicon, through
 * private interfaces loaded at run time: IOReport (libIOReport.dylib) for the
 * "Energy Model" and "GPU Stats" groups, IOKit for the AGX user clients and
 * pmgr's GPU frequency table, CoreFoundation for their values. No framework
 * header exists off a Mac, so every prototype is declared here, CF types are
 * opaque pointers and io_object_t is a uint32_t port. Everything missing
 * (an Intel Mac, a symbol gone in a new macOS) makes ph_soc_open fail with a
 * reason, and the columns stay NULL. Conversions are in soc.c (tested on
 * Linux); this file only calls. Sources (macmon src/sources.rs, mactop
 * ioreport.m and native_stats.go): docs/macos.md.
 *
 * Each sample: one IOReport sample, its delta from the previous one
 * (energy per channel, GPU state residencies over the interval), the
 * previous sample released; every CF object created per sample is released
 * in the same call (no growth per sample).
 */
#include "ph_darwin.h"
#include "ph_util.h"

#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef const void *CFTypeRef;
typedef const void *CFStringRef;
typedef const void *CFDictionaryRef;
typedef void *CFMutableDictionaryRef;
typedef const void *CFArrayRef;
typedef unsigned long CFTypeID;
typedef long CFIndex;
typedef unsigned char Boolean;
typedef uint32_t io_object_t;

#define UTF8 0x08000100u
#define SINT64 4 /* kCFNumberSInt64Type */

#define FNS(X)                                                                                         \
    X(cf, CFStringCreateWithCString, CFStringRef, (const void *, const char *, uint32_t))             \
    X(cf, CFStringGetCString, Boolean, (CFStringRef, char *, CFIndex, uint32_t))                        \
    X(cf, CFRelease, void, (CFTypeRef))                                                                 \
    X(cf, CFGetTypeID, CFTypeID, (CFTypeRef))                                                           \
    X(cf, CFArrayGetTypeID, CFTypeID, (void))                                                           \
    X(cf, CFStringGetTypeID, CFTypeID, (void))                                                          \
    X(cf, CFNumberGetTypeID, CFTypeID, (void))                                                          \
    X(cf, CFDictionaryGetTypeID, CFTypeID, (void))                                                      \
    X(cf, CFDataGetTypeID, CFTypeID, (void))                                                            \
    X(cf, CFDictionaryGetValue, const void *, (CFDictionaryRef, const void *))                          \
    X(cf, CFDictionaryGetCount, CFIndex, (CFDictionaryRef))                                             \
    X(cf, CFDictionaryCreateMutableCopy, CFMutableDictionaryRef, (const void *, CFIndex, CFDictionaryRef)) \
    X(cf, CFArrayGetCount, CFIndex, (CFArrayRef))                                                       \
    X(cf, CFArrayGetValueAtIndex, const void *, (CFArrayRef, CFIndex))                                  \
    X(cf, CFNumberGetValue, Boolean, (CFTypeRef, CFIndex, void *))                                      \
    X(cf, CFDataGetLength, CFIndex, (CFTypeRef))                                                        \
    X(cf, CFDataGetBytePtr, const uint8_t *, (CFTypeRef))                                               \
    X(io, IOServiceMatching, CFMutableDictionaryRef, (const char *))                                    \
    X(io, IOServiceGetMatchingService, io_object_t, (uint32_t, CFDictionaryRef))                        \
    X(io, IOServiceGetMatchingServices, int, (uint32_t, CFDictionaryRef, io_object_t *))                \
    X(io, IORegistryEntryGetChildIterator, int, (io_object_t, const char *, io_object_t *))             \
    X(io, IOIteratorNext, io_object_t, (io_object_t))                                                   \
    X(io, IOObjectGetClass, int, (io_object_t, char *))                                                 \
    X(io, IORegistryEntryGetName, int, (io_object_t, char *))                                           \
    X(io, IORegistryEntryCreateCFProperty, CFTypeRef, (io_object_t, CFStringRef, const void *, uint32_t)) \
    X(io, IORegistryEntryGetRegistryEntryID, int, (io_object_t, uint64_t *))                            \
    X(io, IOObjectRelease, int, (io_object_t))                                                          \
    X(ior, IOReportCopyChannelsInGroup, CFDictionaryRef, (CFStringRef, CFStringRef, uint64_t, uint64_t, uint64_t)) \
    X(ior, IOReportMergeChannels, void, (CFDictionaryRef, CFDictionaryRef, CFTypeRef))                  \
    X(ior, IOReportCreateSubscription, void *, (void *, CFMutableDictionaryRef, CFMutableDictionaryRef *, uint64_t, CFTypeRef)) \
    X(ior, IOReportCreateSamples, CFDictionaryRef, (void *, CFMutableDictionaryRef, CFTypeRef))        \
    X(ior, IOReportCreateSamplesDelta, CFDictionaryRef, (CFDictionaryRef, CFDictionaryRef, CFTypeRef)) \
    X(ior, IOReportChannelGetGroup, CFStringRef, (CFDictionaryRef))                                     \
    X(ior, IOReportChannelGetSubGroup, CFStringRef, (CFDictionaryRef))                                  \
    X(ior, IOReportChannelGetChannelName, CFStringRef, (CFDictionaryRef))                               \
    X(ior, IOReportChannelGetUnitLabel, CFStringRef, (CFDictionaryRef))                                 \
    X(ior, IOReportSimpleGetIntegerValue, int64_t, (CFDictionaryRef, int32_t))                          \
    X(ior, IOReportStateGetCount, int32_t, (CFDictionaryRef))                                           \
    X(ior, IOReportStateGetNameForIndex, CFStringRef, (CFDictionaryRef, int32_t))                       \
    X(ior, IOReportStateGetResidency, int64_t, (CFDictionaryRef, int32_t))

#define MAX_STATES 64

struct ph_soc {
    void *cf, *io, *ior; /* dlopen handles */
#define PTR(lib, name, ret, args) ret(*name) args;
    FNS(PTR)
#undef PTR
    void *sub;
    CFMutableDictionaryRef chans, subbed;
    CFDictionaryRef prev;
    uint64_t energy_nj[PH_PWR_DOMAINS]; /* cumulative since open */
    int have[PH_PWR_DOMAINS];
    uint32_t mhz[MAX_STATES];
    int nmhz;
    int64_t busy_permille, avg_mhz; /* over the last interval; -1 none */
    ph_agx agx;
};

static int load(ph_soc *s, char *why, size_t len)
{
    s->cf = dlopen("/System/Library/Frameworks/CoreFoundation.framework/CoreFoundation", RTLD_LAZY);
    s->io = dlopen("/System/Library/Frameworks/IOKit.framework/IOKit", RTLD_LAZY);
    s->ior = dlopen("/usr/lib/libIOReport.dylib", RTLD_LAZY);
    if (!s->cf || !s->io || !s->ior) {
        ph_fmt(why, len, "IOReport, IOKit or CoreFoundation did not load");
        return -1;
    }
#define GET(lib, name, ret, args)                                                                      \
    *(void **)&s->name = dlsym(s->lib, #name);                                                         \
    if (!s->name) {                                                                                    \
        ph_fmt(why, len, "%s is not in this macOS", #name);                                          \
        return -1;                                                                                     \
    }
    FNS(GET)
#undef GET
    return 0;
}

static CFStringRef str(ph_soc *s, const char *c)
{
    return s->CFStringCreateWithCString(NULL, c, UTF8);
}

static void cstr(ph_soc *s, CFStringRef v, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!v || s->CFGetTypeID(v) != s->CFStringGetTypeID() || !s->CFStringGetCString(v, buf, (CFIndex)len, UTF8))
        buf[0] = '\0';
}

/* pmgr's "voltage-states9": the GPU's frequency steps. */
static void read_freqs(ph_soc *s)
{
    io_object_t it = 0, e;
    CFMutableDictionaryRef m = s->IOServiceMatching("AppleARMIODevice");
    if (!m || s->IOServiceGetMatchingServices(0, m, &it) != 0) /* consumes m */
        return;
    CFStringRef key = str(s, "voltage-states9");
    while ((e = s->IOIteratorNext(it)) != 0) {
        char name[128] = "";
        if (s->nmhz == 0 && s->IORegistryEntryGetName(e, name) == 0 && strcmp(name, "pmgr") == 0) {
            CFTypeRef d = s->IORegistryEntryCreateCFProperty(e, key, NULL, 0);
            if (d && s->CFGetTypeID(d) == s->CFDataGetTypeID())
                s->nmhz = ph_soc_gpu_freqs(s->CFDataGetBytePtr(d), (size_t)s->CFDataGetLength(d), s->mhz, MAX_STATES);
            if (d)
                s->CFRelease(d);
        }
        s->IOObjectRelease(e);
    }
    if (key)
        s->CFRelease(key);
    s->IOObjectRelease(it);
}

int ph_soc_open(ph_soc **out, char *why, size_t len)
{
    ph_soc *s = ph_xcalloc(1, sizeof *s);
    s->busy_permille = s->avg_mhz = -1;
    if (load(s, why, len) < 0) {
        ph_soc_close(s);
        return -1;
    }
    CFStringRef g1 = str(s, "Energy Model"), g2 = str(s, "GPU Stats");
    CFDictionaryRef c1 = g1 ? s->IOReportCopyChannelsInGroup(g1, NULL, 0, 0, 0) : NULL;
    CFDictionaryRef c2 = g2 ? s->IOReportCopyChannelsInGroup(g2, NULL, 0, 0, 0) : NULL;
    CFDictionaryRef all = c1 ? c1 : c2;
    if (c1 && c2)
        s->IOReportMergeChannels(c1, c2, NULL);
    CFMutableDictionaryRef chans = all ? s->CFDictionaryCreateMutableCopy(NULL, s->CFDictionaryGetCount(all), all) : NULL;
    if (chans)
        s->sub = s->IOReportCreateSubscription(NULL, chans, &s->subbed, 0, NULL);
    s->chans = chans; /* kept for the subscription's life: whether it retains them is not known */
    if (c1)
        s->CFRelease(c1);
    if (c2)
        s->CFRelease(c2);
    if (g1)
        s->CFRelease(g1);
    if (g2)
        s->CFRelease(g2);
    if (!s->sub || !s->subbed) {
        ph_fmt(why, len, all ? "IOReport refused the subscription" : "no Energy Model or GPU Stats channels (an Intel Mac?)");
        ph_soc_close(s);
        return -1;
    }
    read_freqs(s);
    s->prev = s->IOReportCreateSamples(s->sub, s->subbed, NULL);
    *out = s;
    return 0;
}

int ph_soc_sample(ph_soc *s)
{
    CFDictionaryRef cur = s->IOReportCreateSamples(s->sub, s->subbed, NULL);
    if (!cur)
        return -1;
    CFDictionaryRef delta = s->prev ? s->IOReportCreateSamplesDelta(s->prev, cur, NULL) : NULL;
    if (s->prev)
        s->CFRelease(s->prev);
    s->prev = cur;
    s->busy_permille = s->avg_mhz = -1;
    if (!delta)
        return -1;
    CFStringRef key = str(s, "IOReportChannels");
    CFArrayRef chs = key ? s->CFDictionaryGetValue(delta, key) : NULL;
    if (chs && s->CFGetTypeID(chs) == s->CFArrayGetTypeID()) {
        CFIndex n = s->CFArrayGetCount(chs);
        for (CFIndex i = 0; i < n; i++) {
            CFDictionaryRef ch = s->CFArrayGetValueAtIndex(chs, i);
            char group[64], sub[64], name[64], unit[16];
            if (!ch || s->CFGetTypeID(ch) != s->CFDictionaryGetTypeID())
                continue;
            cstr(s, s->IOReportChannelGetGroup(ch), group, sizeof group);
            cstr(s, s->IOReportChannelGetChannelName(ch), name, sizeof name);
            if (strcmp(group, "Energy Model") == 0) {
                enum ph_power_domain d = ph_soc_energy_domain(name);
                cstr(s, s->IOReportChannelGetUnitLabel(ch), unit, sizeof unit);
                int64_t nj = ph_soc_energy_nj(s->IOReportSimpleGetIntegerValue(ch, 0), unit);
                if (d != PH_PWR_DOMAINS && nj >= 0) {
                    s->energy_nj[d] += (uint64_t)nj;
                    s->have[d] = 1;
                }
            } else if (strcmp(group, "GPU Stats") == 0 && strcmp(name, "GPUPH") == 0) {
                cstr(s, s->IOReportChannelGetSubGroup(ch), sub, sizeof sub);
                if (strcmp(sub, "GPU Performance States") != 0)
                    continue;
                int32_t k = s->IOReportStateGetCount(ch);
                char names[MAX_STATES][32];
                const char *np[MAX_STATES];
                int64_t res[MAX_STATES];
                if (k > MAX_STATES)
                    k = MAX_STATES;
                for (int32_t j = 0; j < k; j++) {
                    cstr(s, s->IOReportStateGetNameForIndex(ch, j), names[j], sizeof names[j]);
                    np[j] = names[j];
                    res[j] = s->IOReportStateGetResidency(ch, j);
                }
                ph_soc_gpu_busy(np, res, k > 0 ? k : 0, s->nmhz ? s->mhz : NULL, s->nmhz, &s->busy_permille,
                                &s->avg_mhz);
            }
        }
    }
    if (key)
        s->CFRelease(key);
    s->CFRelease(delta);
    return 0;
}

void ph_soc_power(const ph_soc *s, ph_power *out)
{
    for (int d = 0; d < PH_PWR_DOMAINS && out->n < PH_POWER_ZONES; d++)
        if (s->have[d]) {
            out->zone[out->n].domain = (enum ph_power_domain)d;
            out->zone[out->n].energy_uj = s->energy_nj[d] / 1000;
            out->zone[out->n].max_uj = 0; /* our own 64-bit sum: no wrap */
            out->n++;
        }
    out->gpu_busy_permille = s->busy_permille;
    out->gpu_mhz = s->avg_mhz;
}

/* The AGX user clients: who created each, and its accumulated GPU time. */
void ph_soc_gpu_scan(ph_soc *s)
{
    CFMutableDictionaryRef m = s->IOServiceMatching("AGXAccelerator");
    io_object_t acc = m ? s->IOServiceGetMatchingService(0, m) : 0, it = 0, c;
    if (!acc)
        return;
    if (s->IORegistryEntryGetChildIterator(acc, "IOService", &it) != 0) {
        s->IOObjectRelease(acc);
        return;
    }
    CFStringRef kcreator = str(s, "IOUserClientCreator"), kusage = str(s, "AppUsage"),
                ktime = str(s, "accumulatedGPUTime");
    ph_agx_begin(&s->agx);
    while ((c = s->IOIteratorNext(it)) != 0) {
        char cls[128] = "", who[128];
        uint64_t id = 0;
        if (s->IOObjectGetClass(c, cls) == 0 && strncmp(cls, "AGXDeviceUserClient", 19) == 0 &&
            s->IORegistryEntryGetRegistryEntryID(c, &id) == 0) {
            CFTypeRef cr = s->IORegistryEntryCreateCFProperty(c, kcreator, NULL, 0);
            cstr(s, cr, who, sizeof who);
            int32_t pid = ph_agx_creator_pid(who);
            CFTypeRef use = pid >= 0 ? s->IORegistryEntryCreateCFProperty(c, kusage, NULL, 0) : NULL;
            int64_t total = 0;
            if (use && s->CFGetTypeID(use) == s->CFArrayGetTypeID()) {
                CFIndex n = s->CFArrayGetCount(use);
                for (CFIndex i = 0; i < n; i++) {
                    CFDictionaryRef e = s->CFArrayGetValueAtIndex(use, i);
                    CFTypeRef t = e && s->CFGetTypeID(e) == s->CFDictionaryGetTypeID() ? s->CFDictionaryGetValue(e, ktime) : NULL;
                    int64_t v = 0;
                    if (t && s->CFGetTypeID(t) == s->CFNumberGetTypeID() && s->CFNumberGetValue(t, SINT64, &v) && v > 0)
                        total += v;
                }
                ph_agx_note(&s->agx, id, pid, total);
            }
            if (use)
                s->CFRelease(use);
            if (cr)
                s->CFRelease(cr);
        }
        s->IOObjectRelease(c);
    }
    ph_agx_end(&s->agx);
    if (kcreator)
        s->CFRelease(kcreator);
    if (kusage)
        s->CFRelease(kusage);
    if (ktime)
        s->CFRelease(ktime);
    s->IOObjectRelease(it);
    s->IOObjectRelease(acc);
}

int ph_soc_describe(ph_soc *s, char *buf, size_t len)
{
    size_t off = 0;
    int n = 0;
    buf[0] = '\0';
    /* A sample has the same "IOReportChannels" array ph_soc_sample reads. */
    CFDictionaryRef cur = s->IOReportCreateSamples(s->sub, s->subbed, NULL);
    CFStringRef key = str(s, "IOReportChannels");
    CFArrayRef chs = key && cur ? s->CFDictionaryGetValue(cur, key) : NULL;
    if (chs && s->CFGetTypeID(chs) == s->CFArrayGetTypeID()) {
        CFIndex k = s->CFArrayGetCount(chs);
        for (CFIndex i = 0; i < k; i++) {
            CFDictionaryRef ch = s->CFArrayGetValueAtIndex(chs, i);
            char group[64], name[64], unit[16];
            if (!ch || s->CFGetTypeID(ch) != s->CFDictionaryGetTypeID())
                continue;
            cstr(s, s->IOReportChannelGetGroup(ch), group, sizeof group);
            cstr(s, s->IOReportChannelGetChannelName(ch), name, sizeof name);
            cstr(s, s->IOReportChannelGetUnitLabel(ch), unit, sizeof unit);
            n++;
            int w = off < len ? snprintf(buf + off, len - off, "%s%s/%s (%s)", off ? ", " : "", group, name,
                                         unit[0] ? unit : "no unit")
                              : 0;
            off += w > 0 ? (size_t)w : 0;
        }
    }
    if (key)
        s->CFRelease(key);
    if (cur)
        s->CFRelease(cur);
    return n;
}

void ph_soc_gpu_counts(const ph_soc *s, size_t *clients, size_t *pids)
{
    *clients = s->agx.nc;
    *pids = s->agx.np;
}

int64_t ph_soc_gpu_ns(const ph_soc *s, int32_t pid)
{
    return ph_agx_total(&s->agx, pid);
}

void ph_soc_close(ph_soc *s)
{
    if (!s)
        return;
    if (s->prev && s->CFRelease)
        s->CFRelease(s->prev);
    /* The subscription, its channel dictionaries and the libraries live as
     * long as the process (one per recorder): who owns them is not
     * documented, and a wrong release would crash at exit. */
    ph_agx_free(&s->agx);
    free(s);
}
