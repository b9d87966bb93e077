/* libFuzzer target: /proc/PID/cgroup parsed, and the keys of what it gives
 * (and of the bytes as one path). */
#include "ph_cgroup.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ph_cgroup cg;
    static ph_cgroup_keys k;
    if (ph_parse_cgroup((const char *)data, size, &cg) == 0)
        ph_cgroup_keys_of(&cg, &k);
    char *z = malloc(size + 1);
    if (z) {
        memcpy(z, data, size);
        z[size] = '\0';
        ph_cgroup_path_keys(z, &k);
        free(z);
    }
    return 0;
}
