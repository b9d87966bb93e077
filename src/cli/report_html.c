/*
 * The HTML page of `prochist report` (include/ph_report.h).
 *
 * Format: one UTF-8 HTML5 document, no external resource of any kind
 * (a Content-Security-Policy forbids them: default-src 'none'; the one
 * script runs by a random nonce, so markup smuggled in through a name could
 * not run even if it escaped). Charts are inline SVG drawn here, so the page
 * reads without script and prints; the script only adds the hover.
 *
 * Machine-readable parts, for tests and anyone scripting over a report:
 * - <script type="application/json" id="ph-summary">: the window (since,
 *   until ISO UTC, samples, covered_s), "by" (what a row is: app, or with
 *   report --by, unit, slice, container or cgroup) and "rows": every app
 *   (group) of the window
 *   with cpu_ns, cpu_s, mem_peak_bytes, disk_read_bytes, disk_write_bytes,
 *   energy_nj (null when not measured) - the same numbers as `prochist top
 *   --format json` for the same window.
 * - <script type="application/json" id="ph-data">: "t0"/"t1" (ms since the
 *   epoch) and "samples"/"covered_ns" per point; "charts": per chart its id,
 *   unit, "bands" (app, colour, "v": values per point in base units: ns,
 *   bytes, nJ; null in a gap), "other" and "total" the same way (bands +
 *   other = total at every point); "top": per point the top processes as
 *   [name, pid (-1: an app), cpu_ns, mem_bytes].
 * - Each drawn band is an SVG path with data-chart, data-app, data-i0 and
 *   data-i1 (the run of points it covers: never across a gap); each gap a
 *   rect.gap with data-i0/data-i1.
 * Names are cleaned (ph_report_clean_name) and escaped for where they go:
 * HTML text and attributes (& < > " '), JSON inside <script> (also < > & as
 * \u escapes, U+2028/U+2029).
 */
#include "ph_format.h"
#include "ph_report.h"
#include "ph_time.h"
#include "ph_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


/* ---- names ---- */

static void put_utf8(char **o, char *end, unsigned cp)
{
    char b[4];
    int n;
    if (cp < 0x80)
        b[0] = (char)cp, n = 1;
    else if (cp < 0x800)
        b[0] = (char)(0xC0 | (cp >> 6)), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    else if (cp < 0x10000)
        b[0] = (char)(0xE0 | (cp >> 12)), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[2] = (char)(0x80 | (cp & 0x3F)),
        n = 3;
    else
        b[0] = (char)(0xF0 | (cp >> 18)), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    if (end - *o > n) {
        memcpy(*o, b, (size_t)n);
        *o += n;
    }
}

static int is_bidi_control(unsigned cp)
{
    return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200E || cp == 0x200F ||
           cp == 0x061C;
}

void ph_report_clean_name(const char *in, char *out, size_t len)
{
    const unsigned char *p = (const unsigned char *)in;
    char *o = out, *end = out + len - 1;
    while (*p && o < end) {
        unsigned cp;
        int n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
        cp = n == 1 ? *p : n == 2 ? (*p & 0x1Fu) : n == 3 ? (*p & 0x0Fu) : (*p & 0x07u);
        int ok = n > 0;
        for (int i = 1; ok && i < n; i++) {
            ok = (p[i] & 0xC0) == 0x80;
            cp = (cp << 6) | (p[i] & 0x3Fu);
        }
        /* Overlong forms, surrogates and past U+10FFFF are not UTF-8. */
        if (ok && ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
                   (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF))
            ok = 0;
        if (!ok) {
            put_utf8(&o, end, 0xFFFD);
            p++;
            continue;
        }
        p += n;
        if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) || cp == 0x2028 || cp == 0x2029)
            put_utf8(&o, end, 0xFFFD);
        else if (is_bidi_control(cp)) {
            char t[16];
            snprintf(t, sizeof t, "[U+%04X]", cp);
            if ((size_t)(end - o) > strlen(t)) {
                memcpy(o, t, strlen(t));
                o += strlen(t);
            }
        } else
            put_utf8(&o, end, cp);
    }
    *o = '\0';
}

/* HTML text or attribute value. */
static void html(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* A JSON string safe inside <script>: no "</script", "<!--", U+2028/9. */
static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&' || *p == '\'')
            fprintf(f, "\\u%04x", *p);
        else if (p[0] == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
            fprintf(f, "\\u%04x", p[2] == 0xA8 ? 0x2028 : 0x2029);
            p += 2;
        } else
            fputc(*p, f);
    }
    fputc('"', f);
}

static void json_i64(FILE *f, int64_t v)
{
    if (v < 0)
        fputs("null", f);
    else
        fprintf(f, "%lld", (long long)v);
}

/* ---- the charts ---- */

static const char *const chart_id[PH_REP_NCHART] = {"cpu", "mem", "read", "write", "energy"};
static const char *const chart_title[PH_REP_NCHART] = {
    "CPU", "Memory", "Disk read", "Disk write", "Energy"};
static const char *const chart_unit[PH_REP_NCHART] = {
    "% of one core, average over each interval", NULL /* mem_unit in chart() */,
    "bytes per second", "bytes per second", "watts (measured, else estimated)"};

/* What a row is (include/ph_report.h: key): "app", or a cgroup key. */
static const char *key_noun(const ph_report *r)
{
    return r->key ? r->key : "app";
}

/* The same as a column head: "App", "Unit", ... */
static void key_head(const ph_report *r, char *buf, size_t len)
{
    snprintf(buf, len, "%s", key_noun(r));
    if (buf[0] >= 'a' && buf[0] <= 'z')
        buf[0] = (char)(buf[0] - 'a' + 'A');
}

/* A row's name as the page shows it: a group's "-" (its processes had no
 * cgroup, or none of this key) says so; ph-summary keeps "-", as top. */
static const char *row_name(const ph_report *r, const ph_rep_app *a)
{
    static char buf[64];
    if (!r->key || strcmp(a->name, "-") != 0)
        return a->name;
    snprintf(buf, sizeof buf, "(no %s)", r->key);
    return buf;
}

/* Okabe-Ito and Tableau hues that stay apart in light and dark. */
static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#b07aa1", "#76b7b2",
                                      "#edc948", "#9c755f", "#ff9da7", "#2f6f9f", "#8cd17d", "#d37295"};
#define OTHER_COLOUR "#a0a4ab"

static void colour_of(int idx, char *buf, size_t len)
{
    if (idx < 0)
        snprintf(buf, len, OTHER_COLOUR);
    else if ((size_t)idx < PH_ARRAY_LEN(palette))
        snprintf(buf, len, "%s", palette[idx]);
    else /* golden-angle hues past the palette */
        snprintf(buf, len, "hsl(%d,55%%,55%%)", (int)((idx * 137.508)) % 360);
}

static int rate_chart(int c)
{
    return c != PH_REP_MEM;
}

/* The value drawn for a point: a rate for counters, bytes for memory; < 0 in a gap. */
static double shown(const ph_report *r, int c, size_t p, int64_t v)
{
    const ph_rep_point *pt = &r->pts[p];
    if (v < 0 || pt->samples == 0 || r->total[p * PH_REP_NCHART + c] < 0)
        return -1;
    if (!rate_chart(c))
        return (double)v;
    if (pt->covered_ns <= 0)
        return -1;
    switch (c) {
    case PH_REP_CPU: return (double)v * 100.0 / (double)pt->covered_ns;
    case PH_REP_ENERGY: return (double)v / (double)pt->covered_ns;
    default: return (double)v * 1e9 / (double)pt->covered_ns;
    }
}

