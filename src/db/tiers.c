/*
 * The retention tiers, described once (the descriptor is in db_private.h).
 *
 * FORMAT. raw: proc_sample and sample rows at each sample's ts_ns, a
 * keyframe (every live process's gauges) every PH_KEYFRAME_NS. minute and
 * hour: proc_, app_ and sample_ tables keyed by bucket_ns, the bucket's
 * start; a bucket starting at b holds what happened in (b, b + width]. A
 * minute bucket is a keyframe at each whole hour, an hour bucket at each
 * whole day (src/db/rollup.c writes them, schema/003_rollups.sql defines
 * them).
 */
#include "db_private.h"
#include "ph_time.h"

#define MIN_NS (60 * PH_NS_PER_SEC)
#define HOUR_NS (3600 * PH_NS_PER_SEC)

const ph_tier_desc ph_tiers[PH_TIER_COUNT] = {
    [PH_TIER_RAW] = {"raw", 0, PH_KEYFRAME_NS, 0, "proc_sample", NULL, "sample", "ts_ns", PH_TIER_RAW, -1,
                     PH_META_RAW_PRUNED_TO, PH_META_RETAIN_RAW_NS},
    [PH_TIER_MINUTE] = {"minute", MIN_NS, HOUR_NS, 30 * MIN_NS, "proc_minute", "app_minute", "sample_minute",
                        "bucket_ns", PH_TIER_RAW, PH_META_MINUTE_DONE, PH_META_MINUTE_PRUNED_TO,
                        PH_META_RETAIN_MINUTE_NS},
    [PH_TIER_HOUR] = {"hour", HOUR_NS, 24 * HOUR_NS, 12 * HOUR_NS, "proc_hour", "app_hour", "sample_hour",
                      "bucket_ns", PH_TIER_MINUTE, PH_META_HOUR_DONE, -1, PH_META_RETAIN_HOUR_NS},
};

const char *ph_tier_name(enum ph_tier t) { return ph_tiers[t].name; }
int64_t ph_tier_width_ns(enum ph_tier t) { return ph_tiers[t].width_ns; }
int64_t ph_tier_keyframe_ns(enum ph_tier t) { return ph_tiers[t].keyframe_ns; }

int64_t ph_floor_to(int64_t t, int64_t w)
{
    int64_t q = t / w;
    if (t % w < 0)
        q--;
    return q * w;
}
