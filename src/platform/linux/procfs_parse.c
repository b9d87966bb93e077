/*
 * Parsers for /proc files (see include/ph_procfs.h). Pure: a buffer in, a
 * struct out. Inputs are untrusted (a comm may hold any byte, files may be
 * truncated), so every read is bounded by the buffer's end and numbers that
 * overflow 64 bits are rejected rather than wrapped.
 */
#include "ph_procfs.h"

#include <string.h>

/* Parse an unsigned decimal at *p (< end); advance past it. */
static int take_u64(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    if (s >= end || *s < '0' || *s > '9')
        return -1;
    while (s < end && *s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
        s++;
    }
    *p = s;
    *out = v;
    return 0;
}

static int take_i64(const char **p, const char *end, int64_t *out)
{
    int neg = 0;
    uint64_t u;
    if (*p < end && **p == '-') {
        neg = 1;
        (*p)++;
    }
    if (take_u64(p, end, &u) < 0)
        return -1;
    if (neg) {
        if (u > (uint64_t)INT64_MAX + 1)
            return -1;
        *out = (u == (uint64_t)INT64_MAX + 1) ? INT64_MIN : -(int64_t)u;
    } else {
        if (u > (uint64_t)INT64_MAX)
            return -1;
        *out = (int64_t)u;
    }
    return 0;
}

static void skip_spaces(const char **p, const char *end)
{
    while (*p < end && (**p == ' ' || **p == '\t'))
        (*p)++;
}

int ph_parse_stat(const char *buf, size_t len, ph_stat *out)
{
    const char *p = buf, *end = buf + len, *open = NULL, *close = NULL;
    memset(out, 0, sizeof *out);
    out->nice = -1;
    out->priority = -1;

    int64_t pid;
    if (take_i64(&p, end, &pid) < 0 || pid < 0 || pid > INT32_MAX)
        return -1;
    out->pid = (int32_t)pid;
    open = memchr(p, '(', (size_t)(end - p));
    if (!open)
        return -1;
    for (const char *q = end; q > open; q--) {
        if (q[-1] == ')') {
            close = q - 1;
            break;
        }
    }
    if (!close)
        return -1;
    size_t n = (size_t)(close - open - 1);
    if (n >= sizeof out->comm)
        n = sizeof out->comm - 1;
    memcpy(out->comm, open + 1, n);
    out->comm[n] = '\0';

    p = close + 1;
    /* Fields 3.. after comm; index = field number (man 5 proc). */
    uint64_t f[53];
    int64_t sf[53];
    skip_spaces(&p, end);
    if (p >= end)
        return -1;
    out->state = *p++;
    for (int i = 4; i <= 24; i++) {
        skip_spaces(&p, end);
        if (p >= end)
            return -1;
        if (*p == '-') {
            if (take_i64(&p, end, &sf[i]) < 0)
                return -1;
            f[i] = 0;
        } else {
            if (take_u64(&p, end, &f[i]) < 0)
                return -1;
            sf[i] = f[i] > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)f[i];
        }
    }
    if (sf[4] < 0 || sf[4] > INT32_MAX)
        return -1;
    out->ppid = (int32_t)sf[4];
    out->flags = f[9];
    out->minflt = f[10];
    out->cminflt = f[11];
    out->majflt = f[12];
    out->cmajflt = f[13];
    out->utime = f[14];
    out->stime = f[15];
    out->cutime = sf[16] < 0 ? 0 : (uint64_t)sf[16];
    out->cstime = sf[17] < 0 ? 0 : (uint64_t)sf[17];
    out->priority = sf[18];
    out->nice = sf[19];
    out->num_threads = sf[20];
    out->starttime = f[22];
    out->vsize = f[23];
    out->rss = sf[24];
    return 0;
}

/* Split buf into lines "Key:<ws>value..."; call fn for each. */
typedef void (*kv_fn)(const char *key, size_t klen, const char *val,
                      const char *vend, void *ctx);

static void each_kv(const char *buf, size_t len, kv_fn fn, void *ctx)
{
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        const char *colon = memchr(p, ':', (size_t)(eol - p));
        if (colon) {
            const char *v = colon + 1;
            skip_spaces(&v, eol);
            fn(p, (size_t)(colon - p), v, eol, ctx);
        }
        p = eol + 1;
    }
}

static int key_is(const char *key, size_t klen, const char *want)
{
    return strlen(want) == klen && memcmp(key, want, klen) == 0;
}

/* "1234 kB" or "1234" into *out; leaves *out alone when malformed. */
static void take_kv_num(const char *v, const char *vend, int64_t *out)
{
    int64_t x;
    if (take_i64(&v, vend, &x) == 0)
        *out = x;
}

