/* Shared helpers: messages, allocation, buffers, clocks, a hash map. */
#define _DEFAULT_SOURCE /* realpath (glibc) */
#include "ph_util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *ph_progname = "prochist";
const char *ph_argv0;

static int utf8_len(const unsigned char *p);

/* One line on stderr: PREFIX, the message, a newline. Messages quote what
 * users and processes named (a --db path, a target, a cgroup path), so the
 * line is escaped here, once for every message: a C0 control, DEL or a byte
 * that is not UTF-8 is written as \xHH, a C1 control or a bidirectional
 * formatting character (ph_ctrl_len) as \uHHHH. ESC would reach the
 * terminal, a newline would make two lines of one, RLO would turn the rest
 * of the line around. */
static void vline(const char *prefix, const char *fmt, va_list ap)
{
    char small[512], *msg = small;
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= (int)sizeof small && (msg = malloc((size_t)n + 1)) != NULL)
        vsnprintf(msg, (size_t)n + 1, fmt, again);
    va_end(again);
    if (n < 0 || !msg) {
        msg = small; /* cut at what fits: the line still ends */
        if (n < 0)
            small[0] = '\0';
    }
    fputs(prefix, stderr);
    for (const unsigned char *p = (const unsigned char *)msg; *p;) {
        size_t c = ph_ctrl_len((const char *)p);
        int u = utf8_len(p);
        if (c == 1 || !u) {
            fprintf(stderr, "\\x%02x", *p);
            p++;
        } else if (c) {
            unsigned cp = c == 2 ? ((p[0] & 0x1Fu) << 6) | (p[1] & 0x3Fu)
                                 : ((p[0] & 0x0Fu) << 12) | ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
            fprintf(stderr, "\\u%04x", cp);
            p += c;
        } else {
            fwrite(p, 1, (size_t)u, stderr);
            p += u;
        }
    }
    fputc('\n', stderr);
    if (msg != small)
        free(msg);
}

void ph_err(const char *fmt, ...)
{
    char prefix[128];
    va_list ap;
    snprintf(prefix, sizeof prefix, "%s: ", ph_progname);
    va_start(ap, fmt);
    vline(prefix, fmt, ap);
    va_end(ap);
}

const char *ph_home_dir(void)
{
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(getuid());
        home = pw ? pw->pw_dir : NULL;
    }
    return home && *home ? home : NULL;
}

void ph_log(const char *fmt, ...)
{
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    va_list ap;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char prefix[160];
    snprintf(prefix, sizeof prefix, "%s %s[%ld]: ", ts, ph_progname, (long)getpid());
    va_start(ap, fmt);
    vline(prefix, fmt, ap);
    va_end(ap);
    fflush(stderr);
}

void ph_fatal(const char *fmt, ...)
{
    va_list ap;
    char prefix[140];
    snprintf(prefix, sizeof prefix, "%s: fatal: ", ph_progname);
    va_start(ap, fmt);
    vline(prefix, fmt, ap);
    va_end(ap);
    exit(1);
}

void *ph_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        ph_fatal("out of memory (%zu bytes)", n);
    return p;
}

void *ph_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        ph_fatal("out of memory (%zu x %zu bytes)", n, size);
    return p;
}

size_t ph_lower_bound(const void *base, size_t n, size_t size, size_t off, size_t keysize, int64_t key)
{
    const unsigned char *b = base;
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int64_t k;
        if (keysize == sizeof(int32_t)) {
            int32_t k32;
            memcpy(&k32, b + mid * size + off, sizeof k32);
            k = k32;
        } else {
            memcpy(&k, b + mid * size + off, sizeof k);
        }
        if (k < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void *ph_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        ph_fatal("out of memory (%zu bytes)", n);
    return q;
}

char *ph_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = ph_xmalloc(n);
    memcpy(d, s, n);
    return d;
}

int ph_fmt(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    return (n < 0 || (size_t)n >= len) ? -1 : 0;
}

void ph_buf_reserve(ph_buf *b, size_t cap)
{
    if (cap <= b->cap)
        return;
    size_t nc = b->cap ? b->cap : 256;
    while (nc < cap)
        nc *= 2;
    b->data = ph_xrealloc(b->data, nc);
    b->cap = nc;
}

