/* Durations and points in time (grammar in include/ph_time.h). */
#define _DEFAULT_SOURCE
#include "ph_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int ph_duration_parse(const char *s, int64_t *out_ns)
{
    long double total = 0;
    int parts = 0;
    const char *p = s;
    if (!s || !*s)
        return -1;
    while (*p) {
        long double num = 0, scale = 1;
        int digits = 0, dot = 0;
        while ((*p >= '0' && *p <= '9') || (*p == '.' && !dot)) {
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
        long double unit;
        if (p[0] == 'm' && p[1] == 's') {
            unit = 1e6L;
            p += 2;
        } else {
            switch (*p) {
            case 's': unit = 1e9L; break;
            case 'm': unit = 60e9L; break;
            case 'h': unit = 3600e9L; break;
            case 'd': unit = 86400e9L; break;
            case 'w': unit = 604800e9L; break;
            default: return -1;
            }
            p++;
        }
        total += num * unit;
        if (total > 1e18L) /* ~31 years: beyond any history */
            return -1;
        parts++;
    }
    if (!parts)
        return -1;
    *out_ns = (int64_t)total;
    return 0;
}

static int take_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

static int64_t local_midnight(int64_t now_ns, int days_back)
{
    time_t t = (time_t)(now_ns / PH_NS_PER_SEC);
    struct tm tm;
    localtime_r(&t, &tm);
    tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
    tm.tm_mday -= days_back;
    tm.tm_isdst = -1;
    return (int64_t)mktime(&tm) * PH_NS_PER_SEC;
}

static int parse_absolute(const char *s, int64_t *out_ns)
{
    const char *p = s;
    struct tm tm;
    int y, mo, d, h = 0, mi = 0, sec = 0;
    int64_t frac_ns = 0;
    memset(&tm, 0, sizeof tm);
    if (take_digits(&p, 4, &y) || *p++ != '-' || take_digits(&p, 2, &mo) ||
        *p++ != '-' || take_digits(&p, 2, &d))
        return -1;
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
        return -1;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (take_digits(&p, 2, &h) || *p++ != ':' || take_digits(&p, 2, &mi))
            return -1;
        if (*p == ':') {
            p++;
            if (take_digits(&p, 2, &sec))
                return -1;
            if (*p == '.') {
                int64_t scale = PH_NS_PER_SEC / 10;
                p++;
                if (*p < '0' || *p > '9')
                    return -1;
                for (; *p >= '0' && *p <= '9'; p++, scale /= 10)
                    frac_ns += (*p - '0') * scale;
            }
        }
        if (h > 23 || mi > 59 || sec > 60)
            return -1;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t;
    if (*p == '\0') {
        tm.tm_isdst = -1;
        t = mktime(&tm);
    } else {
        int off = 0;
        if (*p == 'Z' && p[1] == '\0') {
            p++;
        } else if (*p == '+' || *p == '-') {
            int sign = *p++ == '-' ? -1 : 1, oh, om = 0;
            if (take_digits(&p, 2, &oh))
                return -1;
            if (*p == ':')
                p++;
            if (*p && take_digits(&p, 2, &om))
                return -1;
            if (*p || oh > 23 || om > 59)
                return -1;
            off = sign * (oh * 3600 + om * 60);
        } else {
            return -1;
        }
        t = timegm(&tm) - off;
    }
    /* ns since 1970 in 64 bits end in 2262 (found by fuzzing: year 4052
     * overflowed). */
    if (t == (time_t)-1 || t < 0 || (int64_t)t > INT64_MAX / PH_NS_PER_SEC - 1)
        return -1;
    *out_ns = (int64_t)t * PH_NS_PER_SEC + frac_ns;
    return 0;
}

int ph_time_parse(const char *s, int64_t now_ns, int64_t *out_ns)
{
    int64_t d;
    if (!s || !*s)
        return -1;
    if (strcmp(s, "now") == 0) {
        *out_ns = now_ns;
        return 0;
    }
    if (strcmp(s, "today") == 0) {
        *out_ns = local_midnight(now_ns, 0);
        return 0;
    }
    if (strcmp(s, "yesterday") == 0) {
        *out_ns = local_midnight(now_ns, 1);
        return 0;
    }
    if (strlen(s) >= 10 && s[4] == '-')
        return parse_absolute(s, out_ns);
    if (ph_duration_parse(s, &d) == 0) {
        *out_ns = now_ns - d;
        return 0;
    }
    return -1;
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
