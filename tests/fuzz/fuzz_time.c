/* libFuzzer target: durations, points in time (the whole grammar of
 * include/ph_time.h, local and UTC, in a zone with DST so that the gap and
 * overlap paths run), retention and size specs. */
#define _DEFAULT_SOURCE
#include "ph_rollup.h"
#include "ph_time.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int zoned;
    if (!zoned) {
        setenv("TZ", "Europe/Berlin", 1);
        tzset();
        zoned = 1;
    }
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
    /* Thursday 2026-11-26, and the spring and autumn change days. */
    static const int64_t nows[] = {1795700000LL, 1774789200LL, 1792929600LL, 0, 9223372035LL};
    for (size_t i = 0; i < sizeof nows / sizeof nows[0]; i++) {
        int rc = ph_time_parse_tz(s, nows[i] * 1000000000LL, PH_TZ_LOCAL, &v);
        if (rc > 0 || rc < PH_TIME_ERANGE || !ph_time_strerror(rc))
            abort();
        if (rc == 0 && v < 0 && strchr(s, '-') == NULL && strstr(s, "ago") == NULL && nows[i] > 0)
            abort(); /* only "N ago" / "-N" can go before 1970, from now */
        ph_time_parse_tz(s, nows[i] * 1000000000LL, PH_TZ_UTC, &v);
    }
    ph_retention_parse(s, &r, err, sizeof err);
    ph_size_parse(s, &v);
    free(s);
    return 0;
}
