/*
 * ph_time.h: parsing and printing of durations and points in time. One
 * grammar for every option that takes a time (--since, --until, --at,
 * diff --vs A..B, export --since, report). Letters are case-insensitive;
 * spaces may separate the parts.
 *
 * Durations: one or more <number><unit>, number with an optional fraction,
 * units ms|msec, s|sec|secs|second(s), m|min|mins|minute(s),
 * h|hr|hrs|hour(s), d|day(s), w|wk|week(s): "90s", "30min", "1H", "1h30m",
 * "1h 30m", "1.5h", "2d", "1w".
 *
 * Points in time (now_ns is "now"; "local" is the zone rule passed in):
 *   now
 *   DURATION, DURATION ago, -DURATION  that long before now ("10m",
 *                                      "1h ago", "-1h")
 *   @EPOCH                             seconds since 1970 UTC ("@1700000000")
 *   HH:MM[:SS]                         the most recent past one, local
 *   today|yesterday [HH:MM[:SS]]       local midnight, or that time of the day
 *   WEEKDAY [HH:MM[:SS]]               the most recent past one ("mon",
 *                                      "monday 09:00"; mon..sun, full names)
 *   YYYY-MM-DD[( |T)HH:MM[:SS[.frac]]][Z|+HH:MM|+HHMM|+HH|-..]
 *                                      local unless a zone is given
 * A local time the clocks skip (the spring DST gap) or show twice (the
 * autumn overlap) is an error (PH_TIME_EGAP, PH_TIME_EAMBIG), never
 * silently shifted: an explicit offset or UTC resolves it.
 *
 * The parsers are pure: no I/O beyond the C library's zone rules
 * (localtime_r/mktime read TZ) when the rule is PH_TZ_LOCAL.
 */
#ifndef PH_TIME_H
#define PH_TIME_H

#include <stddef.h>
#include <stdint.h>

#define PH_NS_PER_SEC 1000000000LL

enum ph_tz { PH_TZ_LOCAL, PH_TZ_UTC };

/* Errors of ph_time_parse_tz (0 is success). */
#define PH_TIME_EBAD -1   /* not in the grammar */
#define PH_TIME_EGAP -2   /* a local time that does not exist (DST gap) */
#define PH_TIME_EAMBIG -3 /* a local time that happens twice (DST overlap) */
#define PH_TIME_ERANGE -4 /* before 1970 or beyond 64-bit ns (year 2262) */

/* 0, or -1 when s is not a duration (negative ones are not). */
int ph_duration_parse(const char *s, int64_t *out_ns);
/* 0 with *out_ns set, or one of PH_TIME_E*. */
int ph_time_parse_tz(const char *s, int64_t now_ns, enum ph_tz tz, int64_t *out_ns);
/* ph_time_parse_tz with PH_TZ_LOCAL. */
int ph_time_parse(const char *s, int64_t now_ns, int64_t *out_ns);
/* Why a PH_TIME_E* failed, for an error line. */
const char *ph_time_strerror(int rc);
/* "2026-11-26T14:00:00Z" (second precision, UTC). */
void ph_time_iso_utc(int64_t ns, char *buf, size_t len);
/* "2026-11-26 14:00:00" in local time, or UTC with a "Z" when utc != 0. */
void ph_time_display(int64_t ns, int utc, char *buf, size_t len);

#endif
