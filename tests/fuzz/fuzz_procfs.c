/* libFuzzer target: every /proc parser on arbitrary bytes. */
#include "ph_procfs.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *b = (const char *)data;
    ph_stat st;
    ph_status ss;
    ph_io io;
    ph_schedstat sc;
    ph_drm_fdinfo drm;
    int64_t v;
    ph_parse_stat(b, size, &st);
    ph_parse_status(b, size, &ss);
    ph_parse_io(b, size, &io);
    ph_parse_schedstat(b, size, &sc);
    ph_parse_uptime(b, size, &v);
    ph_parse_loadavg_last_pid(b, size, &v);
    ph_parse_btime(b, size, &v);
    ph_parse_drm_fdinfo(b, size, &drm);
    char *z = malloc(size + 1); /* exe link targets are strings */
    if (z) {
        char out[64];
        memcpy(z, data, size);
        z[size] = '\0';
        ph_exe_basename(z, out, sizeof out);
        free(z);
    }
    return 0;
}
