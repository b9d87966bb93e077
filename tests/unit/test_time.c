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
        /* issue 18: any unit spelling and case, spaces between parts */
        {"30min", 1800 * S}, {"1H", 3600 * S}, {"1h 30m", 5400 * S}, {" 90 s ", 90 * S},
        {"2 days", 172800 * S}, {"1 hour 30 minutes", 5400 * S}, {"1W", 604800 * S},
        {"45secs", 45 * S}, {"3hrs", 3 * 3600 * S}, {"2wk", 1209600 * S}, {"1500MS", 1500000000},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (ph_duration_parse(ok[i].in, &ns) != 0)
            t_fail(__FILE__, __LINE__, "rejected %s", ok[i].in);
        else if (ns != ok[i].want)
            t_fail(__FILE__, __LINE__, "%s = %lld, want %lld", ok[i].in, (long long)ns,
                   (long long)ok[i].want);
    }
    const char *bad[] = {"", "10", "m", "10x", "-5m", "5mm", "1..5h", "99999999999w", "1h30", "1 month",
                         "1hh", "h1", "1h,30m", "  "};
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
    /* A duration that parses but reaches beyond any history is out of
     * range, not "use a duration" (review, 2026-12-03). */
    CHECK_I(ph_time_parse("99999d", now, &t), PH_TIME_ERANGE);
    CHECK_I(ph_time_parse("99999d ago", now, &t), PH_TIME_ERANGE);
    CHECK_I(ph_time_parse("-99999d", now, &t), PH_TIME_ERANGE);
    CHECK_I(ph_time_parse("99999x", now, &t), PH_TIME_EBAD);
}

/* issue 18: the grammar every --since/--until/--at takes. now is
 * Thursday 2026-11-26 13:33:20 UTC. */
