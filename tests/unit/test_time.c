/* Durations and points in time. */
#define _DEFAULT_SOURCE
#include "test.h"

#include "ph_time.h"

#include <stdlib.h>
#include <time.h>

#define S PH_NS_PER_SEC

TEST(durations)
{
    int64_t ns;
    struct { const char *in; int64_t want; } ok[] = {
        {"90s", 90 * S}, {"10m", 600 * S}, {"1h30m", 5400 * S}, {"2d", 172800 * S},
        {"1w", 604800 * S}, {"1.5h", 5400 * S}, {"250ms", 250000000}, {"1h1m1s", 3661 * S},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (ph_duration_parse(ok[i].in, &ns) != 0)
            t_fail(__FILE__, __LINE__, "rejected %s", ok[i].in);
        else if (ns != ok[i].want)
            t_fail(__FILE__, __LINE__, "%s = %lld, want %lld", ok[i].in, (long long)ns,
                   (long long)ok[i].want);
    }
    const char *bad[] = {"", "10", "m", "10x", "-5m", "1h 30m", "5mm", "1..5h", "99999999999w"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ph_duration_parse(bad[i], &ns) == 0)
            t_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
}

TEST(times_relative_and_absolute)
{
    int64_t now = 1795700000LL * S, t;
    setenv("TZ", "UTC", 1);
    tzset();
    CHECK_I(ph_time_parse("now", now, &t), 0);
    CHECK_I(t, now);
    CHECK_I(ph_time_parse("10m", now, &t), 0);
    CHECK_I(t, now - 600 * S);
    CHECK_I(ph_time_parse("2026-11-26T14:00", now, &t), 0);
    CHECK_I(t, 1795701600LL * S);
    CHECK_I(ph_time_parse("2026-11-26 14:00", now, &t), 0);
    CHECK_I(t, 1795701600LL * S);
    CHECK_I(ph_time_parse("2026-11-26T14:00:30.5Z", now, &t), 0);
    CHECK_I(t, 1795701630LL * S + S / 2);
    CHECK_I(ph_time_parse("2026-11-26T14:00+02:00", now, &t), 0);
    CHECK_I(t, (1795701600LL - 7200) * S);
    CHECK_I(ph_time_parse("2026-11-26", now, &t), 0);
    CHECK_I(t, 1795651200LL * S);
    /* now = 2026-11-26 13:33:20 UTC */
    CHECK_I(ph_time_parse("today", now, &t), 0);
    CHECK_I(t, 1795651200LL * S);
    CHECK_I(ph_time_parse("yesterday", now, &t), 0);
    CHECK_I(t, 1795651200LL * S - 86400 * S);

    /* Local time follows TZ (a POSIX rule: no tzdata needed). */
    setenv("TZ", "CET-1", 1);
    tzset();
    CHECK_I(ph_time_parse("2026-11-26 14:00", now, &t), 0);
    CHECK_I(t, (1795701600LL - 3600) * S);
    setenv("TZ", "UTC", 1);
    tzset();

    const char *bad[] = {"2026-13-01", "2026-02-30", "2026-11-26T25:00", "2026-11-26 14",
                         "2026-11-26T14:00+2", "26-11-2026", "tomorrow", "2026-11-26T14:00Q",
                         /* found by fuzzing: beyond 64-bit ns since 1970 */
                         "4052-11-26 14:00:30.5+02:00", "9999-12-31"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ph_time_parse(bad[i], now, &t) == 0)
            t_fail(__FILE__, __LINE__, "accepted %s", bad[i]);
}

TEST(iso_output)
{
    char buf[40];
    ph_time_iso_utc(1795701600LL * S + 123, buf, sizeof buf);
    CHECK_S(buf, "2026-11-26T14:00:00Z");
}

#include "ph_util.h"

TEST(utf8_sanitize)
{
    char a[] = "plain", b[] = "caf\xc3\xa9", c[] = "bad\xff\xfe end", d[] = "cut\xe2\x82", e[] = "\xc0\xaf";
    ph_utf8_sanitize(a);
    ph_utf8_sanitize(b);
    ph_utf8_sanitize(c);
    ph_utf8_sanitize(d);
    ph_utf8_sanitize(e);
    CHECK_S(a, "plain");
    CHECK_S(b, "caf\xc3\xa9");
    CHECK_S(c, "bad?? end");
    CHECK_S(d, "cut??");
    CHECK_S(e, "??");
}
