/* Retention settings: the --retain and --max-db-size grammars (pure, fuzzed). */
#include "ph_rollup.h"
#include "ph_time.h"
#include "ph_util.h"

#include <stdlib.h>
#include <string.h>

#define DAY (86400 * PH_NS_PER_SEC)

void ph_retention_default(ph_retention *r)
{
    r->raw_ns = 2 * DAY;
    r->minute_ns = 30 * DAY;
    r->hour_ns = 400 * DAY;
    r->max_bytes = 0;
}

int ph_retention_parse(const char *spec, ph_retention *r, char *err, size_t errlen)
{
    char buf[256];
    if (ph_fmt(buf, sizeof buf, "%s", spec) < 0 || !*spec) {
        ph_fmt(err, errlen, "bad --retain '%s': use e.g. raw=2d,minute=30d,hour=400d", spec);
        return -1;
    }
    ph_retention out = *r;
    int seen[3] = {0, 0, 0};
    /* Split by hand: strtok would skip empty items, and "," or "raw=1d,"
     * is a typo to report, not a default to apply. */
    for (char *item = buf, *next; item; item = next) {
        next = strchr(item, ',');
        if (next)
            *next++ = '\0';
        char *eq = strchr(item, '=');
        int64_t ns;
        if (!*item) {
            ph_fmt(err, errlen, "bad --retain '%s': an empty item; use e.g. raw=2d,minute=30d", spec);
            return -1;
        }
        if (!eq || ph_duration_parse(eq + 1, &ns) < 0 || ns <= 0) {
            ph_fmt(err, errlen, "bad --retain item '%s': use TIER=DURATION, e.g. raw=2d", item);
            return -1;
        }
        *eq = '\0';
        int k = strcmp(item, "raw") == 0 ? 0 : strcmp(item, "minute") == 0 ? 1 : strcmp(item, "hour") == 0 ? 2 : -1;
        if (k < 0) {
            ph_fmt(err, errlen, "bad --retain tier '%s': use raw, minute or hour", item);
            return -1;
        }
        if (seen[k]++) {
            ph_fmt(err, errlen, "bad --retain '%s': tier '%s' is given twice", spec, item);
            return -1;
        }
        if (k == 0)
            out.raw_ns = ns;
        else if (k == 1)
            out.minute_ns = ns;
        else
            out.hour_ns = ns;
    }
    if (out.raw_ns < 60 * PH_NS_PER_SEC || out.minute_ns < 3600 * PH_NS_PER_SEC) {
        ph_fmt(err, errlen, "bad --retain '%s': keep raw at least 1m and minutes at least 1h", spec);
        return -1;
    }
    if (out.raw_ns > out.minute_ns || out.minute_ns > out.hour_ns) {
        ph_fmt(err, errlen, "bad --retain '%s': each tier must be kept at least as long as the finer one", spec);
        return -1;
    }
    *r = out;
    return 0;
}

int ph_size_parse(const char *s, int64_t *bytes)
{
    const char *end;
    double v;
    /* Plain decimals: strtod would also take " 5", "0x10" and "1e3". */
    if (ph_parse_decimal(s, &v, &end) < 0 || !(v > 0))
        return -1;
    double mul = 1;
    if (*end) {
        switch (*end) {
        case 'K': case 'k': mul = 1024.0; break;
        case 'M': case 'm': mul = 1024.0 * 1024; break;
        case 'G': case 'g': mul = 1024.0 * 1024 * 1024; break;
        case 'T': case 't': mul = 1024.0 * 1024 * 1024 * 1024; break;
        case 'B': break;
        default: return -1;
        }
        end++;
        if (*end == 'i')
            end++;
        if (*end == 'B')
            end++;
        if (*end)
            return -1;
    }
    if (v * mul > 9e18)
        return -1;
    *bytes = (int64_t)(v * mul);
    return 0;
}

int64_t ph_cap_wal_pages(int64_t max_bytes, int64_t page_size)
{
    int64_t pages = max_bytes / 8 / (page_size > 0 ? page_size : 4096);
    return pages < 16 ? 16 : pages > 1000 ? 1000 : pages;
}