void ph_buf_append(ph_buf *b, const char *s, size_t n)
{
    ph_buf_reserve(b, b->len + n + 1);
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void ph_buf_puts(ph_buf *b, const char *s)
{
    ph_buf_append(b, s, strlen(s));
}

void ph_buf_printf(ph_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    ph_buf_reserve(b, b->len + (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void ph_buf_free(ph_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

static int64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t ph_now_wall_ns(void) { return clock_ns(CLOCK_REALTIME); }
int64_t ph_now_mono_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

void ph_imap_init(ph_imap *m)
{
    memset(m, 0, sizeof *m);
}

void ph_imap_free(ph_imap *m)
{
    free(m->keys);
    free(m->vals);
    free(m->used);
    memset(m, 0, sizeof *m);
}

/* Fibonacci hashing: the top log2(cap) bits of key times 2^64/phi, which
 * every bit of the key moves (the middle bits taken before ignored a key's
 * high half: pid << 32 | n keys crowded into a few slots). */
static size_t imap_slot(int64_t key, size_t cap)
{
    uint64_t h = (uint64_t)key * 0x9E3779B97F4A7C15ULL;
    return (size_t)(h >> (64 - __builtin_ctzll((unsigned long long)cap)));
}

int *ph_imap_get(const ph_imap *m, int64_t key)
{
    if (!m->cap)
        return NULL;
    for (size_t i = imap_slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->used[i])
            return NULL;
        if (m->keys[i] == key)
            return &m->vals[i];
    }
}

static void imap_grow(ph_imap *m)
{
    ph_imap big;
    big.cap = m->cap ? m->cap * 2 : 64;
    big.n = 0;
    big.keys = ph_xcalloc(big.cap, sizeof *big.keys);
    big.vals = ph_xcalloc(big.cap, sizeof *big.vals);
    big.used = ph_xcalloc(big.cap, 1);
    for (size_t i = 0; i < m->cap; i++)
        if (m->used[i])
            ph_imap_put(&big, m->keys[i], m->vals[i]);
    ph_imap_free(m);
    *m = big;
}

void ph_imap_put(ph_imap *m, int64_t key, int val)
{
    if ((m->n + 1) * 4 >= m->cap * 3)
        imap_grow(m);
    for (size_t i = imap_slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (!m->used[i]) {
            m->used[i] = 1;
            m->keys[i] = key;
            m->vals[i] = val;
            m->n++;
            return;
        }
        if (m->keys[i] == key) {
            m->vals[i] = val;
            return;
        }
    }
}

int ph_smap_find(const ph_imap *m, const char *s, const char *(*name_of)(const void *ctx, int idx),
                 const void *ctx, int64_t *slot)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (const char *c = s; *c; c++)
        h = (h ^ (unsigned char)*c) * 1099511628211ULL;
    int64_t key = (int64_t)(h & INT64_MAX);
    for (int *idx; (idx = ph_imap_get(m, key)) != NULL; key = (key + 1) & INT64_MAX)
        if (strcmp(name_of(ctx, *idx), s) == 0)
            return *idx;
    *slot = key;
    return -1;
}

int ph_dir_of(const char *path, char *out, size_t len)
{
    if (ph_fmt(out, len, "%s", path) < 0)
        return -1;
    char *slash = strrchr(out, '/');
    if (!slash)
        return ph_fmt(out, len, ".");
    if (slash == out)
        slash[1] = '\0'; /* "/x": the root */
    else
        *slash = '\0';
    return 0;
}

int ph_mkdir_p(const char *path, unsigned mode)
{
    char tmp[4096];
    if (ph_fmt(tmp, sizeof tmp, "%s", path) < 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = tmp + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(tmp, (mode_t)mode) != 0 && errno != EEXIST)
                return -1;
            *p = c;
            if (c == '\0')
                break;
        }
    }
    return 0;
}

/* Length of the UTF-8 character at p (1 to 4), 0 when p does not start one:
 * a bad lead or continuation byte, an overlong form, a surrogate (U+D800 to
 * U+DFFF) or past U+10FFFF (RFC 3629; JSON decoders refuse all of them). */
static int utf8_len(const unsigned char *p)
{
    int n = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : (*p & 0xF8) == 0xF0 ? 4 : 0;
    unsigned cp = n == 1 ? *p : n == 2 ? (*p & 0x1Fu) : n == 3 ? (*p & 0x0Fu) : (*p & 0x07u);
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3Fu);
    }
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
        return 0;
    return n;
}

