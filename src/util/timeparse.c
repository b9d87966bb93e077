/* Durations and points in time (grammar in include/ph_time.h).
 *
 * Local times are resolved without mktime's guesses: mktime silently moves
 * a time in the spring DST gap and picks one side of the autumn overlap,
 * which would answer "what ran at 02:30" with the wrong hour. Instead each
 * UTC offset in force around the wall time is tried, and the wall time must
 * come back unchanged from exactly one of them. */
#define _DEFAULT_SOURCE
#include "ph_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Seconds since 1970 beyond which ns overflow 64 bits (year 2262). */
#define MAX_SEC (INT64_MAX / PH_NS_PER_SEC - 1)

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_alpha(char c) { return c >= 'a' && c <= 'z'; }
static const char *skip_sp(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

typedef struct unit { const char *name; long double ns; } unit;
static const unit units[] = {
    {"ms", 1e6L}, {"msec", 1e6L}, {"msecs", 1e6L},
    {"s", 1e9L}, {"sec", 1e9L}, {"secs", 1e9L}, {"second", 1e9L}, {"seconds", 1e9L},
    {"m", 60e9L}, {"min", 60e9L}, {"mins", 60e9L}, {"minute", 60e9L}, {"minutes", 60e9L},
    {"h", 3600e9L}, {"hr", 3600e9L}, {"hrs", 3600e9L}, {"hour", 3600e9L}, {"hours", 3600e9L},
    {"d", 86400e9L}, {"day", 86400e9L}, {"days", 86400e9L},
    {"w", 604800e9L}, {"wk", 604800e9L}, {"wks", 604800e9L}, {"week", 604800e9L}, {"weeks", 604800e9L},
};

/* A lower-cased copy of s without leading and trailing blanks; -1 when it
 * does not fit (nothing in the grammar is that long). */
static int normalize(const char *s, char *buf, size_t len)
{
    size_t n = 0;
    s = skip_sp(s);
    for (; *s; s++) {
        char c = *s;
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (n + 1 >= len)
            return -1;
        buf[n++] = c;
    }
    while (n && (buf[n - 1] == ' ' || buf[n - 1] == '\t'))
        n--;
    buf[n] = '\0';
    return 0;
}

/* Durations of a normalized string. */
static int duration_norm(const char *p, int64_t *out_ns)
{
    long double total = 0;
    int parts = 0;
    p = skip_sp(p);
    if (!*p)
        return -1;
    while (*p) {
        long double num = 0, scale = 1;
        int digits = 0, dot = 0;
        while (is_digit(*p) || (*p == '.' && !dot)) {
            if (*p == '.') {
                dot = 1;
            } else {
                digits++;
                if (dot) {
                    scale /= 10;
                    num += (*p - '0') * scale;
                } else {
                    num = num * 10 + (*p - '0');
                }
            }
            p++;
        }
        if (!digits)
            return -1;
        p = skip_sp(p);
        const char *w = p;
        while (is_alpha(*p))
            p++;
        size_t wl = (size_t)(p - w);
        const unit *u = NULL;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strlen(units[i].name) == wl && memcmp(units[i].name, w, wl) == 0)
                u = &units[i];
        if (!u)
            return -1;
        total += num * u->ns;
        if (!(total <= 1e18L)) /* ~31 years: beyond any history */
            return PH_TIME_ERANGE;
        parts++;
        p = skip_sp(p);
    }
    if (!parts)
        return -1;
    *out_ns = (int64_t)total;
    return 0;
}

int ph_duration_parse(const char *s, int64_t *out_ns)
{
    char buf[128];
    if (!s || normalize(s, buf, sizeof buf) < 0)
        return -1;
    return duration_norm(buf, out_ns);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), and back. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

/* Wall-clock fields of t under the rule; 0 or -1. */
static int wall(int64_t t, enum ph_tz tz, struct tm *tm)
{
    time_t tt = (time_t)t;
    if ((int64_t)tt != t)
        return -1;
    return (tz == PH_TZ_UTC ? gmtime_r(&tt, tm) : localtime_r(&tt, tm)) ? 0 : -1;
}

/* The one instant (seconds) showing y-m-d h:mi:s under the rule. */
static int resolve(int y, int mo, int d, int h, int mi, int s, enum ph_tz tz, int64_t *out)
{
    int64_t t0 = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    if (tz == PH_TZ_UTC) {
        *out = t0;
        return 0;
    }
    /* The offsets in force a day either side and at t0 cover any change of
     * offset near it (zones change at most twice a year). */
    int64_t found[3];
    int nfound = 0;
    for (int k = -1; k <= 1; k++) {
        struct tm tm;
        if (wall(t0 + k * 86400, tz, &tm) < 0)
            return PH_TIME_ERANGE;
        int64_t t = t0 - (int64_t)tm.tm_gmtoff;
        if (wall(t, tz, &tm) < 0)
            return PH_TIME_ERANGE;
        if (tm.tm_year + 1900 != y || tm.tm_mon + 1 != mo || tm.tm_mday != d || tm.tm_hour != h ||
            tm.tm_min != mi || tm.tm_sec != s)
            continue;
        int dup = 0;
        for (int i = 0; i < nfound; i++)
            dup |= found[i] == t;
        if (!dup)
            found[nfound++] = t;
    }
    if (nfound == 0)
        return PH_TIME_EGAP;
    if (nfound > 1)
        return PH_TIME_EAMBIG;
    *out = found[0];
    return 0;
}

