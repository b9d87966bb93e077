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
        free(z);
    }
    return 0;
}
