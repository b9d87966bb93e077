/*
 * ph_time.h: parsing and printing of durations and points in time.
 *
 * Durations: one or more <number><unit> with units ms, s, m, h, d, w
 * ("90s", "1h30m", "1.5h", "2d", "1w").
 * Points in time: "now", "today", "yesterday" (local midnight), a duration
 * meaning that long before now ("10m"), or an absolute date and time:
 * YYYY-MM-DD, YYYY-MM-DD[T ]HH:MM[:SS[.frac]], local time unless followed by
 * "Z" or an offset (+HH:MM, +HHMM, +HH).
 */
#ifndef PH_TIME_H
#define PH_TIME_H

#include <stddef.h>
#include <stdint.h>

#define PH_NS_PER_SEC 1000000000LL

int ph_duration_parse(const char *s, int64_t *out_ns);
int ph_time_parse(const char *s, int64_t now_ns, int64_t *out_ns);
/* "2026-11-26T14:00:00Z" (second precision, UTC). */
void ph_time_iso_utc(int64_t ns, char *buf, size_t len);
/* "2026-11-26 14:00:00" in local time, or UTC with a "Z" when utc != 0. */
void ph_time_display(int64_t ns, int utc, char *buf, size_t len);

#endif