static void status_kv(const char *key, size_t klen, const char *v,
                      const char *vend, void *ctx)
{
    ph_status *st = ctx;
    switch (key[0]) {
    case 'U':
        if (key_is(key, klen, "Uid"))
            take_kv_num(v, vend, &st->uid);
        break;
    case 'V':
        if (key_is(key, klen, "VmRSS"))
            take_kv_num(v, vend, &st->vm_rss_kib);
        else if (key_is(key, klen, "VmHWM"))
            take_kv_num(v, vend, &st->vm_hwm_kib);
        break;
    case 'R':
        if (key_is(key, klen, "RssAnon"))
            take_kv_num(v, vend, &st->rss_anon_kib);
        else if (key_is(key, klen, "RssFile"))
            take_kv_num(v, vend, &st->rss_file_kib);
        else if (key_is(key, klen, "RssShmem"))
            take_kv_num(v, vend, &st->rss_shmem_kib);
        break;
    case 'T':
        if (key_is(key, klen, "Threads"))
            take_kv_num(v, vend, &st->threads);
        break;
    case 'v':
        if (key_is(key, klen, "voluntary_ctxt_switches"))
            take_kv_num(v, vend, &st->ctxsw_voluntary);
        break;
    case 'n':
        if (key_is(key, klen, "nonvoluntary_ctxt_switches"))
            take_kv_num(v, vend, &st->ctxsw_involuntary);
        break;
    default:
        break;
    }
}

int ph_parse_status(const char *buf, size_t len, ph_status *out)
{
    out->uid = out->vm_rss_kib = out->vm_hwm_kib = -1;
    out->rss_anon_kib = out->rss_file_kib = out->rss_shmem_kib = -1;
    out->threads = out->ctxsw_voluntary = out->ctxsw_involuntary = -1;
    each_kv(buf, len, status_kv, out);
    /* Every process has a Uid line; without one this is not a status file. */
    return out->uid < 0 ? -1 : 0;
}

static void io_kv(const char *key, size_t klen, const char *v,
                  const char *vend, void *ctx)
{
    ph_io *io = ctx;
    if (key_is(key, klen, "rchar"))
        take_kv_num(v, vend, &io->rchar);
    else if (key_is(key, klen, "wchar"))
        take_kv_num(v, vend, &io->wchar);
    else if (key_is(key, klen, "syscr"))
        take_kv_num(v, vend, &io->syscr);
    else if (key_is(key, klen, "syscw"))
        take_kv_num(v, vend, &io->syscw);
    else if (key_is(key, klen, "read_bytes"))
        take_kv_num(v, vend, &io->read_bytes);
    else if (key_is(key, klen, "write_bytes"))
        take_kv_num(v, vend, &io->write_bytes);
    else if (key_is(key, klen, "cancelled_write_bytes"))
        take_kv_num(v, vend, &io->cancelled_write_bytes);
}

int ph_parse_io(const char *buf, size_t len, ph_io *out)
{
    out->rchar = out->wchar = out->syscr = out->syscw = -1;
    out->read_bytes = out->write_bytes = out->cancelled_write_bytes = -1;
    each_kv(buf, len, io_kv, out);
    return (out->rchar < 0 && out->read_bytes < 0) ? -1 : 0;
}

int ph_parse_schedstat(const char *buf, size_t len, ph_schedstat *out)
{
    const char *p = buf, *end = buf + len;
    memset(out, 0, sizeof *out);
    if (take_u64(&p, end, &out->run_ns) < 0)
        return -1;
    skip_spaces(&p, end);
    if (take_u64(&p, end, &out->wait_ns) < 0)
        return -1;
    skip_spaces(&p, end);
    if (take_u64(&p, end, &out->slices) < 0)
        return -1;
    return 0;
}

int ph_parse_uptime(const char *buf, size_t len, int64_t *ns)
{
    const char *p = buf, *end = buf + len;
    uint64_t sec, frac = 0;
    int digits = 0;
    if (take_u64(&p, end, &sec) < 0 || sec > (uint64_t)INT64_MAX / 1000000000)
        return -1;
    if (p < end && *p == '.') {
        p++;
        while (p < end && *p >= '0' && *p <= '9' && digits < 9) {
            frac = frac * 10 + (uint64_t)(*p - '0');
            digits++;
            p++;
        }
        for (int i = digits; i < 9; i++)
            frac *= 10;
    }
    *ns = (int64_t)(sec * 1000000000ULL + frac);
    return 0;
}

/* Five fields: three load averages, running/total, and the last PID. The
 * fourth must hold its '/', the fifth be a plausible PID, or the file is not
 * what we think it is. */
int ph_parse_loadavg_last_pid(const char *buf, size_t len, int64_t *pid)
{
    const char *p = buf, *end = buf + len;
    const char *field[5];
    size_t flen[5];
    int n = 0;
    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\n'))
            p++;
        if (p == end)
            break;
        if (n == 5)
            return -1;
        field[n] = p;
        while (p < end && *p != ' ' && *p != '\n')
            p++;
        flen[n] = (size_t)(p - field[n]);
        n++;
    }
    if (n != 5 || !memchr(field[3], '/', flen[3]))
        return -1;
    const char *v = field[4];
    uint64_t last;
    if (take_u64(&v, field[4] + flen[4], &last) < 0 || v != field[4] + flen[4] || last > INT32_MAX)
        return -1;
    *pid = (int64_t)last;
    return 0;
}

