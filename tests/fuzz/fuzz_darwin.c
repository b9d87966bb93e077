/* libFuzzer target: the macOS conversions on arbitrary struct bytes and paths. */
#include "ph_darwin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ph_values v = {{0}, 0};
    ph_darwin_ru ru;
    ph_darwin_bsd bsd;
    uint64_t id;
    ph_timebase tb = {125, 3};
    ph_darwin_rusage(data, size, tb, size & 1, &v, &ru);
    ph_darwin_taskinfo(data, size, &v);
    ph_darwin_bsdshort(data, size, &bsd);
    ph_darwin_uniqueid(data, size, &id);
    ph_darwin_coalition(data, size, &id);
    if (size >= 8) {
        uint64_t t;
        memcpy(&t, data, 8);
        ph_darwin_ticks_to_ns(t, tb);
        ph_darwin_timebase((uint32_t)t, (uint32_t)(t >> 32), size & 2, t);
    }
    char *z = malloc(size + 1);
    if (z) {
        char bundle[256], app[64];
        memcpy(z, data, size);
        z[size] = '\0';
        ph_darwin_app_for(z, z + size / 2, z, bundle, sizeof bundle, app, sizeof app);
        /* SoC: creator strings, channel names, unit labels */
        ph_agx_creator_pid(z);
        ph_soc_energy_domain(z);
        ph_soc_energy_nj((int64_t)size * 1000, z);
        free(z);
    }
    uint32_t mhz[16];
    int nm = ph_soc_gpu_freqs(data, size, mhz, 16);
    const char *names[4] = {"OFF", "IDLE", "P1", "P2"};
    int64_t res[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < 4 && (i + 1) * 8 <= size; i++)
        memcpy(&res[i], data + i * 8, 8);
    int64_t busy, avg;
    ph_soc_gpu_busy(names, res, 4, mhz, nm, &busy, &avg);
    /* the AGX ledger on a stream of (client, pid, ns) triples */
    ph_agx a;
    memset(&a, 0, sizeof a);
    ph_agx_begin(&a);
    for (size_t off = 0; off + 13 <= size; off += 13) {
        int32_t pid;
        int64_t ns;
        memcpy(&pid, data + off + 1, 4);
        memcpy(&ns, data + off + 5, 8);
        if (data[off] == 0) {
            ph_agx_end(&a);
            ph_agx_begin(&a);
        }
        ph_agx_note(&a, data[off] % 8, pid % 64, ns);
    }
    ph_agx_end(&a);
    ph_agx_free(&a);
    return 0;
}