static int take_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (!is_digit(c))
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int finish(int64_t sec, int64_t frac_ns, int64_t *out_ns)
{
    if (sec < 0 || sec > MAX_SEC)
        return PH_TIME_ERANGE;
    *out_ns = sec * PH_NS_PER_SEC + frac_ns;
    return 0;
}

/* HH:MM[:SS] (H:MM too) and nothing after it. */
static int time_of_day(const char *p, int *h, int *mi, int *s)
{
    *h = *mi = *s = 0;
    if (!is_digit(*p))
        return -1;
    *h = *p++ - '0';
    if (is_digit(*p))
        *h = *h * 10 + (*p++ - '0');
    if (*p++ != ':' || take_digits(&p, 2, mi))
        return -1;
    if (*p == ':') {
        p++;
        if (take_digits(&p, 2, s))
            return -1;
    }
    if (*p || *h > 23 || *mi > 59 || *s > 59)
        return -1;
    return 0;
}

static int parse_absolute(const char *s, enum ph_tz tz, int64_t *out_ns)
{
    const char *p = s;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t frac_ns = 0;
    if (take_digits(&p, 4, &y) || *p++ != '-' || take_digits(&p, 2, &mo) || *p++ != '-' ||
        take_digits(&p, 2, &d))
        return PH_TIME_EBAD;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return PH_TIME_EBAD;
    if (*p == 't' || *p == ' ') {
        p++;
        if (take_digits(&p, 2, &h) || *p++ != ':' || take_digits(&p, 2, &mi))
            return PH_TIME_EBAD;
        if (*p == ':') {
            p++;
            if (take_digits(&p, 2, &sec))
                return PH_TIME_EBAD;
            if (*p == '.') {
                int64_t scale = PH_NS_PER_SEC / 10;
                p++;
                if (!is_digit(*p))
                    return PH_TIME_EBAD;
                for (; is_digit(*p); p++, scale /= 10)
                    frac_ns += (*p - '0') * scale;
            }
        }
        if (h > 23 || mi > 59 || sec > 59)
            return PH_TIME_EBAD;
        p = skip_sp(p);
    }
    if (y < 1970)
        return PH_TIME_ERANGE;
    if (y > 2262)
        return PH_TIME_ERANGE;
    int64_t t;
    if (*p == '\0') {
        int rc = resolve(y, mo, d, h, mi, sec, tz, &t);
        if (rc)
            return rc;
    } else {
        int off = 0;
        if (*p == 'z' && p[1] == '\0') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (take_digits(&p, 2, &oh))
                return PH_TIME_EBAD;
            if (*p == ':')
                p++;
            if (*p && take_digits(&p, 2, &om))
                return PH_TIME_EBAD;
            if (*p || oh > 23 || om > 59)
                return PH_TIME_EBAD;
            off = sign * (oh * 3600 + om * 60);
        } else {
            return PH_TIME_EBAD;
        }
        resolve(y, mo, d, h, mi, sec, PH_TZ_UTC, &t);
        t -= off;
    }
    return finish(t, frac_ns, out_ns);
}

static const char *const weekdays[7][2] = {
    {"sun", "sunday"}, {"mon", "monday"}, {"tue", "tuesday"}, {"wed", "wednesday"},
    {"thu", "thursday"}, {"fri", "friday"}, {"sat", "saturday"},
};

/* today|yesterday|WEEKDAY [HH:MM[:SS]], or HH:MM[:SS] alone (word = ""):
 * the day counted back from now's local date, the most recent past one for
 * a weekday or a time alone. */
static int parse_day(const char *word, size_t wl, const char *rest, int64_t now_ns, enum ph_tz tz,
                     int64_t *out_ns)
{
    int back = -1, wday = -1, h = 0, mi = 0, s = 0, rc;
    if (wl == 5 && memcmp(word, "today", 5) == 0)
        back = 0;
    else if (wl == 9 && memcmp(word, "yesterday", 9) == 0)
        back = 1;
    else if (wl == 0)
        back = 0;
    else
        for (int i = 0; i < 7; i++)
            for (int j = 0; j < 2; j++)
                if (strlen(weekdays[i][j]) == wl && memcmp(weekdays[i][j], word, wl) == 0)
                    wday = i;
    if (back < 0 && wday < 0) /* tue, tues, thur, thurs too */
        for (int i = 0; i < 7; i++)
            if (wl >= 3 && wl < strlen(weekdays[i][1]) && memcmp(weekdays[i][1], word, wl) == 0)
                wday = i;
    if (back < 0 && wday < 0)
        return PH_TIME_EBAD;
    rest = skip_sp(rest);
    if (*rest && time_of_day(rest, &h, &mi, &s) < 0)
        return PH_TIME_EBAD;
    int64_t now_s = now_ns >= 0 ? now_ns / PH_NS_PER_SEC : -((-now_ns + PH_NS_PER_SEC - 1) / PH_NS_PER_SEC);
    struct tm tm;
    if (wall(now_s, tz, &tm) < 0)
        return PH_TIME_ERANGE;
    int64_t today = days_from_civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
    if (wday >= 0)
        back = (tm.tm_wday - wday + 7) % 7;
    int past_only = wday >= 0 || wl == 0;
    /* Later today on the wall clock: the one before (decided on the wall
     * clock, so a later time in today's DST gap is no error). */
    if (past_only && back == 0 && h * 3600 + mi * 60 + s > tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec)
        back = wday >= 0 ? 7 : 1;
    for (;;) {
        int y, m, d;
        int64_t t;
        civil_from_days(today - back, &y, &m, &d);
        if (y < 1970 || y > 2262)
            return PH_TIME_ERANGE;
        if ((rc = resolve(y, m, d, h, mi, s, tz, &t)) != 0)
            return rc;
        if (past_only && t > now_s) { /* later today: the one before */
            if (back > 7)
                return PH_TIME_EBAD;
            back += wday >= 0 ? 7 : 1;
            continue;
        }
        return finish(t, 0, out_ns);
    }
}