int ph_parse_btime(const char *buf, size_t len, int64_t *sec)
{
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            eol = end;
        if ((size_t)(eol - p) > 6 && memcmp(p, "btime ", 6) == 0) {
            const char *v = p + 6;
            skip_spaces(&v, eol);
            return take_i64(&v, eol, sec);
        }
        p = eol + 1;
    }
    return -1;
}

int ph_exe_basename(const char *target, char *out, size_t outlen)
{
    static const char deleted[] = " (deleted)";
    size_t n = strlen(target), dl = sizeof deleted - 1;
    if (outlen == 0)
        return -1;
    if (n > dl && memcmp(target + n - dl, deleted, dl) == 0)
        n -= dl;
    while (n > 1 && target[n - 1] == '/')
        n--;
    const char *base = target;
    for (size_t i = 0; i < n; i++)
        if (target[i] == '/' && i + 1 < n)
            base = target + i + 1;
    size_t bl = n - (size_t)(base - target);
    if (bl == 0 || (bl == 1 && base[0] == '/'))
        return -1;
    if (bl >= outlen)
        bl = outlen - 1;
    memcpy(out, base, bl);
    out[bl] = '\0';
    return 0;
}

/* "123 KiB" and friends into bytes; plain numbers are bytes. */
static int64_t drm_bytes(const char *v, const char *vend)
{
    int64_t n;
    if (take_i64(&v, vend, &n) < 0 || n < 0)
        return -1;
    skip_spaces(&v, vend);
    int64_t mult = 1;
    if (vend - v >= 3 && memcmp(v, "KiB", 3) == 0)
        mult = 1024;
    else if (vend - v >= 3 && memcmp(v, "MiB", 3) == 0)
        mult = 1024 * 1024;
    else if (vend - v >= 3 && memcmp(v, "GiB", 3) == 0)
        mult = 1024 * 1024 * 1024;
    return n > INT64_MAX / mult ? -1 : n * mult;
}

/* acc += x for sums that start at -1 (none yet); nonsense that would
 * overflow leaves the sum as it was. */
static void drm_add(int64_t *acc, int64_t x)
{
    int64_t a = *acc < 0 ? 0 : *acc;
    if (x >= 0 && x <= INT64_MAX - a)
        *acc = a + x;
}

static void drm_kv(const char *key, size_t klen, const char *v, const char *vend, void *ctx)
{
    ph_drm_fdinfo *d = ctx;
    size_t vl = (size_t)(vend - v);
    if (key_is(key, klen, "drm-driver")) {
        if (vl >= sizeof d->driver)
            vl = sizeof d->driver - 1;
        memcpy(d->driver, v, vl);
        d->driver[vl] = '\0';
    } else if (key_is(key, klen, "drm-pdev")) {
        if (vl >= sizeof d->pdev)
            vl = sizeof d->pdev - 1;
        memcpy(d->pdev, v, vl);
        d->pdev[vl] = '\0';
    } else if (key_is(key, klen, "drm-client-id")) {
        take_kv_num(v, vend, &d->client_id);
    } else if (klen > 11 && memcmp(key, "drm-engine-", 11) == 0 &&
               !(klen > 20 && memcmp(key, "drm-engine-capacity-", 20) == 0)) {
        int64_t ns;
        const char *p = v;
        if (take_i64(&p, vend, &ns) == 0)
            drm_add(&d->engine_ns, ns);
    } else if (klen > 13 && memcmp(key, "drm-resident-", 13) == 0) {
        int64_t b = drm_bytes(v, vend);
        drm_add(&d->resident_bytes, b);
    } else if (klen > 11 && memcmp(key, "drm-memory-", 11) == 0) {
        int64_t b = drm_bytes(v, vend); /* the legacy name of drm-resident- */
        drm_add(&d->legacy_memory_bytes, b);
    }
}

int ph_parse_drm_fdinfo(const char *buf, size_t len, ph_drm_fdinfo *out)
{
    memset(out, 0, sizeof *out);
    out->client_id = out->engine_ns = out->resident_bytes = out->legacy_memory_bytes = -1;
    each_kv(buf, len, drm_kv, out);
    if (out->resident_bytes < 0) /* drivers printing both must not count twice */
        out->resident_bytes = out->legacy_memory_bytes;
    return out->driver[0] ? 0 : -1;
}

int ph_exe_is_interpreter(const char *base)
{
    /* Shells, and the script languages' programs (with a version suffix:
     * python3.11, perl5.36.0, ruby3.1, php8.2, lua5.4, tclsh8.6). */
    static const char *const names[] = {"sh",  "dash",   "bash",   "zsh", "ksh",    "mksh",  "fish",  "busybox",
                                         "python", "perl", "ruby", "node", "nodejs", "php", "lua", "luajit",
                                         "tclsh", "Rscript", "gawk", "mawk", "awk"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t n = strlen(names[i]);
        if (strncmp(base, names[i], n) != 0)
            continue;
        const char *v = base + n;
        while ((*v >= '0' && *v <= '9') || *v == '.')
            v++;
        if (*v == '\0')
            return 1;
    }
    return 0;
}