TEST(grammar)
{
    int64_t now = 1795700000LL * S, t;
    int64_t mid = 1795651200LL * S; /* 2026-11-26 00:00 UTC */
    setenv("TZ", "UTC", 1);
    tzset();
    struct { const char *in; int64_t want; } ok[] = {
        {"1h ago", now - 3600 * S}, {"-1h", now - 3600 * S}, {"1h30m ago", now - 5400 * S},
        {"1h 30m ago", now - 5400 * S}, {"90s", now - 90 * S}, {"30min", now - 1800 * S},
        {"1H", now - 3600 * S}, {"1h 30m", now - 5400 * S}, {"-90 seconds", now - 90 * S},
        {"@1700000000", 1700000000LL * S}, {"@1700000000.25", 1700000000LL * S + S / 4},
        {"14:00", mid - 86400 * S + 14 * 3600 * S}, /* later today: yesterday's */
        {"13:00", mid + 13 * 3600 * S}, {"13:33:20", now}, {"9:05", mid + 9 * 3600 * S + 300 * S},
        {"today", mid}, {"TODAY", mid}, {"yesterday", mid - 86400 * S},
        {"yesterday 14:00", mid - 86400 * S + 14 * 3600 * S},
        {"today 10:30:15", mid + 10 * 3600 * S + 1815 * S},
        {"thu", mid}, {"Thursday 09:00", mid + 9 * 3600 * S},
        {"thu 14:00", mid - 7 * 86400 * S + 14 * 3600 * S}, /* later today: last week's */
        {"mon 09:00", mid - 3 * 86400 * S + 9 * 3600 * S}, {"monday", mid - 3 * 86400 * S},
        {"fri", mid - 6 * 86400 * S}, {"sun 23:59", mid - 4 * 86400 * S + 86340 * S},
        {"wed", mid - 86400 * S}, {"tues", mid - 2 * 86400 * S},
        {"2026-11-26t14:00z", 1795701600LL * S}, {"2026-11-26 14:00 +02:00", (1795701600LL - 7200) * S},
        {"2026-11-26T14:00-0130", (1795701600LL + 5400) * S}, {"NOW", now}, {" now ", now},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int rc = ph_time_parse(ok[i].in, now, &t);
        if (rc != 0)
            t_fail(__FILE__, __LINE__, "rejected '%s' (%d)", ok[i].in, rc);
        else if (t != ok[i].want)
            t_fail(__FILE__, __LINE__, "'%s' = %lld, want %lld", ok[i].in, (long long)(t / S),
                   (long long)(ok[i].want / S));
    }
    const char *bad[] = {"", "ago", "-", "--1h", "+1h", "@", "@-5", "@12x", "24:00", "14:60", "14:00:61",
                         "14", "14:0", "yesterday 25:00", "yesterday14", "mo", "someday", "tomorrow",
                         "thu 9", "1h ago ago", "@99999999999999999999", "1969-12-31", "2026-11-26 14:00 +",
                         "2026-11-26 14:00:60"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (ph_time_parse(bad[i], now, &t) == 0)
            t_fail(__FILE__, __LINE__, "accepted '%s' (= %lld)", bad[i], (long long)(t / S));

    /* The zone rule: UTC reads local forms in UTC whatever TZ says. */
    setenv("TZ", "CET-1", 1);
    tzset();
    CHECK_I(ph_time_parse_tz("today", now, PH_TZ_UTC, &t), 0);
    CHECK_I(t, mid);
    CHECK_I(ph_time_parse_tz("today", now, PH_TZ_LOCAL, &t), 0);
    CHECK_I(t, mid - 3600 * S);
    CHECK_I(ph_time_parse_tz("13:00", now, PH_TZ_UTC, &t), 0);
    CHECK_I(t, mid + 13 * 3600 * S);
    CHECK_I(ph_time_parse_tz("14:00", now, PH_TZ_LOCAL, &t), 0); /* 13:00 UTC */
    CHECK_I(t, mid + 13 * 3600 * S);
    setenv("TZ", "UTC", 1);
    tzset();
}

/* issue 18: a local time the clocks skip or repeat is an error that says
 * so, not a silent shift (Europe/Berlin, 2026: 29 March 02:00 -> 03:00,
 * 25 October 03:00 -> 02:00). */
TEST(dst_gap_and_overlap)
{
    int64_t t, now = 1795700000LL * S;
    setenv("TZ", "Europe/Berlin", 1);
    tzset();
    CHECK_I(ph_time_parse("2026-03-29 02:30", now, &t), PH_TIME_EGAP);
    CHECK_I(ph_time_parse("2026-03-29 02:00", now, &t), PH_TIME_EGAP);
    CHECK_I(ph_time_parse("2026-03-29 01:59:59", now, &t), 0);
    CHECK_I(t, 1774745999LL * S);
    CHECK_I(ph_time_parse("2026-03-29 03:00", now, &t), 0);
    CHECK_I(t, 1774746000LL * S);
    CHECK_I(ph_time_parse("2026-10-25 02:30", now, &t), PH_TIME_EAMBIG);
    CHECK_I(ph_time_parse("2026-10-25 02:00", now, &t), PH_TIME_EAMBIG);
    CHECK_I(ph_time_parse("2026-10-25 01:59:59", now, &t), 0);
    CHECK_I(t, 1792886399LL * S);
    CHECK_I(ph_time_parse("2026-10-25 03:00", now, &t), 0);
    CHECK_I(t, (1792886399LL + 1 + 7200) * S);
    /* An offset resolves both. */
    CHECK_I(ph_time_parse("2026-10-25 02:30+02:00", now, &t), 0);
    CHECK_I(t, (1792886399LL + 1 + 1800) * S);
    CHECK_I(ph_time_parse("2026-10-25 02:30+01:00", now, &t), 0);
    CHECK_I(t, (1792886399LL + 1 + 5400) * S);
    /* Relative forms meet the gap too: "today 02:30" on the change day. */
    int64_t spring = (1774745999LL + 1 + 12 * 3600) * S; /* 2026-03-29 14:00 CEST */
    CHECK_I(ph_time_parse("02:30", spring, &t), PH_TIME_EGAP);
    CHECK_I(ph_time_parse("today 02:30", spring, &t), PH_TIME_EGAP);
    CHECK_I(ph_time_parse("sun 02:30", spring, &t), PH_TIME_EGAP);
    CHECK_I(ph_time_parse("today", spring, &t), 0);
    CHECK_I(t, (1774745999LL + 1 - 7200) * S); /* midnight CET */
    int64_t autumn = (1792886399LL + 1 + 12 * 3600) * S;
    CHECK_I(ph_time_parse("02:30", autumn, &t), PH_TIME_EAMBIG);
    CHECK_I(ph_time_parse("yesterday 02:30", autumn + 86400 * S, &t), PH_TIME_EAMBIG);
    /* A day later, "1d ago" is plain arithmetic: no error. */
    CHECK_I(ph_time_parse("1d ago", autumn, &t), 0);
    CHECK(strstr(ph_time_strerror(PH_TIME_EGAP), "does not exist") != NULL);
    CHECK(strstr(ph_time_strerror(PH_TIME_EAMBIG), "twice") != NULL);
    setenv("TZ", "UTC", 1);
    tzset();
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
    /* Well-formed in shape, not UTF-8 (RFC 3629), and refused by JSON
     * decoders: an overlong form of '/', a surrogate, past U+10FFFF. */
    char f[] = "\xe0\x80\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xf0\x9f\x98\x80|\xed\x9f\xbf";
    ph_utf8_sanitize(f);
    CHECK_S(f, "???|???|????|\xf0\x9f\x98\x80|\xed\x9f\xbf"); /* U+1F600 and U+D7FF stay */
}