/* Columns a code point takes on a terminal: 0 for combining marks and
 * zero-width characters, 2 for East Asian Wide and Fullwidth ones
 * (Unicode UAX #11; the ranges are the main blocks glibc's wcwidth gives
 * 2), 1 for the rest. */
static int cp_width(unsigned cp)
{
    static const unsigned zero[][2] = {
        {0x0300, 0x036F}, {0x0483, 0x0489}, {0x0591, 0x05BD}, {0x0610, 0x061A}, {0x064B, 0x065F},
        {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064},
        {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F}, {0xFEFF, 0xFEFF}, {0xE0100, 0xE01EF},
    };
    static const unsigned wide[][2] = {
        {0x1100, 0x115F}, {0x231A, 0x231B}, {0x2329, 0x232A}, {0x2E80, 0x303E}, {0x3041, 0x33FF},
        {0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xA000, 0xA4CF}, {0xA960, 0xA97F}, {0xAC00, 0xD7A3},
        {0xF900, 0xFAFF}, {0xFE10, 0xFE19}, {0xFE30, 0xFE6F}, {0xFF00, 0xFF60}, {0xFFE0, 0xFFE6},
        {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x2FFFD}, {0x30000, 0x3FFFD},
    };
    for (size_t i = 0; i < PH_ARRAY_LEN(zero); i++)
        if (cp >= zero[i][0] && cp <= zero[i][1])
            return 0;
    for (size_t i = 0; i < PH_ARRAY_LEN(wide); i++)
        if (cp >= wide[i][0] && cp <= wide[i][1])
            return 2;
    return 1;
}

size_t ph_text_width(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t w = 0;
    while (*p) {
        int n = utf8_len(p);
        if (!n) { /* not UTF-8: a byte shown as one '?' */
            w++;
            p++;
            continue;
        }
        unsigned cp = n == 1 ? *p : n == 2 ? (*p & 0x1Fu) : n == 3 ? (*p & 0x0Fu) : (*p & 0x07u);
        for (int i = 1; i < n; i++)
            cp = (cp << 6) | (p[i] & 0x3Fu);
        w += (size_t)cp_width(cp);
        p += n;
    }
    return w;
}

void ph_utf8_sanitize(char *s)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        int n = utf8_len(p);
        if (!n) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

static const char *const bin_dirs[] = {"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"};

/* Basename of the resolved path of dir/file when it is an executable file. */
static int resolve_in(const char *dir, const char *file, char *app, size_t len)
{
    char path[PATH_MAX], real[PATH_MAX];
    struct stat st;
    if (snprintf(path, sizeof path, "%s/%s", dir, file) >= (int)sizeof path || !realpath(path, real) ||
        stat(real, &st) != 0 || !S_ISREG(st.st_mode) || !(st.st_mode & 0111))
        return -1;
    const char *base = strrchr(real, '/');
    base = base ? base + 1 : real;
    size_t n = strlen(base);
    if (n == 0 || n >= len)
        return -1;
    memcpy(app, base, n + 1);
    return 0;
}

static int resolve_name(const char *name, char *app, size_t len)
{
    for (size_t i = 0; i < PH_ARRAY_LEN(bin_dirs); i++)
        if (resolve_in(bin_dirs[i], name, app, len) == 0)
            return 0;
    if (strlen(name) != 15)
        return -1;
    for (size_t i = 0; i < PH_ARRAY_LEN(bin_dirs); i++) { /* a truncated comm */
        DIR *d = opendir(bin_dirs[i]);
        if (!d)
            continue;
        char best[256] = "";
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (strlen(de->d_name) > 15 && strncmp(de->d_name, name, 15) == 0 &&
                (!best[0] || strcmp(de->d_name, best) < 0))
                snprintf(best, sizeof best, "%s", de->d_name);
        closedir(d);
        if (best[0] && resolve_in(bin_dirs[i], best, app, len) == 0)
            return 0;
    }
    return -1;
}

