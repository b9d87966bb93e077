/* libFuzzer target: durations, points in time, retention and size specs. */
#include "ph_rollup.h"
#include "ph_time.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    int64_t v;
    char err[256];
    ph_retention r;
    ph_retention_default(&r);
    ph_duration_parse(s, &v);
    ph_time_parse(s, 1795700000LL * 1000000000LL, &v);
    ph_retention_parse(s, &r, err, sizeof err);
    ph_size_parse(s, &v);
    free(s);
    return 0;
}