static int is_gap(const ph_report *r, int c, size_t p)
{
    return shown(r, c, p, r->total[p * PH_REP_NCHART + c]) < 0;
}

static void fmt_axis(int c, double v, char *buf, size_t len)
{
    if (c == PH_REP_CPU)
        snprintf(buf, len, "%g%%", v);
    else if (c == PH_REP_ENERGY)
        snprintf(buf, len, "%g W", v);
    else {
        ph_fmt_bytes((int64_t)v, buf, len);
        if (rate_chart(c))
            strncat(buf, "/s", len - strlen(buf) - 1);
    }
}

static double nice_step(double v)
{
    if (v <= 0)
        return 1;
    double m = 1;
    while (m * 10 <= v)
        m *= 10;
    while (m > v)
        m /= 10;
    /* 1, 2, 2.5, 5 alone left up to half the plot empty (a stack of
     * 213.5% on 2 CPUs got a 400% axis); these keep the top within 1.5
     * times the largest stack (240% there) with labels still round. */
    static const double steps[] = {1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10};
    for (size_t i = 0; i < PH_ARRAY_LEN(steps); i++)
        if (m * steps[i] >= v)
            return m * steps[i];
    return m * 10;
}

/* Chart geometry, in SVG user units. */
#define CW 960.0
#define CH 220.0
#define CL 64.0
#define CR 8.0
#define CT 10.0
#define CB 24.0

static double xpos(const ph_report *r, int64_t t)
{
    return CL + (double)(t - r->since) / (double)(r->until - r->since) * (CW - CL - CR);
}

static void time_label(const ph_report *r, int64_t ns, char *buf, size_t len)
{
    time_t t = (time_t)(ns / PH_NS_PER_SEC);
    struct tm tm;
    if (r->utc)
        gmtime_r(&t, &tm);
    else
        localtime_r(&t, &tm);
    int64_t span = r->until - r->since;
    const char *f = span <= 86400 * PH_NS_PER_SEC       ? "%H:%M"
                    : span <= 3 * 86400 * PH_NS_PER_SEC ? "%a %H:%M"
                    : span <= 8 * 86400 * PH_NS_PER_SEC ? "%a %d"
                                              : "%b %d";
    strftime(buf, len, f, &tm);
}

/* How far local time is ahead of UTC at the window's start (0 with --utc),
 * so ticks fall on local hours and midnights. */
static int64_t tz_offset_ns(const ph_report *r)
{
    if (r->utc)
        return 0;
    time_t t = (time_t)(r->since / PH_NS_PER_SEC);
    struct tm l, u;
    localtime_r(&t, &l);
    gmtime_r(&t, &u);
    int64_t d = (int64_t)(l.tm_hour - u.tm_hour) * 3600 + (int64_t)(l.tm_min - u.tm_min) * 60;
    if (l.tm_yday != u.tm_yday)
        d += (l.tm_year > u.tm_year || (l.tm_year == u.tm_year && l.tm_yday > u.tm_yday)) ? 86400 : -86400;
    return d * PH_NS_PER_SEC;
}

/* Time ticks on round local (or UTC) times, at most about eight. */
static void time_ticks(FILE *f, const ph_report *r)
{
    double ph = CH - CT - CB;
    static const int64_t steps_s[] = {60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400,
                                      2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400, 91 * 86400};
    int64_t span = r->until - r->since, step = steps_s[PH_ARRAY_LEN(steps_s) - 1] * PH_NS_PER_SEC;
    for (size_t i = 0; i < PH_ARRAY_LEN(steps_s); i++)
        if (span / (steps_s[i] * PH_NS_PER_SEC) <= 8) {
            step = steps_s[i] * PH_NS_PER_SEC;
            break;
        }
    int64_t off = tz_offset_ns(r);
    for (int64_t t = r->since + off - (r->since + off) % step - off; t <= r->until; t += step) {
        if (t < r->since)
            continue;
        char lab[32];
        time_label(r, t, lab, sizeof lab);
        double x = xpos(r, t);
        fprintf(f, "<line class=\"tick\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%g\" y2=\"%g\"/>"
                   "<text class=\"ax\" x=\"%.1f\" y=\"%g\" text-anchor=\"%s\">%s</text>\n",
                x, x, CT + ph, CT + ph + 4, x, CH - 6, x < CL + 30 ? "start" : x > CW - 40 ? "end" : "middle", lab);
    }
}