void ph_app_of_name(const char *name, char *app, size_t len)
{
    /* A few hundred names cover a machine's short-lived programs. */
    static struct {
        char name[64], app[64];
    } cache[256];
    static size_t ncache, next;
    if (len == 0)
        return;
    snprintf(app, len, "%s", name);
    if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
        strlen(name) >= sizeof cache[0].name)
        return; /* not a file name (kernel threads: "kworker/0:1") */
    for (size_t i = 0; i < ncache; i++)
        if (strcmp(cache[i].name, name) == 0) {
            snprintf(app, len, "%s", cache[i].app);
            return;
        }
    char found[64];
    if (resolve_name(name, found, sizeof found) == 0)
        snprintf(app, len, "%s", found);
    size_t slot = ncache < PH_ARRAY_LEN(cache) ? ncache++ : next++ % PH_ARRAY_LEN(cache);
    snprintf(cache[slot].name, sizeof cache[slot].name, "%s", name);
    snprintf(cache[slot].app, sizeof cache[slot].app, "%s", app);
}

/* The bidirectional formatting characters (Unicode TR 9, "Explicit
 * Directional Embeddings, Overrides and Isolates" and "Implicit Directional
 * Formatting Characters"): U+061C ALM, U+200E LRM, U+200F RLM, U+202A to
 * U+202E (LRE, RLE, PDF, LRO, RLO) and U+2066 to U+2069 (LRI, RLI, FSI,
 * PDI). A name holding RLO is shown backwards to its end of line, and the
 * rest of the line with it. Their UTF-8 length, or 0. */
static size_t bidi_len(const unsigned char *p)
{
    if (p[0] == 0xD8 && p[1] == 0x9C)
        return 2;
    if (p[0] != 0xE2)
        return 0;
    if (p[1] == 0x80 && (p[2] == 0x8E || p[2] == 0x8F || (p[2] >= 0xAA && p[2] <= 0xAE)))
        return 3;
    if (p[1] == 0x81 && p[2] >= 0xA6 && p[2] <= 0xA9)
        return 3;
    return 0;
}

size_t ph_ctrl_len(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    if ((*p && *p < 0x20) || *p == 0x7f)
        return 1;
    if (p[0] == 0xC2 && p[1] >= 0x80 && p[1] <= 0x9F)
        return 2;
    return bidi_len(p);
}

void ph_ctrl_sanitize(char *s)
{
    ph_utf8_sanitize(s);
    char *w = s;
    for (const char *r = s; *r;) {
        size_t n = ph_ctrl_len(r);
        if (n) {
            *w++ = '?';
            r += n;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

int ph_parse_uint(const char *s, int64_t max, int64_t *out)
{
    int64_t v = 0;
    if (!s || !*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        if (v > (max - (*s - '0')) / 10)
            return -1; /* beyond max: also catches int64 overflow */
        v = v * 10 + (*s - '0');
    }
    *out = v;
    return 0;
}

int ph_parse_decimal(const char *s, double *out, const char **end)
{
    const char *p = s;
    int digits = 0, dot = 0;
    for (; (*p >= '0' && *p <= '9') || (*p == '.' && !dot); p++) {
        if (*p == '.')
            dot = 1;
        else
            digits++;
    }
    if (!digits || p - s > 40) /* 40 digits: far beyond any option's range */
        return -1;
    char buf[48];
    memcpy(buf, s, (size_t)(p - s));
    buf[p - s] = '\0';
    *out = strtod(buf, NULL); /* only digits and a dot reach strtod */
    *end = p;
    return 0;
}

static void heap_down(int64_t *h, size_t n, size_t j)
{
    for (;;) {
        size_t l = 2 * j + 1, r = l + 1, m = j;
        if (l < n && h[l] < h[m])
            m = l;
        if (r < n && h[r] < h[m])
            m = r;
        if (m == j)
            return;
        int64_t t = h[j];
        h[j] = h[m];
        h[m] = t;
        j = m;
    }
}

void ph_heap_offer(int64_t *h, size_t *n, size_t k, int64_t v)
{
    if (*n < k) {
        size_t j = (*n)++;
        h[j] = v;
        while (j > 0 && h[(j - 1) / 2] > h[j]) {
            int64_t t = h[j];
            h[j] = h[(j - 1) / 2];
            h[(j - 1) / 2] = t;
            j = (j - 1) / 2;
        }
    } else if (v > h[0]) {
        h[0] = v;
        heap_down(h, *n, 0);
    }
}

int64_t ph_kth_largest(const int64_t *v, size_t n, size_t k)
{
    int64_t *h = ph_xcalloc(k, sizeof *h);
    size_t nh = 0;
    for (size_t i = 0; i < n; i++)
        ph_heap_offer(h, &nh, k, v[i]);
    int64_t kth = h[0];
    free(h);
    return kth;
}