int ph_time_parse_tz(const char *s, int64_t now_ns, enum ph_tz tz, int64_t *out_ns)
{
    char buf[128];
    int64_t d;
    if (!s || normalize(s, buf, sizeof buf) < 0 || !buf[0])
        return PH_TIME_EBAD;
    if (strcmp(buf, "now") == 0) {
        *out_ns = now_ns;
        return 0;
    }
    if (buf[0] == '@') { /* @EPOCH[.frac] */
        const char *p = buf + 1;
        int64_t sec = 0, frac = 0, scale = PH_NS_PER_SEC / 10;
        if (!is_digit(*p))
            return PH_TIME_EBAD;
        for (; is_digit(*p); p++) {
            if (sec > MAX_SEC)
                return PH_TIME_ERANGE;
            sec = sec * 10 + (*p - '0');
        }
        if (*p == '.')
            for (p++; is_digit(*p); p++, scale /= 10)
                frac += (*p - '0') * scale;
        if (*p)
            return PH_TIME_EBAD;
        return finish(sec, frac, out_ns);
    }
    if (buf[0] == '-' || (strlen(buf) > 3 && strcmp(buf + strlen(buf) - 3, "ago") == 0)) {
        size_t n = strlen(buf);
        if (buf[0] == '-')
            memmove(buf, buf + 1, n); /* "-1h": 1h ago */
        else
            buf[n - 3] = '\0';
        int drc = duration_norm(buf, &d);
        if (drc < 0)
            return drc == PH_TIME_ERANGE ? drc : PH_TIME_EBAD;
        *out_ns = now_ns - d;
        return 0;
    }
    if (is_digit(buf[0]) && is_digit(buf[1]) && is_digit(buf[2]) && is_digit(buf[3]) && buf[4] == '-')
        return parse_absolute(buf, tz, out_ns);
    size_t wl = 0;
    while (is_alpha(buf[wl]))
        wl++;
    if (wl > 0 || strchr(buf, ':'))
        return parse_day(buf, wl, buf + wl, now_ns, tz, out_ns);
    int drc = duration_norm(buf, &d);
    if (drc == 0) {
        *out_ns = now_ns - d;
        return 0;
    }
    return drc == PH_TIME_ERANGE ? drc : PH_TIME_EBAD;
}

int ph_time_parse(const char *s, int64_t now_ns, int64_t *out_ns)
{
    return ph_time_parse_tz(s, now_ns, PH_TZ_LOCAL, out_ns);
}

const char *ph_time_strerror(int rc)
{
    switch (rc) {
    case PH_TIME_EGAP:
        return "that local time does not exist (the clocks skip it for daylight saving); give an offset "
               "such as +01:00 or a time outside the gap";
    case PH_TIME_EAMBIG:
        return "that local time happens twice (the clocks repeat it for daylight saving); give an offset "
               "such as +02:00 or +01:00 to say which";
    case PH_TIME_ERANGE:
        return "out of range: give a time from 1970 to 2262, or a duration of at most 31 years";
    default:
        return "use a duration (90s, 30min, 1h30m, '1h 30m', 2d, 1w; '1h ago' or -1h), a time of day "
               "(14:00), today, yesterday 14:00, mon 09:00, @EPOCH, or a date such as 2026-11-26 14:00 "
               "or 2026-11-26T14:00+02:00";
    }
}

void ph_time_iso_utc(int64_t ns, char *buf, size_t len)
{
    time_t t = (time_t)(ns / PH_NS_PER_SEC);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void ph_time_display(int64_t ns, int utc, char *buf, size_t len)
{
    time_t t = (time_t)(ns / PH_NS_PER_SEC);
    struct tm tm;
    if (utc)
        gmtime_r(&t, &tm);
    else
        localtime_r(&t, &tm);
    strftime(buf, len, utc ? "%Y-%m-%d %H:%M:%SZ" : "%Y-%m-%d %H:%M:%S", &tm);
}