static void chart(FILE *f, const ph_report *r, int c)
{
    double max = 0;
    double *base = ph_xcalloc(r->npts + 1, sizeof *base);
    for (size_t p = 0; p < r->npts; p++) {
        double v = shown(r, c, p, r->total[p * PH_REP_NCHART + c]);
        if (v > max)
            max = v;
    }
    /* Four grid steps of a round size (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8
     * x 10^k; bytes in KiB/MiB/GiB), the top one just above the largest
     * stack. */
    double u = 1;
    if (c == PH_REP_MEM || c == PH_REP_READ || c == PH_REP_WRITE)
        while (max / u >= 1024)
            u *= 1024;
    max = nice_step(max / 4 / u) * u * 4;
    double ph = CH - CT - CB;
    char mem_unit[96];
    snprintf(mem_unit, sizeof mem_unit, "each %s's peak in each interval, stacked", key_noun(r));
    fprintf(f, "<section class=\"chart\" id=\"chart-%s\"><h2>%s <small>%s</small></h2>\n", chart_id[c],
            chart_title[c], c == PH_REP_MEM ? mem_unit : chart_unit[c]);
    fprintf(f, "<svg class=\"plot\" data-chart=\"%s\" data-max=\"%g\" viewBox=\"0 0 %g %g\" role=\"img\" "
               "aria-label=\"%s over time\">\n", chart_id[c], max, CW, CH, chart_title[c]);
    /* Grid and the y axis. */
    for (int k = 0; k <= 4; k++) {
        double y = CT + ph - ph * k / 4.0;
        char lab[32];
        fmt_axis(c, max * k / 4.0, lab, sizeof lab);
        fprintf(f, "<line class=\"grid\" x1=\"%g\" x2=\"%g\" y1=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"ax\" x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                CL, CW - CR, y, y, CL - 6, y + 4, lab);
    }
    time_ticks(f, r);
    /* Gaps: hatched, empty. */
    for (size_t p = 0; p < r->npts;) {
        if (!is_gap(r, c, p)) {
            p++;
            continue;
        }
        size_t q = p;
        while (q + 1 < r->npts && is_gap(r, c, q + 1))
            q++;
        double x0 = xpos(r, r->pts[p].t0), x1 = xpos(r, r->pts[q].t1);
        fprintf(f, "<rect class=\"gap\" data-i0=\"%zu\" data-i1=\"%zu\" x=\"%.1f\" y=\"%g\" width=\"%.1f\" "
                   "height=\"%g\"/>\n", p, q, x0, CT, x1 - x0 > 0.5 ? x1 - x0 : 0.5, ph);
        if (x1 - x0 > 60)
            fprintf(f, "<text class=\"gaplab\" x=\"%.1f\" y=\"%g\" text-anchor=\"middle\">no data</text>\n",
                    (x0 + x1) / 2, CT + ph / 2);
        p = q + 1;
    }
    /* Bands bottom-up (largest first), then "other" on top; each a step
     * area over one run of points, so a gap is never bridged. */
    for (int k = 0; k <= PH_REP_BANDS; k++) {
        int ai = k < PH_REP_BANDS ? r->band[c][k] : -1;
        if (k < PH_REP_BANDS && ai < 0)
            continue;
        char col[32];
        colour_of(ai >= 0 ? r->apps[ai].colour : -1, col, sizeof col);
        for (size_t p = 0; p < r->npts;) {
            if (is_gap(r, c, p)) {
                p++;
                continue;
            }
            size_t q = p;
            while (q + 1 < r->npts && !is_gap(r, c, q + 1))
                q++;
            fprintf(f, "<path class=\"band\" data-chart=\"%s\" data-app=\"", chart_id[c]);
            if (ai >= 0)
                html(f, row_name(r, &r->apps[ai]));
            else
                fputs("(other)", f);
            fprintf(f, "\" data-i0=\"%zu\" data-i1=\"%zu\" fill=\"%s\" d=\"", p, q, col);
            double *top = ph_xmalloc((q - p + 1) * sizeof *top);
            for (size_t i = p; i <= q; i++) {
                int64_t v;
                if (ai >= 0)
                    v = r->apps[ai].series[i * PH_REP_NCHART + c];
                else { /* other = total - the bands */
                    v = r->total[i * PH_REP_NCHART + c];
                    for (int j = 0; j < PH_REP_BANDS; j++)
                        if (r->band[c][j] >= 0 && r->apps[r->band[c][j]].series[i * PH_REP_NCHART + c] > 0)
                            v -= r->apps[r->band[c][j]].series[i * PH_REP_NCHART + c];
                }
                double s = shown(r, c, i, v < 0 ? 0 : v);
                top[i - p] = base[i] + (s > 0 ? s : 0);
                double x0 = xpos(r, r->pts[i].t0), x1 = xpos(r, r->pts[i].t1);
                double y = CT + ph - ph * (top[i - p] / max);
                fprintf(f, "%s%.1f %.1fH%.1f", i == p ? "M" : "L", x0, y, x1);
            }
            for (size_t i = q + 1; i-- > p;) {
                double x0 = xpos(r, r->pts[i].t0), x1 = xpos(r, r->pts[i].t1);
                double y = CT + ph - ph * (base[i] / max);
                fprintf(f, "L%.1f %.1fH%.1f", x1, y, x0);
            }
            fputs("Z\"/>\n", f);
            for (size_t i = p; i <= q; i++)
                base[i] = top[i - p];
            free(top);
            p = q + 1;
        }
    }
    fprintf(f, "<line class=\"cursor\" x1=\"0\" x2=\"0\" y1=\"%g\" y2=\"%g\" visibility=\"hidden\"/>\n", CT, CT + ph);
    fprintf(f, "<rect class=\"hit\" x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\"/>\n</svg>\n", CL, CT,
            CW - CL - CR, ph);
    /* The legend of this chart. */
    fputs("<ul class=\"legend\">", f);
    for (int k = 0; k < PH_REP_BANDS; k++) {
        int ai = r->band[c][k];
        if (ai < 0)
            continue;
        char col[32];
        colour_of(r->apps[ai].colour, col, sizeof col);
        fprintf(f, "<li><i style=\"background:%s\"></i>", col);
        html(f, row_name(r, &r->apps[ai]));
        fputs("</li>", f);
    }
    fputs("<li><i style=\"background:" OTHER_COLOUR "\"></i>other</li></ul>\n</section>\n", f);
    free(base);
}

/* ---- system lines: power per domain, GPU busy ---- */

/* Order of enum ph_power_domain. */
static const char *const domain_name[PH_PWR_DOMAINS] = {"package", "core", "uncore", "dram", "psys", "gpu", "ane"};
/* Fixed per domain, apart from the app palette's first hues. */
static const char *const domain_colour[PH_PWR_DOMAINS] = {"#1f3a93", "#e8590c", "#2b8a3e", "#862e9c",
                                                           "#495057", "#c92a2a", "#0b7285"};
enum { SYS_POWER, SYS_GPU, SYS_NCHART };
static const char *const sys_id[SYS_NCHART] = {"power", "gpu"};

static int sys_lines(const ph_report *r, int k)
{
    int n = 0;
    if (k == SYS_GPU)
        return r->has_gpu_busy;
    for (int d = 0; d < PH_PWR_DOMAINS; d++)
        n += r->has_domain[d];
    return n;
}

/* A line's value at a point: watts (the domain's energy over the point's
 * covered time) or GPU busy % (busy over the time a gauge was read); < 0
 * where the point has no samples or the source had no reading. */
static double sys_value(const ph_report *r, int k, int line, size_t p)
{
    const ph_rep_point *pt = &r->pts[p];
    const ph_sys *sv = &r->sys[p];
    if (pt->samples <= 0)
        return -1;
    if (k == SYS_GPU)
        return sv->gpu_busy_ns >= 0 && sv->gpu_covered_ns > 0 ? 100.0 * (double)sv->gpu_busy_ns / (double)sv->gpu_covered_ns
                                                               : -1;
    if (sv->energy_nj[line] < 0 || pt->covered_ns <= 0)
        return -1;
    return (double)sv->energy_nj[line] / (double)pt->covered_ns;
}

static int sys_has_line(const ph_report *r, int k, int line)
{
    return k == SYS_GPU ? line == 0 && r->has_gpu_busy : r->has_domain[line];
}

static void sys_chart(FILE *f, const ph_report *r, int k)
{
    int nl = k == SYS_GPU ? 1 : PH_PWR_DOMAINS;
    double max = 0;
    for (int l = 0; l < nl; l++)
        for (size_t p = 0; p < r->npts && sys_has_line(r, k, l); p++)
            if (sys_value(r, k, l, p) > max)
                max = sys_value(r, k, l, p);
    max = k == SYS_GPU ? 100 : nice_step(max / 4) * 4;
    double ph = CH - CT - CB;
    fprintf(f, "<section class=\"chart\" id=\"chart-%s\"><h2>%s <small>%s</small></h2>\n", sys_id[k],
            k == SYS_GPU ? "GPU busy" : "System power",
            k == SYS_GPU ? "% of the time the GPU was busy, over each interval"
                         : "watts per power domain, average over each interval (domains overlap: core is part of package)");
    fprintf(f, "<svg class=\"plot\" data-chart=\"%s\" data-kind=\"lines\" data-max=\"%g\" viewBox=\"0 0 %g %g\" "
               "role=\"img\" aria-label=\"%s over time\">\n", sys_id[k], max, CW, CH,
            k == SYS_GPU ? "GPU busy" : "System power");
    for (int g = 0; g <= 4; g++) {
        double y = CT + ph - ph * g / 4.0;
        fprintf(f, "<line class=\"grid\" x1=\"%g\" x2=\"%g\" y1=\"%.1f\" y2=\"%.1f\"/>"
                   "<text class=\"ax\" x=\"%g\" y=\"%.1f\" text-anchor=\"end\">%g%s</text>\n",
                CL, CW - CR, y, y, CL - 6, y + 4, max * g / 4.0, k == SYS_GPU ? "%" : " W");
    }
    time_ticks(f, r);
    /* Gaps: points without samples, hatched as in the stacked charts. */
    for (size_t p = 0; p < r->npts;) {
        if (r->pts[p].samples > 0) {
            p++;
            continue;
        }
        size_t q = p;
        while (q + 1 < r->npts && r->pts[q + 1].samples == 0)
            q++;
        double x0 = xpos(r, r->pts[p].t0), x1 = xpos(r, r->pts[q].t1);
        fprintf(f, "<rect class=\"gap\" data-i0=\"%zu\" data-i1=\"%zu\" x=\"%.1f\" y=\"%g\" width=\"%.1f\" "
                   "height=\"%g\"/>\n", p, q, x0, CT, x1 - x0 > 0.5 ? x1 - x0 : 0.5, ph);
        p = q + 1;
    }
    /* One step line per domain and run of points with a value. */
    for (int l = 0; l < nl; l++) {
        if (!sys_has_line(r, k, l))
            continue;
        const char *name = k == SYS_GPU ? "busy" : domain_name[l];
        const char *col = k == SYS_GPU ? domain_colour[PH_PWR_GPU] : domain_colour[l];
        for (size_t p = 0; p < r->npts;) {
            if (sys_value(r, k, l, p) < 0) {
                p++;
                continue;
            }
            size_t q = p;
            while (q + 1 < r->npts && sys_value(r, k, l, q + 1) >= 0)
                q++;
            fprintf(f, "<path class=\"line\" data-chart=\"%s\" data-line=\"%s\" data-i0=\"%zu\" data-i1=\"%zu\" "
                       "stroke=\"%s\" d=\"", sys_id[k], name, p, q, col);
            for (size_t i = p; i <= q; i++) {
                double y = CT + ph - ph * (sys_value(r, k, l, i) / max);
                fprintf(f, "%s%.1f %.1fH%.1f", i == p ? "M" : "L", xpos(r, r->pts[i].t0), y, xpos(r, r->pts[i].t1));
            }
            fputs("\"/>\n", f);
            p = q + 1;
        }
    }
    fprintf(f, "<line class=\"cursor\" x1=\"0\" x2=\"0\" y1=\"%g\" y2=\"%g\" visibility=\"hidden\"/>\n", CT, CT + ph);
    fprintf(f, "<rect class=\"hit\" x=\"%g\" y=\"%g\" width=\"%g\" height=\"%g\"/>\n</svg>\n", CL, CT,
            CW - CL - CR, ph);
    fprintf(f, "<ul class=\"legend\" id=\"legend-%s\">", sys_id[k]);
    for (int l = 0; l < nl; l++)
        if (sys_has_line(r, k, l))
            fprintf(f, "<li data-line=\"%s\"><i style=\"background:%s\"></i>%s</li>",
                    k == SYS_GPU ? "busy" : domain_name[l], k == SYS_GPU ? domain_colour[PH_PWR_GPU] : domain_colour[l],
                    k == SYS_GPU ? "GPU busy" : domain_name[l]);
    fputs("</ul>\n</section>\n", f);
}

/* ---- tables ---- */

static void sparkline(FILE *f, const ph_report *r, const ph_rep_app *a, int c)
{
    double max = 0;
    for (size_t p = 0; p < r->npts; p++) {
        double v = shown(r, c, p, a->series[p * PH_REP_NCHART + c] < 0 ? 0 : a->series[p * PH_REP_NCHART + c]);
        if (v > max)
            max = v;
    }
    char col[32];
    colour_of(a->colour, col, sizeof col);
    fprintf(f, "<svg class=\"spark\" viewBox=\"0 0 120 24\" preserveAspectRatio=\"none\"><path fill=\"none\" "
               "stroke=\"%s\" stroke-width=\"1.5\" vector-effect=\"non-scaling-stroke\" d=\"", col);
    int pen = 0;
    for (size_t p = 0; p < r->npts; p++) {
        if (is_gap(r, c, p)) {
            pen = 0;
            continue;
        }
        int64_t raw = a->series[p * PH_REP_NCHART + c];
        double v = shown(r, c, p, raw < 0 ? 0 : raw);
        double x = 120.0 * ((double)p + 0.5) / (double)r->npts;
        double y = 23 - (max > 0 ? 22.0 * v / max : 0);
        fprintf(f, "%s%.1f %.1f", pen ? "L" : "M", x, y);
        if (!pen && (p + 1 >= r->npts || is_gap(r, c, p + 1)))
            fprintf(f, "h0.8"); /* a lone point still shows */
        pen = 1;
    }
    fputs("\"/></svg>", f);
}

static void fmt_total(int c, int64_t v, char *buf, size_t len)
{
    if (c == PH_REP_CPU)
        ph_fmt_duration(v, buf, len);
    else if (c == PH_REP_ENERGY)
        ph_fmt_energy(v, buf, len);
    else
        ph_fmt_bytes(v, buf, len);
}

static void swatch(FILE *f, const ph_rep_app *a)
{
    char col[32];
    colour_of(a->colour, col, sizeof col);
    fprintf(f, "<i class=\"sw\" style=\"background:%s\"></i>", col);
}

/* A table row's start: the group's colour and name, escaped. */
static void name_row(FILE *f, const ph_report *r, const ph_rep_app *a)
{
    fputs("<tr><td class=\"app\">", f);
    swatch(f, a);
    fputs("<span>", f);
    html(f, row_name(r, a));
    fputs("</span></td>", f);
}

/* The apps with the largest non-zero total of chart c, largest first, at
 * most PH_REP_ROWS of them, into order; returns how many. */
static int top_apps(const ph_report *r, int c, int order[PH_REP_ROWS])
{
    int n = 0;
    for (int k = 0; k < PH_REP_ROWS; k++) {
        int best = -1;
        for (size_t i = 0; i < r->napps; i++) {
            int taken = 0;
            for (int j = 0; j < n; j++)
                taken |= order[j] == (int)i;
            if (!taken && r->apps[i].total[c] > 0 && (best < 0 || r->apps[i].total[c] > r->apps[best].total[c]))
                best = (int)i;
        }
        if (best < 0)
            break;
        order[n++] = best;
    }
    return n;
}

static void top_table(FILE *f, const ph_report *r, int c, int *used)
{
    static const char *const what[PH_REP_NCHART] = {"CPU time", "Memory peak", "Read", "Written", "Energy"};
    int order[PH_REP_ROWS], n = top_apps(r, c, order);
    if (!n)
        return;
    *used = 1;
    int64_t all = 0;
    for (size_t i = 0; i < r->napps; i++)
        if (r->apps[i].total[c] > 0 && c != PH_REP_MEM)
            all += r->apps[i].total[c];
    char head[32];
    key_head(r, head, sizeof head);
    fprintf(f, "<div class=\"tbl\"><h3>Top %ss by %s</h3><table class=\"top\" data-chart=\"%s\"><thead><tr>"
               "<th>%s</th><th class=\"n\">%s</th><th class=\"n\">%s</th><th>Over time</th></tr></thead><tbody>\n",
            key_noun(r), c == PH_REP_MEM ? "memory peak" : chart_title[c], chart_id[c], head, what[c],
            c == PH_REP_CPU ? "Avg CPU" : c == PH_REP_MEM ? "Procs" : "Share");
    for (int k = 0; k < n; k++) {
        const ph_rep_app *a = &r->apps[order[k]];
        char v[48], s[48];
        fmt_total(c, a->total[c], v, sizeof v);
        if (c == PH_REP_CPU)
            snprintf(s, sizeof s, "%.1f%%",
                     r->win.covered_ns > 0 ? (double)a->total[c] * 100.0 / (double)r->win.covered_ns : 0.0);
        else if (c == PH_REP_MEM)
            snprintf(s, sizeof s, "%d", a->procs);
        else
            snprintf(s, sizeof s, "%.1f%%", all > 0 ? (double)a->total[c] * 100.0 / (double)all : 0.0);
        name_row(f, r, a);
        fprintf(f, "<td class=\"n\" data-v=\"%lld\">%s</td><td class=\"n\">%s</td><td>",
                (long long)a->total[c], v, s);
        sparkline(f, r, a, c);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
}

static void peaks_table(FILE *f, const ph_report *r)
{
    int order[PH_REP_ROWS], n = top_apps(r, PH_REP_MEM, order);
    if (!n)
        return;
    char head[32];
    key_head(r, head, sizeof head);
    /* A group's peak is a moment's, as an app's: its processes' memory
     * added at one time (as top --by gives it). */
    fprintf(f, "<div class=\"tbl\"><h3>%s</h3><table class=\"peaks\"><thead><tr>"
               "<th>%s</th><th class=\"n\">%s</th><th>%s</th><th>%s</th></tr></thead><tbody>\n",
            "Memory peaks: when, and which process", head, "Peak", "When", "Reached by");
    for (int k = 0; k < n; k++) {
        const ph_rep_app *a = &r->apps[order[k]];
        char v[48], t[48];
        ph_fmt_bytes(a->total[PH_REP_MEM], v, sizeof v);
        ph_time_display(a->mem_peak_ns, r->utc, t, sizeof t);
        name_row(f, r, a);
        fprintf(f, "<td class=\"n\" data-v=\"%lld\">%s</td><td class=\"t\">%s</td><td>",
                (long long)a->total[PH_REP_MEM], v, t);
        if (a->peak_pid >= 0) {
            fputs("<span>", f);
            html(f, a->peak_name);
            fprintf(f, "</span> <span class=\"dim\">pid %d</span>", a->peak_pid);
        } else
            fputs("-", f);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div>\n", f);
}

static int64_t abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

static void changed_table(FILE *f, const ph_report *r)
{
    fputs("<section class=\"changed\"><h2>What changed <small>against the previous window of the same "
          "length</small></h2>\n", f);
    if (!r->have_prev) {
        fputs("<p class=\"dim\">No samples in the previous window: nothing to compare with.</p></section>\n", f);
        return;
    }
    int order[PH_REP_ROWS], n = 0;
    for (int k = 0; k < PH_REP_ROWS; k++) {
        int best = -1;
        int64_t bd = 0;
        for (size_t i = 0; i < r->napps; i++) {
            int taken = 0;
            for (int j = 0; j < n; j++)
                taken |= order[j] == (int)i;
            const ph_rep_app *a = &r->apps[i];
            int64_t d = abs64((a->total[PH_REP_CPU] > 0 ? a->total[PH_REP_CPU] : 0) -
                              (a->prev[PH_REP_CPU] > 0 ? a->prev[PH_REP_CPU] : 0));
            if (!taken && d > 0 && (best < 0 || d > bd))
                best = (int)i, bd = d;
        }
        if (best < 0)
            break;
        order[n++] = best;
    }
    char head[32];
    key_head(r, head, sizeof head);
    fprintf(f, "<table class=\"diff\"><thead><tr><th>%s</th><th class=\"n\">CPU before</th><th class=\"n\">CPU now</th>"
               "<th class=\"n\">Change</th><th class=\"n\">Mem peak before</th><th class=\"n\">Mem peak now</th></tr>"
               "</thead><tbody>\n", head);
    for (int k = 0; k < n; k++) {
        const ph_rep_app *a = &r->apps[order[k]];
        char b[48], now[48], d[48], mb[48], mn[48];
        int64_t pv = a->prev[PH_REP_CPU] > 0 ? a->prev[PH_REP_CPU] : 0;
        int64_t nv = a->total[PH_REP_CPU] > 0 ? a->total[PH_REP_CPU] : 0;
        ph_fmt_duration(pv, b, sizeof b);
        ph_fmt_duration(nv, now, sizeof now);
        ph_fmt_duration(abs64(nv - pv), d, sizeof d);
        ph_fmt_bytes(a->prev[PH_REP_MEM], mb, sizeof mb);
        ph_fmt_bytes(a->total[PH_REP_MEM], mn, sizeof mn);
        fputs("<tr><td class=\"app\">", f);
        swatch(f, a);
        fputs("<span>", f);
        html(f, row_name(r, a));
        fprintf(f, "</span>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n %s\">%s%s</td>"
                   "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
                a->prev[PH_REP_CPU] < 0 && a->prev[PH_REP_MEM] < 0 ? " <span class=\"dim\">new</span>" : "", b, now,
                nv >= pv ? "up" : "down", nv >= pv ? "+" : "\xe2\x88\x92", d, mb, mn);
    }
    fputs("</tbody></table></section>\n", f);
}

/* ---- the embedded data ---- */

static void data_json(FILE *f, const ph_report *r)
{
    fputs("{\"t0\":[", f);
    for (size_t p = 0; p < r->npts; p++)
        fprintf(f, "%s%lld", p ? "," : "", (long long)(r->pts[p].t0 / 1000000));
    fputs("],\"t1\":[", f);
    for (size_t p = 0; p < r->npts; p++)
        fprintf(f, "%s%lld", p ? "," : "", (long long)(r->pts[p].t1 / 1000000));
    fputs("],\"samples\":[", f);
    for (size_t p = 0; p < r->npts; p++)
        fprintf(f, "%s%lld", p ? "," : "", (long long)r->pts[p].samples);
    fputs("],\"covered_ns\":[", f);
    for (size_t p = 0; p < r->npts; p++)
        fprintf(f, "%s%lld", p ? "," : "", (long long)r->pts[p].covered_ns);
    fprintf(f, "],\"utc\":%s,\"procs\":%s,\"charts\":[", r->utc ? "true" : "false",
            r->procs_per_point ? "true" : "false");
    int first = 1;
    for (int c = 0; c < PH_REP_NCHART; c++) {
        if (!r->has[c])
            continue;
        fprintf(f, "%s{\"id\":\"%s\",\"title\":\"%s\",\"bands\":[", first ? "" : ",", chart_id[c], chart_title[c]);
        first = 0;
        int fb = 1;
        for (int k = 0; k < PH_REP_BANDS; k++) {
            int ai = r->band[c][k];
            if (ai < 0)
                continue;
            char col[32];
            colour_of(r->apps[ai].colour, col, sizeof col);
            fputs(fb ? "{\"app\":" : ",{\"app\":", f);
            fb = 0;
            json_str(f, row_name(r, &r->apps[ai]));
            fprintf(f, ",\"colour\":\"%s\",\"v\":[", col);
            for (size_t p = 0; p < r->npts; p++) {
                int64_t v = r->apps[ai].series[p * PH_REP_NCHART + c];
                if (p)
                    fputc(',', f);
                json_i64(f, is_gap(r, c, p) ? -1 : v < 0 ? 0 : v);
            }
            fputs("]}", f);
        }
        fputs("],\"other\":[", f);
        for (size_t p = 0; p < r->npts; p++) {
            int64_t v = r->total[p * PH_REP_NCHART + c];
            for (int j = 0; j < PH_REP_BANDS; j++)
                if (r->band[c][j] >= 0 && r->apps[r->band[c][j]].series[p * PH_REP_NCHART + c] > 0)
                    v -= r->apps[r->band[c][j]].series[p * PH_REP_NCHART + c];
            if (p)
                fputc(',', f);
            json_i64(f, is_gap(r, c, p) ? -1 : v < 0 ? 0 : v);
        }
        fputs("],\"total\":[", f);
        for (size_t p = 0; p < r->npts; p++) {
            if (p)
                fputc(',', f);
            json_i64(f, is_gap(r, c, p) ? -1 : r->total[p * PH_REP_NCHART + c]);
        }
        fputs("]}", f);
    }
    /* The system lines as drawn: W or %, null where the point has none. */
    fputs("],\"system\":{", f);
    int fs = 1;
    for (int k = 0; k < SYS_NCHART; k++) {
        if (!sys_lines(r, k))
            continue;
        fprintf(f, "%s\"%s\":{\"unit\":\"%s\",\"lines\":[", fs ? "" : ",", sys_id[k], k == SYS_GPU ? "%" : "W");
        fs = 0;
        int fl = 1;
        for (int l = 0; l < (k == SYS_GPU ? 1 : PH_PWR_DOMAINS); l++) {
            if (!sys_has_line(r, k, l))
                continue;
            fprintf(f, "%s{\"name\":\"%s\",\"colour\":\"%s\",\"v\":[", fl ? "" : ",",
                    k == SYS_GPU ? "busy" : domain_name[l], k == SYS_GPU ? domain_colour[PH_PWR_GPU] : domain_colour[l]);
            fl = 0;
            for (size_t p = 0; p < r->npts; p++) {
                double v = sys_value(r, k, l, p);
                if (p)
                    fputc(',', f);
                if (v < 0)
                    fputs("null", f);
                else
                    fprintf(f, "%.9g", v);
            }
            fputs("]}", f);
        }
        fputs("]}", f);
    }
    fputs("},\"top\":[", f);
    for (size_t p = 0; p < r->npts; p++) {
        fputs(p ? ",[" : "[", f);
        for (int k = 0; k < r->pts[p].ntop; k++) {
            const ph_rep_proc *t = &r->pts[p].top[k];
            fputs(k ? ",[" : "[", f);
            json_str(f, t->name);
            fprintf(f, ",%d,", t->pid);
            json_i64(f, t->cpu_ns);
            fputc(',', f);
            json_i64(f, t->mem);
            fputc(']', f);
        }
        fputc(']', f);
    }
    fputs("]}", f);
}

static void summary_json(FILE *f, const ph_report *r)
{
    char a[40], b[40];
    ph_time_iso_utc(r->since, a, sizeof a);
    ph_time_iso_utc(r->until, b, sizeof b);
    fprintf(f, "{\"since\":\"%s\",\"until\":\"%s\",\"samples\":%lld,\"covered_s\":%.9g,\"points\":%zu,"
               "\"point_s\":%lld,\"by\":\"%s\",\"rows\":[", a, b, (long long)r->win.samples,
            (double)r->win.covered_ns / 1e9, r->npts, (long long)(r->width / PH_NS_PER_SEC), key_noun(r));
    for (size_t i = 0; i < r->napps; i++) {
        const ph_rep_app *x = &r->apps[i];
        fputs(i ? ",{\"name\":" : "{\"name\":", f);
        json_str(f, x->name);
        fputs(",\"cpu_ns\":", f);
        json_i64(f, x->total[PH_REP_CPU]);
        if (x->total[PH_REP_CPU] >= 0)
            fprintf(f, ",\"cpu_s\":%.9f", (double)x->total[PH_REP_CPU] / 1e9);
        fputs(",\"mem_peak_bytes\":", f);
        json_i64(f, x->total[PH_REP_MEM]);
        fputs(",\"disk_read_bytes\":", f);
        json_i64(f, x->total[PH_REP_READ]);
        fputs(",\"disk_write_bytes\":", f);
        json_i64(f, x->total[PH_REP_WRITE]);
        fputs(",\"energy_nj\":", f);
        json_i64(f, x->total[PH_REP_ENERGY]);
        fputc('}', f);
    }
    fputs("]}", f);
}

/* ---- the page ---- */

static const char css[] =
    ":root{--bg:#fbfbfc;--fg:#1d2230;--dim:#667085;--card:#fff;--line:#e3e6eb;--grid:#eceef2;--gap:#f1f2f4;"
    "--up:#c0392b;--down:#2e7d32;color-scheme:light dark}\n"
    "@media (prefers-color-scheme:dark){:root{--bg:#15181e;--fg:#e6e8ec;--dim:#98a1b0;--card:#1d2129;"
    "--line:#2c313b;--grid:#262b34;--gap:#1a1d23;--up:#ff8a80;--down:#81c784}}\n"
    "*{box-sizing:border-box}body{margin:0;padding:24px 32px;background:var(--bg);color:var(--fg);"
    "font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif}\n"
    "h1{font-size:22px;margin:0 0 2px}h2{font-size:16px;margin:0 0 6px}h2 small,h3 small{font-weight:normal;"
    "color:var(--dim);font-size:13px;margin-left:6px}h3{font-size:14px;margin:0 0 6px}\n"
    ".sub{color:var(--dim);margin:0 0 16px}.dim{color:var(--dim)}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:10px;margin-bottom:18px}\n"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:8px 12px}\n"
    ".card strong{display:block;font-size:18px;font-weight:600;overflow-wrap:anywhere}.card span{color:var(--dim);"
    "font-size:12px;text-transform:uppercase;letter-spacing:.04em}\n"
    "section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px;"
    "margin-bottom:16px;break-inside:avoid}\n"
    "svg.plot{width:100%;height:auto;display:block;font-size:11px}\n"
    ".grid{stroke:var(--grid);stroke-width:1}.tick{stroke:var(--dim)}.ax{fill:var(--dim);font-size:11px}\n"
    ".gap{fill:var(--gap);stroke:none}.gaplab{fill:var(--dim);font-size:11px;font-style:italic}\n"
    ".band{stroke:var(--card);stroke-width:.3}.cursor{stroke:var(--fg);stroke-width:1;stroke-dasharray:3 3}\n"
    ".hit{fill:transparent;cursor:crosshair}.line{fill:none;stroke-width:1.6;stroke-linejoin:round}\n"
    ".legend{list-style:none;padding:0;margin:6px 0 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}\n"
    ".legend i,.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:5px;"
    "vertical-align:-1px}\n"
    ".tables{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:16px}\n"
    ".tbl{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:12px 16px;"
    "break-inside:avoid}\n"
    /* A size or a time is one unit: "22.0 MiB" never breaks before its
     * unit, nor a timestamp between its date and time. */
    "table{border-collapse:collapse;width:100%;font-size:13px}th{text-align:left;color:var(--dim);"
    "font-weight:500;border-bottom:1px solid var(--line);padding:3px 6px}td{padding:3px 6px;"
    "border-bottom:1px solid var(--grid)}.n{text-align:right;font-variant-numeric:tabular-nums;"
    "white-space:nowrap}.t{white-space:nowrap}\n"
    "td.app span{overflow-wrap:anywhere;unicode-bidi:isolate}.up{color:var(--up)}.down{color:var(--down)}\n"
    "svg.spark{width:120px;height:24px;display:block}\n"
    "#tip{position:fixed;pointer-events:none;background:var(--card);color:var(--fg);border:1px solid var(--line);"
    "border-radius:6px;padding:8px 10px;font-size:12px;box-shadow:0 4px 14px rgba(0,0,0,.18);max-width:360px;"
    "display:none;z-index:9}#tip table{font-size:12px}#tip td{border:0;padding:1px 4px}#tip .h{font-weight:600;"
    "margin-bottom:4px}\n"
    ".empty{font-size:16px;padding:24px}.headline{font-size:15px;margin:0 0 16px}.headline .nm{unicode-bidi:isolate}"
    ".warn{color:var(--up)}\n"
    "@media print{body{background:#fff;color:#000;padding:0}section,.tbl,.card{border-color:#ccc}#tip{display:none}"
    ".band{stroke:#fff}}\n";

/* The hover: reads the JSON, writes with textContent only (never HTML). */
static const char js[] =
    "(function(){\n"
    "var D=JSON.parse(document.getElementById('ph-data').textContent);\n"
    "var tip=document.getElementById('tip');\n"
    "function el(t,c,x){var e=document.createElement(t);if(c)e.className=c;if(x!=null)e.textContent=x;return e;}\n"
    "function bytes(v){var u=['B','KiB','MiB','GiB','TiB'],i=0;while(v>=1024&&i<4){v/=1024;i++;}"
    "return (i?v.toFixed(1):v.toFixed(0))+' '+u[i];}\n"
    "function fmt(id,v,cov){if(v==null)return '-';if(id==='cpu')return (v*100/cov).toFixed(1)+'%';"
    "if(id==='mem')return bytes(v);if(id==='energy')return (v/cov).toFixed(2)+' W';return bytes(v*1e9/cov)+'/s';}\n"
    "function when(i){var o={month:'short',day:'numeric',hour:'2-digit',minute:'2-digit',second:'2-digit'};"
    "if(D.utc)o.timeZone='UTC';var f=new Intl.DateTimeFormat(undefined,o);"
    "return f.format(new Date(D.t0[i]))+' \\u2013 '+f.format(new Date(D.t1[i]));}\n"
    "function pct(x){return (x>0&&x<0.1?x.toPrecision(2):x.toFixed(1))+'%';}\n"
    "function procs(i,cov){var P=D.top[i];if(!P.length)return;tip.appendChild(el('div','h',D.procs?"
    "'Top processes at that moment':'Top apps at that moment'));var t2=el('table');P.forEach(function(p){"
    "var tr=el('tr');tr.appendChild(el('td','',p[0]+(p[1]>=0?' ('+p[1]+')':'')));"
    "tr.appendChild(el('td','n',p[2]==null?'-':pct(p[2]*100/cov)));"
    "tr.appendChild(el('td','n',p[3]==null?'-':bytes(p[3])));t2.appendChild(tr);});tip.appendChild(t2);}\n"
    "function show(ev,svg,i){var id=svg.getAttribute('data-chart');var C=null;var S=D.system[id];"
    "for(var k=0;k<D.charts.length;k++)if(D.charts[k].id===id)C=D.charts[k];if(!C&&!S)return;\n"
    "tip.textContent='';tip.appendChild(el('div','h',when(i)));var cov=D.covered_ns[i];\n"
    "if(S){var ts=el('table');S.lines.forEach(function(l){var tr=el('tr');var sw=el('i','sw');"
    "sw.style.background=l.colour;var td=el('td');td.appendChild(sw);td.appendChild(document.createTextNode(l.name));"
    "tr.appendChild(td);tr.appendChild(el('td','n',l.v[i]==null?'no reading':(S.unit==='W'?l.v[i].toFixed(2)+' W':"
    "l.v[i].toFixed(1)+'%')));ts.appendChild(tr);});tip.appendChild(ts);"
    "if(!D.samples[i])tip.appendChild(el('div','dim','no data: the recorder was not sampling'));"
    "else procs(i,cov);}else\n"
    "if(!D.samples[i]||C.total[i]==null){tip.appendChild(el('div','dim','no data: the recorder was not "
    "sampling'));}else{\n"
    "tip.appendChild(el('div','',C.title+': '+fmt(id,C.total[i],cov)));var t=el('table');\n"
    "var rows=C.bands.map(function(b){return [b.app,b.v[i],b.colour];});rows.push(['other',C.other[i],'#a0a4ab']);\n"
    "rows.sort(function(a,b){return (b[1]||0)-(a[1]||0);});rows.forEach(function(r){if(!r[1])return;"
    "var tr=el('tr');var sw=el('i','sw');sw.style.background=r[2];var td=el('td');td.appendChild(sw);"
    "td.appendChild(document.createTextNode(r[0]));tr.appendChild(td);tr.appendChild(el('td','n',fmt(id,r[1],cov)));"
    "t.appendChild(tr);});tip.appendChild(t);\n"
    "procs(i,cov);}\n"
    "tip.style.display='block';var x=ev.clientX+16,y=ev.clientY+12;var w=tip.offsetWidth,h=tip.offsetHeight;"
    "if(x+w>innerWidth-8)x=ev.clientX-w-16;if(y+h>innerHeight-8)y=innerHeight-h-8;"
    "tip.style.left=x+'px';tip.style.top=y+'px';}\n"
    "document.querySelectorAll('svg.plot').forEach(function(svg){var hit=svg.querySelector('.hit');"
    "var cur=svg.querySelector('.cursor');\n"
    "function idx(ev){var pt=svg.createSVGPoint();pt.x=ev.clientX;pt.y=ev.clientY;"
    "var p=pt.matrixTransform(svg.getScreenCTM().inverse());var x0=+hit.getAttribute('x'),"
    "w=+hit.getAttribute('width');var t=D.t0[0]+(p.x-x0)/w*(D.t1[D.t1.length-1]-D.t0[0]);"
    "for(var i=0;i<D.t0.length;i++)if(t<D.t1[i])return [i,p.x];return [D.t0.length-1,p.x];}\n"
    "hit.addEventListener('mousemove',function(ev){var r=idx(ev);cur.setAttribute('x1',r[1]);"
    "cur.setAttribute('x2',r[1]);cur.setAttribute('visibility','visible');show(ev,svg,r[0]);});\n"
    "hit.addEventListener('mouseleave',function(){cur.setAttribute('visibility','hidden');"
    "tip.style.display='none';});});\n"
    "})();\n";

static void nonce(char *buf, size_t len)
{
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    ssize_t n = fd >= 0 ? read(fd, b, sizeof b) : -1;
    if (fd >= 0)
        close(fd);
    if (n != (ssize_t)sizeof b) { /* still unpredictable enough to a name chosen before the report */
        uint64_t x = (uint64_t)ph_now_mono_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)ph_now_wall_ns();
        for (size_t i = 0; i < sizeof b; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            b[i] = (unsigned char)(x >> 56);
        }
    }
    size_t o = 0;
    for (size_t i = 0; i < sizeof b && o + 3 <= len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%02x", b[i]);
}

static void span_text(int64_t ns, char *buf, size_t len)
{
    int64_t s = ns / PH_NS_PER_SEC;
    if (s % 86400 == 0)
        snprintf(buf, len, "%lld day%s", (long long)(s / 86400), s == 86400 ? "" : "s");
    else if (s >= 86400)
        snprintf(buf, len, "%.1f days", (double)s / 86400);
    else if (s % 3600 == 0)
        snprintf(buf, len, "%lld hour%s", (long long)(s / 3600), s == 3600 ? "" : "s");
    else if (s >= 3600)
        snprintf(buf, len, "%.1f hours", (double)s / 3600);
    else if (s >= 60)
        snprintf(buf, len, "%lld min", (long long)(s / 60));
    else /* a window under a minute read "(0 min)" */
        snprintf(buf, len, "%lld s", (long long)s);
}

/* The answer first: who used the most CPU and memory, and whether the
 * recording has holes. */
static void headline(FILE *f, const ph_report *r)
{
    if (r->win.samples == 0 || r->napps == 0)
        return;
    const ph_rep_app *cpu = &r->apps[0], *mem = NULL;
    for (size_t i = 0; i < r->napps; i++)
        if (r->apps[i].total[PH_REP_MEM] > 0 && (!mem || r->apps[i].total[PH_REP_MEM] > mem->total[PH_REP_MEM]))
            mem = &r->apps[i];
    fputs("<p class=\"headline\">", f);
    if (cpu->total[PH_REP_CPU] > 0 && r->win.covered_ns > 0) {
        char d[32];
        ph_fmt_duration(cpu->total[PH_REP_CPU], d, sizeof d);
        fputs("Most CPU: ", f);
        swatch(f, cpu);
        fputs("<strong class=\"nm\">", f);
        html(f, row_name(r, cpu));
        fprintf(f, "</strong> (%s, %.1f%% of one core on average). ", d,
                100.0 * (double)cpu->total[PH_REP_CPU] / (double)r->win.covered_ns);
    }
    if (mem) {
        char b[32], t[48];
        ph_fmt_bytes(mem->total[PH_REP_MEM], b, sizeof b);
        ph_time_display(mem->mem_peak_ns, r->utc, t, sizeof t);
        fputs("Largest memory: ", f);
        swatch(f, mem);
        fputs("<strong class=\"nm\">", f);
        html(f, row_name(r, mem));
        fprintf(f, "</strong> (%s at %s). ", b, t);
    }
    size_t gaps = 0;
    for (size_t p = 0; p < r->npts; p++)
        gaps += r->pts[p].samples == 0;
    if (gaps)
        fprintf(f, "<span class=\"warn\">%zu of %zu points have no samples (hatched).</span>", gaps, r->npts);
    fputs("</p>\n", f);
}

int ph_report_write_html(FILE *f, const ph_report *r)
{
    char a[48], b[48], g[48], sp[48], nc[40];
    ph_time_display(r->since, r->utc, a, sizeof a);
    ph_time_display(r->until, r->utc, b, sizeof b);
    ph_time_display(r->generated, r->utc, g, sizeof g);
    span_text(r->until - r->since, sp, sizeof sp);
    nonce(nc, sizeof nc);
    fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
               "style-src 'unsafe-inline'; img-src data:; script-src 'nonce-%s'\">\n"
               "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n<title>prochist: ", nc);
    html(f, r->host);
    fprintf(f, ", %s to %s</title>\n<style>%s</style></head><body>\n", a, b, css);
    fputs("<header><h1>What used this machine: ", f);
    html(f, r->host);
    fprintf(f, "</h1><p class=\"sub\">%s \xe2\x86\x92 %s (%s) \xc2\xb7 recorded by prochist \xc2\xb7 "
               "report made %s%s%s</p></header>\n", a, b, sp, g, r->key ? " \xc2\xb7 grouped by " : "",
            r->key ? r->key : "");

    /* The header cards. */
    char cov[48], rec[64], pw[32];
    int64_t span = r->until - r->since;
    snprintf(cov, sizeof cov, "%.1f%%", span > 0 ? 100.0 * (double)r->win.covered_ns / (double)span : 0.0);
    if (r->win.recorder_cpu_ns >= 0 && r->win.covered_ns > 0) {
        char d[32];
        ph_fmt_duration(r->win.recorder_cpu_ns, d, sizeof d);
        snprintf(rec, sizeof rec, "%s (%.2f%%)", d, 100.0 * (double)r->win.recorder_cpu_ns / (double)r->win.covered_ns);
    } else
        snprintf(rec, sizeof rec, "-");
    span_text(r->width, pw, sizeof pw);
    if (r->width < 60 * PH_NS_PER_SEC)
        snprintf(pw, sizeof pw, "%lld s", (long long)(r->width / PH_NS_PER_SEC));
    fputs("<div class=\"cards\">", f);
    fprintf(f, "<div class=\"card\"><span>Samples</span><strong id=\"samples\" data-v=\"%lld\">%lld</strong></div>",
            (long long)r->win.samples, (long long)r->win.samples);
    fprintf(f, "<div class=\"card\"><span>Coverage</span><strong id=\"coverage\" title=\"time the recorder "
               "sampled, of the window\">%s</strong></div>", cov);
    fprintf(f, "<div class=\"card\"><span>Recorder's own CPU</span><strong>%s</strong></div>", rec);
    fputs("<div class=\"card\"><span>Tiers used</span><strong id=\"tiers\">", f);
    int shown_tier[PH_TIER_COUNT] = {0}, nt = 0;
    for (size_t i = 0; i < r->nseg; i++)
        if (!shown_tier[r->seg[i].tier]++)
            fprintf(f, "%s%s", nt++ ? ", " : "", ph_tier_name(r->seg[i].tier));
    if (!r->nseg)
        fputs("-", f);
    fprintf(f, "</strong></div><div class=\"card\"><span>Each point</span><strong>%s (%zu points)</strong></div>", pw, r->npts);
    fputs("<div class=\"card\"><span>OS</span><strong>", f);
    html(f, r->os);
    fputs("</strong></div></div>\n", f);

    headline(f, r);
    if (r->win.samples == 0) {
        fprintf(f, "<section class=\"empty\" id=\"nodata\"><h2>No data in this window</h2><p>The recorder took no "
                   "sample between %s and %s. Is it running? (<code>prochist status</code>)</p></section>\n", a, b);
    } else {
        int any = 0;
        for (int c = 0; c < PH_REP_NCHART; c++)
            if (r->has[c]) {
                chart(f, r, c);
                any = 1;
            }
        for (int k = 0; k < SYS_NCHART; k++)
            if (sys_lines(r, k))
                sys_chart(f, r, k);
        if (!sys_lines(r, SYS_POWER) && !sys_lines(r, SYS_GPU))
            fputs("<p class=\"dim\" id=\"nosys\">System power and GPU busy: not recorded in this window (no power "
                  "or GPU source was readable; <code>prochist doctor</code> says why).</p>\n", f);
        else if (!sys_lines(r, SYS_POWER) || !sys_lines(r, SYS_GPU))
            fprintf(f, "<p class=\"dim\" id=\"nosys\">%s: not recorded in this window.</p>\n",
                    sys_lines(r, SYS_POWER) ? "GPU busy" : "System power");
        if (!any)
            fputs("<section class=\"empty\"><p>The samples of this window hold no usage yet (a first sample is "
                  "a baseline).</p></section>\n", f);
        fputs("<div class=\"tables\">\n", f);
        int used = 0;
        for (int c = 0; c < PH_REP_NCHART; c++)
            if (c != PH_REP_MEM)
                top_table(f, r, c, &used);
        peaks_table(f, r);
        fputs("</div>\n<div style=\"height:16px\"></div>\n", f);
        changed_table(f, r);
        fprintf(f, "<p class=\"dim\">Hatched areas had no samples: the recorder was not running; nothing there is "
                   "interpolated. Stacked bands are the largest %ss of each chart; \"other\" is every other %s%s%s%s. "
                   "Hover a chart to see the moment's top processes.</p>\n", key_noun(r), key_noun(r),
                r->key ? "; \"(no " : "", r->key ? r->key : "", r->key ? ")\" is the processes without one" : "");
    }
    fputs("<div id=\"tip\" role=\"tooltip\"></div>\n<script type=\"application/json\" id=\"ph-summary\">", f);
    summary_json(f, r);
    fputs("</script>\n<script type=\"application/json\" id=\"ph-data\">", f);
    data_json(f, r);
    fprintf(f, "</script>\n<script nonce=\"%s\">%s</script>\n</body></html>\n", nc, js);
    return ferror(f) ? -1 : 0;
}
